//! `logam serve`: check the flags, build the runtime, run the server until it is told to stop.

use super::ServeArgs;
use crate::server::{ServeConfig, serve};

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let ServeArgs {
        addr,
        db,
        admin_token,
        plugins_dir,
        max_plugin_mib,
        rate_limit_per_minute,
        max_import_mib,
        limits,
    } = args;
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
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(config))
}
