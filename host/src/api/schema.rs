//! The JSON bodies of the open API, as types: `/openapi.json` derives its component schemas
//! from these (utoipa's `ToSchema`), and the handlers answer with them.
//!
//! Where a handler writes its body directly rather than through one of these types (a page of
//! rows streamed as bytes, a plugin's manifest passed through as JSON), the type still names
//! the shape it writes, and schemathesis' response-conformance check holds every real answer
//! to it (tests/openapi.rs). The store's own types (`DatasetMeta`, `RevisionRecord`,
//! `Changes`, ...) carry `ToSchema` themselves, since they are what gets serialised.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::export::FormatInfo;
use crate::store::{Bilingual, Facet, RevisionRecord};

/// A link name (`self`, `rows`, a format's extension, ...) to its path.
pub type Links = BTreeMap<String, String>;

/// One row: column name to value (string, number, boolean or null), in column order.
#[derive(Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct RowObject(pub serde_json::Map<String, Value>);

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` in a 200 answer.
    #[schema(pattern = "^ok$")]
    pub status: &'static str,
    pub capacity: Capacity,
}

/// How much of each limited resource is in use now.
#[derive(Serialize, ToSchema)]
pub struct Capacity {
    /// Readers for pages, rows, metadata and SQL.
    pub readers: Usage,
    /// Readers kept for downloads, so exports never take the pages' readers.
    pub export_readers: Usage,
    pub exports: ExportUsage,
}

#[derive(Serialize, ToSchema)]
pub struct Usage {
    pub in_use: u32,
    pub size: u32,
}

#[derive(Serialize, ToSchema)]
pub struct ExportUsage {
    pub running: usize,
    pub limit: usize,
}

/// `GET /api`: what the API is and where everything is.
#[derive(Serialize, ToSchema)]
pub struct Index {
    pub name: &'static str,
    pub description: Bilingual,
    pub version: &'static str,
    /// Each endpoint's path pattern.
    pub links: BTreeMap<&'static str, &'static str>,
    /// The row parameters and what each does.
    pub parameters: BTreeMap<String, String>,
}

/// `GET /api/formats`.
#[derive(Serialize, ToSchema)]
pub struct Formats {
    pub formats: Vec<FormatInfo>,
}

/// One dataset in the catalog list.
#[derive(Serialize, ToSchema)]
pub struct DatasetSummary {
    pub id: String,
    pub title: Bilingual,
    pub description: Bilingual,
    pub licence: String,
    pub synthetic: bool,
    /// The global revision that last changed this dataset.
    pub revision: i64,
    pub row_count: i64,
    pub updated_at: String,
    /// `self`, `rows`, `revisions` and one per download format.
    pub links: BTreeMap<String, String>,
}

/// `GET /api/datasets`.
#[derive(Serialize, ToSchema)]
pub struct DatasetList {
    pub datasets: Vec<DatasetSummary>,
}

/// `GET /api/datasets/{id}`: the dataset's metadata (columns, primary key, source column,
/// licence) with the sources cited, links and formats.
#[derive(Serialize, ToSchema)]
pub struct Dataset {
    #[serde(flatten)]
    pub meta: crate::store::DatasetMeta,
    /// The sources the rows cite, with their bibliographic details.
    #[schema(value_type = Vec<Object>)]
    pub sources: Vec<crate::store::SourceRecord>,
    pub links: BTreeMap<String, String>,
    /// The extensions this dataset downloads in now.
    pub formats: Vec<String>,
}

/// `GET /api/datasets/{id}/revisions`: newest first, at most 1000.
#[derive(Serialize, ToSchema)]
pub struct Revisions {
    pub revisions: Vec<RevisionRecord>,
}

/// `GET /api/datasets/{id}/rows`: one page of rows.
#[derive(Serialize, ToSchema)]
pub struct RowsPage {
    pub dataset: String,
    /// The revision the page was read at.
    pub revision: i64,
    pub columns: Vec<String>,
    pub rows: Vec<RowObject>,
    /// Token for `_next`; null on the last page.
    #[schema(required)]
    pub next: Option<String>,
    /// The next page's URL; null on the last page.
    #[schema(required)]
    pub next_url: Option<String>,
    /// With `_count=1`: the rows matching the filters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// With `_facet`: per column, its most common values and their counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<BTreeMap<String, Facet>>,
}

/// `GET /api/datasets/{id}/rows/{key}`: one row.
#[derive(Serialize, ToSchema)]
pub struct Row {
    pub dataset: String,
    pub revision: i64,
    pub row: RowObject,
}

/// `GET /api/datasets/{id}/changes`: the store's page of changes and the URL of the next.
#[derive(Serialize, ToSchema)]
pub struct ChangesPage {
    #[serde(flatten)]
    pub changes: crate::store::Changes,
    /// The next page's URL (same `from` and `to`); null on the last page.
    #[schema(required)]
    pub next_url: Option<String>,
}

/// A column of an SQL result.
#[derive(Serialize, ToSchema)]
pub struct SqlColumn {
    pub name: String,
    /// The declared type of the column it comes from, when SQLite knows one.
    #[serde(rename = "type")]
    pub column_type: Option<String>,
}

/// The JSON answer of `/api/sql` and of a canned query.
#[derive(Serialize, ToSchema)]
pub struct SqlResult {
    /// The revision every table was read at.
    pub revision: i64,
    pub columns: Vec<SqlColumn>,
    pub rows: Vec<RowObject>,
    pub row_count: usize,
    /// True when the statement had more rows than `_size`.
    pub truncated: bool,
}

/// One of the office's ready-made questions on a dataset.
#[derive(Serialize, ToSchema)]
pub struct CannedQuerySummary {
    pub name: String,
    pub title: Bilingual,
    pub description: Bilingual,
    pub sql: String,
    /// The statement's named parameters (`:name`), in order of first use.
    pub parameters: Vec<String>,
    /// `json`, `csv`, `ndjson` and the page with its `form`.
    pub links: BTreeMap<String, String>,
}

/// `GET /api/datasets/{id}/queries`.
#[derive(Serialize, ToSchema)]
pub struct CannedQueries {
    pub queries: Vec<CannedQuerySummary>,
}

/// The plugin that computes an indicator.
#[derive(Serialize, ToSchema)]
pub struct PluginIdentity {
    pub id: String,
    pub version: String,
    pub sha256: String,
}

/// An indicator: its manifest (BPS MS-Ind metadata, bilingual: konsep, definisi, rumus,
/// satuan, interpretasi; its parameters and inputs) with its plugin and links. The manifest's
/// fields come from the plugin as the WIT contract defines them.
#[derive(Serialize, ToSchema)]
pub struct Indicator {
    pub id: String,
    #[schema(value_type = Vec<Object>)]
    pub parameters: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub inputs: Vec<Value>,
    pub plugin: PluginIdentity,
    pub links: BTreeMap<String, String>,
}

/// `GET /api/indicators`.
#[derive(Serialize, ToSchema)]
pub struct IndicatorList {
    pub indicators: Vec<Indicator>,
}

/// A column of an indicator's result.
#[derive(Serialize, ToSchema)]
pub struct IndicatorColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: String,
    /// `dimension`, `measure` or `attribute`.
    pub role: String,
    pub title: Bilingual,
    pub description: Bilingual,
    pub unit: Option<String>,
}

/// `GET /api/indicators/{id}`: the result with its metadata.
#[derive(Serialize, ToSchema)]
pub struct IndicatorResult {
    pub indicator: Indicator,
    /// The data revision the result was computed from.
    pub revision: i64,
    pub columns: Vec<IndicatorColumn>,
    pub rows: Vec<RowObject>,
}

/// One installed plugin with its limits and usage.
#[derive(Serialize, ToSchema)]
pub struct Plugin {
    pub id: String,
    pub version: String,
    /// `indicator` or `exporter`.
    pub kind: String,
    /// The manifest's bilingual title.
    #[schema(value_type = Object)]
    pub title: Value,
    pub sha256: String,
    pub size_bytes: u64,
    /// `active` or `disabled`.
    pub status: String,
    /// `bundled`, `folder` or `admin`.
    pub source: String,
    pub installed_at: Option<String>,
    /// Who wrote it, under which licence, where its source and home page are (from the
    /// component's metadata; null where it declares none).
    pub authors: Option<String>,
    pub licence: Option<String>,
    pub source_url: Option<String>,
    pub homepage: Option<String>,
    /// For an exporter, the format it provides.
    pub format: Option<FormatInfo>,
    /// The sandbox's limits on every call (fuel, memory, time, output).
    #[schema(value_type = Object)]
    pub limits: Value,
    pub calls: u64,
    pub errors: u64,
    pub cache_hits: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// The manifest as the plugin declares it (WIT `manifest`).
    #[schema(value_type = Object)]
    pub manifest: Value,
    pub links: BTreeMap<String, String>,
    /// `GET /api/plugins/{id}` only: every version recorded, for a rollback.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub versions: Option<Vec<Value>>,
    /// `GET /api/plugins/{id}` only: whether the binary bundles a version of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundled_version_available: Option<bool>,
}

/// `GET /api/plugins`.
#[derive(Serialize, ToSchema)]
pub struct PluginList {
    pub plugins: Vec<Plugin>,
}
