//! The command line: `logam serve`, `logam gen`, `logam plugin check`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::plugins::{Limits, PluginConfig, PluginHost, default_cache_dir};
use crate::server::{ServeConfig, serve};
use crate::store::{OpenOptions, Store, synthetic};

#[derive(Debug, Parser)]
#[command(
    name = "logam",
    version,
    about = "Open data on Purbalingga's metal-working small industry"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and pages. Creates and seeds the database on first start.
    Serve {
        /// Address to listen on (port 0 picks a free port and prints it).
        #[arg(long, default_value = "127.0.0.1:8080", env = "LOGAM_ADDR")]
        addr: SocketAddr,
        /// SQLite database file.
        #[arg(long, default_value = "logam.db", env = "LOGAM_DB")]
        db: PathBuf,
        /// Bearer token that opens `/admin/*` (plugin install, disable, rollback). Without
        /// one, every admin request is refused.
        #[arg(long, env = "LOGAM_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        /// Folder watched for plugins: a `.wasm` file dropped in is installed, replaced is
        /// upgraded, deleted is removed.
        #[arg(long, env = "LOGAM_PLUGINS_DIR")]
        plugins_dir: Option<PathBuf>,
        /// Largest plugin upload, in MiB.
        #[arg(long, default_value_t = 32, env = "LOGAM_MAX_PLUGIN_MIB")]
        max_plugin_mib: usize,
        /// Requests per minute one client address may make to the open endpoints (a burst of
        /// this many, refilled evenly); 0 turns the limit off. The default lets a fuzzer or
        /// a scraper paging fast through the API (about 1500 requests in 25 s) finish.
        #[arg(long, default_value_t = 3000, env = "LOGAM_RATE_LIMIT_PER_MINUTE")]
        rate_limit_per_minute: u32,
        /// Largest import upload (`POST /admin/datasets/{id}/import`), in MiB.
        #[arg(long, default_value_t = 64, env = "LOGAM_MAX_IMPORT_MIB")]
        max_import_mib: usize,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Write a synthetic dataset `synthetic_enterprises` for load tests (never real data).
    Gen {
        /// Number of rows.
        #[arg(long)]
        rows: u64,
        /// SQLite database file (created if missing; the Purbalingga data is not seeded into it).
        #[arg(long)]
        db: PathBuf,
        /// Random seed, so the same command writes the same rows.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// The office's API tokens (admin or contributor).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Import a CSV or JSON file into a dataset as one revision (all rows or none).
    Import {
        /// The dataset's id.
        dataset: String,
        /// The file (`.json` is read as JSON, anything else as CSV unless --format says).
        file: PathBuf,
        #[arg(long, default_value = "append", value_parser = ["append", "replace", "upsert"])]
        mode: String,
        /// csv or json (default: from the file name).
        #[arg(long, value_parser = ["csv", "json"])]
        format: Option<String>,
        /// Check the file and report the counts without changing anything.
        #[arg(long)]
        dry_run: bool,
        /// CSV delimiter (default: `,`, or `;` when the header has `;` and no `,`).
        #[arg(long)]
        delimiter: Option<char>,
        /// `comma` for numbers such as 1.234,5 (default: detected with `;`).
        #[arg(long, value_parser = ["comma", "dot"])]
        decimal: Option<String>,
        /// The revision message.
        #[arg(long)]
        message: Option<String>,
        #[arg(long, default_value = "logam.db", env = "LOGAM_DB")]
        db: PathBuf,
    },
    /// Datasets: `logam dataset create FILE.toml`.
    Dataset {
        #[command(subcommand)]
        command: DatasetCommand,
    },
    /// Tools for plugin authors.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Create an empty dataset from a TOML schema in the data/FORMAT.md format.
    Create {
        file: PathBuf,
        #[arg(long, default_value = "logam.db", env = "LOGAM_DB")]
        db: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Check a component against the contract, print its manifest, run it on the seeded data
    /// under the production limits and print what it cost, or the exact reason it would be
    /// refused. Exits 1 when it would be refused or fails.
    Check {
        /// The component (`.wasm`, built for wasm32-wasip2).
        file: PathBuf,
        /// A parameter for the run, `NAME=VALUE` (repeatable).
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// For an exporter: the dataset to export (or, for an exporter of indicator results,
        /// the indicator).
        #[arg(long)]
        dataset: Option<String>,
        /// Database to run on; by default a fresh seeded one in a temporary folder.
        #[arg(long)]
        db: Option<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it, once: only a salted hash is kept.
    Create {
        /// Who holds it (shown in the audit log); never reused.
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["admin", "contributor"])]
        role: String,
        #[arg(long, default_value = "logam.db", env = "LOGAM_DB")]
        db: PathBuf,
    },
    /// List the tokens: names, roles, dates (never the tokens themselves).
    List {
        #[arg(long, default_value = "logam.db", env = "LOGAM_DB")]
        db: PathBuf,
    },
    /// Revoke a token; a running server refuses it from its next request.
    Revoke {
        name: String,
        #[arg(long, default_value = "logam.db", env = "LOGAM_DB")]
        db: PathBuf,
    },
}

/// The per-call plugin limits, for `serve` and `plugin check` alike.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Wall time of one plugin call, in milliseconds.
    #[arg(long, default_value_t = 2000, env = "LOGAM_PLUGIN_TIME_LIMIT_MS")]
    plugin_time_limit_ms: u64,
    /// Linear memory of one plugin instance, over all its memories, in MiB.
    #[arg(long, default_value_t = 64, env = "LOGAM_PLUGIN_MEMORY_LIMIT_MIB")]
    plugin_memory_limit_mib: usize,
    /// Bytes one plugin call may return, in MiB.
    #[arg(long, default_value_t = 16, env = "LOGAM_PLUGIN_OUTPUT_LIMIT_MIB")]
    plugin_output_limit_mib: usize,
    /// Fuel (roughly, WebAssembly instructions) per call; off unless set.
    #[arg(long, env = "LOGAM_PLUGIN_FUEL")]
    plugin_fuel: Option<u64>,
    /// Folder for compiled plugins (default `$XDG_CACHE_HOME/logam/plugins`).
    #[arg(long, env = "LOGAM_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile plugins at every start instead of caching them.
    #[arg(long)]
    no_cache: bool,
}

impl LimitArgs {
    fn config(&self) -> anyhow::Result<PluginConfig> {
        anyhow::ensure!(
            self.plugin_time_limit_ms >= 10,
            "--plugin-time-limit-ms must be at least 10"
        );
        anyhow::ensure!(
            (1..=4096).contains(&self.plugin_memory_limit_mib),
            "--plugin-memory-limit-mib must be between 1 and 4096"
        );
        anyhow::ensure!(
            self.plugin_output_limit_mib >= 1,
            "--plugin-output-limit-mib must be at least 1"
        );
        Ok(PluginConfig {
            limits: Limits {
                wall_time: Duration::from_millis(self.plugin_time_limit_ms),
                memory_bytes: self.plugin_memory_limit_mib << 20,
                output_bytes: self.plugin_output_limit_mib << 20,
                fuel: self.plugin_fuel,
            },
            cache_dir: if self.no_cache {
                None
            } else {
                self.cache_dir.clone().or_else(default_cache_dir)
            },
        })
    }
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            addr,
            db,
            admin_token,
            plugins_dir,
            max_plugin_mib,
            rate_limit_per_minute,
            max_import_mib,
            limits,
        } => {
            let admin_token = admin_token.filter(|t| !t.is_empty());
            if let Some(token) = &admin_token {
                anyhow::ensure!(
                    token.len() >= 16,
                    "the admin token must be at least 16 characters"
                );
            }
            let config = ServeConfig {
                addr,
                db,
                plugins: limits.config()?,
                plugins_dir,
                admin_token,
                max_plugin_bytes: max_plugin_mib << 20,
                rate_limit_per_minute,
                max_import_bytes: max_import_mib << 20,
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(serve(config))
        }
        Command::Plugin {
            command:
                PluginCommand::Check {
                    file,
                    params,
                    dataset,
                    db,
                    limits,
                },
        } => check_plugin(&file, &params, dataset.as_deref(), db, &limits),
        Command::Token { command } => crate::accounts::token_command(command),
        Command::Import {
            dataset,
            file,
            mode,
            format,
            dry_run,
            delimiter,
            decimal,
            message,
            db,
        } => import_file(ImportArgs {
            dataset,
            file,
            mode,
            format,
            dry_run,
            delimiter,
            decimal,
            message,
            db,
        }),
        Command::Dataset {
            command: DatasetCommand::Create { file, db },
        } => {
            let text =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let text = crate::store::import::decode(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
                .to_string();
            let store = Store::open(&db, &OpenOptions::default())
                .with_context(|| format!("opening {}", db.display()))?;
            let meta = store.write_blocking(|conn| {
                crate::store::import::create_dataset(conn, &text, "logam dataset create")
            })?;
            println!(
                "logam: created dataset {} (revision {}) in {}",
                meta.id,
                meta.revision,
                db.display()
            );
            Ok(())
        }
        Command::Gen { rows, db, seed } => {
            let store = Store::open(
                &db,
                &OpenOptions {
                    seed_if_new: false,
                    ..OpenOptions::default()
                },
            )
            .with_context(|| format!("opening {}", db.display()))?;
            let started = std::time::Instant::now();
            synthetic::generate(&store, rows, seed)
                .with_context(|| format!("generating {rows} rows in {}", db.display()))?;
            println!(
                "logam: wrote {rows} synthetic rows to {} (dataset {}) in {:.1} s",
                db.display(),
                synthetic::DATASET_ID,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

struct ImportArgs {
    dataset: String,
    file: PathBuf,
    mode: String,
    format: Option<String>,
    dry_run: bool,
    delimiter: Option<char>,
    decimal: Option<String>,
    message: Option<String>,
    db: PathBuf,
}

/// `logam import`: the same store call as the HTTP import; prints the report as JSON, or the
/// problems, and fails on the latter.
fn import_file(args: ImportArgs) -> anyhow::Result<()> {
    use crate::store::import::{ImportError, ImportFormat, ImportMode, ImportOptions};
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let format = match args.format.as_deref() {
        Some(f) => ImportFormat::parse(f),
        None if args
            .file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json")) =>
        {
            Some(ImportFormat::Json)
        }
        None => Some(ImportFormat::Csv),
    }
    .context("unknown format")?;
    let delimiter = match args.delimiter {
        Some(c) if c.is_ascii() && c != '"' => Some(c as u8),
        Some(c) => {
            anyhow::bail!("the delimiter {c:?} must be one ASCII character other than a quote")
        }
        None => None,
    };
    let options = ImportOptions {
        format,
        mode: ImportMode::parse(&args.mode).context("unknown mode")?,
        dry_run: args.dry_run,
        delimiter,
        decimal_comma: args.decimal.as_deref().map(|d| d == "comma"),
        message: args.message,
        author: "logam import (command line)".into(),
    };
    let store = Store::open(&args.db, &OpenOptions::default())
        .with_context(|| format!("opening {}", args.db.display()))?;
    match store.import_blocking(&args.dataset, &bytes, &options) {
        Ok(report) => {
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Err(ImportError::Rejected {
            count,
            problems,
            notes,
        }) => {
            for note in &notes {
                eprintln!("note: {note}");
            }
            for p in &problems {
                eprintln!(
                    "line {}{}: {}",
                    p.line.map(|l| l.to_string()).unwrap_or_else(|| "-".into()),
                    p.column
                        .as_deref()
                        .map(|c| format!(", column {c}"))
                        .unwrap_or_default(),
                    p.reason
                );
            }
            anyhow::bail!(
                "{}: {count} problem(s){}; nothing was imported",
                args.file.display(),
                if count > problems.len() {
                    format!(" (first {} shown)", problems.len())
                } else {
                    String::new()
                }
            )
        }
        Err(other) => Err(anyhow::anyhow!("{}: {other}", args.file.display())),
    }
}

/// `logam plugin check`: prints the report, or the refusal, and fails on the latter.
fn check_plugin(
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
