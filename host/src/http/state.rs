//! What every handler shares.

use crate::export::DrainRule;
use crate::store::Store;

use super::{ExportLimiter, RateLimiter, SqlLimiter, TrustedProxies};

/// What every handler shares: one pointer, since every middleware and extractor clones the
/// state for each request (cloning the services one by one was a fifth of a cached answer's
/// CPU, in atomic reference counts fought over by both cores).
#[derive(Clone)]
pub struct AppState(std::sync::Arc<Services>);

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.0
    }
}

impl From<Services> for AppState {
    fn from(services: Services) -> Self {
        AppState(std::sync::Arc::new(services))
    }
}

impl AppState {
    pub fn new(store: Store, plugins: std::sync::Arc<crate::plugins::PluginHost>) -> Self {
        Services::new(store, plugins).into()
    }
}

/// The services behind [`AppState`], set up once by the server.
pub struct Services {
    pub store: Store,
    pub sql_limiter: SqlLimiter,
    /// Whole-result exports in flight, per client and in total.
    pub export_limiter: ExportLimiter,
    /// How slowly a client may drain an export before it is cut off.
    pub drain: DrainRule,
    pub plugins: std::sync::Arc<crate::plugins::PluginHost>,
    /// The bearer token that opens `/admin/*`; `None` keeps it closed.
    pub admin_token: Option<std::sync::Arc<str>>,
    /// Largest plugin upload, in bytes.
    pub max_plugin_bytes: usize,
    /// Per-address limit on the open endpoints (off unless the server sets one).
    pub rate_limiter: RateLimiter,
    /// Per-address limit on the token routes, counted before the token is checked.
    pub office_by_address: RateLimiter,
    /// Per-token limit on the token routes, counted once the token is known.
    pub office_by_token: RateLimiter<String>,
    /// Failed authentications per address; an address that has used them up is refused
    /// without its token being looked at.
    pub auth_failures: RateLimiter,
    /// Peers whose forwarding headers name the client (see `ClientAddr`).
    pub trusted_proxies: TrustedProxies,
    /// Serialises review decisions (approve, reject).
    pub review_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Largest import (or schema) upload, in bytes.
    pub max_import_bytes: usize,
    /// Whole answers of the open routes, by everything they depend on.
    pub edge_cache: super::EdgeCache,
    /// Requests by route and status, for `/metrics`.
    pub metrics: super::metrics::HttpMetrics,
    /// `/healthz`'s series in `metrics`, for the health check answered before routing.
    pub health_meters: super::metrics::RouteMeters,
}

impl Services {
    pub fn new(store: Store, plugins: std::sync::Arc<crate::plugins::PluginHost>) -> Self {
        let export_readers = store.capacity().export_readers as usize;
        let metrics = super::metrics::HttpMetrics::default();
        let health_meters = metrics.route_meters("/healthz");
        Services {
            store,
            sql_limiter: SqlLimiter::new(2),
            export_limiter: ExportLimiter::new(2, export_readers),
            drain: DrainRule::default(),
            plugins,
            admin_token: None,
            max_plugin_bytes: 32 << 20,
            rate_limiter: RateLimiter::default(),
            office_by_address: RateLimiter::default(),
            office_by_token: RateLimiter::default(),
            auth_failures: RateLimiter::default(),
            trusted_proxies: TrustedProxies::default(),
            review_lock: Default::default(),
            max_import_bytes: 64 << 20,
            edge_cache: super::EdgeCache::new(super::EdgeCacheConfig::default()),
            metrics,
            health_meters,
        }
    }
}
