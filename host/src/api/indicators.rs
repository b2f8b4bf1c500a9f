//! `/api/indicators` and `/api/indicators/{id}[.ext]`: indicators computed by sandboxed
//! plugins, served as tables through the same formats as datasets.

use axum::extract::{RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::openapi::responses::{
    BadGateway, GatewayTimeout, LookupErrors, NotModified, Unprocessable,
};
use super::params::{Conditional, ExtensionPath, IndicatorPath};
use super::schema;
use crate::export::{self, ExportOptions, ExportSchema};
use crate::http::caching::{CACHE_CONTROL_VALUE, json_tagged};
use crate::http::declared::{Declared, Flag};
use crate::http::download::{
    Format, Target, all_formats, find_format, set_download_headers, split_exporter_params,
};
use crate::http::{ApiError, AppState, PathParams};
use crate::plugins::{IndicatorOutcome, IndicatorResult, Plugin, PluginHost};
use crate::store::QueryError;

/// An indicator's manifest with its plugin's identity and a link for every format.
fn summary(plugin: &Plugin, plugins: &PluginHost) -> Value {
    let Some(manifest) = plugin.indicator_info() else {
        return Value::Null;
    };
    let mut info = manifest.to_json();
    if let Value::Object(map) = &mut info {
        let id = &plugin.id;
        map.insert(
            "plugin".into(),
            json!({"id": plugin.id, "version": plugin.version, "sha256": plugin.sha256}),
        );
        let mut links = serde_json::Map::new();
        links.insert("self".into(), json!(format!("/api/indicators/{id}")));
        for format in all_formats(plugins).into_iter().filter(|f| f.indicators) {
            links.insert(
                format.extension.clone(),
                json!(format!("/api/indicators/{id}.{}", format.extension)),
            );
        }
        map.insert("links".into(), Value::Object(links));
    }
    info
}

/// Daftar indikator / list indicators
///
/// Each indicator's BPS MS-Ind metadata (konsep, definisi, rumus, satuan, interpretasi),
/// parameters, inputs, plugin and links.
#[utoipa::path(get, path = "/api/indicators", tag = "indicators", operation_id = "indicators",
    params(Conditional),
    responses(
        (status = 200, description = "The indicators.", body = schema::IndicatorList),
        (status = 304, response = NotModified),
    ))]
pub async fn list(State(app): State<AppState>, headers: HeaderMap) -> Response {
    json_tagged(
        &headers,
        &json!({
            "indicators": app
                .plugins
                .indicators()
                .iter()
                .map(|p| summary(p, &app.plugins))
                .collect::<Vec<_>>()
        }),
    )
}

/// The parameters of an indicator's result, besides its own.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // a declaration: `show` reads the pairs itself
pub struct IndicatorParams {
    /// The indicator's own parameters, each as `name=value`; an unknown one is refused (400).
    /// Any other name starting with `_` is refused.
    #[param(style = Form, explode)]
    parameters: Option<std::collections::BTreeMap<String, String>>,
    /// Compute from the data as it was at this revision.
    #[param(rename = "_as_of", minimum = 0)]
    as_of: Option<i64>,
}

/// The CSV byte-order mark of an indicator's download.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // a declaration: `show` reads the pairs itself
pub struct IndicatorBom {
    /// `.csv` only: start with a UTF-8 byte-order mark for Excel.
    #[param(rename = "_bom", inline)]
    bom: Option<Flag>,
}

static INDICATOR_NAMES: Declared = Declared::new();
static BOM_NAMES: Declared = Declared::new();

/// Hasil indikator / an indicator's result
///
/// Runs the indicator (or answers from its result cache) and returns its metadata, columns
/// and rows.
#[utoipa::path(get, path = "/api/indicators/{id}", tag = "indicators", operation_id = "indicator",
    params(IndicatorPath, IndicatorParams, Conditional),
    responses(
        (status = 200, description = "The result.", body = schema::IndicatorResult),
        (status = 304, response = NotModified),
        LookupErrors,
        (status = 422, response = Unprocessable),
        (status = 502, response = BadGateway),
        (status = 504, response = GatewayTimeout),
    ))]
#[allow(dead_code)] // the operation `show` serves without an extension
fn show_json() {}

/// Unduh hasil indikator / download an indicator's result
///
/// The result as a file in the format `ext`. Exporter plugins take their own parameters too.
#[utoipa::path(get, path = "/api/indicators/{id}.{ext}", tag = "indicators", operation_id = "indicator_export",
    params(IndicatorPath, ExtensionPath, IndicatorParams, IndicatorBom, Conditional),
    responses(
        (status = 200, description = "The file. `Content-Disposition: attachment` for formats meant to be saved."),
        (status = 304, response = NotModified),
        LookupErrors,
        (status = 422, response = Unprocessable),
        (status = 502, response = BadGateway),
        (status = 504, response = GatewayTimeout),
    ),
    extensions(("x-logam-route" = json!("/api/indicators/{id}"))))]
#[allow(dead_code)] // the operation `show` serves with an extension
fn show_export() {}

/// Splits `id.ext` ([`show_json`], [`show_export`]: one axum route, two operations), sorts the
/// query into `_bom`, the exporter's parameters and the indicator's, runs the indicator (or
/// answers 304 from its ETag) and answers in the asked format.
pub async fn show(
    State(app): State<AppState>,
    PathParams(IndicatorPath { id: resource }): PathParams<IndicatorPath>,
    RawQuery(query): RawQuery,
    request_headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (id, extension) = match resource.split_once('.') {
        Some((id, ext)) => (id.to_string(), Some(ext.to_string())),
        None => (resource, None),
    };
    let format = extension
        .as_deref()
        .map(|ext| find_format(&app.plugins, ext, Target::Indicators))
        .transpose()?;
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let (exporter_params, pairs) = match &format {
        Some(Format::Plugin(_, plugin)) => split_exporter_params(plugin, pairs),
        _ => (Vec::new(), pairs),
    };
    let mut params = Vec::new();
    let mut bom = false;
    let mut as_of = None;
    for (key, value) in pairs {
        let declared = INDICATOR_NAMES.contains::<IndicatorParams>(&key)
            || (extension.as_deref() == Some("csv") && BOM_NAMES.contains::<IndicatorBom>(&key));
        if key.starts_with('_') && !declared {
            return Err(QueryError::UnknownParameter {
                parameter: key.chars().take(100).collect(),
            }
            .into());
        }
        match key.as_str() {
            "_bom" if extension.as_deref() == Some("csv") => {
                bom = crate::http::params::flag(&key, &value)?
            }
            "_as_of" => {
                as_of = Some(
                    value
                        .parse::<i64>()
                        .ok()
                        .filter(|r| *r >= 0)
                        .ok_or_else(|| {
                            ApiError::from(QueryError::InvalidValue {
                                parameter: "_as_of".into(),
                                value: value.chars().take(100).collect(),
                                expected: "a revision number".into(),
                            })
                        })?,
                )
            }
            _ if key.starts_with('_') => {
                // Declared above but not read here: refused, never ignored.
                return Err(QueryError::UnknownParameter {
                    parameter: key.chars().take(100).collect(),
                }
                .into());
            }
            _ => params.push((key, value)),
        }
    }
    // The representation: the format, the exporter's version and its options.
    let variant = match &format {
        None => "json-page".to_string(),
        Some(Format::Native(info)) => format!("{}|bom={bom}", info.extension),
        Some(Format::Plugin(info, plugin)) => {
            format!("{}|{}|{exporter_params:?}", info.extension, plugin.sha256)
        }
    };
    let if_none_match = request_headers
        .get(IF_NONE_MATCH)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    let plugins = app.plugins.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        plugins.run_indicator(&id, &params, as_of, &variant, if_none_match.as_deref())
    })
    .await
    .map_err(|e| ApiError::from(crate::store::StoreError::Task(e.to_string())))??;
    let (result, etag) = match outcome {
        IndicatorOutcome::NotModified { etag } => {
            return Ok(tagged(StatusCode::NOT_MODIFIED.into_response(), &etag));
        }
        IndicatorOutcome::Computed { result, etag } => (result, etag),
    };
    let schema = result.export_schema();
    let response = match format {
        None => (
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            page(&result, &schema, &app.plugins),
        )
            .into_response(),
        Some(format) => {
            let exporter: Box<dyn export::Exporter> = match &format {
                Format::Native(info) => export::native_exporter(
                    &info.extension,
                    ExportOptions {
                        byte_order_mark: bom,
                    },
                )
                .ok_or_else(|| {
                    ApiError::not_found(format!("no exporter for .{}", info.extension))
                })?,
                Format::Plugin(_, plugin) => Box::new(
                    app.plugins
                        .open_exporter(plugin.clone(), &exporter_params)?,
                ),
            };
            let plugins = app.plugins.clone();
            let produced = result.clone();
            let fresh = export::run_export(
                exporter,
                app.drain,
                move |emitter: &mut export::Emitter<()>| {
                    let mut schema = schema;
                    if emitter.wants_table() {
                        schema.table = std::sync::Arc::new(plugins.describe_result(&produced)?);
                    }
                    if emitter.start((), &schema).is_continue() {
                        let _ = emitter.batch(&produced.batch);
                    }
                    Ok(())
                },
            )
            .await?;
            let body = match fresh {
                crate::store::Fresh::Modified(((), body)) => body,
                crate::store::Fresh::NotModified(_) => {
                    return Ok(tagged(StatusCode::NOT_MODIFIED.into_response(), &etag));
                }
            };
            let mut response = axum::body::Body::from_stream(body).into_response();
            set_download_headers(&mut response, format.info(), &result.plugin.id);
            response
        }
    };
    Ok(tagged(response, &etag))
}

fn tagged(mut response: Response, etag: &str) -> Response {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(ETAG, value);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL_VALUE));
    response
}

/// The result as JSON: the indicator's manifest, the data revision, the columns, and the
/// rows as objects in column order (written directly, so the order survives).
fn page(result: &IndicatorResult, schema: &ExportSchema, plugins: &PluginHost) -> Vec<u8> {
    let head = json!({
        "indicator": summary(&result.plugin, plugins),
        "revision": result.revision,
        "columns": result.columns.iter().map(|c| json!({
            "name": c.name,
            "type": c.column_type.as_str(),
            "role": c.role.as_str(),
            "title": c.title,
            "description": c.description,
            "unit": c.unit,
        })).collect::<Vec<_>>(),
    });
    let mut out = serde_json::to_vec(&head).unwrap_or_else(|_| b"{}".to_vec());
    out.pop(); // reopen the object to append the rows
    out.extend_from_slice(b",\"rows\":[");
    let keys = export::ObjectKeys::new(schema);
    for row in 0..result.batch.len() {
        if row > 0 {
            out.push(b',');
        }
        export::write_row_object(&mut out, &keys, &result.batch, row);
    }
    out.extend_from_slice(b"]}");
    out
}
