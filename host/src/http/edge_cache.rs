//! The edge cache: whole answers of the open GET routes, computed once per state of the data
//! and served from memory, compressed once, with conditional requests answered from the
//! entry.
//!
//! **The key** is everything an answer depends on: the path, the query in canonical order
//! (pairs decoded and stably sorted by name, so repeated names keep their order), the
//! reader's language as the pages resolve it, the public base URL (catalogs write absolute
//! links), SQLite's `data_version` (changed by any commit, from any process) and the plugin
//! registry's generation. A write or a plugin change therefore changes the key of every
//! answer at once: nothing is invalidated, nothing stale can be found. Old entries are
//! evicted by the size bound.
//!
//! **What is stored**: answers whose handler said `Cache-Control: public` (live figures such
//! as `/healthz` and plugin statistics say otherwise) with a body of known length up to
//! [`EdgeCacheConfig::max_entry_bytes`]. Streams (exports) have no known length and pass
//! through untouched, so a cached answer never holds a read transaction.
//!
//! **Single flight**: concurrent misses for one key wait for the first (moka's
//! `try_get_with`), so a burst for a new chart rasterises it once.
//!
//! **Compression** happens once, when the entry is made: gzip and brotli beside the identity
//! bytes, for compressible media types, each kept only when smaller. A hit picks one by
//! `Accept-Encoding` and sets `Content-Encoding`, which the compression layer outside leaves
//! alone.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{
    ACCEPT_ENCODING, ACCEPT_LANGUAGE, AUTHORIZATION, CACHE_CONTROL, CONTENT_ENCODING,
    CONTENT_LENGTH, CONTENT_TYPE, COOKIE, ETAG, HOST, IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::Body as _;
use sha2::{Digest, Sha256};

use super::metrics::{HttpMetrics, RouteMeters};
use super::{AppState, Lang};
use crate::store::DataVersion;

/// How the cache is sized.
#[derive(Debug, Clone, Copy)]
pub struct EdgeCacheConfig {
    /// Bytes of entries kept (bodies in every stored encoding, and headers); 0 turns the
    /// cache off.
    pub capacity_bytes: u64,
    /// The largest answer kept; larger ones are served as they are computed.
    pub max_entry_bytes: u64,
}

impl Default for EdgeCacheConfig {
    fn default() -> Self {
        EdgeCacheConfig {
            capacity_bytes: 64 << 20,
            max_entry_bytes: 4 << 20,
        }
    }
}

/// Answers that are live by nature and cheap: they skip the cache without computing a key.
/// (Other live answers, such as plugin statistics, say `no-cache` and are not stored.)
const LIVE_PATHS: [&str; 2] = ["/healthz", "/metrics"];

/// Bodies shorter than this are not worth compressing.
const COMPRESS_FROM_BYTES: usize = 256;
/// What an entry costs beyond its bodies and header bytes: the header map's own tables, the
/// allocations behind each value, moka's node and the key. Measured, not guessed: with 512
/// here, 76,656 entries of single rows weighed 64 MiB while the server's resident size grew
/// by 187 MiB (bench/edge.sh, "Memory over distinct answers"); with 2048, 27,837 entries
/// weighed 64 MiB and the peak was exactly the cache-off peak plus 64 MiB, no margin at all.
/// 2560 keeps a fifth in hand for the smallest (most overhead-bound) entries.
const ENTRY_OVERHEAD_BYTES: u64 = 2560;

type Key = [u8; 16];

/// One stored answer: always a 200 (nothing else is kept).
struct Entry {
    /// Where a hit is counted (the route the answer was computed for).
    meters: RouteMeters,
    /// The handler's headers, less the ones that describe one encoding of the body.
    headers: HeaderMap,
    etag: HeaderValue,
    identity: Bytes,
    gzip: Option<Bytes>,
    br: Option<Bytes>,
}

impl Entry {
    fn weight(&self) -> u32 {
        let bodies = self.identity.len()
            + self.gzip.as_ref().map_or(0, Bytes::len)
            + self.br.as_ref().map_or(0, Bytes::len);
        let headers: usize = self
            .headers
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len())
            .sum();
        u32::try_from(bodies as u64 + headers as u64 + ENTRY_OVERHEAD_BYTES).unwrap_or(u32::MAX)
    }
}

/// Counters for `/metrics`.
#[derive(Default)]
pub struct CacheStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    /// Answers that were computed but could not be kept (a stream, too large, not public).
    pub uncacheable: AtomicU64,
    /// Requests that bypassed the cache (not GET or HEAD, credentials, cache off).
    pub bypassed: AtomicU64,
    pub not_modified: AtomicU64,
}

/// The cache, shared by every request.
#[derive(Clone)]
pub struct EdgeCache {
    entries: Option<moka::future::Cache<Key, Arc<Entry>>>,
    config: EdgeCacheConfig,
    pub stats: Arc<CacheStats>,
}

impl EdgeCache {
    pub fn new(config: EdgeCacheConfig) -> EdgeCache {
        let entries = (config.capacity_bytes > 0).then(|| {
            moka::future::Cache::builder()
                .max_capacity(config.capacity_bytes)
                .weigher(|_key: &Key, entry: &Arc<Entry>| entry.weight())
                .build()
        });
        EdgeCache {
            entries,
            config,
            stats: Arc::default(),
        }
    }

    pub fn config(&self) -> EdgeCacheConfig {
        self.config
    }

    /// Entries and their weighed bytes, after the cache's pending housekeeping.
    pub async fn size(&self) -> (u64, u64) {
        match &self.entries {
            Some(entries) => {
                entries.run_pending_tasks().await;
                (entries.entry_count(), entries.weighted_size())
            }
            None => (0, 0),
        }
    }
}

/// Whether a request may be answered from (or stored in) the cache at all.
fn is_shareable(request: &Request) -> bool {
    (request.method() == Method::GET || request.method() == Method::HEAD)
        && !LIVE_PATHS.contains(&request.uri().path())
        && !request.headers().contains_key(AUTHORIZATION)
        && !request.headers().contains_key(COOKIE)
}

/// The hit path, outside every layer a hit does not need: answers a request whose entry
/// exists, counted in `/metrics` and under the per-address limit like any other, and hands
/// everything else on, untouched, to the full stack (where [`serve`] computes and stores).
/// Routing, the timeout's timer, the compression layer and the label building of the
/// metrics middleware were half of a cached answer's CPU.
pub async fn serve_hit(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let cache = &app.edge_cache;
    let Some(entries) = cache.entries.as_ref() else {
        return next.run(request).await;
    };
    if !is_shareable(&request) {
        return next.run(request).await;
    }
    let Some(data_version) = app.store.data_version() else {
        return next.run(request).await;
    };
    let key = key(&request, &data_version, app.plugins.generation());
    let Some(entry) = entries.get(&key).await else {
        return next.run(request).await;
    };
    if let Some(refusal) = super::ratelimit::refusal_before_routing(&app, &request) {
        entry
            .meters
            .count(&app.metrics, refusal.status().as_u16(), started);
        return refusal;
    }
    cache.stats.hits.fetch_add(1, Ordering::Relaxed);
    let response = answer(
        cache,
        &entry,
        request.headers().get(IF_NONE_MATCH),
        Encoding::accepted(request.headers()),
        request.method() == Method::HEAD,
    );
    entry
        .meters
        .count(&app.metrics, response.status().as_u16(), started);
    response
}

/// Why an answer was not stored; the answer itself goes back to the request that computed it.
struct Uncacheable(std::sync::Mutex<Option<Box<Response>>>);

/// The middleware.
pub async fn serve(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let cache = &app.edge_cache;
    let Some(entries) = cache.entries.as_ref() else {
        return next.run(request).await;
    };
    let head = request.method() == Method::HEAD;
    if !is_shareable(&request) {
        cache.stats.bypassed.fetch_add(1, Ordering::Relaxed);
        return next.run(request).await;
    }
    let Some(data_version) = app.store.data_version() else {
        cache.stats.bypassed.fetch_add(1, Ordering::Relaxed);
        return next.run(request).await;
    };
    let key = key(&request, &data_version, app.plugins.generation());
    let encoding = Encoding::accepted(request.headers());
    let conditional = request.headers().get(IF_NONE_MATCH).cloned();

    // A HEAD is answered from an entry, never makes one (its answer has no body to keep).
    if head {
        return match entries.get(&key).await {
            Some(entry) => {
                cache.stats.hits.fetch_add(1, Ordering::Relaxed);
                respond(&entry, encoding, true)
            }
            None => {
                cache.stats.bypassed.fetch_add(1, Ordering::Relaxed);
                next.run(request).await
            }
        };
    }

    // Whoever runs the init below takes the request from here; a request that waited on
    // another's init finds it still here if that init's answer could not be shared.
    let mut pending = Some((request, next));
    let computed = entries
        .try_get_with(
            key,
            compute(&mut pending, cache.config.max_entry_bytes, &app.metrics),
        )
        .await;
    let entry = match computed {
        Ok(entry) => entry,
        Err(uncacheable) => {
            cache.stats.uncacheable.fetch_add(1, Ordering::Relaxed);
            return match pending.take() {
                Some((request, next)) => next.run(request).await,
                None => uncacheable
                    .0
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take()
                    .map_or_else(
                        // Only the request that computed an answer takes it; this is unreachable
                        // but answers as capacity would, not with a panic.
                        || {
                            super::ApiError::unavailable(
                                "over_capacity",
                                "the answer could not be shared",
                                1,
                            )
                            .into_response()
                        },
                        |r| *r,
                    ),
            };
        }
    };
    if pending.is_some() {
        cache.stats.hits.fetch_add(1, Ordering::Relaxed);
    } else {
        cache.stats.misses.fetch_add(1, Ordering::Relaxed);
    }
    answer(cache, &entry, conditional.as_ref(), encoding, head)
}

/// An entry's answer to one request: a 304 when the client's tag matches, else the body in
/// the encoding it accepts (none for a HEAD).
fn answer(
    cache: &EdgeCache,
    entry: &Entry,
    conditional: Option<&HeaderValue>,
    encoding: Encoding,
    head: bool,
) -> Response {
    if conditional.is_some_and(|tags| etag_matches(tags, &entry.etag)) {
        cache.stats.not_modified.fetch_add(1, Ordering::Relaxed);
        return not_modified(entry);
    }
    respond(entry, encoding, head)
}

/// Runs the handler (once per key, whoever gets here first) for a full answer, and keeps it
/// if it can be kept.
async fn compute(
    pending: &mut Option<(Request, Next)>,
    max_entry_bytes: u64,
    metrics: &HttpMetrics,
) -> Result<Arc<Entry>, Uncacheable> {
    let Some((request, next)) = pending.take() else {
        return Err(Uncacheable(std::sync::Mutex::new(None)));
    };
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |m| m.as_str());
    let meters = metrics.route_meters(route);
    // The handler sees the client's own conditional headers: a download it answers 304 from
    // its tag stays a 304 (it is not kept, being no full answer; only a 200 is).
    let response = next.run(request).await;
    let keep =
        |response: Response| Err(Uncacheable(std::sync::Mutex::new(Some(Box::new(response)))));
    if response.status() != StatusCode::OK
        || !is_public(response.headers())
        || response.headers().contains_key(CONTENT_ENCODING)
    {
        return keep(response);
    }
    match response.body().size_hint().exact() {
        Some(length) if length <= max_entry_bytes => {}
        _ => return keep(response),
    }
    let (parts, body) = response.into_parts();
    let Ok(collected) = axum::body::to_bytes(body, max_entry_bytes as usize).await else {
        // The body failed halfway; the client gets the failure, nothing is kept.
        return keep(
            super::ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the answer failed while it was being read",
                "try again; if it keeps failing, tell the maintainers the time of the request",
            )
            .into_response(),
        );
    };
    Ok(Arc::new(entry(parts.headers, collected, meters)))
}

fn entry(answered: HeaderMap, identity: Bytes, meters: RouteMeters) -> Entry {
    // A map of just the size it needs: the handler's grew as headers were added, and an
    // entry keeps its map for as long as it lives.
    let mut headers = HeaderMap::with_capacity(answered.len());
    for (name, value) in &answered {
        if name != CONTENT_LENGTH {
            headers.append(name.clone(), value.clone());
        }
    }
    let etag = headers.get(ETAG).cloned().unwrap_or_else(|| {
        HeaderValue::from_str(&super::caching::content_etag(&identity))
            .unwrap_or(HeaderValue::from_static("\"\""))
    });
    headers.insert(ETAG, etag.clone());
    let vary = match headers.get(VARY).and_then(|v| v.to_str().ok()) {
        Some(v) if !v.to_ascii_lowercase().contains("accept-encoding") => {
            format!("{v}, Accept-Encoding")
        }
        Some(v) => v.to_string(),
        None => "Accept-Encoding".to_string(),
    };
    if let Ok(vary) = HeaderValue::from_str(&vary) {
        headers.insert(VARY, vary);
    }
    let compressible = identity.len() >= COMPRESS_FROM_BYTES
        && headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_compressible);
    let smaller =
        |bytes: Option<Vec<u8>>| bytes.filter(|b| b.len() < identity.len()).map(Bytes::from);
    let (gzip, br) = if compressible {
        (smaller(gzip(&identity)), smaller(brotli(&identity)))
    } else {
        (None, None)
    };
    Entry {
        meters,
        headers,
        etag,
        identity,
        gzip,
        br,
    }
}

fn respond(entry: &Entry, encoding: Encoding, head: bool) -> Response {
    let (body, coding) = match encoding {
        Encoding::Br if entry.br.is_some() => (entry.br.clone(), Some("br")),
        Encoding::Br | Encoding::Gzip if entry.gzip.is_some() => (entry.gzip.clone(), Some("gzip")),
        _ => (None, None),
    };
    let body = body.unwrap_or_else(|| entry.identity.clone());
    let length = body.len();
    let mut response = if head {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(body))
    };
    let headers = response.headers_mut();
    headers.clone_from(&entry.headers);
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    if let Some(coding) = coding {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    // The body is final as it is: the compression layer outside must not compress it again.
    response.extensions_mut().insert(FromEdgeCache);
    response
}

/// Marks an answer served from the cache (see [`NotFromEdgeCache`]).
#[derive(Debug, Clone, Copy)]
pub struct FromEdgeCache;

/// The compression layer's condition: never an answer from the cache, which carries its
/// encodings already (compressed once, when it was stored) or was judged not worth it.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotFromEdgeCache;

impl tower_http::compression::Predicate for NotFromEdgeCache {
    fn should_compress<B>(&self, response: &axum::http::Response<B>) -> bool
    where
        B: http_body::Body,
    {
        response.extensions().get::<FromEdgeCache>().is_none()
    }
}

fn not_modified(entry: &Entry) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    let headers = response.headers_mut();
    for name in [ETAG, CACHE_CONTROL, VARY] {
        if let Some(value) = entry.headers.get(&name) {
            headers.insert(name, value.clone());
        }
    }
    response
}

fn is_public(headers: &HeaderMap) -> bool {
    headers
        .get(CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("public") && !v.contains("no-store") && !v.contains("private")
        })
}

fn is_compressible(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("json")
        || essence.ends_with("+xml")
        || essence.ends_with("/xml")
        || essence == "application/javascript"
        || essence == "image/svg+xml"
}

/// `If-None-Match` against the entry's tag, weakly (RFC 9110 §13.1.2).
fn etag_matches(header: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(header) = header.to_str() else {
        return false;
    };
    let ours = etag
        .to_str()
        .unwrap_or("")
        .trim_start_matches("W/")
        .to_string();
    header.split(',').any(|candidate| {
        let candidate = candidate.trim();
        candidate == "*" || candidate.trim_start_matches("W/") == ours
    })
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::new(6),
    );
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

fn brotli(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    {
        let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        encoder.write_all(bytes).ok()?;
        encoder.flush().ok()?;
    }
    Some(out)
}

/// The encodings the cache keeps, as the client accepts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Br,
    Gzip,
    Identity,
}

impl Encoding {
    /// Brotli when accepted, else gzip, else the bytes as they are (a `q=0` refuses).
    fn accepted(headers: &HeaderMap) -> Encoding {
        let (mut br, mut gzip) = (false, false);
        for value in headers.get_all(ACCEPT_ENCODING) {
            for item in value.to_str().unwrap_or("").split(',') {
                let mut pieces = item.split(';');
                let coding = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
                let refused = pieces.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                match coding.as_str() {
                    "br" => br = !refused,
                    "gzip" => gzip = !refused,
                    _ => {}
                }
            }
        }
        if br {
            Encoding::Br
        } else if gzip {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }
}

fn utc_day() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400)
}

/// Everything the answer depends on, hashed.
fn key(request: &Request, data_version: &DataVersion, plugins: u64) -> Key {
    let mut hasher = Sha256::new();
    hasher.update(request.uri().path().as_bytes());
    hasher.update([0]);
    let query = request.uri().query().unwrap_or("");
    // Most hot requests (charts, pages, catalogs) have no query: nothing to decode or sort.
    if !query.is_empty() {
        let mut pairs: Vec<_> = form_urlencoded::parse(query.as_bytes()).collect();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, value) in &pairs {
            hasher.update(name.as_bytes());
            hasher.update([1]);
            hasher.update(value.as_bytes());
            hasher.update([2]);
        }
    }
    let lang = Lang::from_query(Some(query)).unwrap_or_else(|| {
        Lang::from_accept_language(
            request
                .headers()
                .get(ACCEPT_LANGUAGE)
                .and_then(|h| h.to_str().ok()),
        )
    });
    hasher.update([0]);
    hasher.update(lang.code().as_bytes());
    hasher.update([0]);
    // What `public_base` is made of, as sent (a finer split than the base itself: two hosts
    // it would both ignore get two keys for one answer, which costs a miss, never a wrong
    // answer).
    let headers = request.headers();
    hasher.update(headers.get(HOST).map_or(&b""[..], |h| h.as_bytes()));
    hasher.update([0]);
    hasher.update(
        headers
            .get("x-forwarded-proto")
            .map_or(&b""[..], |h| h.as_bytes()),
    );
    hasher.update([0]);
    hasher.update(data_version.as_bytes());
    hasher.update(plugins.to_le_bytes());
    // Pages cite the day they were read (an indicator's access date): a new day, new keys.
    hasher.update(utc_day().to_le_bytes());
    let digest = hasher.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(ACCEPT_ENCODING, value.parse().unwrap());
        map
    }

    #[test]
    fn encodings_follow_accept_encoding() {
        assert_eq!(
            Encoding::accepted(&headers("gzip, deflate, br")),
            Encoding::Br
        );
        assert_eq!(Encoding::accepted(&headers("gzip")), Encoding::Gzip);
        assert_eq!(Encoding::accepted(&headers("br;q=0, gzip")), Encoding::Gzip);
        assert_eq!(Encoding::accepted(&headers("identity")), Encoding::Identity);
        assert_eq!(Encoding::accepted(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn the_query_order_does_not_change_the_key_but_repeated_names_keep_theirs() {
        let request = |uri: &str| Request::builder().uri(uri).body(Body::empty()).unwrap();
        let v = DataVersion::from_counter;
        let k = |uri: &str| key(&request(uri), &v(1), 1);
        assert_eq!(k("/a?x=1&y=2"), k("/a?y=2&x=1"));
        assert_eq!(k("/a?x=a%20b"), k("/a?x=a+b"));
        assert_ne!(k("/a?f=1&f=2"), k("/a?f=2&f=1"));
        assert_ne!(k("/a?x=1"), k("/b?x=1"));
        assert_ne!(key(&request("/a"), &v(1), 1), key(&request("/a"), &v(2), 1));
        assert_ne!(key(&request("/a"), &v(1), 1), key(&request("/a"), &v(1), 2));
    }

    #[test]
    fn weak_and_strong_tags_match_weakly() {
        let tag = HeaderValue::from_static("W/\"c-abc\"");
        assert!(etag_matches(&HeaderValue::from_static("\"c-abc\""), &tag));
        assert!(etag_matches(
            &HeaderValue::from_static("W/\"x\", W/\"c-abc\""),
            &tag
        ));
        assert!(!etag_matches(
            &HeaderValue::from_static("W/\"c-abd\""),
            &tag
        ));
    }
}
