//! What every handler shares.

use crate::store::Store;

use super::{RateLimiter, SqlLimiter};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub sql_limiter: SqlLimiter,
    pub plugins: std::sync::Arc<crate::plugins::PluginHost>,
    /// The bearer token that opens `/admin/*`; `None` keeps it closed.
    pub admin_token: Option<std::sync::Arc<str>>,
    /// Largest plugin upload, in bytes.
    pub max_plugin_bytes: usize,
    /// Per-address limit on the open endpoints (off unless the server sets one).
    pub rate_limiter: RateLimiter,
    /// Serialises review decisions (approve, reject).
    pub review_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Largest import (or schema) upload, in bytes.
    pub max_import_bytes: usize,
}

impl AppState {
    pub fn new(store: Store, plugins: std::sync::Arc<crate::plugins::PluginHost>) -> Self {
        AppState {
            store,
            sql_limiter: SqlLimiter::new(2),
            plugins,
            admin_token: None,
            max_plugin_bytes: 32 << 20,
            rate_limiter: RateLimiter::default(),
            review_lock: Default::default(),
            max_import_bytes: 64 << 20,
        }
    }
}
