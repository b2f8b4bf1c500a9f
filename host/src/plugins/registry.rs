//! The installed plugins as one immutable snapshot. A change builds a new snapshot and swaps
//! it in whole; a request holds the `Arc<Plugin>` it started with, so it finishes on that
//! version whatever is installed meanwhile.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::bindings::exporter::ExporterPre;
use super::bindings::exporter::exports::logam::plugin::exporter_plugin::ExporterInfo;
use super::bindings::indicator::IndicatorPre;
use super::bindings::indicator::exports::logam::plugin::indicator_plugin::IndicatorInfo;
use super::manifest::{ExporterManifest, IndicatorManifest};
use super::sandbox::Sandbox;

/// Where an installed version came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Built from `plugins/` and compiled into the binary.
    Bundled,
    /// Posted to `POST /admin/plugins`.
    Admin,
    /// A file in the watched plugins folder.
    Folder(String),
}

impl Source {
    pub fn as_stored(&self) -> String {
        match self {
            Source::Bundled => "bundled".into(),
            Source::Admin => "admin".into(),
            Source::Folder(file) => format!("dir:{file}"),
        }
    }

    pub fn from_stored(text: &str) -> Source {
        match text.strip_prefix("dir:") {
            Some(file) => Source::Folder(file.to_string()),
            None if text == "bundled" => Source::Bundled,
            None => Source::Admin,
        }
    }

    /// `bundled`, `admin` or `folder`, for the API.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Bundled => "bundled",
            Source::Admin => "admin",
            Source::Folder(_) => "folder",
        }
    }
}

/// The compiled, pre-linked component and its manifest.
#[derive(Clone)]
pub enum Code {
    Indicator {
        info: Box<IndicatorInfo>,
        manifest: Arc<IndicatorManifest>,
        pre: IndicatorPre<Sandbox>,
    },
    Exporter {
        info: Box<ExporterInfo>,
        manifest: Arc<ExporterManifest>,
        pre: ExporterPre<Sandbox>,
    },
}

/// One installed plugin version.
#[derive(Clone)]
pub struct Plugin {
    pub id: String,
    pub version: String,
    pub sha256: String,
    /// Size of the component in bytes.
    pub size: usize,
    pub source: Source,
    /// The install's row in the store (`None` for a bundled plugin).
    pub seq: Option<i64>,
    pub installed_at: Option<String>,
    pub enabled: bool,
    /// Authors, licence, source from the component's metadata sections, where present.
    pub metadata: super::Metadata,
    pub code: Code,
    pub stats: Arc<Stats>,
}

impl Plugin {
    pub fn kind(&self) -> &'static str {
        match self.code {
            Code::Indicator { .. } => "indicator",
            Code::Exporter { .. } => "exporter",
        }
    }

    /// An indicator's manifest, or `None` for an exporter.
    pub fn indicator_info(&self) -> Option<&IndicatorManifest> {
        match &self.code {
            Code::Indicator { manifest, .. } => Some(manifest),
            Code::Exporter { .. } => None,
        }
    }

    /// An exporter's manifest, or `None` for an indicator.
    pub fn exporter_info(&self) -> Option<&ExporterManifest> {
        match &self.code {
            Code::Exporter { manifest, .. } => Some(manifest),
            Code::Indicator { .. } => None,
        }
    }

    /// The manifest as the API shows it.
    pub fn manifest_json(&self) -> serde_json::Value {
        match &self.code {
            Code::Indicator { manifest, .. } => manifest.to_json(),
            Code::Exporter { manifest, .. } => manifest.to_json(),
        }
    }
}

/// Every plugin by id, the current version of each.
#[derive(Clone, Default)]
pub struct Registry {
    pub plugins: BTreeMap<String, Arc<Plugin>>,
}

impl Registry {
    pub fn get(&self, id: &str) -> Option<&Arc<Plugin>> {
        self.plugins.get(id)
    }

    /// The exporter serving `.{extension}`, enabled or not.
    pub fn exporter_for(&self, extension: &str) -> Option<&Arc<Plugin>> {
        self.plugins
            .values()
            .find(|p| p.exporter_info().is_some_and(|i| i.extension == extension))
    }
}

/// Durations kept for the percentiles: the most recent calls.
const RECENT_CALLS: usize = 1024;

/// Call counts and recent durations of one plugin version.
#[derive(Default)]
pub struct Stats {
    calls: AtomicU64,
    errors: AtomicU64,
    cache_hits: AtomicU64,
    recent_micros: Mutex<VecDeque<u64>>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct StatsSnapshot {
    pub calls: u64,
    pub errors: u64,
    pub cache_hits: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

impl Stats {
    pub fn record(&self, elapsed: Duration, ok: bool) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut recent) = self.recent_micros.lock() {
            if recent.len() == RECENT_CALLS {
                recent.pop_front();
            }
            recent.push_back(elapsed.as_micros() as u64);
        }
    }

    pub fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let mut sorted: Vec<u64> = self
            .recent_micros
            .lock()
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default();
        sorted.sort_unstable();
        let percentile = |p: f64| -> Option<f64> {
            if sorted.is_empty() {
                return None;
            }
            let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            Some(sorted[rank - 1] as f64 / 1000.0)
        };
        StatsSnapshot {
            calls: self.calls.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            p50_ms: percentile(0.50),
            p99_ms: percentile(0.99),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_over_recent_calls() {
        let stats = Stats::default();
        for ms in 1..=100u64 {
            stats.record(Duration::from_millis(ms), ms % 10 != 0);
        }
        let s = stats.snapshot();
        assert_eq!((s.calls, s.errors), (100, 10));
        assert_eq!(s.p50_ms, Some(50.0));
        assert_eq!(s.p99_ms, Some(99.0));
        for _ in 0..RECENT_CALLS {
            stats.record(Duration::from_millis(7), true);
        }
        assert_eq!(stats.snapshot().p99_ms, Some(7.0), "old calls age out");
    }
}
