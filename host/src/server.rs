//! Running the service: open the store, start the plugin runtime, bind, serve until SIGINT or
//! SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::app::app;
use crate::export::DrainRule;
use crate::http::{AppState, ExportLimiter, RateLimiter, Services, SqlLimiter, TrustedProxies};
use crate::plugins::{PluginConfig, PluginHost, watch};
use crate::store::{OpenOptions, Store};

/// What the public may hold at once and what one request may cost (each a `serve` flag).
#[derive(Debug, Clone)]
pub struct Capacity {
    pub open: OpenOptions,
    pub max_exports_per_client: usize,
    pub max_queries_per_client: usize,
    pub drain: DrainRule,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub office_rate_limit_per_minute: u32,
    pub failed_logins_per_minute: u32,
    /// How long requests in flight get after the signal to stop.
    pub shutdown_grace: Duration,
    pub edge_cache: crate::http::EdgeCacheConfig,
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity {
            open: OpenOptions::default(),
            max_exports_per_client: 2,
            max_queries_per_client: 2,
            drain: DrainRule::default(),
            trusted_proxies: Vec::new(),
            office_rate_limit_per_minute: 300,
            failed_logins_per_minute: 60,
            shutdown_grace: Duration::from_secs(10),
            edge_cache: crate::http::EdgeCacheConfig::default(),
        }
    }
}

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
    pub capacity: Capacity,
}

pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let db = config.db.clone();
    let open = config.capacity.open.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(&db, &open))
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

    let mut state = Services::new(store, plugins);
    state.admin_token = config.admin_token.map(Arc::from);
    state.max_plugin_bytes = config.max_plugin_bytes;
    state.rate_limiter = RateLimiter::per_minute(config.rate_limit_per_minute);
    state.max_import_bytes = config.max_import_bytes;
    let capacity = &config.capacity;
    state.sql_limiter = SqlLimiter::new(capacity.max_queries_per_client);
    state.export_limiter = ExportLimiter::new(
        capacity.max_exports_per_client,
        capacity.open.export_readers as usize,
    );
    state.drain = capacity.drain;
    state.edge_cache = crate::http::EdgeCache::new(capacity.edge_cache);
    state.trusted_proxies = TrustedProxies::new(capacity.trusted_proxies.clone());
    state.office_by_address = RateLimiter::per_minute(capacity.office_rate_limit_per_minute);
    state.office_by_token = RateLimiter::per_minute(capacity.office_rate_limit_per_minute);
    state.auth_failures = RateLimiter::per_minute(capacity.failed_logins_per_minute);
    let service = app(AppState::from(state)).into_make_service_with_connect_info::<SocketAddr>();

    // Graceful, with a deadline: after the signal, requests in flight get `shutdown_grace`
    // to finish (a slow download would otherwise hold the process for as long as its client
    // likes); then the server stops with whatever is left.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut stopping = stop_rx.clone();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    });
    let grace = capacity.shutdown_grace;
    let deadline = async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        served = server => served?,
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "requests still in flight at the shutdown deadline; stopping anyway");
        }
    }
    drop(stop_rx);
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
