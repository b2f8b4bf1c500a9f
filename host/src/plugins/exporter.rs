//! A WebAssembly exporter behind the host's [`Exporter`] trait, so a plugin format streams
//! through the same bounded channel as CSV: one Store for the whole export, a fresh time
//! limit for every call, and every chunk checked against the output limit.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::Store;
use wasmtime::component::ResourceAny;

use super::bindings::exporter::Exporter as ExporterInstance;
use super::bindings::types as wit;
use super::registry::{Code, Plugin};
use super::sandbox::{Runtime, Sandbox};
use super::{PluginError, PluginHost, convert, fault};
use crate::export::{ColumnRole, ExportError, ExportSchema, Exporter};
use crate::store::{Batch, ColumnType};

pub struct WasmExporter {
    runtime: Arc<Runtime>,
    plugin: Arc<Plugin>,
    params: Vec<wit::Param>,
    store: Store<Sandbox>,
    running: Option<(ExporterInstance, ResourceAny)>,
    positions: Vec<usize>,
    started: Instant,
    recorded: bool,
}

fn wit_type(t: ColumnType) -> wit::ColumnType {
    match t {
        ColumnType::Integer => wit::ColumnType::Integer,
        ColumnType::Real => wit::ColumnType::Real,
        ColumnType::Text => wit::ColumnType::Text,
        ColumnType::Date => wit::ColumnType::Date,
        ColumnType::Boolean => wit::ColumnType::Boolean,
    }
}

fn wit_text(text: &crate::store::Bilingual) -> wit::Bilingual {
    wit::Bilingual {
        id: text.id.clone(),
        en: text.en.clone(),
    }
}

fn wit_schema(schema: &ExportSchema) -> Vec<wit::ColumnInfo> {
    schema
        .names
        .iter()
        .zip(&schema.types)
        .zip(&schema.columns)
        .map(|((name, t), c)| wit::ColumnInfo {
            name: name.clone(),
            type_: wit_type(*t),
            role: match c.role {
                ColumnRole::Dimension => wit::ColumnRole::Dimension,
                ColumnRole::Measure => wit::ColumnRole::Measure,
                ColumnRole::Attribute => wit::ColumnRole::Attribute,
            },
            title: wit_text(&c.title),
            description: wit_text(&c.description),
            unit: c.unit.clone(),
        })
        .collect()
}

fn wit_meta(schema: &ExportSchema) -> wit::DatasetMeta {
    let table = &schema.table;
    wit::DatasetMeta {
        id: table.id.clone(),
        kind: if table.indicator {
            wit::TableKind::Indicator
        } else {
            wit::TableKind::Dataset
        },
        title: wit_text(&table.title),
        description: wit_text(&table.description),
        publisher: table.publisher.clone(),
        licence: table.licence.clone(),
        sources: table
            .sources
            .iter()
            .map(|s| wit::Citation {
                id: s.id.clone(),
                publisher: s.publisher.clone(),
                title: s.title.clone(),
                url: s.url.clone(),
                date: s.date.clone(),
                licence: s.licence.clone(),
            })
            .collect(),
        revision: table.revision.max(0) as u64,
        url: table.url.clone(),
    }
}

impl PluginHost {
    /// An export through `plugin` with the request's parameters (checked here, so a bad one
    /// is a 400 before anything runs).
    pub fn open_exporter(
        &self,
        plugin: Arc<Plugin>,
        query: &[(String, String)],
    ) -> Result<WasmExporter, PluginError> {
        let Code::Exporter { info, .. } = &plugin.code else {
            return Err(PluginError::UnknownPlugin(plugin.id.clone()));
        };
        let params = convert::params(&info.parameters, query)?;
        Ok(WasmExporter {
            runtime: self.runtime.clone(),
            store: self.runtime.store(&plugin.id)?,
            plugin,
            params,
            running: None,
            positions: Vec::new(),
            started: Instant::now(),
            recorded: false,
        })
    }
}

impl WasmExporter {
    /// Keeps this export out of the plugin's call statistics (the host's own fit probe).
    pub(super) fn leave_out_of_statistics(&mut self) {
        self.recorded = true;
    }

    /// Most linear memory the plugin has held so far.
    pub fn peak_memory_bytes(&self) -> usize {
        self.store.data().memory.peak
    }

    fn fail(&mut self, err: PluginError) -> ExportError {
        if !self.recorded {
            self.recorded = true;
            self.plugin
                .stats
                .record(self.started.elapsed(), !err.is_plugin_fault());
        }
        ExportError::from(err)
    }

    fn trap(&mut self, err: wasmtime::Error) -> ExportError {
        let classified = fault::classify(&self.plugin.id, &self.runtime.limits, err, &self.store);
        self.fail(classified)
    }

    fn checked_chunk(
        &mut self,
        result: wasmtime::Result<Result<Vec<u8>, wit::PluginError>>,
        out: &mut Vec<u8>,
    ) -> Result<(), ExportError> {
        let chunk = match result {
            Ok(Ok(chunk)) => chunk,
            Ok(Err(declined)) => {
                let err = convert::declined(&self.plugin.id, declined);
                return Err(self.fail(err));
            }
            Err(trap) => return Err(self.trap(trap)),
        };
        if chunk.len() > self.runtime.limits.output_bytes {
            let err = PluginError::OutputLimit {
                plugin: self.plugin.id.clone(),
                limit_bytes: self.runtime.limits.output_bytes,
            };
            return Err(self.fail(err));
        }
        out.extend_from_slice(&chunk);
        Ok(())
    }
}

impl Exporter for WasmExporter {
    fn begin(&mut self, schema: &ExportSchema, _out: &mut Vec<u8>) -> Result<(), ExportError> {
        let Code::Exporter { pre, .. } = &self.plugin.code else {
            return Err(ExportError::from(PluginError::UnknownPlugin(
                self.plugin.id.clone(),
            )));
        };
        self.started = Instant::now();
        self.positions = schema.positions.clone();
        let instance = match pre.instantiate(&mut self.store) {
            Ok(instance) => instance,
            Err(e) => return Err(self.trap(e)),
        };
        self.runtime.arm(&mut self.store);
        let writer = instance
            .logam_plugin_exporter_plugin()
            .writer()
            .call_constructor(
                &mut self.store,
                &wit_schema(schema),
                &wit_meta(schema),
                &self.params,
            );
        self.runtime.disarm(&mut self.store);
        match writer {
            Ok(writer) => {
                self.running = Some((instance, writer));
                Ok(())
            }
            Err(e) => Err(self.trap(e)),
        }
    }

    fn write(&mut self, batch: &Batch, out: &mut Vec<u8>) -> Result<(), ExportError> {
        let Some((instance, writer)) = &self.running else {
            return Ok(());
        };
        let data = convert::batch_to_wit(batch, &self.positions);
        self.runtime.arm(&mut self.store);
        let result = instance.logam_plugin_exporter_plugin().writer().call_write(
            &mut self.store,
            *writer,
            &data,
        );
        self.runtime.disarm(&mut self.store);
        self.checked_chunk(result, out)
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), ExportError> {
        let Some((instance, writer)) = self.running.take() else {
            return Ok(());
        };
        self.runtime.arm(&mut self.store);
        let result = instance
            .logam_plugin_exporter_plugin()
            .writer()
            .call_finish(&mut self.store, writer);
        self.runtime.disarm(&mut self.store);
        self.checked_chunk(result, out)?;
        let _ = writer.resource_drop(&mut self.store);
        if !self.recorded {
            self.recorded = true;
            self.plugin.stats.record(self.started.elapsed(), true);
        }
        Ok(())
    }

    fn wants_table(&self) -> bool {
        true
    }
}
