//! Output formats: turning a stream of batches into bytes.
//!
//! Every format, native or (with the plugin runtime) a WebAssembly exporter, implements
//! [`Exporter`], so the API serves them all the same way and never knows which kind it holds.

mod csv;
mod json;
mod stream;

pub use json::{ObjectKeys, write_cell, write_row_object};
pub use stream::{Emitter, ExportBody, ExportHead, dataset as export_dataset, run as run_export};

use crate::store::{Batch, ColumnType, ReadPlan};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing {format}: {reason}")]
    Write {
        format: &'static str,
        reason: String,
    },
}

/// The columns an exporter receives, in output order, and where each sits in a batch.
#[derive(Debug, Clone)]
pub struct ExportSchema {
    pub names: Vec<String>,
    pub types: Vec<ColumnType>,
    /// `positions[i]` is the batch column that holds output column `i`.
    pub positions: Vec<usize>,
}

impl ExportSchema {
    /// The output columns of a read plan.
    pub fn for_plan(plan: &ReadPlan) -> Self {
        ExportSchema {
            names: plan.output_columns().map(|c| c.name.clone()).collect(),
            types: plan.output_columns().map(|c| c.column_type).collect(),
            positions: plan.output.clone(),
        }
    }
}

/// A streaming writer for one response. `begin`, then `write` once per batch, then `finish`;
/// each appends bytes to `out`, which the caller sends on and clears.
pub trait Exporter: Send {
    fn begin(&mut self, schema: &ExportSchema, out: &mut Vec<u8>) -> Result<(), ExportError>;
    fn write(&mut self, batch: &Batch, out: &mut Vec<u8>) -> Result<(), ExportError>;
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), ExportError>;
}

/// Options a client may set on an export.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    /// Start a CSV with a UTF-8 byte-order mark so Excel reads Indonesian text correctly.
    pub byte_order_mark: bool,
}

/// What the host tells clients about a format.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FormatInfo {
    pub extension: &'static str,
    pub media_type: &'static str,
    pub title: crate::store::Bilingual,
    pub native: bool,
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
        extension,
        media_type,
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
