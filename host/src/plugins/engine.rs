//! The engine's settings, shared by the server and its compiler processes
//! (`compiler.rs`): an artifact compiled by one loads only into an engine configured the
//! same way.

use wasmtime::{Config, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig};

/// Component instances the pool holds; `Limits::concurrency` stays below it.
pub const POOL_INSTANCES: u32 = 256;
/// Bytes of each pooled memory slot kept resident between instances.
const KEEP_RESIDENT_BYTES: usize = 256 << 10;

/// The engine's configuration, one for the server and its compiler processes: an artifact
/// loads only into an engine whose settings match those it was compiled with. `pooled_memory_bytes`
/// sizes the instance pool's memories, which only the server (which runs instances) needs.
pub fn engine_config(fuel: bool, pooled_memory_bytes: Option<usize>) -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.consume_fuel(fuel);
    config.cranelift_opt_level(OptLevel::Speed);
    if let Some(memory_bytes) = pooled_memory_bytes {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(POOL_INSTANCES)
            .total_core_instances(512)
            .total_memories(256)
            .total_tables(512)
            .max_memory_size(memory_bytes)
            // Keep the first pages of a freed slot mapped (zeroed with memset, not madvise):
            // the next instance finds its stack and data there without page faults. Bounded
            // per slot, so the resident cost is at most this times the slots in use.
            .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
            .table_keep_resident(KEEP_RESIDENT_BYTES / 8)
            // No slot is kept warm for a module that is not running: every plugin upgrade
            // otherwise left up to a hundred slots holding the old versions' memory images
            // (the soak's steps at each upgrade). A call maps its slot afresh instead.
            .max_unused_warm_slots(0);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}
