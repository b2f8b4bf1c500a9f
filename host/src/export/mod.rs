//! Output formats: turning a stream of batches into bytes.
//!
//! Every format, native or (with the plugin runtime) a WebAssembly exporter, implements
//! [`Exporter`], so the API serves them all the same way and never knows which kind it holds.

mod csv;
mod drain;
mod encoder;
mod json;
mod stream;

pub use drain::DrainRule;
pub use json::{ObjectKeys, write_cell, write_row_object};
pub use stream::{Emitter, ExportBody, ExportHead, dataset as export_dataset, run as run_export};

use std::sync::Arc;

use crate::store::{Batch, Bilingual, ColumnType, DatasetMeta, ReadPlan, ReadSession, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing {format}: {reason}")]
    Write {
        format: &'static str,
        reason: String,
    },
    /// An exporter that is not native (a WebAssembly plugin) failed or overran a limit. The
    /// error is the plugin runtime's own, boxed so that this room does not depend on the one
    /// that implements its trait; the API edge downcasts it and maps it like any plugin error
    /// (timeout 504, limits 502, the plugin's own refusal 4xx).
    #[error(transparent)]
    Exporter(Box<dyn std::error::Error + Send + Sync + 'static>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a column is for, as the plugin contract says (`column-role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRole {
    Dimension,
    Measure,
    Attribute,
}

impl ColumnRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnRole::Dimension => "dimension",
            ColumnRole::Measure => "measure",
            ColumnRole::Attribute => "attribute",
        }
    }
}

/// What formats that carry metadata (XLSX, SDMX, GeoJSON) say about a column.
#[derive(Debug, Clone)]
pub struct ColumnDescription {
    pub title: Bilingual,
    pub description: Bilingual,
    pub unit: Option<String>,
    pub role: ColumnRole,
}

/// A source a table cites.
#[derive(Debug, Clone, Default)]
pub struct Citation {
    pub id: String,
    pub publisher: String,
    pub title: Option<String>,
    pub url: Option<String>,
    pub date: Option<String>,
    pub licence: Option<String>,
}

/// What is being exported, for formats that carry titles, sources and licence.
#[derive(Debug, Clone, Default)]
pub struct TableDescription {
    pub id: String,
    /// True for an indicator's observations, false for a dataset's rows.
    pub indicator: bool,
    pub title: Bilingual,
    pub description: Bilingual,
    pub publisher: String,
    pub licence: String,
    pub sources: Vec<Citation>,
    pub revision: i64,
    pub url: Option<String>,
}

/// The columns an exporter receives, in output order, and where each sits in a batch.
#[derive(Debug, Clone)]
pub struct ExportSchema {
    pub names: Vec<String>,
    pub types: Vec<ColumnType>,
    /// `positions[i]` is the batch column that holds output column `i`.
    pub positions: Vec<usize>,
    /// Titles, units and roles of the output columns, in output order.
    pub columns: Vec<ColumnDescription>,
    pub table: Arc<TableDescription>,
}

impl ExportSchema {
    /// The output columns of a read plan. The table's publisher and sources are filled in by
    /// the export when its exporter wants them (see [`Exporter::wants_table`]).
    pub fn for_plan(plan: &ReadPlan) -> Self {
        let meta = &plan.meta;
        let primary_key = &meta.primary_key;
        ExportSchema {
            names: plan.output_columns().map(|c| c.name.clone()).collect(),
            types: plan.output_columns().map(|c| c.column_type).collect(),
            positions: plan.output.clone(),
            columns: plan
                .output_columns()
                .map(|c| ColumnDescription {
                    title: c.title.clone(),
                    description: c.description.clone(),
                    unit: c.unit.clone(),
                    role: if &c.name == primary_key {
                        ColumnRole::Dimension
                    } else {
                        ColumnRole::Attribute
                    },
                })
                .collect(),
            table: Arc::new(TableDescription {
                id: meta.id.clone(),
                indicator: false,
                title: meta.title.clone(),
                description: meta.description.clone(),
                licence: meta.licence.clone(),
                revision: meta.revision,
                ..TableDescription::default()
            }),
        }
    }

    /// Columns known only by name and type (an SQL result).
    pub fn plain(names: Vec<String>, types: Vec<ColumnType>) -> Self {
        ExportSchema {
            positions: (0..names.len()).collect(),
            columns: names
                .iter()
                .map(|n| ColumnDescription {
                    title: Bilingual {
                        id: n.clone(),
                        en: n.clone(),
                    },
                    description: Bilingual::default(),
                    unit: None,
                    role: ColumnRole::Attribute,
                })
                .collect(),
            names,
            types,
            table: Arc::new(TableDescription::default()),
        }
    }
}

/// A streaming writer for one response. `begin`, then `write` once per batch, then `finish`;
/// each appends bytes to `out`, which the caller sends on and clears.
pub trait Exporter: Send {
    fn begin(&mut self, schema: &ExportSchema, out: &mut Vec<u8>) -> Result<(), ExportError>;
    fn write(&mut self, batch: &Batch, out: &mut Vec<u8>) -> Result<(), ExportError>;
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), ExportError>;
    /// Whether `begin` needs the table's publisher and sources (`ExportSchema::table`),
    /// which cost a query; the native formats do not.
    fn wants_table(&self) -> bool {
        false
    }
}

/// A dataset's description with the catalog's publisher and the sources its rows cite.
pub fn table_description(
    session: &ReadSession<'_>,
    meta: &DatasetMeta,
) -> Result<TableDescription, StoreError> {
    let text = |record: &crate::store::SourceRecord, key: &str| {
        record
            .get(key)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let sources = session
        .sources_of(meta)?
        .iter()
        .map(|record| Citation {
            id: text(record, "id").unwrap_or_default(),
            publisher: text(record, "penerbit").unwrap_or_default(),
            title: text(record, "judul"),
            url: text(record, "url"),
            date: text(record, "tanggal"),
            licence: text(record, "lisensi"),
        })
        .collect();
    Ok(TableDescription {
        id: meta.id.clone(),
        indicator: false,
        title: meta.title.clone(),
        description: meta.description.clone(),
        publisher: session.setting("publisher")?.unwrap_or_default(),
        licence: meta.licence.clone(),
        sources,
        revision: meta.revision,
        url: None,
    })
}

/// Options a client may set on an export.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    /// Start a CSV with a UTF-8 byte-order mark so Excel reads Indonesian text correctly.
    pub byte_order_mark: bool,
}

/// What the host tells clients about a format.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FormatInfo {
    pub extension: String,
    pub media_type: String,
    pub title: crate::store::Bilingual,
    pub native: bool,
    /// Whether it serves dataset rows and indicator results.
    pub datasets: bool,
    pub indicators: bool,
    /// The plugin that provides it, for a plugin format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// Served as a download (Content-Disposition: attachment) rather than shown inline.
    #[serde(skip)]
    pub attachment: bool,
}

fn info(
    extension: &'static str,
    media_type: &'static str,
    id: &str,
    en: &str,
    attachment: bool,
) -> FormatInfo {
    FormatInfo {
        extension: extension.into(),
        media_type: media_type.into(),
        datasets: true,
        indicators: true,
        plugin: None,
        title: crate::store::Bilingual {
            id: id.into(),
            en: en.into(),
        },
        native: true,
        attachment,
    }
}

/// The formats built into the host.
pub fn native_formats() -> Vec<FormatInfo> {
    vec![
        info(
            "csv",
            "text/csv; charset=utf-8",
            "CSV (RFC 4180, UTF-8)",
            "CSV (RFC 4180, UTF-8)",
            true,
        ),
        info(
            "json",
            "application/json",
            "JSON: larik objek baris",
            "JSON: array of row objects",
            false,
        ),
        info(
            "ndjson",
            "application/x-ndjson",
            "NDJSON: satu objek per baris",
            "NDJSON: one object per line",
            false,
        ),
    ]
}

/// A fresh native exporter for `extension`, if the host has one.
pub fn native_exporter(extension: &str, options: ExportOptions) -> Option<Box<dyn Exporter>> {
    match extension {
        "csv" => Some(Box::new(csv::CsvExporter::new(options.byte_order_mark))),
        "json" => Some(Box::new(json::JsonArrayExporter::default())),
        "ndjson" => Some(Box::new(json::NdjsonExporter::default())),
        _ => None,
    }
}
