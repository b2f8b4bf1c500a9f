//! `/api/datasets` and `/api/datasets/{id}`: the catalog and one dataset's metadata.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::export::FormatInfo;
use crate::http::caching::{client_state, not_modified, request_key, with_cache_headers};
use crate::http::download::all_formats;
use crate::http::{ApiError, AppState, PathParams};
use crate::store::{DatasetMeta, DatasetState};

/// The formats that export dataset rows now (native and installed exporters), and a
/// fingerprint of them for the ETag: installing an exporter changes the links.
fn dataset_formats(app: &AppState, path: &str) -> (Vec<FormatInfo>, String) {
    let formats: Vec<FormatInfo> = all_formats(&app.plugins)
        .into_iter()
        .filter(|f| f.datasets)
        .collect();
    let fingerprint = formats
        .iter()
        .map(|f| f.extension.as_str())
        .collect::<Vec<_>>()
        .join(",");
    (formats, format!("{path}|{fingerprint}"))
}

fn links(meta: &DatasetMeta, formats: &[FormatInfo]) -> Value {
    let base = format!("/api/datasets/{}", meta.id);
    let mut links = serde_json::Map::new();
    links.insert("self".into(), json!(base));
    links.insert("rows".into(), json!(format!("{base}/rows")));
    for format in formats {
        links.insert(
            format.extension.clone(),
            json!(format!("{base}/rows.{}", format.extension)),
        );
    }
    links.insert("revisions".into(), json!(format!("{base}/revisions")));
    Value::Object(links)
}

fn summary(meta: &DatasetMeta, formats: &[FormatInfo]) -> Value {
    json!({
        "id": meta.id,
        "title": meta.title,
        "description": meta.description,
        "licence": meta.licence,
        "synthetic": meta.synthetic,
        "revision": meta.revision,
        "row_count": meta.row_count,
        "updated_at": meta.updated_at,
        "links": links(meta, formats),
    })
}

pub async fn list(
    State(app): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let (formats, path) = dataset_formats(&app, uri.path());
    let key = request_key(&path, uri.query());
    let known = client_state(&headers, &key);
    let outcome = app
        .store
        .read(move |session| {
            let (revision, schema_version) = session.catalog_version()?;
            let state = DatasetState {
                revision,
                schema_version,
            };
            if known == Some(state) {
                return Ok((state, None));
            }
            Ok((state, Some(session.datasets(true)?)))
        })
        .await?;
    match outcome {
        (state, None) => Ok(not_modified(state, &key)),
        (state, Some(datasets)) => {
            let body = json!({
                "datasets": datasets.iter().map(|d| summary(d, &formats)).collect::<Vec<_>>(),
            });
            Ok(with_cache_headers(Json(body).into_response(), state, &key))
        }
    }
}

pub async fn show(
    State(app): State<AppState>,
    PathParams(dataset): PathParams<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let (formats, path) = dataset_formats(&app, uri.path());
    let key = request_key(&path, uri.query());
    let known = client_state(&headers, &key);
    let outcome = app
        .store
        .read(move |session| {
            let state = session.state(&dataset)?;
            if known == Some(state) {
                return Ok((state, None));
            }
            let meta = session.dataset(&dataset)?;
            let sources = session.sources_of(&meta)?;
            Ok((state, Some((meta, sources))))
        })
        .await?;
    match outcome {
        (state, None) => Ok(not_modified(state, &key)),
        (state, Some((meta, sources))) => {
            let mut body = serde_json::to_value(&meta).unwrap_or_else(|_| json!({}));
            if let Value::Object(map) = &mut body {
                map.insert("sources".into(), json!(sources));
                map.insert("links".into(), links(&meta, &formats));
                map.insert(
                    "formats".into(),
                    json!(formats.iter().map(|f| &f.extension).collect::<Vec<_>>()),
                );
            }
            Ok(with_cache_headers(Json(body).into_response(), state, &key))
        }
    }
}

pub async fn revisions(
    State(app): State<AppState>,
    PathParams(dataset): PathParams<String>,
) -> Result<Response, ApiError> {
    let records = app
        .store
        .read(move |session| {
            session.state(&dataset)?;
            session.revisions(Some(&dataset), 1000)
        })
        .await?;
    Ok(Json(json!({ "revisions": records })).into_response())
}
