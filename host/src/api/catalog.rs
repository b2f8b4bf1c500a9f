//! Catalog documents for harvesters: DCAT-AP 3 as JSON-LD (`/catalog.jsonld`), Project Open
//! Data v1.1 (`/data.json`) and Frictionless Data Packages (`/datapackage.json`,
//! `/datasets/{id}/datapackage.json`).
//!
//! Portals (CKAN, data.go.id-style portals, Google Dataset Search) find data by harvesting one
//! of these standard documents, not by learning our API, so each is built from the same
//! metadata the API serves and names no dataset itself. Synthetic datasets are left out of the
//! catalogs: they exist to load-test the host, and a harvester would publish them as real data.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header::CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{ApiError, AppState, PathParams, caching};
use crate::export::{Citation, table_description};
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

pub async fn dcat(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let base = base_url(&headers);
    let snapshot = app.store.read(|session| snapshot(session, None)).await?;
    Ok(tagged(
        &headers,
        &dcat_document(&base, &snapshot),
        "application/ld+json",
    ))
}

pub async fn pod(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let base = base_url(&headers);
    let snapshot = app.store.read(|session| snapshot(session, None)).await?;
    Ok(caching::json_tagged(
        &headers,
        &pod_document(&base, &snapshot),
    ))
}

pub async fn package(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let base = base_url(&headers);
    let snapshot = app.store.read(|session| snapshot(session, None)).await?;
    Ok(caching::json_tagged(
        &headers,
        &package_document(&base, &snapshot, None),
    ))
}

pub async fn dataset_package(
    State(app): State<AppState>,
    PathParams(dataset): PathParams<String>,
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
        &package_document(&base, &snapshot, id.as_deref()),
    ))
}

/// Harvesters store the links they read and follow them later from elsewhere, so catalog
/// links are absolute.
fn base_url(headers: &HeaderMap) -> String {
    super::public_base(headers)
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

// ---------------------------------------------------------------------------------------
// DCAT-AP 3

fn language_tagged(text: &Bilingual) -> Value {
    json!([
        {"@value": text.id, "@language": "id"},
        {"@value": text.en, "@language": "en"},
    ])
}

/// An xsd literal for an ISO 8601 text, by its precision.
fn temporal_literal(text: &str) -> Value {
    let datatype = match text.len() {
        4 => "xsd:gYear",
        7 => "xsd:gYearMonth",
        10 => "xsd:date",
        _ => "xsd:dateTime",
    };
    json!({"@value": text, "@type": datatype})
}

fn licence_node(spdx: &str) -> Value {
    json!({"@id": licence_url(spdx), "@type": "dct:LicenseDocument"})
}

fn languages_node() -> Value {
    json!([
        {"@id": format!("{EU_LANGUAGES}IND"), "@type": "dct:LinguisticSystem"},
        {"@id": format!("{EU_LANGUAGES}ENG"), "@type": "dct:LinguisticSystem"},
    ])
}

fn location_node(spatial: &Bilingual) -> Value {
    json!({
        "@type": "dct:Location",
        "locn:geographicName": language_tagged(spatial),
    })
}

/// DCAT-AP 3 checks the range of each property with `sh:class` against the types the
/// document itself states (a validator does no inference), so every linked node names its
/// class, down to `rdfs:Resource` for download URLs and related documents.
fn dcat_document(base: &str, snapshot: &Snapshot) -> Value {
    let settings = &snapshot.settings;
    let publisher_id = format!("{base}/#publisher");
    let mut catalog = Map::new();
    catalog.insert(
        "@context".into(),
        json!({
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "locn": "http://www.w3.org/ns/locn#",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "vcard": "http://www.w3.org/2006/vcard/ns#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        }),
    );
    catalog.insert("@id".into(), json!(format!("{base}/catalog.jsonld")));
    catalog.insert("@type".into(), json!("dcat:Catalog"));
    catalog.insert("dct:title".into(), language_tagged(&settings.title));
    catalog.insert(
        "dct:description".into(),
        language_tagged(&settings.description),
    );
    catalog.insert(
        "dct:publisher".into(),
        json!({"@id": publisher_id, "@type": "foaf:Agent", "foaf:name": settings.publisher}),
    );
    catalog.insert("dct:license".into(), licence_node(&settings.licence));
    catalog.insert("dct:language".into(), languages_node());
    catalog.insert(
        "foaf:homepage".into(),
        json!({"@id": format!("{base}/"), "@type": "foaf:Document"}),
    );
    if let Some(modified) = snapshot
        .entries
        .iter()
        .map(|e| e.meta.updated_at.as_str())
        .max()
    {
        catalog.insert("dct:modified".into(), temporal_literal(modified));
    }
    if let Some(spatial) = &settings.spatial {
        catalog.insert("dct:spatial".into(), location_node(spatial));
    }
    catalog.insert(
        "dcat:dataset".into(),
        Value::Array(
            snapshot
                .entries
                .iter()
                .map(|e| dcat_dataset(base, settings, &publisher_id, e))
                .collect(),
        ),
    );
    Value::Object(catalog)
}

fn dcat_dataset(base: &str, settings: &Settings, publisher_id: &str, entry: &Entry) -> Value {
    let meta = &entry.meta;
    let url = dataset_url(base, &meta.id);
    let mut dataset = Map::new();
    dataset.insert("@id".into(), json!(url));
    dataset.insert("@type".into(), json!("dcat:Dataset"));
    dataset.insert("dct:identifier".into(), json!(url));
    dataset.insert("dct:title".into(), language_tagged(&meta.title));
    dataset.insert("dct:description".into(), language_tagged(&meta.description));
    dataset.insert("dct:publisher".into(), json!({"@id": publisher_id}));
    dataset.insert("dct:license".into(), licence_node(&meta.licence));
    dataset.insert("dct:language".into(), languages_node());
    dataset.insert("dct:modified".into(), temporal_literal(&meta.updated_at));
    let keywords: Vec<Value> = settings
        .keywords
        .0
        .iter()
        .map(|w| json!({"@value": w, "@language": "id"}))
        .chain(
            settings
                .keywords
                .1
                .iter()
                .map(|w| json!({"@value": w, "@language": "en"})),
        )
        .collect();
    if !keywords.is_empty() {
        dataset.insert("dcat:keyword".into(), Value::Array(keywords));
    }
    if let Some(spatial) = &settings.spatial {
        dataset.insert("dct:spatial".into(), location_node(spatial));
    }
    if let Some((start, end)) = &entry.temporal {
        dataset.insert(
            "dct:temporal".into(),
            json!({
                "@type": "dct:PeriodOfTime",
                "dcat:startDate": temporal_literal(start),
                "dcat:endDate": temporal_literal(end),
            }),
        );
    }
    let mut contact = json!({
        "@type": ["vcard:Kind", "vcard:Organization"],
        "vcard:fn": settings.publisher,
    });
    if let (Some(email), Value::Object(map)) = (&settings.contact_email, &mut contact) {
        map.insert(
            "vcard:hasEmail".into(),
            json!({"@id": format!("mailto:{email}")}),
        );
    }
    dataset.insert("dcat:contactPoint".into(), contact);
    // The sources a dataset's figures come from; most are articles without a URL we know, so
    // they are described by their citation rather than linked.
    let sources: Vec<Value> = entry
        .sources
        .iter()
        .map(|citation| {
            let mut node = json!({
                "@type": ["rdfs:Resource", "foaf:Document"],
                "rdfs:label": citation_text(citation),
            });
            if let (Some(url), Value::Object(map)) = (&citation.url, &mut node) {
                map.insert("@id".into(), json!(url));
            }
            node
        })
        .collect();
    if !sources.is_empty() {
        dataset.insert("dct:relation".into(), Value::Array(sources));
    }
    dataset.insert(
        "dcat:distribution".into(),
        Value::Array(
            DOWNLOADS
                .iter()
                .map(|(extension, media_type, file_type)| {
                    let download = download_url(base, &meta.id, extension);
                    json!({
                        "@id": format!("{url}#{extension}"),
                        "@type": "dcat:Distribution",
                        "dct:title": [
                            {"@value": format!("Semua baris ({file_type})"), "@language": "id"},
                            {"@value": format!("All rows ({file_type})"), "@language": "en"},
                        ],
                        "dcat:accessURL": {"@id": download, "@type": "rdfs:Resource"},
                        "dcat:downloadURL": {"@id": download, "@type": "rdfs:Resource"},
                        "dcat:mediaType": {
                            "@id": format!("{IANA_MEDIA_TYPES}{media_type}"),
                            "@type": "dct:MediaType",
                        },
                        "dct:format": {
                            "@id": format!("{EU_FILE_TYPES}{file_type}"),
                            "@type": "dct:MediaTypeOrExtent",
                        },
                        "dct:license": licence_node(&meta.licence),
                    })
                })
                .collect(),
        ),
    );
    Value::Object(dataset)
}

// ---------------------------------------------------------------------------------------
// Project Open Data v1.1 (DCAT-US 1.1)

fn pod_document(base: &str, snapshot: &Snapshot) -> Value {
    json!({
        "@context": format!("{POD_SCHEMA}/catalog.jsonld"),
        "@id": format!("{base}/data.json"),
        "@type": "dcat:Catalog",
        "conformsTo": POD_SCHEMA,
        "describedBy": format!("{POD_SCHEMA}/catalog.json"),
        "dataset": snapshot
            .entries
            .iter()
            .map(|e| pod_dataset(base, &snapshot.settings, e))
            .collect::<Vec<_>>(),
    })
}

fn pod_dataset(base: &str, settings: &Settings, entry: &Entry) -> Value {
    let meta = &entry.meta;
    let url = dataset_url(base, &meta.id);
    let mut contact = Map::new();
    contact.insert("@type".into(), json!("vcard:Contact"));
    contact.insert("fn".into(), json!(settings.publisher));
    if let Some(email) = &settings.contact_email {
        contact.insert("hasEmail".into(), json!(format!("mailto:{email}")));
    }
    let mut dataset = Map::new();
    dataset.insert("@type".into(), json!("dcat:Dataset"));
    dataset.insert("identifier".into(), json!(url));
    dataset.insert("title".into(), json!(both(&meta.title)));
    dataset.insert(
        "description".into(),
        json!(both_paragraphs(&meta.description)),
    );
    dataset.insert("keyword".into(), json!(keywords(settings)));
    dataset.insert("modified".into(), json!(meta.updated_at));
    dataset.insert(
        "publisher".into(),
        json!({"@type": "org:Organization", "name": settings.publisher}),
    );
    dataset.insert("contactPoint".into(), Value::Object(contact));
    dataset.insert("accessLevel".into(), json!("public"));
    dataset.insert("license".into(), json!(licence_url(&meta.licence)));
    dataset.insert("language".into(), json!(["id", "en"]));
    dataset.insert("landingPage".into(), json!(url));
    dataset.insert(
        "describedBy".into(),
        json!(format!("{base}/datasets/{}/datapackage.json", meta.id)),
    );
    dataset.insert("describedByType".into(), json!("application/json"));
    if let Some(spatial) = &settings.spatial {
        dataset.insert("spatial".into(), json!(both(spatial)));
    }
    if let Some((start, end)) = &entry.temporal {
        // The schema's interval pattern wants both ends at the same precision: `2017/2022`
        // for `2017` to `2022-09-02`, which is still true.
        let precision = start.len().min(end.len());
        let (start, end) = (
            start.get(..precision).unwrap_or(start),
            end.get(..precision).unwrap_or(end),
        );
        dataset.insert("temporal".into(), json!(format!("{start}/{end}")));
    }
    let mut references: Vec<&str> = entry
        .sources
        .iter()
        .filter_map(|c| c.url.as_deref())
        .collect();
    references.sort_unstable();
    references.dedup();
    if !references.is_empty() {
        dataset.insert("references".into(), json!(references));
    }
    dataset.insert(
        "distribution".into(),
        Value::Array(
            DOWNLOADS
                .iter()
                .map(|(extension, media_type, file_type)| {
                    json!({
                        "@type": "dcat:Distribution",
                        "downloadURL": download_url(base, &meta.id, extension),
                        "mediaType": media_type,
                        "format": file_type,
                        "title": format!("Semua baris ({file_type}) / All rows ({file_type})"),
                    })
                })
                .collect(),
        ),
    );
    Value::Object(dataset)
}

// ---------------------------------------------------------------------------------------
// Frictionless Data Package v1

fn package_licence(spdx: &str) -> Value {
    json!({"name": spdx, "path": licence_url(spdx)})
}

fn package_sources<'a>(citations: impl Iterator<Item = &'a Citation>) -> Vec<Value> {
    let unique: BTreeMap<&str, &Citation> = citations.map(|c| (c.id.as_str(), c)).collect();
    unique
        .values()
        .map(|citation| {
            let mut source = json!({"title": citation_text(citation)});
            if let (Some(url), Value::Object(map)) = (&citation.url, &mut source) {
                map.insert("path".into(), json!(url));
            }
            source
        })
        .collect()
}

fn table_field(column: &ColumnMeta, field_type: &FieldType) -> Value {
    let mut description_id = column.description.id.clone();
    let mut description_en = column.description.en.clone();
    if let Some(unit) = &column.unit {
        description_id.push_str(&format!(" Satuan: {unit}."));
        description_en.push_str(&format!(" Unit: {unit}."));
    }
    let mut field = Map::new();
    field.insert("name".into(), json!(column.name));
    field.insert("type".into(), json!(field_type.name));
    field.insert("title".into(), json!(both(&column.title)));
    if let Some(pattern) = field_type.pattern {
        description_id.push_str(" Tanggal ISO 8601, bisa sebagian: 2021, 2021-06 atau 2021-06-02.");
        description_en.push_str(" ISO 8601 date, possibly partial: 2021, 2021-06 or 2021-06-02.");
        field.insert("constraints".into(), json!({"pattern": pattern}));
    }
    field.insert(
        "description".into(),
        json!(both_paragraphs(&Bilingual {
            id: description_id.trim().to_string(),
            en: description_en.trim().to_string(),
        })),
    );
    Value::Object(field)
}

fn package_resource(base: &str, entry: &Entry, sources_key: Option<(&str, &str)>) -> Value {
    let meta = &entry.meta;
    let mut schema = Map::new();
    schema.insert(
        "fields".into(),
        Value::Array(
            meta.columns
                .iter()
                .zip(&entry.field_types)
                .map(|(column, field_type)| table_field(column, field_type))
                .collect(),
        ),
    );
    schema.insert("primaryKey".into(), json!([meta.primary_key]));
    // The CSV export writes NULL as an empty cell.
    schema.insert("missingValues".into(), json!([""]));
    if let (Some((sources_id, sources_key)), Some(source_column)) =
        (sources_key, &meta.source_column)
        && sources_id != meta.id
    {
        schema.insert(
            "foreignKeys".into(),
            json!([{
                "fields": [source_column],
                "reference": {"resource": sources_id, "fields": [sources_key]},
            }]),
        );
    }
    json!({
        "profile": "tabular-data-resource",
        "name": meta.id,
        "path": download_url(base, &meta.id, "csv"),
        "title": both(&meta.title),
        "description": both_paragraphs(&meta.description),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "licenses": [package_licence(&meta.licence)],
        "sources": package_sources(entry.sources.iter()),
        "schema": Value::Object(schema),
    })
}

/// The whole catalog as one package, or one dataset's package when `dataset` is given. Source
/// references become foreign keys only where the sources dataset is in the same package.
fn package_document(base: &str, snapshot: &Snapshot, dataset: Option<&str>) -> Value {
    let settings = &snapshot.settings;
    let sources_key = settings.sources_dataset.as_deref().and_then(|sources_id| {
        snapshot
            .entries
            .iter()
            .find(|e| e.meta.id == sources_id)
            .map(|e| (sources_id, e.meta.primary_key.as_str()))
    });
    let (name, id, title, description) = match snapshot.entries.first() {
        Some(entry) if dataset.is_some() => (
            entry.meta.id.clone(),
            format!("{base}/datasets/{}/datapackage.json", entry.meta.id),
            both(&entry.meta.title),
            both_paragraphs(&entry.meta.description),
        ),
        _ => (
            "logam".to_string(),
            format!("{base}/datapackage.json"),
            both(&settings.title),
            both_paragraphs(&settings.description),
        ),
    };
    let licence = match snapshot.entries.first() {
        Some(entry) if dataset.is_some() => entry.meta.licence.clone(),
        _ => settings.licence.clone(),
    };
    json!({
        "profile": "tabular-data-package",
        "name": name,
        "id": id,
        "title": title,
        "description": description,
        "homepage": format!("{base}/"),
        "keywords": keywords(settings),
        "licenses": [package_licence(&licence)],
        "contributors": [{"title": settings.publisher, "role": "publisher"}],
        "sources": package_sources(snapshot.entries.iter().flat_map(|e| e.sources.iter())),
        "resources": snapshot
            .entries
            .iter()
            .map(|e| package_resource(base, e, sources_key))
            .collect::<Vec<_>>(),
    })
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
