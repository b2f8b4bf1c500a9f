//! Sandboxed WebAssembly plugins: indicators computed from the datasets.
//!
//! Architecture invariant: only this room knows wasmtime. The rest of the host sees
//! [`PluginHost`], plain Rust manifests, and results as store [`Batch`]es, so the API serves a
//! plugin's table through the same exporters as a dataset's rows.

mod bindings;
mod convert;
mod sandbox;

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use thiserror::Error;
use wasmtime::component::ResourceAny;

pub use convert::indicator_info_json;
pub use sandbox::Limits;

use crate::store::{Batch, ColumnType, RowRequest, Store, StoreError};
use bindings::indicator::IndicatorPre;
use bindings::indicator::exports::logam::plugin::indicator_plugin as wit;
use sandbox::{Runtime, Sandbox};

include!(concat!(env!("OUT_DIR"), "/bundled_plugins.rs"));

#[derive(Debug, Error)]
pub enum PluginError {
    #[error("the plugin engine failed: {0}")]
    Engine(String),
    #[error("plugin `{plugin}` was refused: {reason}")]
    Refused { plugin: String, reason: String },
    #[error("there is no indicator `{0}`")]
    UnknownIndicator(String),
    #[error("`{parameter}`: {reason}")]
    InvalidParameter { parameter: String, reason: String },
    #[error("plugin `{plugin}` ran past its time limit of {limit_ms} ms")]
    Timeout { plugin: String, limit_ms: u128 },
    #[error("plugin `{plugin}` needed more memory than its limit of {limit_bytes} bytes")]
    MemoryLimit { plugin: String, limit_bytes: usize },
    #[error("plugin `{plugin}` returned more than its limit of {limit_bytes} bytes")]
    OutputLimit { plugin: String, limit_bytes: usize },
    #[error("plugin `{plugin}` crashed: {message}")]
    Crashed { plugin: String, message: String },
    /// The plugin itself declined, with its own reason (the WIT `plugin-error`).
    #[error("plugin `{plugin}`: {message}")]
    Declined {
        plugin: String,
        kind: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PluginError {
    fn engine(err: impl std::fmt::Display) -> Self {
        PluginError::Engine(err.to_string())
    }
}

/// An indicator ready to run: its manifest, and the compiled component pre-linked.
pub struct IndicatorPlugin {
    pub name: String,
    pub sha256: String,
    pub info: wit::IndicatorInfo,
    pre: IndicatorPre<Sandbox>,
}

/// The result of one run: a table, and the newest revision of the data it read.
pub struct IndicatorResult {
    pub plugin: Arc<IndicatorPlugin>,
    pub columns: Vec<ResultColumn>,
    pub batch: Batch,
    pub revision: i64,
}

/// One column of a result table, in the host's terms.
#[derive(Debug, Clone)]
pub struct ResultColumn {
    pub name: String,
    pub column_type: ColumnType,
    pub role: &'static str,
    pub title: crate::store::Bilingual,
    pub description: crate::store::Bilingual,
    pub unit: Option<String>,
}

pub struct PluginHost {
    runtime: Runtime,
    indicators: HashMap<String, Arc<IndicatorPlugin>>,
}

impl PluginHost {
    /// Starts the engine and installs the plugins bundled in the binary.
    pub fn with_bundled(limits: Limits) -> Result<Self, PluginError> {
        let runtime = Runtime::new(limits)?;
        let mut host = PluginHost {
            runtime,
            indicators: HashMap::new(),
        };
        for (name, bytes) in BUNDLED {
            host.install(name, bytes)?;
        }
        Ok(host)
    }

    /// Compiles, checks and describes a component, and registers it if it is an indicator.
    /// Exporter components are recognised and skipped until the exporter runtime lands.
    fn install(&mut self, name: &str, bytes: &[u8]) -> Result<(), PluginError> {
        let component = self.runtime.compile(name, bytes)?;
        let instance_pre = self
            .runtime
            .linker
            .instantiate_pre(&component)
            .map_err(|e| PluginError::Refused {
                plugin: name.to_string(),
                reason: format!("{e:#}"),
            })?;
        let Ok(pre) = IndicatorPre::new(instance_pre) else {
            return Ok(()); // not an indicator (an exporter): served natively for now
        };
        let mut store = self.runtime.store();
        let instance = pre
            .instantiate(&mut store)
            .map_err(|e| self.fault(name, e, &store))?;
        let info = instance
            .logam_plugin_indicator_plugin()
            .call_describe(&mut store)
            .map_err(|e| self.fault(name, e, &store))?;
        let sha256 = format!("{:x}", Sha256::digest(bytes));
        self.indicators.insert(
            info.id.clone(),
            Arc::new(IndicatorPlugin {
                name: name.to_string(),
                sha256,
                info,
                pre,
            }),
        );
        Ok(())
    }

    pub fn indicators(&self) -> Vec<Arc<IndicatorPlugin>> {
        let mut all: Vec<_> = self.indicators.values().cloned().collect();
        all.sort_by(|a, b| a.info.id.cmp(&b.info.id));
        all
    }

    pub fn indicator(&self, id: &str) -> Result<Arc<IndicatorPlugin>, PluginError> {
        self.indicators
            .get(id)
            .cloned()
            .ok_or_else(|| PluginError::UnknownIndicator(id.chars().take(100).collect()))
    }

    /// Turns a trap or host error into the limit it hit, or a crash with the plugin's own
    /// last words (its panic message on stderr).
    fn fault(
        &self,
        plugin: &str,
        err: wasmtime::Error,
        store: &wasmtime::Store<Sandbox>,
    ) -> PluginError {
        if let Some(trap) = err.downcast_ref::<wasmtime::Trap>()
            && *trap == wasmtime::Trap::Interrupt
        {
            return PluginError::Timeout {
                plugin: plugin.to_string(),
                limit_ms: self.runtime.limits.wall_time.as_millis(),
            };
        }
        let text = format!("{err:#}");
        let stderr = String::from_utf8_lossy(&store.data().stderr.contents()).into_owned();
        if text.contains("grow") && text.contains("memory")
            || stderr.contains("memory allocation of")
        {
            return PluginError::MemoryLimit {
                plugin: plugin.to_string(),
                limit_bytes: self.runtime.limits.memory_bytes,
            };
        }
        let last_words = stderr.trim();
        PluginError::Crashed {
            plugin: plugin.to_string(),
            message: if last_words.is_empty() {
                text
            } else {
                format!("{last_words} ({text})")
            },
        }
    }

    /// Runs an indicator: reads its declared inputs from one snapshot each, pushes them batch
    /// by batch, and returns its observations. Blocking; call from a blocking thread.
    pub fn run_indicator(
        &self,
        store: &Store,
        id: &str,
        query: &[(String, String)],
    ) -> Result<IndicatorResult, PluginError> {
        let plugin = self.indicator(id)?;
        let name = plugin.info.id.clone();
        let params = convert::params(&plugin.info.parameters, query)?;
        let mut wstore = self.runtime.store();
        let instance = plugin
            .pre
            .instantiate(&mut wstore)
            .map_err(|e| self.fault(&name, e, &wstore))?;
        let guest = instance.logam_plugin_indicator_plugin();
        let accumulator: ResourceAny = guest
            .accumulator()
            .call_constructor(&mut wstore, &params)
            .map_err(|e| self.fault(&name, e, &wstore))?;

        let mut revision = 0;
        for (index, input) in plugin.info.inputs.iter().enumerate() {
            let request = RowRequest {
                columns: Some(input.columns.clone()),
                ..RowRequest::default()
            };
            let mut failure: Option<PluginError> = None;
            store.read_blocking(|session| {
                let state = session.state(&input.dataset)?;
                revision = revision.max(state.revision);
                let meta = session.meta(&input.dataset, state)?;
                let plan = crate::store::ReadPlan::new(meta, &request)?;
                session.scan(&plan, 1024, |batch| {
                    let data = convert::batch_to_wit(batch, &plan.output);
                    match guest.accumulator().call_push(
                        &mut wstore,
                        accumulator,
                        index as u32,
                        &data,
                    ) {
                        Ok(Ok(())) => ControlFlow::Continue(()),
                        Ok(Err(declined)) => {
                            failure = Some(convert::declined(&name, declined));
                            ControlFlow::Break(())
                        }
                        Err(trap) => {
                            failure = Some(self.fault(&name, trap, &wstore));
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
        let observations = guest
            .accumulator()
            .call_finish(&mut wstore, accumulator)
            .map_err(|e| self.fault(&name, e, &wstore))?
            .map_err(|declined| convert::declined(&name, declined))?;
        let _ = accumulator.resource_drop(&mut wstore);
        let (columns, batch) =
            convert::observations(&name, observations, self.runtime.limits.output_bytes)?;
        Ok(IndicatorResult {
            plugin,
            columns,
            batch,
            revision,
        })
    }
}
