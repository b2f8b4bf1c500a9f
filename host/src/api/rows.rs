//! `/api/datasets/{id}/rows[.ext]` and `/api/datasets/{id}/rows/{key}`.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};

use super::openapi::responses::{
    BadGateway, GatewayTimeout, LookupErrors, NotModified, TooManyRequests, Unprocessable,
};
use super::params::{Conditional, DatasetPath, DatasetResourcePath, ExtensionPath, RowPath};
use super::schema;
use crate::export::{self, ExportOptions, ExportSchema};
use crate::http::caching::{client_state, not_modified, pinned, request_key, with_cache_headers};
use crate::http::download::{
    Format, Target, find_format, set_download_headers, split_exporter_params,
};
use crate::http::params::{self, ExportParams, Mode, PageParams};
use crate::http::{ApiError, AppState, ClientAddr, PathParams};
use crate::store::{Fresh, Page};

/// `rows` is a JSON page ([`page`]); `rows.EXT` is the whole result in format EXT
/// ([`export`]). One axum route, since its router cannot match a suffix within a segment;
/// two operations in `/openapi.json`.
pub async fn rows(
    State(app): State<AppState>,
    client: ClientAddr,
    PathParams(DatasetResourcePath {
        id: dataset,
        resource,
    }): PathParams<DatasetResourcePath>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    match resource.strip_prefix("rows") {
        Some("") => page(app, dataset, query, headers, uri).await,
        Some(ext) if ext.starts_with('.') => {
            export(app, client, dataset, &ext[1..], query, headers, uri).await
        }
        _ => Err(ApiError::not_found(format!(
            "/api/datasets/{dataset}/{resource} is not an endpoint"
        ))),
    }
}

fn json_response(body: Vec<u8>) -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

/// Halaman baris / a page of rows
///
/// A page of rows (100 by default, `_size` up to 1000) with filters, sort, columns, full-text
/// search, count and facets. Follow `next_url` until it is null; pages stay correct while data
/// is added between requests.
#[utoipa::path(get, path = "/api/datasets/{id}/rows", tag = "rows", operation_id = "rows",
    params(DatasetPath, PageParams, Conditional),
    responses(
        (status = 200, description = "A page.", body = schema::RowsPage),
        (status = 304, response = NotModified),
        LookupErrors,
        (status = 422, response = Unprocessable),
    ),
    extensions(("x-logam-route" = json!("/api/datasets/{id}/{resource}"))))]
pub async fn page(
    app: AppState,
    dataset: String,
    query: Option<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let (request, _) = params::parse(query.as_deref(), Mode::Page)?;
    let as_of = request.as_of;
    let key = request_key(uri.path(), query.as_deref());
    let known = client_state(&headers, &key);
    let outcome = app
        .store
        .read(
            move |session| match session.plan(&dataset, &request, known)? {
                Fresh::NotModified(state) => Ok(Fresh::NotModified(state)),
                Fresh::Modified((state, plan)) => Ok(Fresh::Modified(session.page(state, plan)?)),
            },
        )
        .await?;
    match outcome {
        Fresh::NotModified(state) => Ok(not_modified(state, &key)),
        Fresh::Modified(page) => {
            let state = page.state;
            let body = page_json(&page, &next_url_base(&headers, &uri, query.as_deref()));
            Ok(pinned(
                with_cache_headers(json_response(body), state, &key),
                as_of,
                state,
            ))
        }
    }
}

/// The page URL without `_next`, to which `&_next=TOKEN` is appended. Absolute when the
/// request says which host it was sent to, so a script can follow it as it is.
fn next_url_base(headers: &HeaderMap, uri: &Uri, query: Option<&str>) -> String {
    let kept: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            form_urlencoded::parse(query.unwrap_or("").as_bytes()).filter(|(k, _)| k != "_next"),
        )
        .finish();
    let prefix = crate::http::public_base(headers);
    let separator = if kept.is_empty() { "?" } else { "&" };
    let kept = if kept.is_empty() {
        String::new()
    } else {
        format!("?{kept}")
    };
    format!("{prefix}{}{kept}{separator}_next=", uri.path())
}

fn page_json(page: &Page, next_base: &str) -> Vec<u8> {
    let plan = &page.plan;
    let schema = ExportSchema::for_plan(plan);
    let keys = export::ObjectKeys::new(&schema);
    let mut out = Vec::with_capacity(256 + page.batch.len() * 128);
    out.extend_from_slice(b"{\"dataset\":");
    push_json(&mut out, &plan.meta.id);
    out.extend_from_slice(format!(",\"revision\":{},\"columns\":", page.state.revision).as_bytes());
    push_json(&mut out, &schema.names);
    out.extend_from_slice(b",\"rows\":[");
    for row in 0..page.batch.len() {
        if row > 0 {
            out.push(b',');
        }
        export::write_row_object(&mut out, &keys, &page.batch, row);
    }
    out.extend_from_slice(b"],\"next\":");
    match &page.next {
        Some(token) => {
            push_json(&mut out, token);
            out.extend_from_slice(b",\"next_url\":");
            push_json(&mut out, &format!("{next_base}{token}"));
        }
        None => out.extend_from_slice(b"null,\"next_url\":null"),
    }
    if let Some(count) = page.count {
        out.extend_from_slice(format!(",\"count\":{count}").as_bytes());
    }
    if !page.facets.is_empty() {
        let facets: std::collections::BTreeMap<&str, &crate::store::Facet> =
            page.facets.iter().map(|f| (f.column.as_str(), f)).collect();
        out.extend_from_slice(b",\"facets\":");
        push_json(&mut out, &facets);
    }
    out.push(b'}');
    out
}

fn push_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Serialising strings, numbers and maps of them into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// Unduh semua baris / download every row
///
/// The whole filtered result, streamed in constant memory, as a file in the format `ext`.
/// Same filters as the page; `_size` caps the rows and `_next` starts after a page token;
/// `_count` and `_facet` are refused. Exporter plugins may take their own parameters (given
/// like filters).
#[utoipa::path(get, path = "/api/datasets/{id}/rows.{ext}", tag = "rows", operation_id = "rows_export",
    params(DatasetPath, ExtensionPath, ExportParams, Conditional),
    responses(
        (status = 200, description = "The file. `Content-Disposition: attachment` for formats meant to be saved."),
        (status = 304, response = NotModified),
        LookupErrors,
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 502, response = BadGateway),
        (status = 504, response = GatewayTimeout),
    ),
    extensions(("x-logam-route" = json!("/api/datasets/{id}/{resource}"))))]
pub async fn export(
    app: AppState,
    client: ClientAddr,
    dataset: String,
    extension: &str,
    query: Option<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let format = find_format(&app.plugins, extension, Target::Datasets)?;
    let (request, exporter, key): (_, Box<dyn export::Exporter>, _) = match &format {
        Format::Native(info) => {
            let (request, extras) = params::parse(
                query.as_deref(),
                Mode::Export {
                    csv: info.extension == "csv",
                },
            )?;
            let exporter = export::native_exporter(
                &info.extension,
                ExportOptions {
                    byte_order_mark: extras.byte_order_mark,
                },
            )
            .ok_or_else(|| ApiError::not_found(format!("no exporter for .{extension}")))?;
            (request, exporter, request_key(uri.path(), query.as_deref()))
        }
        Format::Plugin(_, plugin) => {
            let pairs = form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
            let (plugin_params, rest) = split_exporter_params(plugin, pairs);
            let exporter = app.plugins.open_exporter(plugin.clone(), &plugin_params)?;
            // The exporter's version is part of the representation.
            let key = request_key(
                &format!("{}@{}", uri.path(), plugin.sha256),
                query.as_deref(),
            );
            let rest: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(rest)
                .finish();
            let (request, _) = params::parse(Some(&rest), Mode::Export { csv: false })?;
            (request, Box::new(exporter), key)
        }
    };
    let known = client_state(&headers, &key);
    let as_of = request.as_of;
    // The slot is taken last, once the request is known to be valid, and travels with the
    // export's producer: it is free again the moment the export stops, however it stops.
    let slot = app.export_limiter.acquire(client.bucket())?;
    match export::export_dataset(
        &app.store, dataset, request, known, exporter, app.drain, slot,
    )
    .await?
    {
        Fresh::NotModified(state) => Ok(not_modified(state, &key)),
        Fresh::Modified((head, body)) => {
            let mut response = Body::from_stream(body).into_response();
            set_download_headers(&mut response, format.info(), &head.meta.id);
            Ok(pinned(
                with_cache_headers(response, head.state, &key),
                as_of,
                head.state,
            ))
        }
    }
}

/// Satu baris / one row by its key
///
/// The row whose primary key is `key` (as text, e.g. `33.03.05`).
#[utoipa::path(get, path = "/api/datasets/{id}/rows/{key}", tag = "rows", operation_id = "row",
    params(RowPath, Conditional),
    responses(
        (status = 200, description = "The row.", body = schema::Row),
        (status = 304, response = NotModified),
        LookupErrors,
        (status = 422, response = Unprocessable),
    ))]
pub async fn row(
    State(app): State<AppState>,
    PathParams(RowPath { id: dataset, key }): PathParams<RowPath>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let cache_key = request_key(uri.path(), None);
    let known = client_state(&headers, &cache_key);
    let outcome = app
        .store
        .read(move |session| {
            let state = session.state(&dataset)?;
            if known == Some(state) {
                return Ok(Fresh::NotModified(state));
            }
            let meta = session.meta(&dataset, state)?;
            let (plan, batch) = session.row(&meta, &key)?;
            Ok(Fresh::Modified((state, plan, batch)))
        })
        .await?;
    match outcome {
        Fresh::NotModified(state) => Ok(not_modified(state, &cache_key)),
        Fresh::Modified((state, plan, batch)) => {
            let schema = ExportSchema::for_plan(&plan);
            let keys = export::ObjectKeys::new(&schema);
            let mut out = Vec::with_capacity(512);
            out.extend_from_slice(b"{\"dataset\":");
            push_json(&mut out, &plan.meta.id);
            out.extend_from_slice(format!(",\"revision\":{},\"row\":", state.revision).as_bytes());
            export::write_row_object(&mut out, &keys, &batch, 0);
            out.push(b'}');
            Ok(with_cache_headers(json_response(out), state, &cache_key))
        }
    }
}
