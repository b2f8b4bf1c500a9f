//! `/api/datasets` and `/api/datasets/{id}`: the catalog and one dataset's metadata.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};

use super::openapi::responses::{LookupErrors, NotModified, ServerErrors};
use super::params::{Conditional, DatasetPath};
use super::schema;
use crate::export::FormatInfo;
use crate::http::caching::{client_state, not_modified, request_key, with_cache_headers};
use crate::http::download::{all_formats, asking_exporters, formats_for_dataset};
use crate::http::{ApiError, AppState, PathParams};
use crate::store::{DatasetMeta, DatasetState};

/// The key of a dataset answer: its path and a fingerprint of the formats that export dataset
/// rows now (native and installed exporters), so installing or upgrading an exporter changes the ETag.
/// Each dataset's links keep only the formats that fit its columns (`formats_for_dataset`),
/// which depends on the same plugins and on the dataset's schema version, also in the key.
fn keyed_path(app: &AppState, path: &str) -> String {
    let exporters = app.plugins.exporters();
    let fingerprint = all_formats(&app.plugins)
        .iter()
        .filter(|f| f.datasets)
        .map(|f| {
            // An upgraded exporter may fit other tables: its component is part of the key.
            let component = exporters
                .iter()
                .find(|p| Some(&p.id) == f.plugin.as_ref())
                .map(|p| p.sha256.get(..12).unwrap_or(&p.sha256))
                .unwrap_or("native");
            format!("{}@{component}", f.extension)
        })
        .collect::<Vec<_>>()
        .join(",");
    format!("{path}|{fingerprint}")
}

fn links(meta: &DatasetMeta, formats: &[FormatInfo]) -> schema::Links {
    let base = format!("/api/datasets/{}", meta.id);
    let mut links = schema::Links::new();
    links.insert("rows".into(), format!("{base}/rows"));
    for format in formats {
        links.insert(
            format.extension.clone(),
            format!("{base}/rows.{}", format.extension),
        );
    }
    links.insert("revisions".into(), format!("{base}/revisions"));
    links.insert("self".into(), base);
    links
}

fn summary(meta: &DatasetMeta, formats: &[FormatInfo]) -> schema::DatasetSummary {
    schema::DatasetSummary {
        id: meta.id.clone(),
        title: meta.title.clone(),
        description: meta.description.clone(),
        licence: meta.licence.clone(),
        synthetic: meta.synthetic,
        revision: meta.revision,
        row_count: meta.row_count,
        updated_at: meta.updated_at.clone(),
        links: links(meta, formats),
    }
}

/// Daftar dataset / list datasets
///
/// Every published dataset with title, description, licence, revision, row count and links
/// (one per download format).
#[utoipa::path(get, path = "/api/datasets", tag = "datasets", operation_id = "datasets",
    params(Conditional),
    responses(
        (status = 200, description = "The datasets.", body = schema::DatasetList),
        (status = 304, response = NotModified),
        ServerErrors,
    ))]
pub async fn list(
    State(app): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let path = keyed_path(&app, uri.path());
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
            let summaries = asking_exporters(&app.plugins, move |plugins| {
                datasets
                    .iter()
                    .map(|d| summary(d, &formats_for_dataset(plugins, d)))
                    .collect()
            })
            .await?;
            let body = schema::DatasetList {
                datasets: summaries,
            };
            Ok(with_cache_headers(Json(body).into_response(), state, &key))
        }
    }
}

/// Metadata dataset / one dataset's metadata
///
/// Columns (type, unit, bilingual title and description), primary key, source column, the
/// sources cited, licence, formats and links.
#[utoipa::path(get, path = "/api/datasets/{id}", tag = "datasets", operation_id = "dataset",
    params(DatasetPath, Conditional),
    responses(
        (status = 200, description = "The dataset.", body = schema::Dataset),
        (status = 304, response = NotModified),
        LookupErrors,
    ))]
pub async fn show(
    State(app): State<AppState>,
    PathParams(DatasetPath { id: dataset }): PathParams<DatasetPath>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let path = keyed_path(&app, uri.path());
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
            let (meta, formats) = asking_exporters(&app.plugins, move |plugins| {
                let formats = formats_for_dataset(plugins, &meta);
                (meta, formats)
            })
            .await?;
            let links = links(&meta, &formats);
            let body = schema::Dataset {
                links,
                formats: formats.into_iter().map(|f| f.extension).collect(),
                sources,
                meta,
            };
            Ok(with_cache_headers(Json(body).into_response(), state, &key))
        }
    }
}

/// Riwayat revisi / revision history
///
/// Who changed the dataset, when, and how many rows (newest 1000).
#[utoipa::path(get, path = "/api/datasets/{id}/revisions", tag = "datasets", operation_id = "revisions",
    params(DatasetPath),
    responses(
        (status = 200, description = "The revisions.", body = schema::Revisions),
        LookupErrors,
    ))]
pub async fn revisions(
    State(app): State<AppState>,
    PathParams(DatasetPath { id: dataset }): PathParams<DatasetPath>,
) -> Result<Response, ApiError> {
    let records = app
        .store
        .read(move |session| {
            session.state(&dataset)?;
            session.revisions(Some(&dataset), 1000)
        })
        .await?;
    Ok(Json(schema::Revisions { revisions: records }).into_response())
}
