//! Limits on how much of the server one client may hold at once.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;

use super::ApiError;

/// Counts each client's statements in flight. A client over the limit gets 429 at once rather
/// than a place in the queue, so one reader cannot fill the SQL pool for everyone.
#[derive(Debug, Clone)]
pub struct SqlLimiter {
    per_client: usize,
    running: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl SqlLimiter {
    pub fn new(per_client: usize) -> Self {
        SqlLimiter {
            per_client: per_client.max(1),
            running: Arc::default(),
        }
    }

    pub fn acquire(&self, client: IpAddr) -> Result<SqlPermit, ApiError> {
        let mut running = self.running.lock().map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "limiter poisoned",
                "try again",
            )
        })?;
        let count = running.entry(client).or_insert(0);
        if *count >= self.per_client {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_queries",
                format!(
                    "{} statements from this client are already running",
                    self.per_client
                ),
                "wait for them to finish, then retry",
            ));
        }
        *count += 1;
        Ok(SqlPermit {
            limiter: self.clone(),
            client,
        })
    }
}

pub struct SqlPermit {
    limiter: SqlLimiter,
    client: IpAddr,
}

impl Drop for SqlPermit {
    fn drop(&mut self) {
        if let Ok(mut running) = self.limiter.running.lock()
            && let Some(count) = running.get_mut(&self.client)
        {
            *count -= 1;
            if *count == 0 {
                running.remove(&self.client);
            }
        }
    }
}
