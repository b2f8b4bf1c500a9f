//! The data commands: `logam import`, `logam dataset create` and `logam gen`.

use std::path::Path;

use anyhow::Context as _;

use super::{ImportArgs, operator};
use crate::store::{OpenOptions, Store, synthetic};

/// `logam import`: the same store call as the HTTP import (audited as the shell's user);
/// prints the report as JSON, or the problems, and fails on the latter.
pub fn import_file(args: ImportArgs) -> anyhow::Result<()> {
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
        author: operator().name,
    };
    let store = Store::open(&args.db, &OpenOptions::default())
        .with_context(|| format!("opening {}", args.db.display()))?;
    match store.import_blocking(&args.dataset, &bytes, &options, &operator()) {
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

/// `logam dataset create FILE.toml`: the same store call as `POST /admin/datasets`.
pub fn create_dataset(file: &Path, db: &Path) -> anyhow::Result<()> {
    let text = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let text = crate::store::import::decode(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
        .to_string();
    let store = Store::open(db, &OpenOptions::default())
        .with_context(|| format!("opening {}", db.display()))?;
    let meta = store
        .write_blocking(|conn| crate::store::import::create_dataset(conn, &text, &operator()))?;
    println!(
        "logam: created dataset {} (revision {}) in {}",
        meta.id,
        meta.revision,
        db.display()
    );
    Ok(())
}

/// `logam gen`: a synthetic dataset for load tests.
pub fn generate(rows: u64, db: &Path, seed: u64) -> anyhow::Result<()> {
    let store = Store::open(
        db,
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
