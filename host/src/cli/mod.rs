//! The command line: what each command takes (here) and what it does (one file per command:
//! `serve.rs`, `data.rs` for import, dataset create and gen, `plugin.rs`, `token.rs`).

mod data;
mod plugin;
mod serve;
mod token;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::plugins::{
    CodeLimits, CompileBudget, Compiler, Limits, PluginConfig, default_cache_dir,
};

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
    Serve(ServeArgs),
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
    Import(ImportArgs),
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

/// `logam serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port and prints it).
    #[arg(long, default_value = "127.0.0.1:8080", env = "LOGAM_ADDR")]
    pub addr: SocketAddr,
    /// SQLite database file.
    #[arg(long, default_value = "logam.db", env = "LOGAM_DB")]
    pub db: PathBuf,
    /// Bearer token that opens `/admin/*` (plugin install, disable, rollback). Without
    /// one, every admin request is refused.
    #[arg(long, env = "LOGAM_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Folder watched for plugins: a `.wasm` file dropped in is installed, replaced is
    /// upgraded, deleted is removed.
    #[arg(long, env = "LOGAM_PLUGINS_DIR")]
    pub plugins_dir: Option<PathBuf>,
    /// Largest plugin upload, in MiB.
    #[arg(long, default_value_t = 32, env = "LOGAM_MAX_PLUGIN_MIB")]
    pub max_plugin_mib: usize,
    /// Requests per minute one client address may make to the open endpoints (a burst of
    /// this many, refilled evenly); 0 turns the limit off. The default lets a fuzzer or
    /// a scraper paging fast through the API (about 1500 requests in 25 s) finish.
    #[arg(long, default_value_t = 3000, env = "LOGAM_RATE_LIMIT_PER_MINUTE")]
    pub rate_limit_per_minute: u32,
    /// Largest import upload (`POST /admin/datasets/{id}/import`), in MiB.
    #[arg(long, default_value_t = 64, env = "LOGAM_MAX_IMPORT_MIB")]
    pub max_import_mib: usize,
    #[command(flatten)]
    pub capacity: CapacityArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// What the public may hold of the server at once, and what one request may cost. README's
/// "Limits" section says what a client sees at each.
#[derive(Debug, Clone, clap::Args)]
pub struct CapacityArgs {
    /// Memory for the edge cache of whole answers (pages, rows, charts, catalogs, the API
    /// document), in MiB; 0 turns it off. Exports stream past it.
    #[arg(long, default_value_t = 64, env = "LOGAM_EDGE_CACHE_MIB")]
    pub edge_cache_mib: u64,
    /// The largest answer the edge cache keeps, in KiB.
    #[arg(long, default_value_t = 4096, env = "LOGAM_EDGE_CACHE_MAX_ENTRY_KIB")]
    pub edge_cache_max_entry_kib: u64,
    /// Database readers for pages, single rows, metadata, catalogs and the HTML pages
    /// (default: twice the cores, 2 to 16). Downloads never take one.
    #[arg(long, env = "LOGAM_READERS")]
    pub readers: Option<u32>,
    /// Whole-result downloads (rows.csv, rows.json, ...) running at once, in total; each has
    /// a reader of its own apart from the pages' (default: twice the cores, 2 to 16). Past it:
    /// 503 `exports_busy` with Retry-After.
    #[arg(long, env = "LOGAM_MAX_EXPORTS")]
    pub max_exports: Option<u32>,
    /// Downloads one client may run at once. Past it: 429 `too_many_exports`.
    #[arg(long, default_value_t = 2, env = "LOGAM_MAX_EXPORTS_PER_CLIENT")]
    pub max_exports_per_client: usize,
    /// SQL statements one client may run at once. Past it: 429 `too_many_queries`.
    #[arg(long, default_value_t = 2, env = "LOGAM_MAX_QUERIES_PER_CLIENT")]
    pub max_queries_per_client: usize,
    /// Connections for ad-hoc SQL, apart from the API's (default: half the cores, at least 1).
    #[arg(long, env = "LOGAM_SQL_READERS")]
    pub sql_readers: Option<u32>,
    /// How long a request waits for a free reader before it is answered 503 `over_capacity`
    /// with Retry-After, in milliseconds.
    #[arg(long, default_value_t = 1000, env = "LOGAM_READER_WAIT_MS")]
    pub reader_wait_ms: u64,
    /// CPU time one page, row, count, facet or search may spend in SQLite, in milliseconds.
    /// Past it: 422 `read_budget_exceeded`.
    #[arg(long, default_value_t = 1000, env = "LOGAM_READ_BUDGET_MS")]
    pub read_budget_ms: u64,
    /// Seconds a download may go at any speed before the minimum rate applies.
    #[arg(long, default_value_t = 10, env = "LOGAM_EXPORT_GRACE_SECS")]
    pub export_grace_secs: u64,
    /// The average rate, in KiB/s since it started, a download must keep after the grace
    /// period; a client below it is cut off and its reader released.
    #[arg(long, default_value_t = 64, env = "LOGAM_EXPORT_MIN_KIB_PER_SEC")]
    pub export_min_kib_per_sec: u64,
    /// A reverse proxy or CDN (address or CIDR, repeatable, or comma-separated in the
    /// environment) whose `Forwarded` / `X-Forwarded-For` headers name the client. From any
    /// other peer those headers are ignored.
    #[arg(long = "trusted-proxy", value_name = "CIDR", env = "LOGAM_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Requests per minute one address, and one token, may make to the token routes
    /// (`/admin/*`, submissions); 0 turns it off. Past it: 429 `rate_limited`.
    #[arg(
        long,
        default_value_t = 300,
        env = "LOGAM_OFFICE_RATE_LIMIT_PER_MINUTE"
    )]
    pub office_rate_limit_per_minute: u32,
    /// Failed authentications (missing, unknown or revoked token) per minute one address may
    /// make; past it: 429 `too_many_failed_logins` without the token being checked.
    #[arg(long, default_value_t = 60, env = "LOGAM_FAILED_LOGINS_PER_MINUTE")]
    pub failed_logins_per_minute: u32,
    /// Seconds requests in flight get to finish after SIGTERM or SIGINT; then the server
    /// stops anyway.
    #[arg(long, default_value_t = 10, env = "LOGAM_SHUTDOWN_GRACE_SECS")]
    pub shutdown_grace_secs: u64,
}

/// `10.0.0.0/8`, or a single address (`192.0.2.1`, `::1`).
fn parse_network(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text:?} is not an address or a CIDR network (10.0.0.0/8)"))
}

/// Who ran a command, for the audit log: the shell's user, as far as it says.
pub(crate) fn operator() -> crate::store::Actor {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    crate::store::Actor::new(
        format!("cli:{}", user.chars().take(64).collect::<String>()),
        "cli",
    )
}

/// `logam import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The dataset's id.
    pub dataset: String,
    /// The file (`.json` is read as JSON, anything else as CSV unless --format says).
    pub file: PathBuf,
    #[arg(long, default_value = "append", value_parser = ["append", "replace", "upsert"])]
    pub mode: String,
    /// csv or json (default: from the file name).
    #[arg(long, value_parser = ["csv", "json"])]
    pub format: Option<String>,
    /// Check the file and report the counts without changing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// CSV delimiter (default: `,`, or `;` when the header has `;` and no `,`).
    #[arg(long)]
    pub delimiter: Option<char>,
    /// `comma` for numbers such as 1.234,5 (default: detected with `;`).
    #[arg(long, value_parser = ["comma", "dot"])]
    pub decimal: Option<String>,
    /// The revision message.
    #[arg(long)]
    pub message: Option<String>,
    #[arg(long, default_value = "logam.db", env = "LOGAM_DB")]
    pub db: PathBuf,
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
// Parsed once per process: the size of a variant costs nothing.
#[allow(clippy::large_enum_variant)]
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
    /// Internal: compile the component on stdin under these limits and write the artifact to
    /// stdout. The server runs this for each compilation, so a compile bomb costs a child.
    #[command(hide = true)]
    CompileWorker {
        #[arg(long)]
        cpu_seconds: u64,
        #[arg(long)]
        memory_bytes: u64,
        #[arg(long)]
        fuel: bool,
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
    /// Wall time all the plugin calls of one request may take together (an indicator's
    /// constructor, pushes and finish; an export's writes), in milliseconds. Waiting for a
    /// download's client does not count.
    #[arg(
        long,
        default_value_t = 10_000,
        env = "LOGAM_PLUGIN_REQUEST_TIME_LIMIT_MS"
    )]
    plugin_request_time_limit_ms: u64,
    /// Plugin instances running at once, over all plugins; past it a request answers 503
    /// with `Retry-After`. At most 32, what the instance pool holds in the worst case.
    #[arg(long, default_value_t = 24, env = "LOGAM_PLUGIN_CONCURRENCY")]
    plugin_concurrency: usize,
    /// Instances of one plugin running at once; past it 503 with `Retry-After`, so one
    /// slow plugin cannot take every slot from the others.
    #[arg(long, default_value_t = 8, env = "LOGAM_PLUGIN_CONCURRENCY_PER_PLUGIN")]
    plugin_concurrency_per_plugin: usize,
    /// Linear memory of one plugin instance, over all its memories, in MiB.
    #[arg(long, default_value_t = 64, env = "LOGAM_PLUGIN_MEMORY_LIMIT_MIB")]
    plugin_memory_limit_mib: usize,
    /// Bytes one plugin call may return, in MiB.
    #[arg(long, default_value_t = 16, env = "LOGAM_PLUGIN_OUTPUT_LIMIT_MIB")]
    plugin_output_limit_mib: usize,
    /// Fuel (roughly, WebAssembly instructions) per call; off unless set.
    #[arg(long, env = "LOGAM_PLUGIN_FUEL")]
    plugin_fuel: Option<u64>,
    /// How deeply blocks, loops and ifs may nest in one function of a plugin, checked
    /// before compiling (past it: `plugin_too_complex`).
    #[arg(long, default_value_t = 1_000, env = "LOGAM_PLUGIN_MAX_NESTING")]
    plugin_max_nesting: usize,
    /// Locals one function of a plugin may declare, checked before compiling.
    #[arg(long, default_value_t = 20_000, env = "LOGAM_PLUGIN_MAX_LOCALS")]
    plugin_max_locals: u64,
    /// Instructions one function of a plugin may hold, checked before compiling.
    #[arg(
        long,
        default_value_t = 1_000_000,
        env = "LOGAM_PLUGIN_MAX_INSTRUCTIONS"
    )]
    plugin_max_instructions: usize,
    /// CPU time one plugin compilation may take, in seconds. Compilation runs in a child
    /// process; past it the install or submission is refused `plugin_too_complex`.
    #[arg(long, default_value_t = 10, env = "LOGAM_PLUGIN_COMPILE_CPU_LIMIT_S")]
    plugin_compile_cpu_limit_s: u64,
    /// Address space of the compiling child process, in MiB; past it `plugin_too_complex`.
    #[arg(
        long,
        default_value_t = 1024,
        env = "LOGAM_PLUGIN_COMPILE_MEMORY_LIMIT_MIB"
    )]
    plugin_compile_memory_limit_mib: u64,
    /// Submissions one contributor may have waiting for review at once.
    #[arg(long, default_value_t = 5, env = "LOGAM_SUBMISSION_QUOTA")]
    submission_quota: u64,
    /// Bytes of components one contributor may have waiting for review, in MiB.
    #[arg(long, default_value_t = 64, env = "LOGAM_SUBMISSION_QUOTA_MIB")]
    submission_quota_mib: u64,
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
        anyhow::ensure!(
            self.plugin_request_time_limit_ms >= self.plugin_time_limit_ms,
            "--plugin-request-time-limit-ms must be at least --plugin-time-limit-ms"
        );
        anyhow::ensure!(
            self.plugin_compile_cpu_limit_s >= 1,
            "--plugin-compile-cpu-limit-s must be at least 1"
        );
        anyhow::ensure!(
            self.plugin_compile_memory_limit_mib >= 64,
            "--plugin-compile-memory-limit-mib must be at least 64"
        );
        anyhow::ensure!(
            (1..=crate::plugins::MAX_CONCURRENCY).contains(&self.plugin_concurrency),
            "--plugin-concurrency must be between 1 and {}",
            crate::plugins::MAX_CONCURRENCY
        );
        anyhow::ensure!(
            (1..=self.plugin_concurrency).contains(&self.plugin_concurrency_per_plugin),
            "--plugin-concurrency-per-plugin must be between 1 and --plugin-concurrency"
        );
        Ok(PluginConfig {
            limits: Limits {
                wall_time: Duration::from_millis(self.plugin_time_limit_ms),
                request_time: Duration::from_millis(self.plugin_request_time_limit_ms),
                concurrency: self.plugin_concurrency,
                concurrency_per_plugin: self.plugin_concurrency_per_plugin,
                memory_bytes: self.plugin_memory_limit_mib << 20,
                output_bytes: self.plugin_output_limit_mib << 20,
                fuel: self.plugin_fuel,
            },
            code_limits: CodeLimits {
                nesting: self.plugin_max_nesting,
                locals: self.plugin_max_locals,
                instructions: self.plugin_max_instructions,
                ..CodeLimits::default()
            },
            submission_quota: crate::store::PendingLimit {
                count: self.submission_quota,
                bytes: self.submission_quota_mib << 20,
            },
            compiler: Compiler::this_executable(CompileBudget {
                cpu: Duration::from_secs(self.plugin_compile_cpu_limit_s),
                memory_bytes: self.plugin_compile_memory_limit_mib << 20,
            })?,
            cache_dir: if self.no_cache {
                None
            } else {
                self.cache_dir.clone().or_else(default_cache_dir)
            },
        })
    }
}

/// Runs one command. Each command's body lives in its own file beside this one.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Plugin {
            command:
                PluginCommand::Check {
                    file,
                    params,
                    dataset,
                    db,
                    limits,
                },
        } => plugin::check(&file, &params, dataset.as_deref(), db, &limits),
        Command::Plugin {
            command:
                PluginCommand::CompileWorker {
                    cpu_seconds,
                    memory_bytes,
                    fuel,
                },
        } => match crate::plugins::run_compile_worker(cpu_seconds, memory_bytes, fuel) {
            0 => Ok(()),
            code => std::process::exit(code),
        },
        Command::Token { command } => token::run(command),
        Command::Import(args) => data::import_file(args),
        Command::Dataset {
            command: DatasetCommand::Create { file, db },
        } => data::create_dataset(&file, &db),
        Command::Gen { rows, db, seed } => data::generate(rows, &db, seed),
    }
}
