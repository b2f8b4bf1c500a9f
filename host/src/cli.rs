//! The command line: `logam serve`, `logam gen`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

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
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { addr, db } => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(serve(ServeConfig { addr, db }))
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
