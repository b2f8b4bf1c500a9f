//! The floor on how slowly an export may drain. A slow client holds a reader (and its read
//! transaction) for as long as it is slow, so after a grace period an export must have handed
//! over on average at least `min_bytes_per_second` since it started, or it is cut off.
//!
//! Its own module because both the scan (`stream`) and the encoder apply it, and the encoder
//! sits below the stream.

use std::time::{Duration, Instant};

/// The slowest an export may be drained (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainRule {
    /// Before this, any rate is fine (a client may pause to show a save dialog).
    pub grace: Duration,
    /// The average rate an export must keep up after the grace period.
    pub min_bytes_per_second: u64,
}

impl Default for DrainRule {
    fn default() -> Self {
        DrainRule {
            grace: Duration::from_secs(10),
            min_bytes_per_second: 64 * 1024,
        }
    }
}

impl DrainRule {
    /// When an export that started at `started` must have handed over `bytes`.
    pub(super) fn deadline(&self, started: Instant, bytes: u64) -> Instant {
        let rate = self.min_bytes_per_second.max(1);
        let needed = Duration::from_secs_f64(bytes as f64 / rate as f64);
        started + needed.max(self.grace)
    }
}
