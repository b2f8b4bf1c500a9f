//! Judging an import: every raw row typed and checked against the schema, the code lists and
//! the sources before anything is written; then the rows applied as one revision.

use std::collections::{HashMap, HashSet};

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

use super::apply::apply;
use super::parse::{
    RawRow, from_decimal_comma, looks_decimal_comma, looks_grouped, parse_csv, parse_json,
};
use super::*;
use crate::store::catalog::{self, ColumnMeta, ColumnType, DatasetMeta};
use crate::store::tokens::{Actor, append_audit};
use crate::store::{Store, StoreError, values, write};

/// What a file turned out to hold, checked against the database as of `fingerprint`.
pub(super) struct Prepared {
    meta: DatasetMeta,
    typed: Vec<(u64, Vec<Value>)>,
    notes: Vec<String>,
    delimiter: Option<u8>,
    delimiter_detected: bool,
    decimal_comma: bool,
    decimal_detected: bool,
    fingerprint: (i64, i64),
}

/// The state of everything an import's checks read (rows, code lists, sources, schemas):
/// every write to a dataset makes a revision, every schema change bumps a version.
fn fingerprint(conn: &Connection) -> Result<(i64, i64), rusqlite::Error> {
    conn.query_row(
        "SELECT (SELECT coalesce(max(rev), 0) FROM _logam_revisions),
                (SELECT coalesce(sum(schema_version), 0) + count(*) FROM _logam_datasets)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Parses, types and checks the whole file on read-only connections, without the writer:
/// however long a 64 MiB file takes, nothing waits for it but its own request.
pub(super) fn prepare(
    store: &Store,
    dataset: &str,
    text: &str,
    options: &ImportOptions,
) -> Result<Prepared, ImportError> {
    let (meta, known_sources, fingerprint) = store.read_blocking(|session| {
        let conn = session.connection();
        let fingerprint = fingerprint(conn)?;
        let meta = catalog::load_dataset(conn, dataset)?;
        let known = known_sources(conn, &meta).map_err(|e| match e {
            ImportError::Store(store) => store,
            other => StoreError::Task(other.to_string()),
        })?;
        Ok((meta, known, fingerprint))
    })?;
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

    store.read_blocking(|session| {
        check_database(
            session.connection(),
            &meta,
            &typed,
            options.mode,
            &mut problems,
        )
        .map_err(|e| match e {
            ImportError::Store(store) => store,
            other => StoreError::Task(other.to_string()),
        })
    })?;
    if problems.count > 0 {
        return Err(ImportError::Rejected {
            count: problems.count,
            problems: problems.kept,
            notes,
        });
    }
    Ok(Prepared {
        meta,
        typed,
        notes,
        delimiter: parsed.delimiter,
        delimiter_detected: parsed.delimiter_detected,
        decimal_comma,
        decimal_detected,
        fingerprint,
    })
}

/// The checks that read the database: code lists, and for an append the keys already live.
fn check_database(
    conn: &Connection,
    meta: &DatasetMeta,
    typed: &[(u64, Vec<Value>)],
    mode: ImportMode,
    problems: &mut Problems,
) -> Result<(), ImportError> {
    check_codes(conn, meta, typed, problems)?;
    if mode == ImportMode::Append {
        let pk = meta.primary_key_index();
        let mut live = conn.prepare(&format!(
            "SELECT 1 FROM \"{}\" WHERE \"{}\" = ?1",
            meta.table, meta.primary_key
        ))?;
        for (line, row) in typed {
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
    Ok(())
}

/// Writes a prepared file as one revision, with its audit row, in one IMMEDIATE transaction.
/// When anything was written since the file was checked, the checks that read the database
/// run again inside the transaction (the typing of the cells does not depend on it; a changed
/// schema sends the client back to send the file again).
pub(super) fn commit(
    conn: &mut Connection,
    dataset: &str,
    prepared: Prepared,
    options: &ImportOptions,
    actor: &Actor,
) -> Result<ImportReport, ImportError> {
    // IMMEDIATE: the write lock is taken before anything is read, so the existing rows the
    // re-checks see are the rows the write changes, even with another process on the file.
    let tx = rusqlite::Transaction::new(conn, rusqlite::TransactionBehavior::Immediate)?;
    let Prepared {
        meta,
        typed,
        notes,
        delimiter,
        delimiter_detected,
        decimal_comma,
        decimal_detected,
        fingerprint: checked_at,
    } = prepared;
    let mut problems = Problems::default();
    if fingerprint(&tx)? != checked_at {
        let now = catalog::load_dataset(&tx, dataset)?;
        if now.schema_version != meta.schema_version {
            problems.push(
                None,
                None,
                None,
                "the dataset's columns changed while the file was being checked; send it again"
                    .into(),
            );
        } else {
            recheck_sources(&tx, &meta, &typed, &mut problems)?;
            check_database(&tx, &meta, &typed, options.mode, &mut problems)?;
        }
        if problems.count > 0 {
            return Err(ImportError::Rejected {
                count: problems.count,
                problems: problems.kept,
                notes,
            });
        }
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
        delimiter: delimiter.map(|d| (d as char).to_string()),
        delimiter_detected,
        decimal_comma,
        decimal_comma_detected: decimal_detected,
        notes,
    };
    if options.dry_run {
        // Dropping the transaction rolls it back: the counts are exact, nothing is kept.
        drop(tx);
        return Ok(report);
    }
    let audit = |report: &ImportReport| {
        actor.audit(
            "dataset.import",
            dataset,
            serde_json::to_value(report).unwrap_or_default(),
        )
    };
    if counts.added + counts.changed + counts.removed == 0 {
        // Nothing differs: no empty revision, but the attempt is on record.
        drop(tx);
        let report = ImportReport {
            revision: None,
            notes: {
                let mut notes = report.notes;
                notes.push("the file matches the dataset; no revision was made".into());
                notes
            },
            ..report
        };
        append_audit(conn, &audit(&report))?;
        return Ok(report);
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
    append_audit(&tx, &audit(&report))?;
    tx.commit()?;
    Ok(report)
}

/// The sources the rows name, checked again against the sources dataset as it is now.
fn recheck_sources(
    conn: &Connection,
    meta: &DatasetMeta,
    typed: &[(u64, Vec<Value>)],
    problems: &mut Problems,
) -> Result<(), ImportError> {
    let Some(known) = known_sources(conn, meta)? else {
        return Ok(());
    };
    let Some((index, column)) = meta.source_column.as_ref().and_then(|s| meta.column(s)) else {
        return Ok(());
    };
    for (line, row) in typed {
        match &row[index] {
            Value::Text(s) if known.contains(s) => {}
            other => problems.push(
                Some(*line),
                None,
                Some(&column.name),
                format!(
                    "source {} does not exist in the sources dataset (it was removed while the file was being checked)",
                    describe(other)
                ),
            ),
        }
    }
    Ok(())
}

pub(super) fn code_text(value: &Value) -> Option<String> {
    match value {
        Value::Text(t) => Some(t.clone()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(r) => Some(r.to_string()),
        Value::Null | Value::Blob(_) => None,
    }
}

/// Columns with a code list (`codes = "dataset:column"`) take only values found there. A list
/// in the dataset itself (a parent code) also takes the file's own values.
pub(super) fn check_codes(
    tx: &Connection,
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
pub(super) fn unit_hint(column: &ColumnMeta) -> String {
    match (&column.unit, column.column_type) {
        (Some(unit), ColumnType::Integer | ColumnType::Real) => {
            format!(" (a bare number in {unit}, without the unit or a scale word)")
        }
        _ => String::new(),
    }
}

pub(super) fn sources_dataset(tx: &Connection) -> Result<Option<String>, rusqlite::Error> {
    tx.query_row(
        "SELECT value FROM _logam_meta WHERE key = 'sources_dataset'",
        [],
        |r| r.get(0),
    )
    .optional()
}

/// The source ids a row may name, or `None` when the dataset needs none. When the dataset is
/// the sources dataset itself its rows need no source; removals are checked after the write.
pub(super) fn known_sources(
    tx: &Connection,
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
