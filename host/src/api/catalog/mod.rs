//! Catalog documents for harvesters: DCAT-AP 3 as JSON-LD (`/catalog.jsonld`), Project Open
//! Data v1.1 (`/data.json`) and Frictionless Data Packages (`/datapackage.json`,
//! `/datasets/{id}/datapackage.json`).
//!
//! Portals (CKAN, data.go.id-style portals, Google Dataset Search) find data by harvesting one
//! of these standard documents, not by learning our API, so each is built from the same
//! metadata the API serves and names no dataset itself. Synthetic datasets are left out of the
//! catalogs: they exist to load-test the host, and a harvester would publish them as real data.

mod dcat;
mod frictionless;
mod pod;

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header::CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::openapi::responses::{LookupErrors, NotModified, ServerErrors};
use super::params::{Conditional, DatasetPath};
use crate::export::{Citation, table_description};
use crate::http::{ApiError, AppState, PathParams, caching};
use crate::store::{Bilingual, ColumnMeta, ColumnType, DatasetMeta, ReadSession, StoreError, seed};

const POD_SCHEMA: &str = "https://project-open-data.cio.gov/v1.1/schema";
const IANA_MEDIA_TYPES: &str = "http://www.iana.org/assignments/media-types/";
const EU_FILE_TYPES: &str = "http://publications.europa.eu/resource/authority/file-type/";
const EU_LANGUAGES: &str = "http://publications.europa.eu/resource/authority/language/";

/// The whole-result downloads every dataset has, as (extension, media type, EU file type).
const DOWNLOADS: [(&str, &str, &str); 2] = [
    ("csv", "text/csv", "CSV"),
    ("json", "application/json", "JSON"),
];

/// A partial ISO date as the store accepts it (`2021`, `2021-06`, `2021-06-02`).
const PARTIAL_DATE_PATTERN: &str = "[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?";

/// What the catalog says about itself.
struct Settings {
    title: Bilingual,
    description: Bilingual,
    publisher: String,
    licence: String,
    contact_email: Option<String>,
    spatial: Option<Bilingual>,
    keywords: (Vec<String>, Vec<String>),
    sources_dataset: Option<String>,
}

/// A Table Schema field type, and the pattern a `string` field's values follow when it holds
/// dates of mixed precision.
#[derive(Debug, Clone, PartialEq)]
struct FieldType {
    name: &'static str,
    pattern: Option<&'static str>,
}

struct Entry {
    meta: DatasetMeta,
    sources: Vec<Citation>,
    field_types: Vec<FieldType>,
    /// First and last time the rows speak of, as ISO 8601 (possibly partial) text.
    temporal: Option<(String, String)>,
}

/// Everything a catalog document needs, read in one snapshot.
struct Snapshot {
    settings: Settings,
    entries: Vec<Entry>,
}

/// Katalog DCAT (JSON-LD) / DCAT catalog (JSON-LD)
///
/// The catalog as DCAT-AP 3 in JSON-LD, for data portals and harvesters.
#[utoipa::path(get, path = "/catalog.jsonld", tag = "catalog", operation_id = "catalog_dcat",
    params(Conditional),
    responses(
        (status = 200, description = "The catalog document.", body = Object, content_type = "application/ld+json"),
        (status = 304, response = NotModified),
        ServerErrors,
    ))]
pub async fn dcat(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let base = base_url(&headers);
    let snapshot = app.store.read(|session| snapshot(session, None)).await?;
    Ok(tagged(
        &headers,
        &dcat::dcat_document(&base, &snapshot),
        "application/ld+json",
    ))
}

/// Katalog data.json / data.json catalog
///
/// The catalog as a Project Open Data 1.1 `data.json`, for portals.
#[utoipa::path(get, path = "/data.json", tag = "catalog", operation_id = "catalog_data_json",
    params(Conditional),
    responses(
        (status = 200, description = "The catalog document.", body = Object),
        (status = 304, response = NotModified),
        ServerErrors,
    ))]
pub async fn pod(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let base = base_url(&headers);
    let snapshot = app.store.read(|session| snapshot(session, None)).await?;
    Ok(caching::json_tagged(
        &headers,
        &pod::pod_document(&base, &snapshot),
    ))
}

/// Data Package seluruh katalog / the whole catalog's Data Package
///
/// Frictionless Data Package descriptor with one CSV resource per dataset.
#[utoipa::path(get, path = "/datapackage.json", tag = "catalog", operation_id = "catalog_datapackage",
    params(Conditional),
    responses(
        (status = 200, description = "The descriptor.", body = Object),
        (status = 304, response = NotModified),
        ServerErrors,
    ))]
pub async fn package(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let base = base_url(&headers);
    let snapshot = app.store.read(|session| snapshot(session, None)).await?;
    Ok(caching::json_tagged(
        &headers,
        &frictionless::package_document(&base, &snapshot, None),
    ))
}

/// Data Package satu dataset / one dataset's Data Package
///
/// Frictionless Data Package descriptor of one dataset: its CSV resource, table schema and
/// sources.
#[utoipa::path(get, path = "/datasets/{id}/datapackage.json", tag = "catalog", operation_id = "dataset_datapackage",
    params(DatasetPath, Conditional),
    responses(
        (status = 200, description = "The descriptor.", body = Object),
        (status = 304, response = NotModified),
        LookupErrors,
    ))]
pub async fn dataset_package(
    State(app): State<AppState>,
    PathParams(DatasetPath { id: dataset }): PathParams<DatasetPath>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let base = base_url(&headers);
    let snapshot = app
        .store
        .read(move |session| snapshot(session, Some(&dataset)))
        .await?;
    let id = snapshot.entries.first().map(|e| e.meta.id.clone());
    Ok(caching::json_tagged(
        &headers,
        &frictionless::package_document(&base, &snapshot, id.as_deref()),
    ))
}

/// Harvesters store the links they read and follow them later from elsewhere, so catalog
/// links are absolute.
fn base_url(headers: &HeaderMap) -> String {
    crate::http::public_base(headers)
}

fn tagged(headers: &HeaderMap, value: &Value, content_type: &'static str) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let response = (
        [(CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body.clone(),
    )
        .into_response();
    caching::content_tagged(headers, response, &body)
}

fn snapshot(session: &mut ReadSession<'_>, only: Option<&str>) -> Result<Snapshot, StoreError> {
    let settings = settings(session)?;
    let metas = match only {
        Some(id) => vec![session.dataset(id)?],
        None => session.datasets(false)?,
    };
    let entries = metas
        .into_iter()
        .map(|meta| entry(session, meta))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Snapshot { settings, entries })
}

fn settings(session: &ReadSession<'_>) -> Result<Settings, StoreError> {
    // A database seeded before a setting existed lacks it; the embedded catalog.toml, which
    // that database was seeded from, then speaks for it.
    let embedded = seed::catalog_settings().ok();
    let bilingual = |prefix: &str| -> Result<Option<Bilingual>, StoreError> {
        Ok(
            match (
                session.setting(&format!("{prefix}_id"))?,
                session.setting(&format!("{prefix}_en"))?,
            ) {
                (Some(id), Some(en)) => Some(Bilingual { id, en }),
                _ => None,
            },
        )
    };
    let words = |key: &str| -> Result<Option<Vec<String>>, StoreError> {
        Ok(session
            .setting(key)?
            .and_then(|text| serde_json::from_str(&text).ok()))
    };
    let publisher = session
        .setting("publisher")?
        .or_else(|| embedded.as_ref().map(|e| e.publisher.clone()))
        .unwrap_or_else(|| "logam".to_string());
    let fallback_keywords = embedded
        .as_ref()
        .and_then(|e| e.keywords.clone())
        .unwrap_or_default();
    Ok(Settings {
        title: bilingual("title")?
            .or_else(|| embedded.as_ref().and_then(|e| e.title.clone()))
            .unwrap_or_else(|| Bilingual {
                id: publisher.clone(),
                en: publisher.clone(),
            }),
        description: bilingual("description")?
            .or_else(|| embedded.as_ref().and_then(|e| e.description.clone()))
            .unwrap_or_else(|| Bilingual {
                id: publisher.clone(),
                en: publisher.clone(),
            }),
        licence: session
            .setting("licence")?
            .or_else(|| embedded.as_ref().map(|e| e.licence.clone()))
            .unwrap_or_else(|| "CC-BY-4.0".to_string()),
        contact_email: session
            .setting("contact_email")?
            .or_else(|| embedded.as_ref().and_then(|e| e.contact_email.clone())),
        spatial: bilingual("spatial")?
            .or_else(|| embedded.as_ref().and_then(|e| e.spatial.clone())),
        keywords: (
            words("keywords_id")?.unwrap_or(fallback_keywords.id),
            words("keywords_en")?.unwrap_or(fallback_keywords.en),
        ),
        sources_dataset: session.setting("sources_dataset")?,
        publisher,
    })
}

/// Integer columns measured in years, and date columns, say when the rows are about; the
/// unit comes from the dataset's metadata.
fn is_temporal(column: &ColumnMeta) -> bool {
    match column.column_type {
        ColumnType::Date => true,
        ColumnType::Integer => matches!(column.unit.as_deref(), Some("tahun" | "year")),
        _ => false,
    }
}

fn entry(session: &ReadSession<'_>, meta: DatasetMeta) -> Result<Entry, StoreError> {
    let sources = table_description(session, &meta)?.sources;
    let mut field_types = Vec::with_capacity(meta.columns.len());
    let mut temporal: Option<(String, String)> = None;
    for column in &meta.columns {
        let temporal_column = is_temporal(column);
        if column.column_type != ColumnType::Date && !temporal_column {
            field_types.push(field_type(column, &[]));
            continue;
        }
        let profile = session.column_profile(&meta, &column.name)?;
        field_types.push(field_type(column, &profile.lengths));
        if temporal_column
            && let (Some(first), Some(last)) = (as_text(&profile.min), as_text(&profile.max))
        {
            temporal = Some(match temporal {
                None => (first, last),
                // ISO 8601 text with four-digit years sorts as time does.
                Some((start, end)) => (start.min(first), end.max(last)),
            });
        }
    }
    Ok(Entry {
        meta,
        sources,
        field_types,
        temporal,
    })
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Our column type as a Table Schema type. A date column may hold partial dates, which
/// Table Schema's `date` rejects: it is a `year` or `yearmonth` field when every value has
/// that precision, and otherwise a `string` with the pattern the store enforces.
fn field_type(column: &ColumnMeta, date_lengths: &[i64]) -> FieldType {
    let plain = |name| FieldType {
        name,
        pattern: None,
    };
    match column.column_type {
        ColumnType::Integer => plain("integer"),
        ColumnType::Real => plain("number"),
        ColumnType::Text => plain("string"),
        ColumnType::Boolean => plain("boolean"),
        ColumnType::Date => match date_lengths {
            [] | [10] => plain("date"),
            [7] => plain("yearmonth"),
            [4] => plain("year"),
            _ => FieldType {
                name: "string",
                pattern: Some(PARTIAL_DATE_PATTERN),
            },
        },
    }
}

/// The licence's deed for an SPDX id: Creative Commons ids map to their deeds, anything else
/// to its SPDX page.
fn licence_url(spdx: &str) -> String {
    if spdx == "CC0-1.0" {
        return "https://creativecommons.org/publicdomain/zero/1.0/".to_string();
    }
    if let Some(rest) = spdx.strip_prefix("CC-")
        && let Some((kind, version)) = rest.rsplit_once('-')
        && !kind.is_empty()
        && version.chars().all(|c| c.is_ascii_digit() || c == '.')
    {
        return format!(
            "https://creativecommons.org/licenses/{}/{version}/",
            kind.to_ascii_lowercase()
        );
    }
    format!("https://spdx.org/licenses/{spdx}.html")
}

fn dataset_url(base: &str, id: &str) -> String {
    format!("{base}/api/datasets/{id}")
}

fn download_url(base: &str, id: &str, extension: &str) -> String {
    format!("{base}/api/datasets/{id}/rows.{extension}")
}

/// Indonesian first, English after, for the formats that have one text per field.
fn both(text: &Bilingual) -> String {
    if text.id == text.en {
        text.id.clone()
    } else {
        format!("{} / {}", text.id, text.en)
    }
}

fn both_paragraphs(text: &Bilingual) -> String {
    if text.id == text.en {
        text.id.clone()
    } else {
        format!("{}\n\n{}", text.id, text.en)
    }
}

fn citation_text(citation: &Citation) -> String {
    let mut text = citation.publisher.clone();
    if let Some(title) = &citation.title {
        text.push_str(": ");
        text.push_str(title);
    }
    if let Some(date) = &citation.date {
        text.push_str(&format!(" ({date})"));
    }
    if text.is_empty() {
        text = citation.id.clone();
    }
    text
}

fn keywords(settings: &Settings) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for word in settings.keywords.0.iter().chain(&settings.keywords.1) {
        if !all.contains(word) {
            all.push(word.clone());
        }
    }
    all
}

#[cfg(test)]
mod tests {

    use super::*;

    fn column(column_type: ColumnType) -> ColumnMeta {
        ColumnMeta {
            name: "c".into(),
            column_type,
            unit: None,
            codes: None,
            searchable: false,
            title: Bilingual::default(),
            description: Bilingual::default(),
        }
    }

    #[test]
    fn dates_become_the_table_schema_type_their_precision_allows() {
        let date = column(ColumnType::Date);
        assert_eq!(field_type(&date, &[10]).name, "date");
        assert_eq!(field_type(&date, &[]).name, "date");
        assert_eq!(field_type(&date, &[7]).name, "yearmonth");
        assert_eq!(field_type(&date, &[4]).name, "year");
        let mixed = field_type(&date, &[4, 10]);
        assert_eq!(mixed.name, "string");
        assert_eq!(mixed.pattern, Some(PARTIAL_DATE_PATTERN));
        assert_eq!(field_type(&column(ColumnType::Real), &[]).name, "number");
        assert_eq!(
            field_type(&column(ColumnType::Boolean), &[]).name,
            "boolean"
        );
    }

    #[test]
    fn licences_link_to_their_deeds() {
        assert_eq!(
            licence_url("CC-BY-4.0"),
            "https://creativecommons.org/licenses/by/4.0/"
        );
        assert_eq!(
            licence_url("CC-BY-SA-4.0"),
            "https://creativecommons.org/licenses/by-sa/4.0/"
        );
        assert_eq!(
            licence_url("CC0-1.0"),
            "https://creativecommons.org/publicdomain/zero/1.0/"
        );
        assert_eq!(
            licence_url("ODbL-1.0"),
            "https://spdx.org/licenses/ODbL-1.0.html"
        );
    }

    #[test]
    fn base_url_comes_from_a_plausible_host_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(base_url(&headers), "");
        headers.insert("host", HeaderValue::from_static("data.example.id:8080"));
        assert_eq!(base_url(&headers), "http://data.example.id:8080");
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(base_url(&headers), "https://data.example.id:8080");
        headers.insert("host", HeaderValue::from_static("evil.example/<script>"));
        assert_eq!(base_url(&headers), "");
    }
}
