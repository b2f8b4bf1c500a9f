//! Running the service: open the store, start the plugin runtime, bind, serve until SIGINT or
//! SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::app::app;
use crate::http::{AppState, RateLimiter};
use crate::plugins::{PluginConfig, PluginHost, watch};
use crate::store::{OpenOptions, Store};

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub db: PathBuf,
    pub plugins: PluginConfig,
    /// The folder watched for `.wasm` files, if any.
    pub plugins_dir: Option<PathBuf>,
    /// The bearer token for `/admin/*`; without one, the admin endpoints refuse everything.
    pub admin_token: Option<String>,
    /// Largest plugin upload, in bytes.
    pub max_plugin_bytes: usize,
    /// Requests per minute per client address on the open endpoints; 0 is no limit.
    pub rate_limit_per_minute: u32,
    pub max_import_bytes: usize,
}

pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let db = config.db.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(&db, &OpenOptions::default()))
        .await?
        .with_context(|| format!("opening the database {}", config.db.display()))?;
    let plugin_store = store.clone();
    let plugin_config = config.plugins.clone();
    let plugins_dir = config.plugins_dir.clone();
    let plugins = tokio::task::spawn_blocking(move || -> anyhow::Result<Arc<PluginHost>> {
        let host = PluginHost::start(plugin_store, plugin_config)
            .context("starting the plugin runtime")?;
        if let Some(dir) = plugins_dir {
            watch::spawn(host.clone(), dir.clone())
                .with_context(|| format!("watching the plugins folder {}", dir.display()))?;
        }
        Ok(host)
    })
    .await??;
    let listener = TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("binding {}", config.addr))?;
    let local = listener.local_addr()?;
    // The first line on stdout is the URL: people read it, and tests parse it.
    println!(
        "logam: serving http://{local}/ (database {})",
        config.db.display()
    );
    tracing::info!(addr = %local, db = %config.db.display(), admin = config.admin_token.is_some(), "listening");

    let mut state = AppState::new(store, plugins);
    state.admin_token = config.admin_token.map(Arc::from);
    state.max_plugin_bytes = config.max_plugin_bytes;
    state.rate_limiter = RateLimiter::per_minute(config.rate_limit_per_minute);
    state.max_import_bytes = config.max_import_bytes;
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
