//! The logam plugin contract (`wit/`, package `logam:plugin@0.1.0`) as plain Rust.
//!
//! First-party plugins keep their computation in ordinary functions over these types, so
//! `cargo test` checks it natively against the seed data; the [`indicator_component!`] and
//! [`exporter_component!`] macros generate the wit-bindgen glue that moves the WIT values in
//! and out (vectors are moved, not copied).
//!
//! Nothing here depends on wit-bindgen: a plugin crate depends on both and the macros
//! expand inside it.

mod batch;
mod component;
pub mod figures;
mod meta;
mod table;
pub mod text;

/// Numbers, Rupiah, percentages and dates for people, as the host's pages write them (the
/// `logam-format` crate): `format::number(x, 2, format::Notation::Indonesian)`.
pub use logam_format as format;

#[cfg(feature = "testing")]
pub mod testing;

pub use batch::{Batch, Cell, Column, ColumnData, ColumnType};
pub use meta::{
    Bilingual, Citation, ColumnInfo, DatasetMeta, ExporterInfo, IndicatorInfo, Input, Param,
    Parameter, Params, Role, Scalar, TableKind, Targets,
};
pub use table::{ColumnBuilder, Table, TableBuilder};

use std::fmt;

/// Why a plugin could not do what was asked (WIT `plugin-error`).
#[derive(Debug, Clone, PartialEq)]
pub enum PluginError {
    /// A parameter is missing, malformed or out of range.
    InvalidParameter(String),
    /// The input does not fit: a column missing or mistyped, or needed values absent.
    InvalidInput(String),
    /// This plugin cannot handle this table.
    Unsupported(String),
    /// Anything else.
    Failed(String),
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, message) = match self {
            PluginError::InvalidParameter(m) => ("invalid parameter", m),
            PluginError::InvalidInput(m) => ("invalid input", m),
            PluginError::Unsupported(m) => ("unsupported", m),
            PluginError::Failed(m) => ("failed", m),
        };
        write!(f, "{kind}: {message}")
    }
}

impl std::error::Error for PluginError {}

/// An indicator: a manifest and a streaming calculation (WIT `indicator-plugin`).
pub trait Indicator: Sized + 'static {
    /// The manifest (`describe`).
    fn info() -> IndicatorInfo;
    /// Starts a calculation with the request's parameters (defaults already filled in).
    fn new(params: Params) -> Self;
    /// Takes one batch of declared input number `input`, columns in declared order.
    fn push(&mut self, input: u32, batch: &Batch) -> Result<(), PluginError>;
    /// Returns the observations.
    fn finish(&mut self) -> Result<Table, PluginError>;
}

/// An exporter: a manifest and a streaming encoder (WIT `exporter-plugin`).
pub trait Exporter: Sized + 'static {
    /// The manifest (`describe`).
    fn info() -> ExporterInfo;
    /// Starts an export of a table with this schema and metadata.
    fn new(schema: Vec<ColumnInfo>, meta: DatasetMeta, params: Params) -> Self;
    /// Encodes one batch; returns the bytes to send next.
    fn write(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError>;
    /// Returns the tail of the output.
    fn finish(&mut self) -> Result<Vec<u8>, PluginError>;
}

/// Runs an indicator the way the host does (constructor, every push, finish), with the
/// manifest's defaults filled in for parameters `given` leaves out. For native tests.
pub fn run_indicator<I: Indicator>(
    given: Vec<Param>,
    inputs: Vec<Batch>,
) -> Result<Table, PluginError> {
    let params = Params::with_defaults(&I::info().parameters, given);
    let mut indicator = I::new(params);
    for (index, batch) in inputs.iter().enumerate() {
        indicator.push(index as u32, batch)?;
    }
    indicator.finish()
}

/// Runs an exporter the way the host does and concatenates its output. For native tests.
pub fn run_exporter<E: Exporter>(
    schema: Vec<ColumnInfo>,
    meta: DatasetMeta,
    given: Vec<Param>,
    batches: &[Batch],
) -> Result<Vec<u8>, PluginError> {
    let params = Params::with_defaults(&E::info().parameters, given);
    let mut exporter = E::new(schema, meta, params);
    let mut out = Vec::new();
    for batch in batches {
        out.extend(exporter.write(batch)?);
    }
    out.extend(exporter.finish()?);
    Ok(out)
}
