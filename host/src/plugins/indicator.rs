//! Running an indicator: its declared inputs pushed batch by batch from one snapshot each,
//! and its observations checked and cached.
//!
//! A result depends only on the component, the revisions of its inputs and the parameters
//! (plugins get stopped clocks and a fixed random stream), so that triple is the cache key and
//! the ETag: a client holding a result revalidates without the plugin running.

use std::collections::{HashMap, VecDeque};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sha2::{Digest, Sha256};
use wasmtime::component::ResourceAny;

use super::bindings::types;
use super::registry::{Code, Plugin, Registry};
use super::{PluginError, PluginHost, convert, fault};
use crate::export::{ColumnDescription, ExportSchema, TableDescription};
use crate::store::{Batch, ColumnType, ReadPlan, RowRequest};

/// One column of a result table, in the host's terms.
#[derive(Debug, Clone)]
pub struct ResultColumn {
    pub name: String,
    pub column_type: ColumnType,
    pub role: crate::export::ColumnRole,
    pub title: crate::store::Bilingual,
    pub description: crate::store::Bilingual,
    pub unit: Option<String>,
}

/// The result of one run: a table, and the newest revision of the data it read.
pub struct IndicatorResult {
    pub plugin: Arc<Plugin>,
    pub columns: Vec<ResultColumn>,
    pub batch: Batch,
    pub revision: i64,
    /// Cache key: a digest of (component, input revisions, parameters).
    pub key: String,
    /// Approximate size of the table, for the cache's budget.
    pub bytes: usize,
    /// Most linear memory the plugin held during the run.
    pub peak_memory_bytes: usize,
}

impl IndicatorResult {
    /// The result table's columns for an exporter, all in batch order.
    pub fn export_schema(&self) -> ExportSchema {
        let info = self.plugin.indicator_info();
        ExportSchema {
            names: self.columns.iter().map(|c| c.name.clone()).collect(),
            types: self.columns.iter().map(|c| c.column_type).collect(),
            positions: (0..self.columns.len()).collect(),
            columns: self
                .columns
                .iter()
                .map(|c| ColumnDescription {
                    title: c.title.clone(),
                    description: c.description.clone(),
                    unit: c.unit.clone(),
                    role: c.role,
                })
                .collect(),
            table: Arc::new(TableDescription {
                id: self.plugin.id.clone(),
                indicator: true,
                title: info.map(|i| i.title.clone()).unwrap_or_default(),
                description: info.map(|i| i.description.clone()).unwrap_or_default(),
                revision: self.revision,
                ..TableDescription::default()
            }),
        }
    }
}

pub enum IndicatorOutcome {
    /// The client's copy (`If-None-Match`) is current.
    NotModified { etag: String },
    Computed {
        result: Arc<IndicatorResult>,
        etag: String,
    },
}

/// Results kept at most; and the most bytes they may hold together.
const CACHE_ENTRIES: usize = 256;
const CACHE_BYTES: usize = 64 << 20;

#[derive(Default)]
pub struct ResultCache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    results: HashMap<String, Arc<IndicatorResult>>,
    order: VecDeque<String>,
    bytes: usize,
}

impl ResultCache {
    pub fn clear(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            *inner = CacheInner::default();
        }
    }

    /// Forgets the results of versions that `registry` no longer holds (upgraded, rolled back,
    /// removed, or disabled), so a cached result never keeps an old version's compiled code
    /// alive. A current version's results stay.
    pub fn retain_current(&self, registry: &Registry) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let inner = &mut *inner;
        inner.results.retain(|_, result| {
            registry
                .get(&result.plugin.id)
                .is_some_and(|current| Arc::ptr_eq(current, &result.plugin))
        });
        let results = &inner.results;
        inner.order.retain(|key| results.contains_key(key));
        inner.bytes = results.values().map(|r| r.bytes).sum();
    }

    fn get(&self, key: &str) -> Option<Arc<IndicatorResult>> {
        self.inner.lock().ok()?.results.get(key).cloned()
    }

    fn put(&self, result: Arc<IndicatorResult>) {
        if result.bytes > CACHE_BYTES / 8 {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if inner.results.contains_key(&result.key) {
            return;
        }
        while inner.results.len() >= CACHE_ENTRIES || inner.bytes + result.bytes > CACHE_BYTES {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(gone) = inner.results.remove(&oldest) {
                inner.bytes -= gone.bytes;
            }
        }
        inner.bytes += result.bytes;
        inner.order.push_back(result.key.clone());
        inner.results.insert(result.key.clone(), result);
    }
}

/// Parameters in a stable text form, for the key.
fn params_key(params: &[types::Param]) -> String {
    let mut out = String::new();
    for p in params {
        let value = match &p.value {
            types::Scalar::Integer(i) => format!("i{i}"),
            types::Scalar::Real(r) => format!("r{}", r.to_bits()),
            types::Scalar::Text(t) => format!("t{}:{t}", t.len()),
            types::Scalar::Boolean(b) => format!("b{b}"),
        };
        out.push_str(&format!("{}:{}={value};", p.name.len(), p.name));
    }
    out
}

impl PluginHost {
    /// Runs (or finds in the cache) an indicator for `query`'s parameters. `variant` names
    /// the representation (format, exporter version and options) and goes into the ETag
    /// only; a matching `if_none_match` answers without running anything. Blocking; call
    /// from a blocking thread.
    pub fn run_indicator(
        &self,
        id: &str,
        query: &[(String, String)],
        as_of: Option<i64>,
        variant: &str,
        if_none_match: Option<&str>,
    ) -> Result<IndicatorOutcome, PluginError> {
        let plugin = self.indicator(id)?;
        let Code::Indicator { info, .. } = &plugin.code else {
            return Err(PluginError::UnknownIndicator(id.to_string()));
        };
        let params = convert::params(&info.parameters, query)?;

        let datasets: Vec<String> = info.inputs.iter().map(|i| i.dataset.clone()).collect();
        let states = self.store.read_blocking(|session| {
            datasets
                .iter()
                .map(|d| session.state(d))
                .collect::<Result<Vec<_>, _>>()
        })?;
        let mut key = Sha256::new();
        key.update(plugin.sha256.as_bytes());
        for (dataset, state) in datasets.iter().zip(&states) {
            key.update(format!(
                "|{dataset}@{}.{}",
                state.revision, state.schema_version
            ));
        }
        key.update(b"|");
        key.update(params_key(&params));
        // Data as of a revision never changes: the key names the revision.
        if let Some(revision) = as_of {
            key.update(format!("|as_of={revision}"));
        }
        let key = format!("{:x}", key.finalize());
        let tag = Sha256::digest(format!("{key}|{variant}"));
        let tag: String = tag[..16].iter().map(|b| format!("{b:02x}")).collect();
        // Weak, as compression may change the bytes of the same content.
        let etag = format!("W/\"i-{tag}\"");
        let held = |candidate: &str| {
            candidate.trim().trim_start_matches("W/") == etag.trim_start_matches("W/")
        };
        if if_none_match.is_some_and(|tags| tags.split(',').any(held)) {
            plugin.stats.cache_hit();
            return Ok(IndicatorOutcome::NotModified { etag });
        }
        if let Some(result) = self.results.get(&key) {
            plugin.stats.cache_hit();
            return Ok(IndicatorOutcome::Computed { result, etag });
        }

        let started = Instant::now();
        let outcome = self.compute(&plugin, &params, as_of, key, &states);
        plugin.stats.record(started.elapsed(), outcome.is_ok());
        let (result, keyed_revisions_read) = outcome?;
        let result = Arc::new(result);
        // Data that changed between keying and reading must not be cached under the old key.
        if keyed_revisions_read {
            self.results.put(result.clone());
        }
        Ok(IndicatorOutcome::Computed { result, etag })
    }

    pub(super) fn compute(
        &self,
        plugin: &Arc<Plugin>,
        params: &[types::Param],
        as_of: Option<i64>,
        key: String,
        keyed_states: &[crate::store::DatasetState],
    ) -> Result<(IndicatorResult, bool), PluginError> {
        let Code::Indicator { info, pre, .. } = &plugin.code else {
            return Err(PluginError::UnknownIndicator(plugin.id.clone()));
        };
        let name = plugin.id.as_str();
        let runtime = &self.runtime;
        let limits = &runtime.limits;
        let mut wstore = runtime.store(name)?;
        let instance = pre
            .instantiate(&mut wstore)
            .map_err(|e| fault::classify(name, limits, e, &wstore))?;
        let guest = instance.logam_plugin_indicator_plugin();
        runtime.arm(&mut wstore);
        let accumulator: ResourceAny = guest
            .accumulator()
            .call_constructor(&mut wstore, params)
            .map_err(|e| fault::classify(name, limits, e, &wstore))?;

        // The inputs are read first, in one snapshot, and the reader released before the
        // plugin sees them: a slow push cannot hold a database reader. Inputs larger than
        // `INPUT_BYTES` together are streamed from the reader instead (bounded by the
        // request's time budget), so memory stays bounded too.
        let mut revision = 0;
        let mut keyed_revisions_read = true;
        let mut buffered: Vec<(u32, types::Batch)> = Vec::new();
        let mut buffered_bytes = 0usize;
        let fits = self.store.read_blocking(|session| {
            for (index, input) in info.inputs.iter().enumerate() {
                let request = RowRequest {
                    columns: Some(input.columns.clone()),
                    as_of,
                    ..RowRequest::default()
                };
                let state = session.state(&input.dataset)?;
                keyed_revisions_read &= keyed_states.get(index) == Some(&state);
                revision = revision.max(as_of.map_or(state.revision, |r| r.min(state.revision)));
                let meta = session.meta(&input.dataset, state)?;
                let plan = ReadPlan::new(meta, &request)?;
                let mut fits = true;
                session.scan(&plan, 1024, |batch| {
                    let data = convert::batch_to_wit(batch, &plan.output);
                    buffered_bytes += wit_bytes(&data);
                    if buffered_bytes > INPUT_BYTES {
                        fits = false;
                        return ControlFlow::Break(());
                    }
                    buffered.push((index as u32, data));
                    ControlFlow::Continue(())
                })?;
                if !fits {
                    return Ok(false);
                }
            }
            Ok(true)
        })?;
        if fits {
            for (index, data) in &buffered {
                runtime.arm(&mut wstore);
                guest
                    .accumulator()
                    .call_push(&mut wstore, accumulator, *index, data)
                    .map_err(|trap| fault::classify(name, limits, trap, &wstore))?
                    .map_err(|declined| convert::declined(name, declined))?;
            }
            drop(buffered);
        } else {
            drop(buffered);
            revision = 0;
            keyed_revisions_read = true;
            self.stream_inputs(
                plugin,
                &mut wstore,
                guest,
                accumulator,
                as_of,
                keyed_states,
                (&mut revision, &mut keyed_revisions_read),
            )?;
        }
        runtime.arm(&mut wstore);
        let observations = guest
            .accumulator()
            .call_finish(&mut wstore, accumulator)
            .map_err(|e| fault::classify(name, limits, e, &wstore))?
            .map_err(|declined| convert::declined(name, declined))?;
        let _ = accumulator.resource_drop(&mut wstore);
        let _ = &instance;
        let (columns, batch, bytes) =
            convert::observations(name, observations, limits.output_bytes)?;
        Ok((
            IndicatorResult {
                plugin: plugin.clone(),
                columns,
                batch,
                revision,
                key,
                bytes,
                peak_memory_bytes: wstore.data().memory.peak,
            },
            keyed_revisions_read,
        ))
    }
}

/// Most bytes of input an indicator run reads into memory before the plugin sees them.
const INPUT_BYTES: usize = 32 << 20;

/// Approximate bytes of a WIT batch.
fn wit_bytes(batch: &types::Batch) -> usize {
    batch
        .columns
        .iter()
        .map(|c| {
            c.validity.len()
                + match &c.data {
                    types::ColumnData::Integer(v) => v.len() * 8,
                    types::ColumnData::Real(v) => v.len() * 8,
                    types::ColumnData::Boolean(v) => v.len(),
                    types::ColumnData::Text(t) => t.bytes.len() + t.ends.len() * 4,
                }
        })
        .sum()
}

impl PluginHost {
    /// Pushes each input to the plugin straight from the reader, batch by batch: for inputs
    /// too large to read into memory first. Holds the reader for as long as the pushes take,
    /// which the request's time budget bounds; the reader is one of the exports' pool, like
    /// an exporter's, so no plugin ever holds one the pages and `/healthz` need.
    #[allow(clippy::too_many_arguments)]
    fn stream_inputs(
        &self,
        plugin: &Plugin,
        wstore: &mut wasmtime::Store<super::sandbox::Sandbox>,
        guest: &super::bindings::indicator::exports::logam::plugin::indicator_plugin::Guest,
        accumulator: ResourceAny,
        as_of: Option<i64>,
        keyed_states: &[crate::store::DatasetState],
        (revision, keyed_revisions_read): (&mut i64, &mut bool),
    ) -> Result<(), PluginError> {
        let Code::Indicator { info, .. } = &plugin.code else {
            return Err(PluginError::UnknownIndicator(plugin.id.clone()));
        };
        let (name, runtime) = (plugin.id.as_str(), &self.runtime);
        let limits = &runtime.limits;
        for (index, input) in info.inputs.iter().enumerate() {
            let request = RowRequest {
                columns: Some(input.columns.clone()),
                as_of,
                ..RowRequest::default()
            };
            let mut failure: Option<PluginError> = None;
            self.store.export_blocking(|session| {
                let state = session.state(&input.dataset)?;
                *keyed_revisions_read &= keyed_states.get(index) == Some(&state);
                *revision =
                    (*revision).max(as_of.map_or(state.revision, |r| r.min(state.revision)));
                let meta = session.meta(&input.dataset, state)?;
                let plan = ReadPlan::new(meta, &request)?;
                session.scan(&plan, 1024, |batch| {
                    let data = convert::batch_to_wit(batch, &plan.output);
                    runtime.arm(wstore);
                    match guest.accumulator().call_push(
                        &mut *wstore,
                        accumulator,
                        index as u32,
                        &data,
                    ) {
                        Ok(Ok(())) => ControlFlow::Continue(()),
                        Ok(Err(declined)) => {
                            failure = Some(convert::declined(name, declined));
                            ControlFlow::Break(())
                        }
                        Err(trap) => {
                            failure = Some(fault::classify(name, limits, trap, wstore));
                            ControlFlow::Break(())
                        }
                    }
                })?;
                Ok(())
            })?;
            if let Some(failure) = failure {
                return Err(failure);
            }
        }
        Ok(())
    }
}

impl PluginHost {
    /// The publisher, licence and sources of an indicator's result: the catalog's publisher
    /// and licence, and the sources its figures come from. When the result names its
    /// sources (a column named like an input's source column, such as `sumber_id`), those
    /// are the ones cited, so five figures from four sources cite four, not every source
    /// of the inputs; otherwise every source the inputs' rows cite.
    pub fn describe_result(
        &self,
        result: &IndicatorResult,
    ) -> Result<TableDescription, PluginError> {
        let mut table = (*result.export_schema().table).clone();
        let inputs: Vec<String> = result
            .plugin
            .indicator_info()
            .map(|i| i.inputs.iter().map(|i| i.dataset.clone()).collect())
            .unwrap_or_default();
        self.store.read_blocking(|session| {
            table.publisher = session.setting("publisher")?.unwrap_or_default();
            table.licence = session
                .setting("licence")?
                .unwrap_or_else(|| "CC-BY-4.0".into());
            let mut source_columns = Vec::new();
            for dataset in &inputs {
                let meta = session.dataset(dataset)?;
                source_columns.extend(meta.source_column.clone());
                for source in crate::export::table_description(session, &meta)?.sources {
                    if !table.sources.iter().any(|s| s.id == source.id) {
                        table.sources.push(source);
                    }
                }
            }
            if let Some(cited) = cited_sources(result, &source_columns) {
                table.sources.retain(|source| cited.contains(&source.id));
            }
            Ok(())
        })?;
        Ok(table)
    }
}

/// The source ids a result's rows name, when it has a column named like one of its inputs'
/// source columns; `None` when it has none (then it cannot say which sources it used).
fn cited_sources(
    result: &IndicatorResult,
    source_columns: &[String],
) -> Option<std::collections::BTreeSet<String>> {
    let column = result
        .columns
        .iter()
        .position(|c| source_columns.contains(&c.name))?;
    Some(
        (0..result.batch.len())
            .filter_map(|row| match result.batch.cell(column, row) {
                crate::store::Cell::Text(id) => Some(id.to_string()),
                _ => None,
            })
            .collect(),
    )
}
