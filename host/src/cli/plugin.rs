//! `logam plugin check`: what the server would say of a component, and a trial run.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::LimitArgs;
use crate::plugins::PluginHost;
use crate::store::{OpenOptions, Store};

/// `logam plugin check`: prints the report, or the refusal, and fails on the latter.
pub fn check(
    file: &Path,
    params: &[String],
    dataset: Option<&str>,
    db: Option<PathBuf>,
    limits: &LimitArgs,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let query = params
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .with_context(|| format!("--param {p:?} is not NAME=VALUE"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let scratch = std::env::temp_dir().join(format!("logam-check-{}", std::process::id()));
    let db_path = match db {
        Some(path) => path,
        None => {
            std::fs::create_dir_all(&scratch)?;
            scratch.join("seeded.db")
        }
    };
    let outcome = (|| {
        let store = Store::open(&db_path, &OpenOptions::default())
            .with_context(|| format!("opening {}", db_path.display()))?;
        let config = limits.config()?;
        let limits = config.limits;
        let host = PluginHost::start(store, config).context("starting the plugin runtime")?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("logam plugin check: {}", file.display());
        println!(
            "limits: {} ms per call, {} MiB memory, {} MiB output per call{}",
            limits.wall_time.as_millis(),
            limits.memory_bytes >> 20,
            limits.output_bytes >> 20,
            limits
                .fuel
                .map(|f| format!(", {f} fuel"))
                .unwrap_or_default()
        );
        match host.check_component(&name, &bytes, &query, dataset) {
            Ok(report) => {
                println!(
                    "accepted: {} `{}` (sha256 {})",
                    report.kind, report.id, report.sha256
                );
                println!(
                    "manifest:\n{}",
                    serde_json::to_string_pretty(&report.manifest).unwrap_or_default()
                );
                println!("ran on: {}", report.ran_on);
                println!("time: {:.3} ms", report.elapsed.as_secs_f64() * 1000.0);
                println!(
                    "peak memory: {} bytes ({:.1} MiB)",
                    report.peak_memory_bytes,
                    report.peak_memory_bytes as f64 / 1048576.0
                );
                println!("output: {} bytes", report.output_bytes);
                if let Some(rows) = report.rows {
                    println!("rows: {rows}");
                }
                println!("sample:\n{}", report.sample);
                Ok(())
            }
            Err(err) => {
                println!("refused ({}): {err}", err.code());
                anyhow::bail!("{err}")
            }
        }
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    outcome
}
