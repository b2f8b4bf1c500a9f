//! Plugin runtime benchmark, in process: `cargo bench -p logam --bench plugins`.
//!
//! 1. Instantiate + call (`describe`) a trivial indicator in a fresh sandbox, with the pooling
//!    allocator: p50 and p99 over many calls. Target: p50 ≤ 50 µs.
//! 2. An indicator summing one integer column of N rows (default 1,000,000) against the same
//!    sum done natively in the host over the same rows, read the same way (one snapshot,
//!    1024-row batches). Both include the SQLite scan; the ratio is the plugin's whole cost.
//!    Target: ≤ 3×.
//!
//! The components come from `bench/plugins`, built here for wasm32-wasip2. BENCH_ROWS sets N.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use logam::plugins::{IndicatorOutcome, PluginConfig, PluginHost, Source};
use logam::store::{ColumnData, OpenOptions, ReadPlan, RowRequest, Store, synthetic};

fn build_components(root: &Path) -> PathBuf {
    let dir = root.join("bench/plugins");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&dir)
        .args(["build", "--release", "--target", "wasm32-wasip2", "--quiet"]);
    for variable in [
        "CARGO_TARGET_DIR",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
    ] {
        command.env_remove(variable);
    }
    let status = command.status().expect("run cargo for bench/plugins");
    assert!(status.success(), "building bench/plugins failed");
    dir.join("target/wasm32-wasip2/release")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn native_sum(store: &Store) -> (i64, u64) {
    store
        .read_blocking(|session| {
            let state = session.state(synthetic::DATASET_ID)?;
            let meta = session.meta(synthetic::DATASET_ID, state)?;
            let request = RowRequest {
                columns: Some(vec!["monthly_value_idr".into()]),
                ..RowRequest::default()
            };
            let plan = ReadPlan::new(meta, &request)?;
            let column = plan.output[0];
            let mut total = 0i64;
            let rows = session.scan(&plan, 1024, |batch| {
                let data = &batch.columns[column];
                if let ColumnData::Integer(values) = &data.data {
                    for (row, value) in values.iter().enumerate() {
                        if data.valid[row] {
                            total = total.wrapping_add(*value);
                        }
                    }
                }
                ControlFlow::Continue(())
            })?;
            Ok((total, rows))
        })
        .expect("native sum")
}

fn plugin_sum(host: &PluginHost) -> i64 {
    host.clear_result_cache();
    match host
        .run_indicator("bench-sum", &[], None, "bench", None)
        .expect("bench-sum runs")
    {
        IndicatorOutcome::Computed { result, .. } => match &result.batch.columns[1].data {
            ColumnData::Integer(v) => v[0],
            other => panic!("unexpected result column {other:?}"),
        },
        IndicatorOutcome::NotModified { .. } => unreachable!("no If-None-Match was sent"),
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let rows: u64 = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_000_000);
    let components = build_components(&root);
    let scratch = std::env::temp_dir().join(format!("logam-bench-plugins-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let db = scratch.join("bench.db");
    // The seeded catalog (for `sumber`) plus the synthetic rows.
    let store = Store::open(&db, &OpenOptions::default()).expect("open store");
    let started = Instant::now();
    synthetic::generate(&store, rows, 42).expect("generate rows");
    eprintln!(
        "generated {rows} rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let host = PluginHost::start(store.clone(), PluginConfig::default()).expect("plugin host");
    for file in ["bench_trivial.wasm", "bench_sum.wasm"] {
        let bytes = std::fs::read(components.join(file)).expect("component");
        let bench = logam::store::Actor::new("bench", "cli");
        host.install(file, &bytes, Source::Admin, "bench", None, &|plugin, _| {
            bench.audit("plugin.install", plugin.id.clone(), serde_json::json!({}))
        })
        .expect("install");
    }

    // 1. Instantiate + call.
    for _ in 0..200 {
        host.probe("bench-trivial").expect("probe");
    }
    let mut samples = Vec::with_capacity(5000);
    for _ in 0..5000 {
        let t = Instant::now();
        host.probe("bench-trivial").expect("probe");
        samples.push(t.elapsed());
    }
    samples.sort();
    let p50 = percentile(&samples, 0.50);
    let p99 = percentile(&samples, 0.99);
    println!(
        "instantiate+describe bench-trivial: p50 {:.1} µs, p99 {:.1} µs over {} calls (target p50 <= 50 µs: {})",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6,
        samples.len(),
        if p50 <= Duration::from_micros(50) {
            "met"
        } else {
            "NOT met"
        }
    );

    // 2. Sum of one column: plugin vs native, alternating, five runs each.
    let (expected, scanned) = native_sum(&store);
    assert_eq!(scanned, rows, "every row scanned");
    assert_eq!(
        plugin_sum(&host),
        expected,
        "the plugin's sum equals the host's"
    );
    let mut native = Vec::new();
    let mut plugin = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        assert_eq!(native_sum(&store).0, expected);
        native.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(plugin_sum(&host), expected);
        plugin.push(t.elapsed());
    }
    let (native, plugin) = (median(native), median(plugin));
    let ratio = plugin.as_secs_f64() / native.as_secs_f64();
    println!(
        "sum of {rows} rows: native {:.1} ms, plugin {:.1} ms (median of 5), plugin/native {:.2}x (target <= 3x: {})",
        native.as_secs_f64() * 1e3,
        plugin.as_secs_f64() * 1e3,
        ratio,
        if ratio <= 3.0 { "met" } else { "NOT met" }
    );
    drop(host);
    drop(store);
    let _ = std::fs::remove_dir_all(&scratch);
}
