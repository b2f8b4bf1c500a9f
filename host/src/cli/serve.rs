//! `logam serve`: check the flags, build the runtime, run the server until it is told to stop.

use std::time::Duration;

use super::ServeArgs;
use crate::export::DrainRule;
use crate::server::{Capacity, ServeConfig, serve};
use crate::store::OpenOptions;

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let ServeArgs {
        addr,
        db,
        admin_token,
        plugins_dir,
        max_plugin_mib,
        rate_limit_per_minute,
        max_import_mib,
        capacity,
        limits,
    } = args;
    let defaults = OpenOptions::default();
    let open = OpenOptions {
        seed_if_new: true,
        readers: capacity.readers.unwrap_or(defaults.readers),
        export_readers: capacity.max_exports.unwrap_or(defaults.export_readers),
        sql_readers: capacity.sql_readers.unwrap_or(defaults.sql_readers),
        reader_wait: Duration::from_millis(capacity.reader_wait_ms),
        read_budget: Duration::from_millis(capacity.read_budget_ms),
    };
    anyhow::ensure!(open.readers >= 1, "--readers must be at least 1");
    anyhow::ensure!(open.export_readers >= 1, "--max-exports must be at least 1");
    anyhow::ensure!(open.sql_readers >= 1, "--sql-readers must be at least 1");
    anyhow::ensure!(
        capacity.read_budget_ms >= 1,
        "--read-budget-ms must be at least 1"
    );
    let admin_token = admin_token.filter(|t| !t.is_empty());
    if let Some(token) = &admin_token {
        anyhow::ensure!(
            token.len() >= 16,
            "the admin token must be at least 16 characters"
        );
    }
    let config = ServeConfig {
        addr,
        db,
        plugins: limits.config()?,
        plugins_dir,
        admin_token,
        max_plugin_bytes: max_plugin_mib << 20,
        rate_limit_per_minute,
        max_import_bytes: max_import_mib << 20,
        capacity: Capacity {
            open,
            max_exports_per_client: capacity.max_exports_per_client,
            max_queries_per_client: capacity.max_queries_per_client,
            drain: DrainRule {
                grace: Duration::from_secs(capacity.export_grace_secs),
                min_bytes_per_second: capacity.export_min_kib_per_sec.saturating_mul(1024),
            },
            trusted_proxies: capacity.trusted_proxies,
            office_rate_limit_per_minute: capacity.office_rate_limit_per_minute,
            failed_logins_per_minute: capacity.failed_logins_per_minute,
            shutdown_grace: Duration::from_secs(capacity.shutdown_grace_secs),
            edge_cache: crate::http::EdgeCacheConfig {
                capacity_bytes: capacity.edge_cache_mib << 20,
                max_entry_bytes: capacity.edge_cache_max_entry_kib << 10,
            },
        },
    };
    let grace = config.capacity.shutdown_grace;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(serve(config));
    // Work still running on blocking threads (a read near its budget) gets the same grace;
    // the process does not wait for it beyond that.
    runtime.shutdown_timeout(grace);
    outcome
}
