//! `logam plugin check FILE.wasm`: everything the host would do with a component at install
//! and on a request, without installing it: the checks, the manifest, one run on the data
//! under the production limits, and what that run cost.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::bindings::exporter::exports::logam::plugin::exporter_plugin::Targets;
use super::registry::{Code, Plugin};
use super::{PluginError, PluginHost, Source, convert};
use crate::export::{ExportSchema, Exporter};
use crate::store::{ReadPlan, RowRequest};

/// What one check run found.
pub struct CheckReport {
    pub id: String,
    pub kind: &'static str,
    pub sha256: String,
    pub manifest: serde_json::Value,
    /// What the run read: a dataset id, or an indicator id for an exporter of results.
    pub ran_on: String,
    pub elapsed: Duration,
    pub peak_memory_bytes: usize,
    pub output_bytes: usize,
    pub rows: Option<usize>,
    /// The start of the output: CSV for an indicator's table, the exporter's own bytes.
    pub sample: String,
    /// What installing it would do to the plugin installed under its id, if any.
    pub replaces: Option<super::Replacement>,
}

const SAMPLE_BYTES: usize = 2048;

impl PluginHost {
    /// Checks and runs a component without installing it. `dataset` picks the table for an
    /// exporter (default: the first seeded dataset it accepts).
    pub fn check_component(
        &self,
        name: &str,
        bytes: &[u8],
        query: &[(String, String)],
        dataset: Option<&str>,
    ) -> Result<CheckReport, PluginError> {
        let registry = self.registry();
        let plugin = Arc::new(self.prepare(name, bytes, Source::Admin, None, Some(&registry))?);
        self.check_version(&plugin, &registry)?;
        let replaces = self.replacement(&plugin, &registry);
        let mut report = self.run_check(plugin, query, dataset)?;
        report.replaces = replaces;
        Ok(report)
    }

    fn run_check(
        &self,
        plugin: Arc<Plugin>,
        query: &[(String, String)],
        dataset: Option<&str>,
    ) -> Result<CheckReport, PluginError> {
        match &plugin.code {
            Code::Indicator { info, .. } => {
                let params = convert::params(&info.parameters, query)?;
                let started = Instant::now();
                let (result, _) = self.compute(&plugin, &params, None, String::new(), &[])?;
                let elapsed = started.elapsed();
                let schema = result.export_schema();
                let mut csv = crate::export::native_exporter("csv", Default::default())
                    .ok_or_else(|| PluginError::Engine("no CSV exporter".into()))?;
                let mut out = Vec::new();
                let fail = |e: crate::export::ExportError| PluginError::Engine(e.to_string());
                csv.begin(&schema, &mut out).map_err(fail)?;
                csv.write(&result.batch, &mut out).map_err(fail)?;
                csv.finish(&mut out).map_err(fail)?;
                Ok(CheckReport {
                    id: plugin.id.clone(),
                    kind: "indicator",
                    sha256: plugin.sha256.clone(),
                    manifest: plugin.manifest_json(),
                    ran_on: info
                        .inputs
                        .iter()
                        .map(|i| i.dataset.clone())
                        .collect::<Vec<_>>()
                        .join(", "),
                    elapsed,
                    peak_memory_bytes: result.peak_memory_bytes,
                    output_bytes: result.bytes,
                    rows: Some(result.batch.len()),
                    sample: sample(&out),
                    replaces: None,
                })
            }
            Code::Exporter { info, .. } => {
                let manifest = plugin.manifest_json();
                let fits_datasets = info.targets.contains(Targets::DATASETS);
                let table = match dataset {
                    Some(table) => table.to_string(),
                    None if fits_datasets => "wilayah".to_string(),
                    None => "rupiah-per-unit".to_string(),
                };
                if !fits_datasets {
                    return self.check_exporter_on_indicator(
                        plugin.clone(),
                        manifest,
                        &table,
                        query,
                    );
                }
                let dataset = table;
                let mut exporter = self.open_exporter(plugin.clone(), query)?;
                let mut output = Collector::default();
                let mut failure = None;
                let started = Instant::now();
                self.store.read_blocking(|session| {
                    let state = session.state(&dataset)?;
                    let meta = session.meta(&dataset, state)?;
                    let plan = ReadPlan::new(meta.clone(), &RowRequest::default())?;
                    let mut schema = ExportSchema::for_plan(&plan);
                    schema.table = Arc::new(crate::export::table_description(session, &meta)?);
                    let mut chunk = Vec::new();
                    if let Err(e) = exporter.begin(&schema, &mut chunk) {
                        failure = Some(e);
                        return Ok(());
                    }
                    output.take(&mut chunk);
                    session.scan(&plan, 1024, |batch| {
                        match exporter.write(batch, &mut chunk) {
                            Ok(()) => {
                                output.take(&mut chunk);
                                ControlFlow::Continue(())
                            }
                            Err(e) => {
                                failure = Some(e);
                                ControlFlow::Break(())
                            }
                        }
                    })?;
                    if failure.is_none() {
                        match exporter.finish(&mut chunk) {
                            Ok(()) => output.take(&mut chunk),
                            Err(e) => failure = Some(e),
                        }
                    }
                    Ok(())
                })?;
                let elapsed = started.elapsed();
                if let Some(e) = failure {
                    return Err(PluginError::from_export(e));
                }
                Ok(CheckReport {
                    id: plugin.id.clone(),
                    kind: "exporter",
                    sha256: plugin.sha256.clone(),
                    manifest,
                    ran_on: dataset,
                    elapsed,
                    peak_memory_bytes: exporter.peak_memory_bytes(),
                    output_bytes: output.total,
                    rows: None,
                    sample: sample(&output.start),
                    replaces: None,
                })
            }
        }
    }
}

impl PluginHost {
    /// Runs an exporter of indicator results on one installed indicator's result.
    fn check_exporter_on_indicator(
        &self,
        plugin: Arc<Plugin>,
        manifest: serde_json::Value,
        indicator: &str,
        query: &[(String, String)],
    ) -> Result<CheckReport, PluginError> {
        let result = match self.run_indicator(indicator, &[], None, "check", None)? {
            super::IndicatorOutcome::Computed { result, .. } => result,
            super::IndicatorOutcome::NotModified { .. } => {
                return Err(PluginError::Engine("unexpected 304".into()));
            }
        };
        let mut schema = result.export_schema();
        schema.table = Arc::new(self.describe_result(&result)?);
        let mut exporter = self.open_exporter(plugin.clone(), query)?;
        let mut output = Collector::default();
        let mut chunk = Vec::new();
        let started = Instant::now();
        let unwrap = PluginError::from_export;
        exporter.begin(&schema, &mut chunk).map_err(unwrap)?;
        output.take(&mut chunk);
        exporter.write(&result.batch, &mut chunk).map_err(unwrap)?;
        output.take(&mut chunk);
        exporter.finish(&mut chunk).map_err(unwrap)?;
        output.take(&mut chunk);
        Ok(CheckReport {
            id: plugin.id.clone(),
            kind: "exporter",
            sha256: plugin.sha256.clone(),
            manifest,
            ran_on: format!("indicator {indicator}"),
            elapsed: started.elapsed(),
            peak_memory_bytes: exporter.peak_memory_bytes(),
            output_bytes: output.total,
            rows: Some(result.batch.len()),
            sample: sample(&output.start),
            replaces: None,
        })
    }
}

/// Counts an exporter's output and keeps its first bytes.
#[derive(Default)]
struct Collector {
    start: Vec<u8>,
    total: usize,
}

impl Collector {
    fn take(&mut self, chunk: &mut Vec<u8>) {
        self.total += chunk.len();
        let room = SAMPLE_BYTES.saturating_sub(self.start.len());
        self.start
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
        chunk.clear();
    }
}

fn sample(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(SAMPLE_BYTES)];
    match std::str::from_utf8(cut) {
        Ok(text) => text.to_string(),
        Err(e) if e.valid_up_to() > cut.len().saturating_sub(4) => {
            String::from_utf8_lossy(&cut[..e.valid_up_to()]).into_owned()
        }
        Err(_) => format!(
            "({} bytes of binary output; first bytes: {:02x?})",
            bytes.len(),
            &bytes[..bytes.len().min(16)]
        ),
    }
}
