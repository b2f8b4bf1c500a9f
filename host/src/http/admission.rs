//! Limits on how much of the server one client, and all clients together, may hold at once.
//!
//! What a client sees at each limit:
//! - SQL statements in flight, per client: 429 `too_many_queries` at once, never a queue.
//! - Whole-result exports in flight, per client: 429 `too_many_exports` with `Retry-After`.
//! - Exports in flight in total (the export readers): 503 `exports_busy` with `Retry-After`.
//!   Exports read from their own pool, so pages, single rows, metadata and `/healthz` keep
//!   their readers however many downloads run.
//! - A reader for a page that does not come free within `--reader-wait-ms`: 503
//!   `over_capacity` with `Retry-After` (see `store::Store::read`).
//!
//! A permit is held by whatever does the work (the export's producer thread), so the slot is
//! free again the moment the work ends, whether it finished, failed, or was cut off.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;

use super::ApiError;

/// How long a refused client is asked to wait before trying again, in seconds.
const RETRY_AFTER_SECS: u64 = 2;

/// Counts what each key holds, and everything held, against two limits.
#[derive(Debug)]
struct Counts<K> {
    per_key: usize,
    total: usize,
    held: Mutex<(HashMap<K, usize>, usize)>,
}

/// Which limit refused a request.
enum Refusal {
    PerKey(usize),
    Total(usize),
}

impl<K: Hash + Eq + Clone> Counts<K> {
    fn new(per_key: usize, total: usize) -> Self {
        Counts {
            per_key: per_key.max(1),
            total: total.max(1),
            held: Mutex::new((HashMap::new(), 0)),
        }
    }

    fn take(&self, key: &K) -> Result<(), Refusal> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let (by_key, total) = &mut *held;
        let mine = by_key.get(key).copied().unwrap_or(0);
        if mine >= self.per_key {
            return Err(Refusal::PerKey(self.per_key));
        }
        if *total >= self.total {
            return Err(Refusal::Total(self.total));
        }
        by_key.insert(key.clone(), mine + 1);
        *total += 1;
        Ok(())
    }

    fn give_back(&self, key: &K) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let (by_key, total) = &mut *held;
        if let Some(count) = by_key.get_mut(key) {
            *count -= 1;
            if *count == 0 {
                by_key.remove(key);
            }
            *total = total.saturating_sub(1);
        }
    }

    fn in_use(&self) -> usize {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).1
    }
}

/// Counts each client's statements in flight. A client over the limit gets 429 at once rather
/// than a place in the queue, so one reader cannot fill the SQL pool for everyone.
#[derive(Debug, Clone)]
pub struct SqlLimiter {
    counts: Arc<Counts<IpAddr>>,
}

impl SqlLimiter {
    pub fn new(per_client: usize) -> Self {
        SqlLimiter {
            // The SQL pool bounds the total; this only stops one client taking all of it.
            counts: Arc::new(Counts::new(per_client, usize::MAX)),
        }
    }

    pub fn acquire(&self, client: IpAddr) -> Result<SqlPermit, ApiError> {
        match self.counts.take(&client) {
            Ok(()) => Ok(SqlPermit {
                counts: self.counts.clone(),
                client,
            }),
            Err(Refusal::PerKey(limit) | Refusal::Total(limit)) => Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_queries",
                format!("{limit} statements from this client are already running"),
                "wait for them to finish, then retry",
            )
            .retry_after(1)),
        }
    }
}

pub struct SqlPermit {
    counts: Arc<Counts<IpAddr>>,
    client: IpAddr,
}

impl Drop for SqlPermit {
    fn drop(&mut self) {
        self.counts.give_back(&self.client);
    }
}

/// Whole-result exports in flight: at most `per_client` for one client and `total` for all
/// (the size of the exports' reader pool).
#[derive(Debug, Clone)]
pub struct ExportLimiter {
    counts: Arc<Counts<IpAddr>>,
}

impl ExportLimiter {
    pub fn new(per_client: usize, total: usize) -> Self {
        ExportLimiter {
            counts: Arc::new(Counts::new(per_client, total)),
        }
    }

    /// A slot for one export, or the answer that says which limit is reached.
    pub fn acquire(&self, client: IpAddr) -> Result<ExportPermit, ApiError> {
        match self.counts.take(&client) {
            Ok(()) => Ok(ExportPermit {
                counts: self.counts.clone(),
                client,
            }),
            Err(Refusal::PerKey(limit)) => Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_exports",
                format!("{limit} downloads from this client are already running"),
                format!(
                    "finish or cancel one, then retry after {RETRY_AFTER_SECS} s (see Retry-After); a page of up to 1000 rows (rows?_size=1000) needs no download slot"
                ),
            )
            .retry_after(RETRY_AFTER_SECS)),
            Err(Refusal::Total(limit)) => Err(ApiError::unavailable(
                "exports_busy",
                format!("all {limit} download slots are in use"),
                RETRY_AFTER_SECS,
            )),
        }
    }

    /// Exports running now, and the most that may.
    pub fn usage(&self) -> (usize, usize) {
        (self.counts.in_use(), self.counts.total)
    }
}

/// One export's slot, freed when dropped.
pub struct ExportPermit {
    counts: Arc<Counts<IpAddr>>,
    client: IpAddr,
}

impl Drop for ExportPermit {
    fn drop(&mut self) {
        self.counts.give_back(&self.client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_are_limited_per_client_and_in_total() {
        let limiter = ExportLimiter::new(2, 3);
        let a = IpAddr::from([192, 0, 2, 1]);
        let b = IpAddr::from([192, 0, 2, 2]);
        let first = limiter.acquire(a).unwrap();
        let _second = limiter.acquire(a).unwrap();
        let refused = limiter.acquire(a).err().unwrap();
        assert_eq!(
            (refused.status.as_u16(), refused.code),
            (429, "too_many_exports")
        );
        let _third = limiter.acquire(b).unwrap();
        let full = limiter.acquire(b).err().unwrap();
        assert_eq!((full.status.as_u16(), full.code), (503, "exports_busy"));
        assert_eq!(full.retry_after, Some(RETRY_AFTER_SECS));
        assert_eq!(limiter.usage(), (3, 3));
        drop(first);
        assert!(limiter.acquire(b).is_ok());
    }
}
