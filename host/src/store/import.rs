//! Importing a file into a dataset: parse, check every row against the schema, then write the
//! whole file as one revision in one transaction, or nothing at all.
//!
//! The API (`POST /admin/datasets/{id}/import`) and the CLI (`logam import`) both call
//! [`Store::import_blocking`], so a file is judged the same way wherever it comes from.

use std::collections::{HashMap, HashSet};

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Transaction, params_from_iter};
use serde::Serialize;
use thiserror::Error;

use super::catalog::{self, ColumnMeta, ColumnType, DatasetMeta};
use super::history::history_table;
use super::{Store, StoreError, values, write};

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

/// A parsed cell before typing: absent/empty is `None`.
enum RawRow {
    Csv(Vec<String>),
    Json(serde_json::Map<String, serde_json::Value>),
}

struct Parsed {
    /// (line, row) for each record.
    records: Vec<(u64, RawRow)>,
    /// CSV: for each declared column, its position in the file.
    positions: Vec<usize>,
    delimiter: Option<u8>,
    delimiter_detected: bool,
}

/// UTF-8, with or without BOM; anything else is refused with the first bad byte's place.
pub fn decode(bytes: &[u8]) -> Result<&str, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(err) => {
            let offset = err.valid_up_to();
            let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(ImportError::Encoding {
                offset,
                line,
                byte: bytes[offset],
            })
        }
    }
}

/// Where a quoted field is left open at the end of the text (its line), following RFC 4180:
/// a quote opens only at the start of a field, `""` inside is a quote. The `csv` crate reads an
/// open quote to the end of the file without complaint, which would import a truncated upload.
fn unterminated_quote(text: &str, delimiter: u8) -> Option<u64> {
    let mut line = 1u64;
    let mut opened_at = 0u64;
    let mut quoted = false;
    let mut field_start = true;
    let mut bytes = text.bytes().peekable();
    while let Some(b) = bytes.next() {
        if b == b'\n' {
            line += 1;
        }
        if quoted {
            if b == b'"' {
                if bytes.peek() == Some(&b'"') {
                    bytes.next();
                } else {
                    quoted = false;
                }
            }
            continue;
        }
        match b {
            b'"' if field_start => {
                quoted = true;
                opened_at = line;
                field_start = false;
            }
            b'\n' | b'\r' => field_start = true,
            _ if b == delimiter => field_start = true,
            _ => field_start = false,
        }
    }
    quoted.then_some(opened_at)
}

fn parse_csv(
    meta: &DatasetMeta,
    text: &str,
    given: Option<u8>,
    problems: &mut Problems,
) -> Result<Parsed, ImportError> {
    let header_line = text.lines().next().unwrap_or("");
    let (delimiter, detected) = match given {
        Some(d) => (d, false),
        None if header_line.contains(';') && !header_line.contains(',') => (b';', true),
        None => (b',', false),
    };
    if let Some(line) = unterminated_quote(text, delimiter) {
        return Err(ImportError::Malformed {
            format: "CSV",
            reason: format!(
                "a quoted field opened on line {line} is never closed (was the upload cut short?)"
            ),
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError::Malformed {
            format: "CSV",
            reason: format!("header: {e}"),
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(ImportError::Empty);
    }
    let mut positions = Vec::with_capacity(meta.columns.len());
    let mut seen = HashSet::new();
    for name in &header {
        if !seen.insert(name.as_str()) {
            problems.push(
                Some(1),
                None,
                Some(name),
                "the column appears twice in the header".into(),
            );
        } else if meta.column(name).is_none() {
            let hint = if given.is_none() && !detected && name.contains(';') {
                " (is the file separated by `;`? send delimiter=;)"
            } else {
                ""
            };
            problems.push(
                Some(1),
                None,
                Some(name),
                format!(
                    "`{name}` is not a column of dataset `{}`{hint}; its columns are {}",
                    meta.id,
                    meta.column_names().join(", ")
                ),
            );
        }
    }
    for column in &meta.columns {
        match header.iter().position(|h| *h == column.name) {
            Some(i) => positions.push(i),
            None => {
                problems.push(
                    Some(1),
                    None,
                    Some(&column.name),
                    "the column is missing from the header (every column must be present; leave cells empty for no value)".into(),
                );
                positions.push(usize::MAX);
            }
        }
    }
    let mut records = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                if record.len() == 1 && record.get(0).is_some_and(str::is_empty) {
                    continue;
                }
                if record.len() != header.len() {
                    problems.push(
                        Some(line),
                        Some(records.len() as u64 + 1),
                        None,
                        format!(
                            "the row has {} fields; the header has {}",
                            record.len(),
                            header.len()
                        ),
                    );
                }
                records.push((
                    line,
                    RawRow::Csv(record.iter().map(str::to_string).collect()),
                ));
            }
            Err(err) => {
                return Err(ImportError::Malformed {
                    format: "CSV",
                    reason: err.to_string(),
                });
            }
        }
    }
    Ok(Parsed {
        records,
        positions,
        delimiter: Some(delimiter),
        delimiter_detected: detected,
    })
}

fn parse_json(
    meta: &DatasetMeta,
    text: &str,
    problems: &mut Problems,
) -> Result<Parsed, ImportError> {
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|e| ImportError::Malformed {
            format: "JSON",
            reason: format!(
                "{e} (the body must be one array of objects keyed by column name; was the upload cut short?)"
            ),
        })?;
    let mut records = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let n = i as u64 + 1;
        match row {
            serde_json::Value::Object(map) => {
                for key in map.keys() {
                    if meta.column(key).is_none() {
                        problems.push(
                            Some(n),
                            Some(n),
                            Some(key),
                            format!("`{key}` is not a column of dataset `{}`", meta.id),
                        );
                    }
                }
                for column in &meta.columns {
                    if !map.contains_key(&column.name) {
                        problems.push(
                            Some(n),
                            Some(n),
                            Some(&column.name),
                            "the column is missing (give every column; null for no value)".into(),
                        );
                    }
                }
                records.push((n, RawRow::Json(map)));
            }
            other => problems.push(
                Some(n),
                Some(n),
                None,
                format!(
                    "each element must be an object, found {}",
                    json_kind(&other)
                ),
            ),
        }
    }
    Ok(Parsed {
        records,
        positions: Vec::new(),
        delimiter: None,
        delimiter_detected: false,
    })
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// `1.234,5` or `12,5`: a number written with a decimal comma.
fn looks_decimal_comma(raw: &str) -> bool {
    let s = raw.trim().trim_start_matches('-');
    let Some((whole, fraction)) = s.split_once(',') else {
        return false;
    };
    !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && !whole.is_empty()
        && whole.split('.').enumerate().all(|(i, group)| {
            !group.is_empty()
                && group.bytes().all(|b| b.is_ascii_digit())
                && (i == 0 || group.len() == 3)
        })
}

/// `1.234.567`: a whole number with dots grouping thousands.
fn looks_grouped(raw: &str) -> bool {
    let s = raw.trim().trim_start_matches('-');
    s.contains('.')
        && s.split('.').enumerate().all(|(i, group)| {
            !group.is_empty()
                && group.bytes().all(|b| b.is_ascii_digit())
                && if i == 0 {
                    group.len() <= 3
                } else {
                    group.len() == 3
                }
        })
}

/// Rewrites a decimal-comma number (`1.234,5`) in the dot notation the parser reads.
fn from_decimal_comma(raw: &str) -> String {
    raw.trim().replace('.', "").replace(',', ".")
}

impl Store {
    /// Imports `bytes` into `dataset` as one revision (see the module docs). A file with any
    /// problem is refused whole; a dry run reports the counts and writes nothing.
    pub fn import_blocking(
        &self,
        dataset: &str,
        bytes: &[u8],
        options: &ImportOptions,
    ) -> Result<ImportReport, ImportError> {
        if bytes.is_empty() {
            return Err(ImportError::Empty);
        }
        let text = decode(bytes)?;
        if text.trim().is_empty() {
            return Err(ImportError::Empty);
        }
        self.write_blocking(|conn| Ok(import(conn, dataset, text, options)))
            .map_err(ImportError::Store)?
    }
}

fn import(
    conn: &mut rusqlite::Connection,
    dataset: &str,
    text: &str,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    // IMMEDIATE: the write lock is taken before anything is read, so the existing rows the
    // checks see are the rows the write changes, even with another process on the file.
    let tx = rusqlite::Transaction::new(conn, rusqlite::TransactionBehavior::Immediate)?;
    let meta = catalog::load_dataset(&tx, dataset)?;
    let mut problems = Problems::default();
    let mut notes = Vec::new();

    let parsed = match options.format {
        ImportFormat::Csv => parse_csv(&meta, text, options.delimiter, &mut problems)?,
        ImportFormat::Json => parse_json(&meta, text, &mut problems)?,
    };
    if parsed.delimiter_detected {
        notes.push(
            "delimiter `;` detected from the header line (send delimiter=; to say so)".into(),
        );
    }
    if parsed.records.is_empty() && problems.count == 0 {
        problems.push(
            None,
            None,
            None,
            "the file has a header but no rows (to empty a dataset, ask the maintainers)".into(),
        );
    }

    // Decimal comma: only meaningful when `,` is not the delimiter.
    let real_columns: Vec<usize> = meta
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.column_type == ColumnType::Real)
        .map(|(i, _)| i)
        .collect();
    let (decimal_comma, decimal_detected) = match (options.decimal_comma, parsed.delimiter) {
        (Some(given), _) => (given, false),
        (None, Some(d)) if d != b',' => {
            let found = parsed.records.iter().any(|(_, raw)| match raw {
                RawRow::Csv(cells) => real_columns.iter().any(|&i| {
                    cells
                        .get(parsed.positions[i])
                        .is_some_and(|c| looks_decimal_comma(c))
                }),
                RawRow::Json(_) => false,
            });
            (found, found)
        }
        _ => (false, false),
    };
    if decimal_detected {
        notes.push(
            "decimal comma detected (numbers such as 1.234,5); send decimal=comma to say so".into(),
        );
    }

    // Type every cell.
    let pk = meta.primary_key_index();
    let source_index = meta
        .source_column
        .as_ref()
        .and_then(|s| meta.column(s))
        .map(|(i, _)| i);
    let known_sources = known_sources(&tx, &meta)?;
    let mut typed: Vec<(u64, Vec<Value>)> = Vec::with_capacity(parsed.records.len());
    // Keys by their description: integers and texts stay distinct (`1` vs `"1"`).
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    for (row_number, (line, raw)) in parsed.records.iter().enumerate() {
        let row_number = row_number as u64 + 1;
        let mut values = Vec::with_capacity(meta.columns.len());
        let mut row_ok = true;
        for (i, column) in meta.columns.iter().enumerate() {
            let mut report = |reason: String| {
                problems.push(Some(*line), Some(row_number), Some(&column.name), reason)
            };
            let value = match raw {
                RawRow::Csv(cells) => {
                    let cell = cells
                        .get(*parsed.positions.get(i).unwrap_or(&usize::MAX))
                        .map(String::as_str)
                        .unwrap_or("");
                    if cell.is_empty() {
                        Some(Value::Null)
                    } else {
                        let numeric =
                            matches!(column.column_type, ColumnType::Real | ColumnType::Integer);
                        let cell = if numeric
                            && decimal_comma
                            && (looks_decimal_comma(cell) || looks_grouped(cell))
                        {
                            std::borrow::Cow::Owned(from_decimal_comma(cell))
                        } else if numeric && decimal_comma && cell.contains('.') {
                            // With a decimal comma a dot can only group thousands.
                            std::borrow::Cow::Borrowed("")
                        } else {
                            std::borrow::Cow::Borrowed(cell)
                        };
                        let parsed = values::parse_text(column.column_type, &cell);
                        if parsed.is_none() {
                            report(format!(
                                "{:?} is not {}{}",
                                truncate(&cell),
                                if decimal_comma && column.column_type == ColumnType::Real {
                                    "a number such as 1.234,5 (decimal comma)"
                                } else {
                                    values::expected(column.column_type)
                                },
                                unit_hint(column)
                            ));
                        }
                        parsed
                    }
                }
                RawRow::Json(map) => match map.get(&column.name) {
                    None => Some(Value::Null),
                    Some(v) => {
                        let parsed = values::from_json(column.column_type, v);
                        if parsed.is_none() {
                            report(format!(
                                "{} is not {}{}",
                                truncate(&v.to_string()),
                                values::expected(column.column_type),
                                unit_hint(column)
                            ));
                        }
                        parsed
                    }
                },
            };
            match value {
                Some(v) => values.push(v),
                None => {
                    row_ok = false;
                    values.push(Value::Null);
                }
            }
        }
        if !row_ok {
            continue;
        }
        if values[pk] == Value::Null {
            problems.push(
                Some(*line),
                Some(row_number),
                Some(&meta.primary_key),
                "the primary key is empty".into(),
            );
            continue;
        }
        if let Some(first) = first_line_of.get(&describe(&values[pk])) {
            problems.push(
                Some(*line),
                Some(row_number),
                Some(&meta.primary_key),
                format!(
                    "key {} appears again (first on line {first})",
                    describe(&values[pk])
                ),
            );
            continue;
        }
        first_line_of.insert(describe(&values[pk]), *line);
        if let (Some(si), Some(known)) = (source_index, &known_sources) {
            let name = meta.columns[si].name.as_str();
            match &values[si] {
                Value::Text(s) if known.contains(s) => {}
                Value::Null => {
                    problems.push(
                        Some(*line),
                        Some(row_number),
                        Some(name),
                        "every figure needs a source: the source column is empty".into(),
                    );
                    continue;
                }
                other => {
                    problems.push(
                        Some(*line),
                        Some(row_number),
                        Some(name),
                        format!(
                            "source {} does not exist in the sources dataset",
                            describe(other)
                        ),
                    );
                    continue;
                }
            }
        }
        typed.push((*line, values));
    }

    check_codes(&tx, &meta, &typed, &mut problems)?;

    if options.mode == ImportMode::Append {
        let mut live = tx.prepare(&format!(
            "SELECT 1 FROM \"{}\" WHERE \"{}\" = ?1",
            meta.table, meta.primary_key
        ))?;
        for (line, row) in &typed {
            if live.exists([&row[pk]])? {
                problems.push(
                    Some(*line),
                    None,
                    Some(&meta.primary_key),
                    format!(
                        "key {} is already in the dataset (use mode=upsert to change it)",
                        describe(&row[pk])
                    ),
                );
            }
        }
    }

    if problems.count > 0 {
        return Err(ImportError::Rejected {
            count: problems.count,
            problems: problems.kept,
            notes,
        });
    }

    let message = options.message.clone().unwrap_or_else(|| {
        format!(
            "import ({}, {} rows)",
            match options.mode {
                ImportMode::Append => "append",
                ImportMode::Replace => "replace",
                ImportMode::Upsert => "upsert",
            },
            typed.len()
        )
    });
    let rev = write::begin_change(&tx, dataset, &options.author, &message)?;
    let rows_in_file = typed.len() as u64;
    let counts = apply(&tx, &meta, rev, options.mode, typed)?;

    // Removing or changing a source could leave another dataset's figure without one. Other
    // imports cannot: their own rows were checked against the sources above.
    if let Some(sources_id) = sources_dataset(&tx)?.filter(|s| s == dataset) {
        let sources = catalog::load_dataset(&tx, &sources_id)?;
        let ids = catalog::list_dataset_ids(&tx)?;
        for id in ids {
            let other = catalog::load_dataset(&tx, &id)?;
            if let Err(StoreError::InvalidData { reason, .. }) =
                write::check_sources(&tx, &other, &sources)
            {
                problems.push(
                    None,
                    None,
                    other.source_column.as_deref(),
                    format!("dataset `{id}`: {reason}"),
                );
            }
        }
    }
    if problems.count > 0 {
        return Err(ImportError::Rejected {
            count: problems.count,
            problems: problems.kept,
            notes,
        });
    }

    let report = ImportReport {
        dataset: meta.id.clone(),
        mode: options.mode,
        format: options.format,
        dry_run: options.dry_run,
        revision: (!options.dry_run).then_some(rev),
        rows_in_file,
        added: counts.added,
        changed: counts.changed,
        removed: counts.removed,
        unchanged: counts.unchanged,
        delimiter: parsed.delimiter.map(|d| (d as char).to_string()),
        delimiter_detected: parsed.delimiter_detected,
        decimal_comma,
        decimal_comma_detected: decimal_detected,
        notes,
    };
    if options.dry_run {
        // Dropping the transaction rolls it back: the counts are exact, nothing is kept.
        drop(tx);
        return Ok(report);
    }
    if counts.added + counts.changed + counts.removed == 0 {
        // Nothing differs: no empty revision.
        drop(tx);
        return Ok(ImportReport {
            revision: None,
            notes: {
                let mut notes = report.notes;
                notes.push("the file matches the dataset; no revision was made".into());
                notes
            },
            ..report
        });
    }
    tx.execute(
        "UPDATE _logam_revisions SET rows_added = ?2, rows_changed = ?3, rows_removed = ?4
         WHERE rev = ?1",
        rusqlite::params![
            rev,
            counts.added as i64,
            counts.changed as i64,
            counts.removed as i64
        ],
    )?;
    tx.execute(
        "UPDATE _logam_datasets SET current_rev = ?2, updated_at = ?3,
             row_count = row_count + ?4 - ?5
         WHERE id = ?1",
        rusqlite::params![
            dataset,
            rev,
            write::now_utc(),
            counts.added as i64,
            counts.removed as i64
        ],
    )?;
    tx.commit()?;
    Ok(report)
}

fn code_text(value: &Value) -> Option<String> {
    match value {
        Value::Text(t) => Some(t.clone()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(r) => Some(r.to_string()),
        Value::Null | Value::Blob(_) => None,
    }
}

/// Columns with a code list (`codes = "dataset:column"`) take only values found there. A list
/// in the dataset itself (a parent code) also takes the file's own values.
fn check_codes(
    tx: &Transaction<'_>,
    meta: &DatasetMeta,
    typed: &[(u64, Vec<Value>)],
    problems: &mut Problems,
) -> Result<(), ImportError> {
    for (index, column) in meta.columns.iter().enumerate() {
        let Some(codes) = &column.codes else {
            continue;
        };
        let Some((list_dataset, list_column)) = codes.split_once(':') else {
            continue;
        };
        let list = match catalog::load_dataset(tx, list_dataset) {
            Ok(list) if list.column(list_column).is_some() => list,
            Ok(_) | Err(StoreError::UnknownDataset(_)) => {
                problems.push(
                    None,
                    None,
                    Some(&column.name),
                    format!("the code list {codes:?} does not exist; ask the maintainers"),
                );
                continue;
            }
            Err(other) => return Err(other.into()),
        };
        let mut stmt = tx.prepare(&format!(
            "SELECT DISTINCT CAST(\"{list_column}\" AS TEXT) FROM \"{}\"
             WHERE \"{list_column}\" IS NOT NULL",
            list.table
        ))?;
        let mut allowed = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<HashSet<_>, _>>()?;
        if list.id == meta.id
            && let Some((own, _)) = meta.column(list_column)
        {
            allowed.extend(typed.iter().filter_map(|(_, row)| code_text(&row[own])));
        }
        for (line, row) in typed {
            if let Some(code) = code_text(&row[index])
                && !allowed.contains(&code)
            {
                problems.push(
                    Some(*line),
                    None,
                    Some(&column.name),
                    format!("{code:?} is not in the code list {codes}"),
                );
            }
        }
    }
    Ok(())
}

/// The unit a numeric column is measured in, for a refusal: the schema fixes the unit per
/// column, so a cell holds a bare number in it ("250000000", not "Rp250 juta").
fn unit_hint(column: &ColumnMeta) -> String {
    match (&column.unit, column.column_type) {
        (Some(unit), ColumnType::Integer | ColumnType::Real) => {
            format!(" (a bare number in {unit}, without the unit or a scale word)")
        }
        _ => String::new(),
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s.to_string()
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

fn sources_dataset(tx: &Transaction<'_>) -> Result<Option<String>, rusqlite::Error> {
    tx.query_row(
        "SELECT value FROM _logam_meta WHERE key = 'sources_dataset'",
        [],
        |r| r.get(0),
    )
    .optional()
}

/// The source ids a row may name, or `None` when the dataset needs none. When the dataset is
/// the sources dataset itself its rows need no source; removals are checked after the write.
fn known_sources(
    tx: &Transaction<'_>,
    meta: &DatasetMeta,
) -> Result<Option<HashSet<String>>, ImportError> {
    if meta.source_column.is_none() {
        return Ok(None);
    }
    let Some(sources_id) = sources_dataset(tx)? else {
        return Ok(None);
    };
    let sources = catalog::load_dataset(tx, &sources_id)?;
    let mut stmt = tx.prepare(&format!(
        "SELECT CAST(\"{}\" AS TEXT) FROM \"{}\"",
        sources.primary_key, sources.table
    ))?;
    let ids = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<HashSet<_>, _>>()?;
    Ok(Some(ids))
}

#[derive(Default)]
struct Counts {
    added: u64,
    changed: u64,
    removed: u64,
    unchanged: u64,
}

/// Writes checked rows as revision `rev`. A changed or removed row's old version is copied to
/// the history table, closed at `rev`, before the live row is touched.
fn apply(
    tx: &Transaction<'_>,
    meta: &DatasetMeta,
    rev: i64,
    mode: ImportMode,
    rows: Vec<(u64, Vec<Value>)>,
) -> Result<Counts, ImportError> {
    let table = &meta.table;
    let hist = history_table(table);
    let pk_name = &meta.primary_key;
    let pk = meta.primary_key_index();
    let quoted: Vec<String> = meta
        .columns
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    let list = quoted.join(", ");
    let mut counts = Counts::default();

    let mut insert = tx.prepare(&format!(
        "INSERT INTO \"{table}\" ({list}, \"_rev_from\") VALUES ({})",
        vec!["?"; quoted.len() + 1].join(", ")
    ))?;
    let mut select = tx.prepare(&format!(
        "SELECT {list} FROM \"{table}\" WHERE \"{pk_name}\" = ?1"
    ))?;
    let mut close = tx.prepare(&format!(
        "INSERT INTO \"{hist}\" ({list}, \"_rev_from\", \"_rev_to\")
         SELECT {list}, \"_rev_from\", ?2 FROM \"{table}\" WHERE \"{pk_name}\" = ?1"
    ))?;
    let assignments = quoted
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let mut update = tx.prepare(&format!(
        "UPDATE \"{table}\" SET {assignments}, \"_rev_from\" = ?{} WHERE \"{pk_name}\" = ?1",
        quoted.len() + 2
    ))?;

    if mode == ImportMode::Replace {
        let keep: HashSet<String> = rows.iter().map(|(_, r)| describe(&r[pk])).collect();
        let mut live_keys = tx.prepare(&format!("SELECT \"{pk_name}\" FROM \"{table}\""))?;
        let gone: Vec<Value> = live_keys
            .query_map([], |r| r.get::<_, Value>(0))?
            .filter(|k| {
                k.as_ref()
                    .map(|k| !keep.contains(&describe(k)))
                    .unwrap_or(true)
            })
            .collect::<Result<_, _>>()?;
        let mut delete =
            tx.prepare(&format!("DELETE FROM \"{table}\" WHERE \"{pk_name}\" = ?1"))?;
        for key in gone {
            close.execute(rusqlite::params![key, rev])?;
            delete.execute([&key])?;
            counts.removed += 1;
        }
    }

    for (_, row) in rows {
        let existing: Option<Vec<Value>> = if mode == ImportMode::Append {
            None
        } else {
            select
                .query_row([&row[pk]], |r| {
                    (0..quoted.len()).map(|i| r.get::<_, Value>(i)).collect()
                })
                .optional()?
        };
        match existing {
            None => {
                insert.execute(params_from_iter(
                    row.iter().chain(std::iter::once(&Value::Integer(rev))),
                ))?;
                counts.added += 1;
            }
            Some(old) if same_row(&old, &row) => counts.unchanged += 1,
            Some(_) => {
                close.execute(rusqlite::params![row[pk], rev])?;
                let mut bound = Vec::with_capacity(row.len() + 2);
                bound.push(row[pk].clone());
                bound.extend(row.iter().cloned());
                bound.push(Value::Integer(rev));
                update.execute(params_from_iter(bound.iter()))?;
                counts.changed += 1;
            }
        }
    }
    Ok(counts)
}

/// Equal as stored; reals compare by value so `1.0` read back equals `1.0` sent.
fn same_row(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Value::Real(x), Value::Real(y)) => x == y,
            _ => x == y,
        })
}

/// Creates an empty dataset from its TOML schema (the `data/FORMAT.md` format, without rows:
/// they come by import), as one revision. It is in the catalog as soon as this returns.
pub fn create_dataset(
    conn: &mut rusqlite::Connection,
    toml_text: &str,
    author: &str,
) -> Result<DatasetMeta, StoreError> {
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
    tx.commit()?;
    Ok(meta)
}

#[cfg(test)]
mod tests {
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
