//! What "the data as of revision R" means, in one place.
//!
//! A dataset's own table holds its live rows only, each carrying `_rev_from`, the revision that
//! wrote that version. When an import changes or removes a row, the version it replaces is
//! first copied to the dataset's history table (`_logam_hist_<table>`) with `_rev_to`, the
//! revision that closed it. A version is visible as of R when `_rev_from <= R` and it is either
//! live or was closed after R. History rows are never rewritten, so a revision, once cited,
//! answers with the same numbers forever.
//!
//! Keeping old versions beside the table rather than in it leaves the live table exactly as it
//! was (an integer key is still the rowid, Datasette still sees an ordinary table, live reads
//! need no extra condition); only `_as_of` reads pay for history.

use rusqlite::Connection;

use super::StoreError;
use super::catalog::ColumnMeta;

/// The history table of a dataset table. `_logam_` keeps it out of the catalog and away from
/// the SQL sandbox, which refuses internal tables.
pub(crate) fn history_table(table: &str) -> String {
    format!("_logam_hist_{table}")
}

/// Creates the history table of a dataset table if it is missing: the declared columns (no key
/// constraint: one key has many versions), `_rev_from` and `_rev_to`.
pub(crate) fn ensure_history_table(
    conn: &Connection,
    table: &str,
    declared: &[ColumnMeta],
    primary_key: &str,
) -> Result<(), StoreError> {
    let mut columns: Vec<String> = declared
        .iter()
        .map(|c| format!("\"{}\" {}", c.name, c.column_type.sqlite_type()))
        .collect();
    columns.push("\"_rev_from\" INTEGER NOT NULL".into());
    columns.push("\"_rev_to\" INTEGER NOT NULL".into());
    let hist = history_table(table);
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS \"{hist}\" ({}) STRICT;
         CREATE INDEX IF NOT EXISTS \"{hist}_key\" ON \"{hist}\"(\"{}\", \"_rev_from\");
         CREATE INDEX IF NOT EXISTS \"{hist}_to\" ON \"{hist}\"(\"_rev_to\");",
        columns.join(", "),
        primary_key
    ))?;
    Ok(())
}

/// A row source (to follow FROM) holding the dataset's rows as of `revision`: the declared
/// columns and `_rev_from`, named like the table so the rest of a query reads as usual.
pub(crate) fn as_of_source(table: &str, columns: &[String], revision: i64) -> String {
    let list = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .chain(std::iter::once("\"_rev_from\"".to_string()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "(SELECT {list} FROM main.\"{table}\" WHERE \"_rev_from\" <= {revision} \
         UNION ALL SELECT {list} FROM main.\"{hist}\" \
         WHERE \"_rev_from\" <= {revision} AND \"_rev_to\" > {revision}) AS \"{table}\"",
        hist = history_table(table)
    )
}
