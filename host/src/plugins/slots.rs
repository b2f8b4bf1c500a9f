//! How many plugin instances may run at once, in total and per plugin.
//!
//! Every Store (one call, one request or one export) holds a [`Slot`] for as long as it lives.
//! The total stays below what the instance pool can hold (see [`MAX_CONCURRENCY`]), so a flood
//! of requests to one slow plugin is refused with a 503 and `Retry-After` for that plugin,
//! while the others (the bundled ones too) keep their share, instead of the pool running out
//! and every plugin failing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::PluginError;

/// The most instances the pool can run at once in the worst case: each component instance
/// may hold up to 16 core instances and 8 memories, and the pool has 512 and 256 of those.
pub const MAX_CONCURRENCY: usize = 32;

#[derive(Default)]
struct Counts {
    total: usize,
    per_plugin: HashMap<String, usize>,
}

pub struct Slots {
    total: usize,
    per_plugin: usize,
    counts: Mutex<Counts>,
}

/// One running instance's place; given back when dropped.
pub struct Slot {
    slots: Arc<Slots>,
    plugin: String,
}

impl Slots {
    pub fn new(total: usize, per_plugin: usize) -> Arc<Slots> {
        Arc::new(Slots {
            total: total.clamp(1, MAX_CONCURRENCY),
            per_plugin: per_plugin.max(1),
            counts: Mutex::new(Counts::default()),
        })
    }

    /// A slot for `plugin`, or `Busy` at once (never waits).
    pub fn take(self: &Arc<Self>, plugin: &str) -> Result<Slot, PluginError> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let mine = counts.per_plugin.get(plugin).copied().unwrap_or(0);
        if mine >= self.per_plugin {
            return Err(PluginError::Busy {
                plugin: plugin.to_string(),
                limit: self.per_plugin,
                scope: "of this plugin",
            });
        }
        if counts.total >= self.total {
            return Err(PluginError::Busy {
                plugin: plugin.to_string(),
                limit: self.total,
                scope: "over all plugins",
            });
        }
        counts.total += 1;
        *counts.per_plugin.entry(plugin.to_string()).or_default() += 1;
        Ok(Slot {
            slots: self.clone(),
            plugin: plugin.to_string(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.slots.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_plugin.get_mut(&self.plugin) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.per_plugin.remove(&self.plugin);
            }
        }
    }
}
