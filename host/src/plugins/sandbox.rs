//! The engine and the per-call sandbox: what a plugin may touch (nothing), and the limits it
//! runs under. Only this room knows wasmtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig, Store,
    StoreLimits, StoreLimitsBuilder,
};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::PluginError;

/// Per-call limits. Every overrun is a typed error naming the plugin and the limit.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall time of one call, enforced by epoch interruption.
    pub wall_time: Duration,
    /// Bytes of linear memory over all of an instance's memories.
    pub memory_bytes: usize,
    /// Bytes a call may return (observations, or one exporter chunk).
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            wall_time: Duration::from_secs(2),
            memory_bytes: 64 << 20,
            output_bytes: 64 << 20,
        }
    }
}

/// How often the epoch advances; the wall-time limit is counted in these.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Most bytes a plugin's stderr (its panic message) keeps.
const STDERR_BYTES: usize = 4096;

/// What a Store holds: an empty WASI context (no files, no network, no environment, no
/// inherited stdio; stderr goes to a small buffer) and the memory limiter.
pub struct Sandbox {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    pub stderr: MemoryOutputPipe,
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Import namespaces a component may use. Rust's wasip2 standard library imports these even
/// for pure code; the context behind them grants nothing. Anything else (filesystem, sockets,
/// clocks, random, HTTP) is refused at install.
const GRANTED_IMPORTS: &[&str] = &["wasi:io/", "wasi:cli/", "logam:plugin/types@"];

pub struct Runtime {
    pub engine: Engine,
    pub linker: Linker<Sandbox>,
    pub limits: Limits,
    stop_ticker: Arc<AtomicBool>,
}

impl Runtime {
    pub fn new(limits: Limits) -> Result<Self, PluginError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.cranelift_opt_level(OptLevel::Speed);
        let mut pooling = PoolingAllocationConfig::default();
        pooling
            .total_component_instances(256)
            .total_core_instances(512)
            .total_memories(256)
            .total_tables(512)
            .max_memory_size(limits.memory_bytes);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
        let engine = Engine::new(&config).map_err(PluginError::engine)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(PluginError::engine)?;

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
        Ok(Runtime {
            engine,
            linker,
            limits,
            stop_ticker,
        })
    }

    /// Compiles a component and checks that it imports only what the host grants.
    pub fn compile(&self, name: &str, bytes: &[u8]) -> Result<Component, PluginError> {
        let component = Component::new(&self.engine, bytes).map_err(|e| PluginError::Refused {
            plugin: name.to_string(),
            reason: format!("not a valid component: {e:#}"),
        })?;
        let ty = component.component_type();
        for (import, _) in ty.imports(&self.engine) {
            if !GRANTED_IMPORTS
                .iter()
                .any(|granted| import.starts_with(granted))
            {
                return Err(PluginError::Refused {
                    plugin: name.to_string(),
                    reason: format!("it imports `{import}`, which plugins are not granted"),
                });
            }
        }
        Ok(component)
    }

    /// A fresh Store for one call, with the memory limit and the wall-time deadline set.
    pub fn store(&self) -> Store<Sandbox> {
        let stderr = MemoryOutputPipe::new(STDERR_BYTES);
        let wasi = WasiCtx::builder().stderr(stderr.clone()).build();
        let sandbox = Sandbox {
            wasi,
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(self.limits.memory_bytes)
                .instances(16)
                .memories(16)
                .tables(32)
                .trap_on_grow_failure(true)
                .build(),
            stderr,
        };
        let mut store = Store::new(&self.engine, sandbox);
        store.limiter(|s| &mut s.limits);
        let ticks = (self.limits.wall_time.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        store
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}
