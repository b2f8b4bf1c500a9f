//! Running the service: open the store, bind, serve until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::api::{AppState, app};
use crate::plugins::{Limits, PluginHost};
use crate::store::{OpenOptions, Store};

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub db: PathBuf,
}

pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let db = config.db.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(&db, &OpenOptions::default()))
        .await?
        .with_context(|| format!("opening the database {}", config.db.display()))?;
    let plugins = tokio::task::spawn_blocking(|| PluginHost::with_bundled(Limits::default()))
        .await?
        .context("starting the plugin runtime")?;
    let listener = TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("binding {}", config.addr))?;
    let local = listener.local_addr()?;
    // The first line on stdout is the URL: people read it, and tests parse it.
    println!(
        "logam: serving http://{local}/ (database {})",
        config.db.display()
    );
    tracing::info!(addr = %local, db = %config.db.display(), "listening");

    let state = AppState::new(store, std::sync::Arc::new(plugins));
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
