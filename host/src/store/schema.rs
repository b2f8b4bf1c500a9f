//! The store's own tables. Dataset tables are created from metadata (see `write.rs`); these
//! hold the metadata itself, the revision log and the store's settings.

use rusqlite::{Connection, OptionalExtension};

use super::StoreError;

/// Bumped when the internal tables change shape; a database from a newer logam is refused
/// rather than misread.
///
/// 2: every dataset table has a history table (`history.rs`); columns may name a code list
/// (`_logam_columns.codes`). A format-1 file is brought up
/// to 2 when opened (its datasets had no changes yet, so their history tables start empty);
/// a format-1 binary refuses a format-2 file, because it would answer `_as_of` from the live
/// rows alone and so misquote old revisions once an import has changed a row.
pub const STORE_FORMAT: i64 = 2;

const DDL: &str = r#"
CREATE TABLE IF NOT EXISTS _logam_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS _logam_datasets (
    id              TEXT PRIMARY KEY,
    table_name      TEXT NOT NULL UNIQUE,
    title_id        TEXT NOT NULL,
    title_en        TEXT NOT NULL,
    description_id  TEXT NOT NULL,
    description_en  TEXT NOT NULL,
    licence         TEXT NOT NULL,
    primary_key     TEXT NOT NULL,
    source_column   TEXT,
    synthetic       INTEGER NOT NULL DEFAULT 0,
    searchable      INTEGER NOT NULL DEFAULT 0,
    current_rev     INTEGER NOT NULL,
    schema_version  INTEGER NOT NULL DEFAULT 1,
    row_count       INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS _logam_columns (
    dataset_id      TEXT NOT NULL REFERENCES _logam_datasets(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    type            TEXT NOT NULL,
    unit            TEXT,
    searchable      INTEGER NOT NULL DEFAULT 0,
    title_id        TEXT NOT NULL,
    title_en        TEXT NOT NULL,
    description_id  TEXT NOT NULL,
    description_en  TEXT NOT NULL,
    codes           TEXT,
    PRIMARY KEY (dataset_id, name)
) STRICT;

-- Every change to any dataset is one numbered revision. Numbers are global so that a figure
-- computed from several datasets can name one revision.
CREATE TABLE IF NOT EXISTS _logam_revisions (
    rev           INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    author        TEXT NOT NULL,
    message       TEXT NOT NULL,
    rows_added    INTEGER NOT NULL DEFAULT 0,
    rows_changed  INTEGER NOT NULL DEFAULT 0,
    rows_removed  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS _logam_revisions_dataset ON _logam_revisions(dataset_id, rev);

-- Canned queries: named, parameterised SELECTs the office publishes with a dataset. They run
-- in the same sandbox as anyone's ad-hoc SQL.
CREATE TABLE IF NOT EXISTS _logam_queries (
    dataset_id      TEXT NOT NULL REFERENCES _logam_datasets(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    title_id        TEXT NOT NULL,
    title_en        TEXT NOT NULL,
    description_id  TEXT NOT NULL,
    description_en  TEXT NOT NULL,
    sql             TEXT NOT NULL,
    PRIMARY KEY (dataset_id, name)
) STRICT;

-- Plugins installed at run time (bundled ones live in the binary). Every install is a row
-- that is never rewritten but for `retired_at`: the plugin's current version is its newest
-- row not retired, and a rollback retires that row so the one before it is current again.
CREATE TABLE IF NOT EXISTS _logam_plugin_installs (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    plugin_id     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    version       TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    component     BLOB NOT NULL,
    manifest      TEXT NOT NULL,
    source        TEXT NOT NULL,
    installed_by  TEXT NOT NULL,
    installed_at  TEXT NOT NULL,
    retired_at    TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS _logam_plugin_installs_id ON _logam_plugin_installs(plugin_id, seq);

-- Whether a plugin (any version) may be called. No row: enabled.
CREATE TABLE IF NOT EXISTS _logam_plugin_status (
    plugin_id   TEXT PRIMARY KEY,
    enabled     INTEGER NOT NULL,
    changed_at  TEXT NOT NULL
) STRICT;
"#;

/// Creates the internal tables that are missing and checks the store format.
/// Returns true when the database had no store yet (so the caller may seed it).
pub(crate) fn ensure(conn: &Connection) -> Result<bool, StoreError> {
    let existing: Option<String> = conn
        .query_row(
            "SELECT value FROM _logam_meta WHERE key = 'store_format'",
            [],
            |r| r.get(0),
        )
        .optional()
        .or_else(|err| match err {
            // A brand-new file has no _logam_meta yet.
            rusqlite::Error::SqliteFailure(_, Some(ref msg)) if msg.contains("no such table") => {
                Ok(None)
            }
            other => Err(other),
        })?;
    if let Some(found) = &existing {
        let found: i64 = found
            .parse()
            .map_err(|_| StoreError::Seed(format!("store_format {found:?} is not a number")))?;
        if found > STORE_FORMAT {
            return Err(StoreError::Seed(format!(
                "this database was written by a newer logam (store format {found}, this build reads {STORE_FORMAT})"
            )));
        }
    }
    // Idempotent: tables added since the file was created appear, nothing else changes.
    conn.execute_batch(DDL)?;
    conn.execute_batch(super::tokens::DDL)?;
    if existing.is_none() {
        conn.execute(
            "INSERT INTO _logam_meta(key, value) VALUES ('store_format', ?1)",
            [STORE_FORMAT.to_string()],
        )?;
    } else if existing.as_deref() != Some(STORE_FORMAT.to_string().as_str()) {
        migrate(conn)?;
    }
    Ok(existing.is_none())
}

/// Format 1 → 2: a history table for every dataset, in one transaction with the new format
/// number, so a file is either migrated or left as it was.
fn migrate(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| -> Result<(), StoreError> {
        let has_codes: bool = conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM pragma_table_info('_logam_columns') WHERE name = 'codes')",
            [],
            |r| r.get(0),
        )?;
        if !has_codes {
            conn.execute_batch("ALTER TABLE _logam_columns ADD COLUMN codes TEXT")?;
        }
        for id in super::catalog::list_dataset_ids(conn)? {
            let meta = super::catalog::load_dataset(conn, &id)?;
            super::history::ensure_history_table(
                conn,
                &meta.table,
                &meta.columns,
                &meta.primary_key,
            )?;
        }
        conn.execute(
            "UPDATE _logam_meta SET value = ?1 WHERE key = 'store_format'",
            [STORE_FORMAT.to_string()],
        )?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            conn.execute_batch("COMMIT")?;
            Ok(())
        }
        Err(err) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(err)
        }
    }
}
