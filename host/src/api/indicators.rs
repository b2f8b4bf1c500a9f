//! `/api/indicators` and `/api/indicators/{id}[.ext]`: indicators computed by sandboxed
//! plugins, served as tables through the same formats as datasets.

use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::caching::{content_tagged, json_tagged};
use super::download::{find_format, set_download_headers};
use super::{ApiError, AppState, PathParams};
use crate::export::{self, ExportOptions, ExportSchema};
use crate::plugins::{IndicatorResult, PluginError};
use crate::store::QueryError;

impl From<PluginError> for ApiError {
    fn from(err: PluginError) -> Self {
        let message = err.to_string();
        match err {
            PluginError::UnknownIndicator(_) => ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_indicator",
                message,
                "GET /api/indicators lists the indicators",
            ),
            PluginError::InvalidParameter { .. } => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                message,
                "GET /api/indicators/{id}/meta lists its parameters",
            ),
            PluginError::Declined { kind, .. } => {
                let status = match kind {
                    "invalid_parameter" => StatusCode::BAD_REQUEST,
                    "failed" => StatusCode::BAD_GATEWAY,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                ApiError::new(
                    status,
                    kind,
                    message,
                    "the plugin's message says what it needs",
                )
            }
            PluginError::Timeout { .. } => ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "plugin_timeout",
                message,
                "the plugin is too slow for this request; report it to the office",
            ),
            PluginError::MemoryLimit { .. } => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "plugin_memory_limit",
                message,
                "the plugin needs too much memory; report it to the office",
            ),
            PluginError::OutputLimit { .. } => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "plugin_output_limit",
                message,
                "the plugin's result is too large; report it to the office",
            ),
            PluginError::Crashed { .. } => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "plugin_crashed",
                message,
                "the plugin failed; report it to the office",
            ),
            PluginError::Store(store) => store.into(),
            other => {
                tracing::error!(error = %other, "plugin host failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "the server failed to answer this request",
                    "try again later",
                )
            }
        }
    }
}

fn summary(plugin: &crate::plugins::IndicatorPlugin) -> Value {
    let mut info = crate::plugins::indicator_info_json(&plugin.info);
    if let Value::Object(map) = &mut info {
        let id = &plugin.info.id;
        map.insert(
            "plugin".into(),
            json!({"name": plugin.name, "sha256": plugin.sha256}),
        );
        let mut links = serde_json::Map::new();
        links.insert("self".into(), json!(format!("/api/indicators/{id}")));
        for format in export::native_formats() {
            links.insert(
                format.extension.into(),
                json!(format!("/api/indicators/{id}.{}", format.extension)),
            );
        }
        map.insert("links".into(), Value::Object(links));
    }
    info
}

pub async fn list(State(app): State<AppState>, headers: HeaderMap) -> Response {
    json_tagged(
        &headers,
        &json!({
            "indicators": app.plugins.indicators().iter().map(|p| summary(p)).collect::<Vec<_>>()
        }),
    )
}

/// Splits `id.ext`, reads `_bom` and the plugin's parameters, runs the indicator and answers
/// in the asked format.
pub async fn show(
    State(app): State<AppState>,
    PathParams(resource): PathParams<String>,
    RawQuery(query): RawQuery,
    request_headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (id, extension) = match resource.split_once('.') {
        Some((id, ext)) => (id.to_string(), Some(ext.to_string())),
        None => (resource, None),
    };
    let mut params = Vec::new();
    let mut bom = false;
    for (key, value) in
        form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()).into_owned()
    {
        match key.as_str() {
            "_bom" if extension.as_deref() == Some("csv") => bom = value != "0",
            _ if key.starts_with('_') => {
                return Err(QueryError::UnknownParameter {
                    parameter: key.chars().take(100).collect(),
                }
                .into());
            }
            _ => params.push((key, value)),
        }
    }
    let format = extension.as_deref().map(find_format).transpose()?;
    let plugins = app.plugins.clone();
    let store = app.store.clone();
    let result = tokio::task::spawn_blocking(move || plugins.run_indicator(&store, &id, &params))
        .await
        .map_err(|e| ApiError::from(crate::store::StoreError::Task(e.to_string())))??;

    let schema = ExportSchema {
        names: result.columns.iter().map(|c| c.name.clone()).collect(),
        types: result.columns.iter().map(|c| c.column_type).collect(),
        positions: (0..result.columns.len()).collect(),
    };
    match format {
        None => {
            let body = page(&result, &schema);
            let response = (
                [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                body.clone(),
            )
                .into_response();
            Ok(content_tagged(&request_headers, response, &body))
        }
        Some(format) => {
            let mut exporter = export::native_exporter(
                format.extension,
                ExportOptions {
                    byte_order_mark: bom,
                },
            )
            .ok_or_else(|| ApiError::not_found(format!("no exporter for .{}", format.extension)))?;
            let mut body = Vec::new();
            let fail = |e: export::ExportError| {
                ApiError::from(crate::store::StoreError::Task(e.to_string()))
            };
            exporter.begin(&schema, &mut body).map_err(fail)?;
            exporter.write(&result.batch, &mut body).map_err(fail)?;
            exporter.finish(&mut body).map_err(fail)?;
            let mut response = body.clone().into_response();
            set_download_headers(&mut response, &format, &result.plugin.info.id);
            Ok(content_tagged(&request_headers, response, &body))
        }
    }
}

/// The result as JSON: the indicator's manifest, the data revision, the columns, and the
/// rows as objects in column order (written directly, so the order survives).
fn page(result: &IndicatorResult, schema: &ExportSchema) -> Vec<u8> {
    let head = json!({
        "indicator": summary(&result.plugin),
        "revision": result.revision,
        "columns": result.columns.iter().map(|c| json!({
            "name": c.name,
            "type": c.column_type.as_str(),
            "role": c.role,
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
