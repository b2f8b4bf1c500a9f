use std::io::IsTerminal as _;

use clap::Parser as _;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    // Logs go to stderr, one line per request; stdout carries only what the command prints.
    // LOGAM_LOG sets the filter (default "info"); LOGAM_LOG_FORMAT=json gives JSON lines.
    let filter = EnvFilter::try_from_env("LOGAM_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if std::env::var("LOGAM_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.compact().init();
    }
    match logam::cli::run(logam::cli::Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("logam: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// glibc's malloc gives each thread that allocates an arena of its own, up to eight a core,
/// and memory freed in one is not reused by another: under the server's many blocking
/// threads (reads, exports, plugin calls) the resident size kept growing (the soak: +70 MiB a
/// minute; with two arenas, flat). Two arenas, unless `MALLOC_ARENA_MAX` says otherwise.
/// Called first, before any thread exists. (mimalloc, tried instead, grew faster still.)
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a tunable of the allocator; no thread allocates yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}
