//! Sandboxed WebAssembly plugins: indicators computed from the datasets, and export formats.
//!
//! Architecture invariant: only this room knows wasmtime. The rest of the host sees
//! [`PluginHost`], [`Plugin`] manifests, indicator results as store [`Batch`]es and exporters
//! as [`crate::export::Exporter`]s, so the API serves a plugin's table and a plugin's format
//! the same way as native ones.
//!
//! Installing is: compile (or load this host's cached artifact) → check the world and the
//! imports → describe under the limits → check the manifest against the catalog → record it
//! in the store → build a new [`Registry`] snapshot and swap it in. Any refusal happens before
//! the record, so a refused component changes nothing.

mod artifacts;
mod bindings;
mod check;
mod compiler;
mod convert;
mod engine;
mod error;
mod exporter;
mod fault;
mod fit;
mod indicator;
mod install;
mod manifest;
mod metadata;
mod precheck;
mod registry;
mod sandbox;
mod slots;
mod versions;
mod wasi;
pub mod watch;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use sha2::{Digest, Sha256};

pub use artifacts::default_dir as default_cache_dir;
/// Bilingual text as a plugin's manifest carries it.
pub use check::CheckReport;
pub use compiler::{CompileBudget, Compiler, run_worker as run_compile_worker};
pub use error::PluginError;
pub use exporter::WasmExporter;
pub use indicator::{IndicatorOutcome, IndicatorResult, ResultColumn};
pub use manifest::{ExporterManifest, IndicatorManifest, Value as ParameterValue};
pub use metadata::Metadata;
pub use precheck::CodeLimits;
pub use registry::{Plugin, Registry, Source, StatsSnapshot};
pub use sandbox::Limits;
pub use slots::MAX_CONCURRENCY;
pub use versions::Replacement;

use crate::store::{AuditRow, PendingLimit, PluginInstall, Store};
use registry::Stats;
use sandbox::Runtime;

include!(concat!(env!("OUT_DIR"), "/bundled_plugins.rs"));

/// How the plugin runtime is set up.
#[derive(Debug, Clone, Default)]
pub struct PluginConfig {
    pub limits: Limits,
    /// Code limits checked before compiling.
    pub code_limits: CodeLimits,
    /// What one contributor may have waiting for review.
    pub submission_quota: PendingLimit,
    /// Where compiled components are cached; `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// Where Cranelift runs, and under what budget.
    pub compiler: Compiler,
}

/// The result of an install.
pub struct Installed {
    pub plugin: Arc<Plugin>,
    /// False when this exact component was already the plugin's current version.
    pub changed: bool,
}

pub struct PluginHost {
    runtime: Arc<Runtime>,
    store: Store,
    registry: ArcSwap<Registry>,
    bundled: BTreeMap<String, Arc<Plugin>>,
    /// The current installs' compiled plugins by their store row, so a rebuild never
    /// compiles twice; a version that stops being current leaves it at the next rebuild.
    loaded: Mutex<HashMap<i64, Arc<Plugin>>>,
    /// Call statistics by component sha256, kept across disable, enable and rollback.
    stats: Mutex<HashMap<String, Arc<Stats>>>,
    /// Serialises installs and status changes; reads never wait for it.
    changes: Mutex<()>,
    results: indicator::ResultCache,
    submission_quota: PendingLimit,
    /// Counts registry snapshots: every install, upgrade, rollback, enable and disable
    /// changes it, so the edge cache never serves an answer a plugin computed before.
    generation: std::sync::atomic::AtomicU64,
    /// Which exporters fit which tables (see `fit.rs`).
    fits: fit::FitMemo,
}

impl PluginHost {
    /// Starts the engine, installs the plugins bundled in the binary, then the ones the store
    /// remembers (which take precedence over a bundled plugin of the same id).
    pub fn start(store: Store, config: PluginConfig) -> Result<Arc<Self>, PluginError> {
        let runtime = Arc::new(Runtime::new(
            config.limits,
            config.code_limits,
            config.compiler,
            config.cache_dir.as_deref(),
        )?);
        let mut host = PluginHost {
            runtime,
            store,
            registry: ArcSwap::from_pointee(Registry::default()),
            bundled: BTreeMap::new(),
            loaded: Mutex::new(HashMap::new()),
            stats: Mutex::new(HashMap::new()),
            changes: Mutex::new(()),
            results: indicator::ResultCache::default(),
            submission_quota: config.submission_quota,
            generation: std::sync::atomic::AtomicU64::new(0),
            fits: fit::FitMemo::default(),
        };
        for (name, bytes) in BUNDLED {
            let plugin = host.prepare(name, bytes, Source::Bundled, None, None)?;
            host.bundled.insert(plugin.id.clone(), Arc::new(plugin));
        }
        host.rebuild()?;
        Ok(Arc::new(host))
    }

    pub fn limits(&self) -> &Limits {
        &self.runtime.limits
    }

    pub fn submission_quota(&self) -> PendingLimit {
        self.submission_quota
    }

    /// Which registry snapshot is current (see the field).
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The current snapshot of installed plugins.
    pub fn registry(&self) -> Arc<Registry> {
        self.registry.load_full()
    }

    /// Every installed plugin, enabled or not, by id.
    pub fn plugins(&self) -> Vec<Arc<Plugin>> {
        self.registry().plugins.values().cloned().collect()
    }

    /// Enabled indicators, by id.
    pub fn indicators(&self) -> Vec<Arc<Plugin>> {
        self.registry()
            .plugins
            .values()
            .filter(|p| p.enabled && p.indicator_info().is_some())
            .cloned()
            .collect()
    }

    /// Enabled exporters, by id.
    pub fn exporters(&self) -> Vec<Arc<Plugin>> {
        self.registry()
            .plugins
            .values()
            .filter(|p| p.enabled && p.exporter_info().is_some())
            .cloned()
            .collect()
    }

    pub fn indicator(&self, id: &str) -> Result<Arc<Plugin>, PluginError> {
        let registry = self.registry();
        match registry.get(id) {
            Some(p) if p.indicator_info().is_some() && p.enabled => Ok(p.clone()),
            Some(p) if p.indicator_info().is_some() => Err(PluginError::Disabled {
                plugin: p.id.clone(),
            }),
            _ => Err(PluginError::UnknownIndicator(
                id.chars().take(100).collect(),
            )),
        }
    }

    /// The plugin exporter for `.{extension}`, if one is installed (enabled or not).
    pub fn exporter(&self, extension: &str) -> Option<Result<Arc<Plugin>, PluginError>> {
        let registry = self.registry();
        let plugin = registry.exporter_for(extension)?;
        Some(if plugin.enabled {
            Ok(plugin.clone())
        } else {
            Err(PluginError::Disabled {
                plugin: plugin.id.clone(),
            })
        })
    }

    pub fn plugin(&self, id: &str) -> Result<Arc<Plugin>, PluginError> {
        self.registry()
            .get(id)
            .cloned()
            .ok_or_else(|| PluginError::UnknownPlugin(id.chars().take(100).collect()))
    }

    /// Instantiates a plugin in a fresh sandbox and calls its `describe()`: the fixed cost of
    /// every call, which the benchmark measures. Blocking.
    pub fn probe(&self, id: &str) -> Result<(), PluginError> {
        let plugin = self.plugin(id)?;
        let mut store = self.runtime.store(&plugin.id)?;
        let limits = &self.runtime.limits;
        match &plugin.code {
            registry::Code::Indicator { pre, .. } => pre
                .instantiate(&mut store)
                .and_then(|i| i.logam_plugin_indicator_plugin().call_describe(&mut store))
                .map(|_| ())
                .map_err(|e| fault::classify(id, limits, e, &store)),
            registry::Code::Exporter { pre, .. } => pre
                .instantiate(&mut store)
                .and_then(|i| i.logam_plugin_exporter_plugin().call_describe(&mut store))
                .map(|_| ())
                .map_err(|e| fault::classify(id, limits, e, &store)),
        }
    }

    /// Forgets every cached indicator result (so a benchmark measures real runs).
    pub fn clear_result_cache(&self) {
        self.results.clear();
    }

    /// Whether the binary carries a version of this plugin (a rollback's last stop).
    pub fn has_bundled(&self, id: &str) -> bool {
        self.bundled.contains_key(id)
    }

    /// Every recorded install of a plugin, newest first.
    pub fn history(&self, id: &str) -> Result<Vec<PluginInstall>, PluginError> {
        Ok(self.store.plugin_history(id)?)
    }

    fn stats_for(&self, sha256: &str) -> Arc<Stats> {
        let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        stats.entry(sha256.to_string()).or_default().clone()
    }

    /// Installs a component as the new current version of the plugin it describes. Refused
    /// components change nothing. `audit` describes the install for the audit log (the
    /// plugin, and whether it changed anything); its row is written in the install's own
    /// transaction. `approves` names the submission this install approves, decided in that
    /// same transaction.
    pub fn install(
        &self,
        name: &str,
        bytes: &[u8],
        source: Source,
        installed_by: &str,
        approves: Option<i64>,
        audit: &dyn Fn(&Plugin, bool) -> AuditRow,
    ) -> Result<Installed, PluginError> {
        self.install_checked(name, bytes, source, installed_by, approves, None, audit)
    }

    /// Installs the component of submission `submission` (see [`PluginHost::install`]). If
    /// it would take over an installed plugin (a bundled one, or one the office installed),
    /// the admin must confirm by naming that plugin's id in `confirmed_replace`.
    pub fn approve_submission(
        &self,
        name: &str,
        bytes: &[u8],
        installed_by: &str,
        submission: i64,
        confirmed_replace: Option<&str>,
        audit: &dyn Fn(&Plugin, bool) -> AuditRow,
    ) -> Result<Installed, PluginError> {
        self.install_checked(
            name,
            bytes,
            Source::Admin,
            installed_by,
            Some(submission),
            Some(confirmed_replace),
            audit,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn install_checked(
        &self,
        name: &str,
        bytes: &[u8],
        source: Source,
        installed_by: &str,
        approves: Option<i64>,
        confirmation: Option<Option<&str>>,
        audit: &dyn Fn(&Plugin, bool) -> AuditRow,
    ) -> Result<Installed, PluginError> {
        let _change = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let registry = self.registry();
        let plugin = self.prepare(name, bytes, source.clone(), None, Some(&registry))?;
        if let Some(confirmed) = confirmation
            && let Some(replacement) = self.replacement(&plugin, &registry)
            && confirmed != Some(plugin.id.as_str())
        {
            return Err(PluginError::Refused {
                plugin: plugin.id.clone(),
                code: "replacement_not_confirmed",
                reason: format!(
                    "{}: approve again with ?replace={} to confirm",
                    replacement.message, plugin.id
                ),
            });
        }
        if let Some(current) = registry.get(&plugin.id)
            && current.sha256 == plugin.sha256
            && current.source == source
        {
            let row = audit(current, false);
            match approves {
                Some(submission) => {
                    self.store
                        .decide_submission(submission, "approved", None, &row)?;
                }
                None => self.store.audit(&row)?,
            }
            return Ok(Installed {
                plugin: current.clone(),
                changed: false,
            });
        }
        self.check_version(&plugin, &registry)?;
        let manifest = plugin.manifest_json();
        let row = self.store.record_plugin_install(
            &crate::store::NewInstall {
                plugin_id: &plugin.id,
                kind: plugin.kind(),
                version: &plugin.version,
                sha256: &plugin.sha256,
                component: bytes,
                manifest: &manifest.to_string(),
                source: &source.as_stored(),
                installed_by,
                approves,
            },
            &audit(&plugin, true),
        )?;
        if let Source::Folder(_) = &source {
            // A replaced file now holds another plugin: what it held before goes.
            let removed = audit(&plugin, true).actor;
            self.store
                .retire_plugin_source(&source.as_stored(), Some(&plugin.id), &|id| {
                    removed.audit(
                        "plugin.remove",
                        id,
                        serde_json::json!({ "source": source.as_stored(), "replaced_by": plugin.id }),
                    )
                })?;
        }
        let plugin = Arc::new(Plugin {
            seq: Some(row.seq),
            installed_at: Some(row.installed_at),
            ..plugin
        });
        self.loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(row.seq, plugin.clone());
        self.rebuild()?;
        tracing::info!(plugin = %plugin.id, version = %plugin.version, sha256 = %plugin.sha256, source = %source.as_stored(), "plugin installed");
        Ok(Installed {
            plugin: self.plugin(&plugin.id)?,
            changed: true,
        })
    }

    /// Disables or enables a plugin (every version of it); `audit`'s row is written with the
    /// change.
    pub fn set_enabled(
        &self,
        id: &str,
        enabled: bool,
        audit: &dyn Fn(&Plugin) -> AuditRow,
    ) -> Result<Arc<Plugin>, PluginError> {
        let _change = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let plugin = self.plugin(id)?;
        self.store
            .set_plugin_enabled(&plugin.id, enabled, &audit(&plugin))?;
        self.rebuild()?;
        tracing::info!(plugin = %plugin.id, enabled, "plugin status changed");
        self.plugin(id)
    }

    /// Makes the version installed before the current one current again (a bundled plugin's
    /// built-in version counts as the first). `audit` is given the (version, sha256) that
    /// becomes current, and its row is written with the change.
    pub fn rollback(
        &self,
        id: &str,
        audit: &dyn Fn(&str, &str) -> AuditRow,
    ) -> Result<Arc<Plugin>, PluginError> {
        let _change = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let plugin = self.plugin(id)?;
        let live: Vec<PluginInstall> = self
            .store
            .plugin_history(&plugin.id)?
            .into_iter()
            .filter(|i| !i.retired)
            .collect();
        let next = match (live.get(1), self.bundled.get(&plugin.id)) {
            (Some(earlier), _) if !live.is_empty() => {
                (earlier.version.clone(), earlier.sha256.clone())
            }
            (None, Some(bundled)) if live.len() == 1 => {
                (bundled.version.clone(), bundled.sha256.clone())
            }
            _ => {
                return Err(PluginError::NothingToRollBack {
                    plugin: plugin.id.clone(),
                });
            }
        };
        self.store
            .retire_current_plugin(&plugin.id, &audit(&next.0, &next.1))?;
        self.rebuild()?;
        let now = self.plugin(id)?;
        tracing::info!(plugin = %now.id, version = %now.version, sha256 = %now.sha256, "plugin rolled back");
        Ok(now)
    }

    /// Retires what a plugins-folder file installed (the file was deleted); `audit` makes the
    /// row for each plugin retired.
    pub fn remove_source(
        &self,
        source: &Source,
        audit: &dyn Fn(&str) -> AuditRow,
    ) -> Result<Vec<String>, PluginError> {
        let _change = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let ids = self
            .store
            .retire_plugin_source(&source.as_stored(), None, audit)?;
        self.rebuild()?;
        for id in &ids {
            tracing::info!(plugin = %id, source = %source.as_stored(), "plugin removed");
        }
        Ok(ids)
    }

    /// Builds the registry from the bundled plugins, the store's current installs and the
    /// disabled list, and swaps it in. An install that no longer loads (say a host upgrade
    /// now refuses it) is logged and skipped; the bundled version, if any, stays.
    fn rebuild(&self) -> Result<(), PluginError> {
        let mut plugins = self.bundled.clone();
        let current = self.store.current_plugin_installs()?;
        for install in &current {
            match self.load_install(install) {
                Ok(plugin) => {
                    plugins.insert(plugin.id.clone(), plugin);
                }
                Err(e) => {
                    tracing::error!(plugin = %install.plugin_id, seq = install.seq, error = %e, "an installed plugin no longer loads")
                }
            }
        }
        for id in self.store.disabled_plugins()? {
            if let Some(plugin) = plugins.get_mut(&id) {
                *plugin = Arc::new(Plugin {
                    enabled: false,
                    ..(**plugin).clone()
                });
            }
        }
        let registry = Arc::new(Registry { plugins });
        self.registry.store(registry.clone());
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::Release);
        // A version that is no longer current is released here: its compiled code, its
        // pre-linked instance and its pooled memory slots go when the last request holding
        // it finishes. Nothing else keeps it (a rollback loads it again from the store and
        // the compiled-artifact cache, in milliseconds).
        self.loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|seq, _| current.iter().any(|install| install.seq == *seq));
        self.results.retain_current(&registry);
        Ok(())
    }

    fn load_install(&self, install: &PluginInstall) -> Result<Arc<Plugin>, PluginError> {
        if let Some(plugin) = self
            .loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&install.seq)
        {
            return Ok(plugin.clone());
        }
        let bytes = self.store.plugin_component(install.seq)?;
        let plugin = Arc::new(self.prepare(
            &install.plugin_id,
            &bytes,
            Source::from_stored(&install.source),
            Some(install),
            None,
        )?);
        self.loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(install.seq, plugin.clone());
        Ok(plugin)
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}
