use std::io::IsTerminal as _;

use clap::Parser as _;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
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
