//! Importing a file into a dataset: parse, check every row against the schema (on read-only
//! connections, while other writes go on), then write the whole file as one revision in one
//! transaction with its audit row, or nothing at all.
//!
//! The API (`POST /admin/datasets/{id}/import`) and the CLI (`logam import`) both call
//! [`Store::import_blocking`], so a file is judged the same way wherever it comes from.

mod apply;
mod check;
mod parse;

pub use parse::decode;

use rusqlite::types::Value;
use serde::Serialize;
use thiserror::Error;

use super::catalog::{self, DatasetMeta};
use super::tokens::{Actor, append_audit};
use super::{Store, StoreError, write};

/// The report lists this many problems; the count covers them all.
pub const MAX_PROBLEMS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    Csv,
    Json,
}

impl ImportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(ImportFormat::Csv),
            "json" => Some(ImportFormat::Json),
            _ => None,
        }
    }
}

/// What the file does to the rows already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// Adds rows; a key that is already live is a problem.
    Append,
    /// The file becomes the dataset: rows whose key is absent from it are removed.
    Replace,
    /// Rows are added or, when their key is live, changed.
    Upsert,
}

impl ImportMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "append" => Some(ImportMode::Append),
            "replace" => Some(ImportMode::Replace),
            "upsert" => Some(ImportMode::Upsert),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub format: ImportFormat,
    pub mode: ImportMode,
    pub dry_run: bool,
    /// `None`: `,` unless the header line has `;` and no `,`.
    pub delimiter: Option<u8>,
    /// `None`: detected from the real columns' cells (only possible with `;`).
    pub decimal_comma: Option<bool>,
    pub message: Option<String>,
    pub author: String,
}

/// One thing wrong with the file. `line` is the physical line (CSV) or the array index + 1
/// (JSON); `row` the data row, counting from 1.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub reason: String,
}

/// Why a file was refused. Nothing was written in any case.
#[derive(Debug, Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,

    #[error(
        "the file is not UTF-8: invalid byte 0x{byte:02x} at byte offset {offset} (line {line}); save it as UTF-8 (with or without BOM)"
    )]
    Encoding {
        offset: usize,
        line: usize,
        byte: u8,
    },

    #[error("the file is not well-formed {format}: {reason}")]
    Malformed {
        format: &'static str,
        reason: String,
    },

    #[error("the file has {count} problem(s); nothing was imported")]
    Rejected {
        count: usize,
        problems: Vec<Problem>,
        notes: Vec<String>,
    },

    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ImportError {
    fn from(err: rusqlite::Error) -> Self {
        ImportError::Store(StoreError::from_sqlite(err))
    }
}

/// What an import did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub dataset: String,
    pub mode: ImportMode,
    pub format: ImportFormat,
    pub dry_run: bool,
    /// The new revision; `None` for a dry run.
    pub revision: Option<i64>,
    pub rows_in_file: u64,
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub unchanged: u64,
    /// CSV only: the delimiter used and whether it was detected rather than given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    pub delimiter_detected: bool,
    pub decimal_comma: bool,
    pub decimal_comma_detected: bool,
    pub notes: Vec<String>,
}

/// Problems found so far, the first [`MAX_PROBLEMS`] kept.
#[derive(Default)]
struct Problems {
    kept: Vec<Problem>,
    count: usize,
}

impl Problems {
    fn push(&mut self, line: Option<u64>, row: Option<u64>, column: Option<&str>, reason: String) {
        self.count += 1;
        if self.kept.len() < MAX_PROBLEMS {
            self.kept.push(Problem {
                line,
                row,
                column: column.map(str::to_string),
                reason,
            });
        }
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Text(t) => format!("{t:?}"),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Null => "NULL".into(),
        Value::Blob(_) => "(blob)".into(),
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s.to_string()
    }
}

impl Store {
    /// Imports `bytes` into `dataset` as one revision (see the module docs). A file with any
    /// problem is refused whole; a dry run reports the counts and writes nothing. A real
    /// import is audited as `actor`'s in its own transaction.
    pub fn import_blocking(
        &self,
        dataset: &str,
        bytes: &[u8],
        options: &ImportOptions,
        actor: &Actor,
    ) -> Result<ImportReport, ImportError> {
        if bytes.is_empty() {
            return Err(ImportError::Empty);
        }
        let text = decode(bytes)?;
        if text.trim().is_empty() {
            return Err(ImportError::Empty);
        }
        let prepared = check::prepare(self, dataset, text, options)?;
        self.write_blocking(|conn| Ok(check::commit(conn, dataset, prepared, options, actor)))
            .map_err(ImportError::Store)?
    }
}

/// Creates an empty dataset from its TOML schema (the `data/FORMAT.md` format, without rows:
/// they come by import), as one revision. It is in the catalog as soon as this returns.
pub fn create_dataset(
    conn: &mut rusqlite::Connection,
    toml_text: &str,
    actor: &Actor,
) -> Result<DatasetMeta, StoreError> {
    let author = actor.name.as_str();
    let spec: write::DatasetSpec =
        toml::from_str(toml_text).map_err(|e| StoreError::InvalidData {
            dataset: "(new)".into(),
            reason: format!("the schema is not valid TOML in the data/FORMAT.md format: {e}"),
        })?;
    let tx = conn.transaction()?;
    let message = format!("dataset {} created", spec.id);
    let rev = write::create_dataset(&tx, &spec, author, &message)?;
    let meta = catalog::load_dataset(&tx, &spec.id)?;
    write::build_search_index(&tx, &meta)?;
    write::close_revision(&tx, &spec.id, rev, 0)?;
    let meta = catalog::load_dataset(&tx, &spec.id)?;
    append_audit(
        &tx,
        &actor.audit(
            "dataset.create",
            meta.id.clone(),
            serde_json::json!({"revision": meta.revision, "columns": meta.columns.len()}),
        ),
    )?;
    tx.commit()?;
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::parse::{from_decimal_comma, looks_decimal_comma, unterminated_quote};
    use super::*;

    #[test]
    fn decimal_comma_shapes() {
        for good in ["1.234,5", "12,5", "-0,25", "1.234.567,89"] {
            assert!(looks_decimal_comma(good), "{good}");
        }
        for bad in ["1,234.5", "12", "1.23,4,5", ",5", "1.23,5", "abc"] {
            assert!(!looks_decimal_comma(bad), "{bad}");
        }
        assert_eq!(from_decimal_comma("1.234,5"), "1234.5");
    }

    #[test]
    fn open_quotes_are_found() {
        assert_eq!(unterminated_quote("a,b\n1,\"x\n", b','), Some(2));
        assert_eq!(unterminated_quote("a,b\n1,\"x\"\"y\"\n", b','), None);
        assert_eq!(unterminated_quote("a,b\n1,5\" pipe\n", b','), None);
    }

    #[test]
    fn encoding_errors_name_the_place() {
        match decode(b"a,b\nJos\xe9,1\n") {
            Err(ImportError::Encoding { offset, line, byte }) => {
                assert_eq!((offset, line, byte), (7, 2, 0xe9));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(decode(b"\xEF\xBB\xBFa").ok(), Some("a"));
    }
}
