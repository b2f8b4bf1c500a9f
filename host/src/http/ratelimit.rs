//! Token buckets: each key (a client address, as [`ClientAddr`] resolves it, or a token's
//! name) may burst up to the per-minute figure, refilled evenly over the minute. The open
//! endpoints have one per address; the token routes one per address before the token is
//! checked, one per token after, and one that counts failed authentications per address. A
//! small hand-rolled bucket rather than `governor`: it needs nothing beyond what the router
//! already knows, and the state is one map behind one short lock.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState, ClientAddr};

/// Addresses idle this long are forgotten (their bucket would be full again anyway).
const IDLE: Duration = Duration::from_secs(120);
/// The map is swept when it holds more addresses than this.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Clone)]
pub struct RateLimiter<K = IpAddr> {
    inner: Option<Arc<Limiter<K>>>,
}

impl<K> Default for RateLimiter<K> {
    fn default() -> Self {
        RateLimiter { inner: None }
    }
}

struct Limiter<K> {
    capacity: f64,
    per_second: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// `0` is no limit.
    pub fn per_minute(n: u32) -> Self {
        RateLimiter {
            inner: (n > 0).then(|| {
                Arc::new(Limiter {
                    capacity: f64::from(n),
                    per_second: f64::from(n) / 60.0,
                    buckets: Mutex::new(HashMap::new()),
                })
            }),
        }
    }

    /// Whether there is a limit at all (when not, nobody needs to work out who the client is).
    pub fn is_limited(&self) -> bool {
        self.inner.is_some()
    }

    /// Takes one token for `client`, or says how long until one is there.
    pub fn take(&self, client: K) -> Result<(), Duration> {
        self.with_bucket(client, true)
    }

    /// Whether `client` has a token left, without taking it.
    pub fn check(&self, client: K) -> Result<(), Duration> {
        self.with_bucket(client, false)
    }

    fn with_bucket(&self, client: K, take: bool) -> Result<(), Duration> {
        let Some(limiter) = &self.inner else {
            return Ok(());
        };
        let now = Instant::now();
        let mut buckets = limiter.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > SWEEP_ABOVE {
            buckets.retain(|_, b| now.duration_since(b.at) < IDLE);
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: limiter.capacity,
            at: now,
        });
        let refill = now.duration_since(bucket.at).as_secs_f64() * limiter.per_second;
        bucket.tokens = (bucket.tokens + refill).min(limiter.capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            if take {
                bucket.tokens -= 1.0;
            }
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / limiter.per_second,
            ))
        }
    }
}

/// The 429 for a key whose bucket is empty: `code` and `message` say which limit, `hint` what
/// to do, and `Retry-After` when to come back.
pub fn too_many(wait: Duration, code: &'static str, message: &str, hint: &str) -> Response {
    let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        code,
        message,
        format!("wait {seconds} s (see Retry-After); {hint}"),
    )
    .retry_after(seconds)
    .into_response()
}

pub async fn limit(
    State(app): State<AppState>,
    client: ClientAddr,
    request: Request,
    next: Next,
) -> Response {
    match app.rate_limiter.take(client.bucket()) {
        Ok(()) => next.run(request).await,
        Err(wait) => open_limit_reached(wait),
    }
}

/// The open endpoints' per-address limit for a request answered before routing (a cached
/// answer, the health check): the 429 to send, if this request is over it.
pub fn refusal_before_routing(app: &AppState, request: &Request) -> Option<Response> {
    if !app.rate_limiter.is_limited() {
        return None;
    }
    let client = ClientAddr::of(
        request.extensions(),
        request.headers(),
        &app.trusted_proxies,
    );
    app.rate_limiter
        .take(client.bucket())
        .err()
        .map(open_limit_reached)
}

/// The 429 of the open endpoints' per-address limit (also given for cached answers).
pub fn open_limit_reached(wait: Duration) -> Response {
    too_many(
        wait,
        "rate_limited",
        "too many requests from this address",
        "for bulk use, download a whole export instead of paging",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_and_says_how_long_to_wait() {
        let limiter: RateLimiter = RateLimiter::per_minute(3);
        let client = IpAddr::from([192, 0, 2, 1]);
        for _ in 0..3 {
            assert!(limiter.take(client).is_ok());
        }
        let wait = limiter.take(client).unwrap_err();
        assert!(
            wait <= Duration::from_secs(20) && wait > Duration::from_secs(15),
            "{wait:?}"
        );
        // Another address has its own bucket.
        assert!(limiter.take(IpAddr::from([192, 0, 2, 2])).is_ok());
        assert!(limiter.check(IpAddr::from([192, 0, 2, 2])).is_ok());
        assert!(limiter.check(client).is_err());
        assert!(RateLimiter::per_minute(0).take(client).is_ok());
    }
}
