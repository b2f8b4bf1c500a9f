//! The engine and the per-call sandbox: what a plugin may touch (nothing), and the limits it
//! runs under.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::random::Deterministic;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use super::PluginError;
use super::artifacts::ArtifactCache;
use super::compiler::{Compiler, compile_in_child};
use super::engine::engine_config;
use super::precheck::{CodeLimits, EXPORTER_EXPORT, INDICATOR_EXPORT};
use super::slots::{Slot, Slots};
use super::wasi::{CappedRandom, NeverWaitClock};

/// Per-call limits. Every overrun is a typed error naming the plugin and the limit.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Limits {
    /// Wall time of one call (describe, push, finish, write), enforced by epoch interruption.
    #[serde(rename = "time_ms", serialize_with = "as_millis")]
    pub wall_time: Duration,
    /// Wall time all the calls of one request (an indicator's constructor, pushes and finish;
    /// an export's writes) may spend in the plugin together.
    #[serde(rename = "request_time_ms", serialize_with = "as_millis")]
    pub request_time: Duration,
    /// Bytes of linear memory over all of an instance's memories together.
    pub memory_bytes: usize,
    /// Bytes one call may return (an indicator's observations, or one exporter chunk).
    pub output_bytes: usize,
    /// WebAssembly instructions' fuel per call, when fuel metering is on.
    pub fuel: Option<u64>,
    /// Instances running at once over all plugins, and of one plugin.
    pub concurrency: usize,
    pub concurrency_per_plugin: usize,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            wall_time: Duration::from_secs(2),
            request_time: Duration::from_secs(10),
            memory_bytes: 64 << 20,
            output_bytes: 16 << 20,
            fuel: None,
            concurrency: 24,
            concurrency_per_plugin: 8,
        }
    }
}

/// How often the epoch advances; the wall-time limit is counted in these.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Most bytes a plugin's stderr (its panic message) keeps.
const STDERR_BYTES: usize = 4096;
/// Linear memories, tables and instances one component instance may create. Components built
/// by wit-bindgen use one or two of each; the bound keeps a hostile one from exhausting the
/// pool.
const MAX_MEMORIES: usize = 8;
const MAX_TABLES: usize = 16;
const MAX_INSTANCES: usize = 16;
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// Counts linear memory over every memory of one Store, since wasmtime's own per-memory
/// limit would let a component with several memories take several times the budget. Also
/// remembers the peak for `logam plugin check`.
pub struct MemoryBudget {
    limit: usize,
    used: usize,
    pub peak: usize,
    pub exceeded: bool,
}

impl ResourceLimiter for MemoryBudget {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.used.saturating_add(desired.saturating_sub(current));
        if total > self.limit {
            self.exceeded = true;
            return Err(wasmtime::Error::msg(format!(
                "memory limit: {total} bytes asked, {} allowed",
                self.limit
            )));
        }
        self.used = total;
        self.peak = self.peak.max(total);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }
    fn tables(&self) -> usize {
        MAX_TABLES
    }
    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

/// A wall clock stopped at the Unix epoch: plugins may ask the time, and always get the same
/// answer, so a result depends only on its inputs.
struct StoppedWallClock;

impl HostWallClock for StoppedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

/// A monotonic clock that never moves. A plugin that sleeps waits until its time limit.
struct StoppedMonotonicClock;

impl HostMonotonicClock for StoppedMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// What a Store holds: a WASI context that grants nothing (no files, network, environment,
/// arguments or inherited stdio; stopped clocks and a fixed random stream; stderr into a
/// small buffer) and the memory budget.
pub struct Sandbox {
    wasi: WasiCtx,
    table: ResourceTable,
    pub memory: MemoryBudget,
    pub stderr: MemoryOutputPipe,
    /// The length of a random-bytes list refused for its size (see [`super::wasi`]).
    pub random_refused: Option<u64>,
    pub budget: TimeBudget,
    /// This instance's place among those running (given back with the Store).
    _slot: Slot,
}

/// Which limit the current call's epoch deadline stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Armed {
    /// The per-call limit ([`Limits::wall_time`]).
    Call,
    /// What was left of the per-request budget ([`Limits::request_time`]).
    Request,
}

/// The time every call of one request (or one export) may spend in the plugin together.
pub struct TimeBudget {
    remaining: Duration,
    started: Option<Instant>,
    pub armed: Armed,
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

pub struct Runtime {
    pub engine: Engine,
    pub linker: Linker<Sandbox>,
    pub limits: Limits,
    pub code_limits: CodeLimits,
    artifacts: Option<ArtifactCache>,
    compiler: Compiler,
    slots: Arc<Slots>,
    stop_ticker: Arc<AtomicBool>,
}

impl Runtime {
    pub fn new(
        limits: Limits,
        code_limits: CodeLimits,
        compiler: Compiler,
        cache_dir: Option<&std::path::Path>,
    ) -> Result<Self, PluginError> {
        let engine = Engine::new(&engine_config(
            limits.fuel.is_some(),
            Some(limits.memory_bytes),
        ))
        .map_err(PluginError::engine)?;
        let mut linker: Linker<Sandbox> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(PluginError::engine)?;
        super::wasi::shadow(
            &mut linker,
            |s| NeverWaitClock::new(&mut s.table),
            |s| CappedRandom::new(s.wasi.random(), &mut s.random_refused),
        )
        .map_err(PluginError::engine)?;

        let stop_ticker = Arc::new(AtomicBool::new(false));
        {
            let engine = engine.clone();
            let stop = stop_ticker.clone();
            std::thread::Builder::new()
                .name("logam-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(|e| PluginError::Engine(e.to_string()))?;
        }
        let artifacts = cache_dir.and_then(|dir| match ArtifactCache::open(dir, &engine) {
            Ok(cache) => Some(cache),
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "no compiled-plugin cache");
                None
            }
        });
        Ok(Runtime {
            engine,
            linker,
            limits,
            code_limits,
            artifacts,
            compiler,
            slots: Slots::new(limits.concurrency, limits.concurrency_per_plugin),
            stop_ticker,
        })
    }

    /// Checks a component's world, imports and code limits from its bytes, then compiles it
    /// (or loads the artifact this host compiled before). Nothing is cached here: the caller
    /// calls [`Runtime::remember`] once the whole install has been accepted, so a refused
    /// component never leaves an artifact behind. Returns whether it is an indicator.
    pub fn compile(
        &self,
        name: &str,
        bytes: &[u8],
        sha256: &str,
    ) -> Result<(Component, bool), PluginError> {
        let refuse = |code: &'static str, reason: String| PluginError::Refused {
            plugin: name.to_string(),
            code,
            reason,
        };
        // Cheap checks first: compiling is the expensive part and untrusted bytes should not
        // get that far when they are plainly not a component.
        if !bytes.starts_with(b"\0asm") {
            return Err(refuse(
                "plugin_not_a_component",
                "the file is not WebAssembly (it does not start with \\0asm)".into(),
            ));
        }
        if bytes.get(4..8) == Some(&[1, 0, 0, 0]) {
            return Err(refuse(
                "plugin_not_a_component",
                "this is a core WebAssembly module, not a component: build for wasm32-wasip2 \
                 (or wrap it with `wasm-tools component new`)"
                    .into(),
            ));
        }
        let is_indicator = super::precheck::check(name, bytes, &self.code_limits)?;
        let cached = self
            .artifacts
            .as_ref()
            .and_then(|cache| cache.load(&self.engine, sha256));
        let component = match (cached, &self.compiler) {
            (Some(component), _) => component,
            (None, Compiler::InProcess) => Component::new(&self.engine, bytes).map_err(|e| {
                refuse(
                    "plugin_not_a_component",
                    format!("not a valid component: {e:#}"),
                )
            })?,
            (None, Compiler::Child { exe, budget }) => {
                let artifact =
                    compile_in_child(exe, *budget, self.limits.fuel.is_some(), name, bytes)?;
                // SAFETY: the artifact was just written by `logam plugin compile-worker`, this
                // same executable, with `engine_config` of the same settings; wasmtime checks
                // the settings recorded in it against this engine's before loading it.
                unsafe { Component::deserialize(&self.engine, &artifact) }.map_err(|e| {
                    PluginError::Engine(format!("loading the compiled plugin: {e:#}"))
                })?
            }
        };
        // The same checks on what wasmtime compiled, in case the reading above and
        // wasmtime's ever disagree.
        let ty = component.component_type();
        let exports_world = ty
            .exports(&self.engine)
            .any(|(name, _)| name == INDICATOR_EXPORT || name == EXPORTER_EXPORT);
        if !exports_world {
            return Err(refuse(
                "plugin_wrong_world",
                format!(
                    "it does not export `{INDICATOR_EXPORT}` (world `indicator`) or \
                     `{EXPORTER_EXPORT}` (world `exporter`)"
                ),
            ));
        }
        for (import, _) in ty.imports(&self.engine) {
            if !super::precheck::granted(import) {
                return Err(refuse(
                    "plugin_forbidden_import",
                    format!("it imports `{import}`, which plugins are not granted"),
                ));
            }
        }
        Ok((component, is_indicator))
    }

    /// Caches the compiled form of an accepted component (a no-op without a cache folder, or
    /// when it is already there).
    pub fn remember(&self, sha256: &str, component: &Component) {
        if let Some(cache) = &self.artifacts {
            cache.store(sha256, component);
        }
    }

    /// A fresh Store for one call (or one request, or one export) of `plugin`, with the
    /// memory budget and fuel set, holding one of the plugin's instance slots; `Busy` when
    /// none is free. Call [`Runtime::arm`] before each call into the guest to start its time
    /// limit.
    pub fn store(&self, plugin: &str) -> Result<Store<Sandbox>, PluginError> {
        let slot = self.slots.take(plugin)?;
        let stderr = MemoryOutputPipe::new(STDERR_BYTES);
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .wall_clock(StoppedWallClock)
            .monotonic_clock(StoppedMonotonicClock)
            .secure_random(Deterministic::new(vec![0x6c, 0x6f, 0x67, 0x61, 0x6d]))
            .insecure_random(Deterministic::new(vec![0x6c, 0x6f, 0x67, 0x61, 0x6d]))
            .insecure_random_seed(0x6c6f_6761_6d00)
            .build();
        let sandbox = Sandbox {
            wasi,
            table: ResourceTable::new(),
            memory: MemoryBudget {
                limit: self.limits.memory_bytes,
                used: 0,
                peak: 0,
                exceeded: false,
            },
            stderr,
            random_refused: None,
            _slot: slot,
            budget: TimeBudget {
                remaining: self.limits.request_time,
                started: None,
                armed: Armed::Call,
            },
        };
        let mut store = Store::new(&self.engine, sandbox);
        store.limiter(|s| &mut s.memory);
        store.epoch_deadline_trap();
        self.arm(&mut store);
        Ok(store)
    }

    /// Starts the time limit (and refills the fuel) for the next call into the guest: the
    /// per-call limit, or what is left of the request's budget if that is less. The time since
    /// the previous `arm` was spent in the previous call (or between calls, reading inputs)
    /// and is taken off the budget.
    pub fn arm(&self, store: &mut Store<Sandbox>) {
        let now = Instant::now();
        let budget = &mut store.data_mut().budget;
        if let Some(started) = budget.started.replace(now) {
            budget.remaining = budget.remaining.saturating_sub(now - started);
        }
        let (limit, armed) = if budget.remaining < self.limits.wall_time {
            (budget.remaining, Armed::Request)
        } else {
            (self.limits.wall_time, Armed::Call)
        };
        budget.armed = armed;
        // A spent budget arms a deadline that has already passed: the next check traps.
        let ticks = (limit.as_millis() / EPOCH_TICK.as_millis()) as u64;
        let ticks = if limit.is_zero() { 0 } else { ticks.max(1) };
        store.set_epoch_deadline(ticks);
        if let Some(fuel) = self.limits.fuel {
            let _ = store.set_fuel(fuel);
        }
    }

    /// Stops counting a call's time against the request's budget: time until the next
    /// [`Runtime::arm`] is not the plugin's (an export waiting for its client).
    pub fn disarm(&self, store: &mut Store<Sandbox>) {
        let budget = &mut store.data_mut().budget;
        if let Some(started) = budget.started.take() {
            budget.remaining = budget.remaining.saturating_sub(started.elapsed());
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}
