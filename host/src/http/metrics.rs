//! `/metrics`: what an operator watches, in the OpenMetrics text format that Prometheus
//! scrapes. Requests are counted by route template (never the raw path, so the label set
//! stays bounded whatever the public asks) and status, with a latency histogram per route;
//! the rest (edge cache, readers, exports, plugin calls) is read from its owner at scrape
//! time, so nothing is counted twice.

use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PluginLabel {
    plugin: String,
}

type Latency = Family<RouteLabel, Histogram, fn() -> Histogram>;

/// The request counters, shared by every request.
#[derive(Clone)]
pub struct HttpMetrics {
    requests: Family<RouteStatus, Counter>,
    latency: Latency,
}

fn latency_histogram() -> Histogram {
    // 50 µs to about 26 s, doubling.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 20))
}

impl Default for HttpMetrics {
    fn default() -> Self {
        HttpMetrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
        }
    }
}

impl HttpMetrics {
    /// Counts one answer of `route` with `status`, `started` when the request arrived.
    pub fn count(&self, route: &str, status: u16, started: Instant) {
        self.requests
            .get_or_create(&RouteStatus {
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabel {
                route: route.to_string(),
            })
            .observe(started.elapsed().as_secs_f64());
    }

    /// The meters of one route's cached answers, found once when the entry is made: a hit
    /// then counts itself without building labels or looking them up.
    pub fn route_meters(&self, route: &str) -> RouteMeters {
        let counter = |status: u16| {
            self.requests
                .get_or_create(&RouteStatus {
                    route: route.to_string(),
                    status,
                })
                .clone()
        };
        RouteMeters {
            route: route.into(),
            ok: counter(200),
            not_modified: counter(304),
            latency: self
                .latency
                .get_or_create(&RouteLabel {
                    route: route.to_string(),
                })
                .clone(),
        }
    }
}

/// A route's 200 and 304 counters and its latency histogram (handles on the same series
/// the middleware counts in).
pub struct RouteMeters {
    pub route: Box<str>,
    ok: Counter,
    not_modified: Counter,
    latency: Histogram,
}

impl RouteMeters {
    pub fn count(&self, metrics: &HttpMetrics, status: u16, started: Instant) {
        match status {
            200 => self.ok.inc(),
            304 => self.not_modified.inc(),
            other => return metrics.count(&self.route, other, started),
        };
        self.latency.observe(started.elapsed().as_secs_f64());
    }
}

/// The middleware: counts each answer under the route that matched it.
pub async fn record(State(app): State<AppState>, request: Request, next: Next) -> Response {
    // A shared handle on the route's template, not a copy: `count` makes the labels.
    let route = request.extensions().get::<MatchedPath>().cloned();
    let started = Instant::now();
    let response = next.run(request).await;
    app.metrics.count(
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        response.status().as_u16(),
        started,
    );
    response
}

fn gauge(registry: &mut Registry, name: &str, help: &str, value: i64) {
    let gauge = Gauge::<i64>::default();
    gauge.set(value);
    registry.register(name, help, gauge);
}

fn counter(registry: &mut Registry, name: &str, help: &str, value: u64) {
    let counter = Counter::<u64>::default();
    counter.inc_by(value);
    registry.register(name, help, counter);
}

/// Metriks / metrics
///
/// Requests by route and status, latency histograms, the edge cache (hits, misses, bytes),
/// database readers in use, downloads in flight, plugin calls and faults; OpenMetrics text.
#[utoipa::path(get, path = "/metrics", tag = "meta", operation_id = "metrics",
    responses(
        (status = 200, description = "OpenMetrics text.", content_type = "application/openmetrics-text", body = String),
    ))]
pub async fn metrics(State(app): State<AppState>) -> Response {
    let mut registry = Registry::with_prefix("logam");
    registry.register(
        "http_requests",
        "Requests answered, by route template and status",
        app.metrics.requests.clone(),
    );
    registry.register(
        "http_request_duration_seconds",
        "Time to the answer's head, by route template",
        app.metrics.latency.clone(),
    );

    let cache = &app.edge_cache;
    let stats = &cache.stats;
    let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    let counters = [
        (
            "edge_cache_hits",
            "Answers served from the edge cache",
            load(&stats.hits),
        ),
        (
            "edge_cache_misses",
            "Answers computed and stored (once per key, however many waited)",
            load(&stats.misses),
        ),
        (
            "edge_cache_uncacheable",
            "Answers computed that could not be stored (streams, too large, live figures)",
            load(&stats.uncacheable),
        ),
        (
            "edge_cache_bypassed",
            "Requests that did not use the cache (not GET or HEAD, credentials)",
            load(&stats.bypassed),
        ),
        (
            "edge_cache_not_modified",
            "304 answers from a cached entry's tag",
            load(&stats.not_modified),
        ),
    ];
    for (name, help, value) in counters {
        counter(&mut registry, name, help, value);
    }
    let (entries, bytes) = cache.size().await;
    let capacity = app.store.capacity();
    let gauges = [
        (
            "edge_cache_entries",
            "Entries in the edge cache",
            entries as i64,
        ),
        (
            "edge_cache_bytes",
            "Weighed bytes in the edge cache",
            bytes as i64,
        ),
        (
            "edge_cache_capacity_bytes",
            "The edge cache's bound",
            cache.config().capacity_bytes as i64,
        ),
        (
            "readers_in_use",
            "Page readers in use",
            i64::from(capacity.readers_in_use),
        ),
        ("readers", "Page readers", i64::from(capacity.readers)),
        (
            "export_readers_in_use",
            "Download readers in use",
            i64::from(capacity.export_readers_in_use),
        ),
        (
            "exports_in_flight",
            "Downloads running",
            app.export_limiter.usage().0 as i64,
        ),
    ];
    for (name, help, value) in gauges {
        gauge(&mut registry, name, help, value);
    }

    let calls = Family::<PluginLabel, Counter>::default();
    let faults = Family::<PluginLabel, Counter>::default();
    for plugin in app.plugins.plugins() {
        let snapshot = plugin.stats.snapshot();
        let label = PluginLabel {
            plugin: plugin.id.clone(),
        };
        calls.get_or_create(&label).inc_by(snapshot.calls);
        faults.get_or_create(&label).inc_by(snapshot.errors);
    }
    registry.register("plugin_calls", "Plugin calls, by plugin", calls);
    registry.register(
        "plugin_faults",
        "Plugin calls that failed, by plugin",
        faults,
    );

    let mut text = String::new();
    if prometheus_client::encoding::text::encode(&mut text, &registry).is_err() {
        text = "# the metrics could not be encoded\n# EOF\n".to_string();
    }
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
