//! What one read may cost. A read on the pages' pool runs under a budget of CPU time spent in
//! SQLite, enforced by SQLite's own progress handler (as the SQL sandbox enforces its
//! deadline), so a facet over a million distinct values or a count over an unindexed filter is
//! stopped by the engine, not by reading the request. CPU time of the reading thread rather
//! than wall time: on a loaded machine wall time grows for every request alike, while what a
//! request costs stays what it is, so the same request is refused or answered the same way
//! whatever else is running.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::Connection;

use super::StoreError;

/// SQLite virtual-machine steps between two looks at the clock (a few microseconds of work).
const STEPS_BETWEEN_CHECKS: i32 = 2000;

/// CPU time this thread has used so far.
pub(crate) fn thread_cpu_time() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        now.tv_sec.max(0) as u64,
        now.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// Why a metered read was stopped, if it was.
pub(crate) struct Meter {
    budget: Option<Duration>,
    exceeded: Arc<AtomicBool>,
    cancelled: Option<Arc<AtomicBool>>,
}

impl Meter {
    /// Installs the progress handler on `conn` (replacing whatever an earlier user left). With
    /// neither a budget nor a cancel flag, the handler is removed.
    pub(crate) fn arm(
        conn: &Connection,
        budget: Option<Duration>,
        cancelled: Option<Arc<AtomicBool>>,
    ) -> Result<Meter, StoreError> {
        let exceeded = Arc::new(AtomicBool::new(false));
        if budget.is_none() && cancelled.is_none() {
            conn.progress_handler(0, None::<fn() -> bool>)?;
        } else {
            let started = thread_cpu_time();
            let (flag, cancel) = (exceeded.clone(), cancelled.clone());
            conn.progress_handler(
                STEPS_BETWEEN_CHECKS,
                Some(move || {
                    if cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
                        return true;
                    }
                    match budget {
                        Some(budget) if thread_cpu_time().saturating_sub(started) > budget => {
                            flag.store(true, Ordering::Relaxed);
                            true
                        }
                        _ => false,
                    }
                }),
            )?;
        }
        Ok(Meter {
            budget,
            exceeded,
            cancelled,
        })
    }

    /// Removes the handler and names the reason an interrupted read failed.
    pub(crate) fn disarm<T>(
        self,
        conn: &Connection,
        result: Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _ = conn.progress_handler(0, None::<fn() -> bool>);
        match result {
            Err(_) if self.exceeded.load(Ordering::Relaxed) => Err(StoreError::BudgetExceeded {
                budget_ms: self.budget.unwrap_or_default().as_millis(),
            }),
            Err(_)
                if self
                    .cancelled
                    .as_ref()
                    .is_some_and(|c| c.load(Ordering::Relaxed)) =>
            {
                Err(StoreError::Cancelled)
            }
            other => other,
        }
    }
}

/// Sets its flag when dropped unless disarmed: a read whose caller stopped waiting (the
/// client went away, the request timed out) stops at its next progress check instead of
/// holding its connection to the end.
pub(crate) struct CancelOnDrop {
    flag: Arc<AtomicBool>,
    armed: bool,
}

impl CancelOnDrop {
    pub(crate) fn new() -> Self {
        CancelOnDrop {
            flag: Arc::default(),
            armed: true,
        }
    }

    pub(crate) fn flag(&self) -> Arc<AtomicBool> {
        self.flag.clone()
    }

    pub(crate) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.flag.store(true, Ordering::Relaxed);
        }
    }
}
