//! Creating datasets and adding rows. Every change goes through here, inside one transaction
//! that also records the revision, so a reader sees a dataset's rows and its revision move
//! together or not at all.

use rusqlite::types::Value;
use rusqlite::{Transaction, params, params_from_iter};
use serde::Deserialize;

use super::StoreError;
use super::catalog::{Bilingual, ColumnMeta, ColumnType, DatasetMeta, fts_table_name};

/// A dataset's description as written by its author (a seed TOML file, `logam gen`, or later
/// an admin's schema file). Checked by [`DatasetSpec::validate`] before anything is created.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    pub id: String,
    pub title: Bilingual,
    pub description: Bilingual,
    pub licence: String,
    pub primary_key: String,
    #[serde(default)]
    pub source_column: Option<String>,
    #[serde(default)]
    pub synthetic: bool,
    pub columns: Vec<ColumnMeta>,
    /// Named SELECTs published with the dataset; `:name` marks a parameter.
    #[serde(default)]
    pub queries: Vec<CannedQuery>,
}

/// A canned query as its author writes it.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CannedQuery {
    pub name: String,
    pub title: Bilingual,
    pub description: Bilingual,
    pub sql: String,
}

/// Identifiers become SQL identifiers, so they are held to a strict pattern instead of being
/// escaped: lowercase ASCII letter first, then lowercase letters, digits and `_`.
pub fn is_valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && name.len() <= 64
        && !name.contains("__")
}

impl DatasetSpec {
    pub fn validate(&self) -> Result<(), StoreError> {
        let fail = |reason: String| {
            Err(StoreError::InvalidData {
                dataset: self.id.clone(),
                reason,
            })
        };
        if !is_valid_identifier(&self.id) {
            return fail(format!(
                "dataset id {:?} must be lowercase letters, digits and single underscores, starting with a letter",
                self.id
            ));
        }
        if self.columns.is_empty() {
            return fail("a dataset needs at least one column".into());
        }
        let mut seen = std::collections::HashSet::new();
        for column in &self.columns {
            if !is_valid_identifier(&column.name) {
                return fail(format!(
                    "column name {:?} must be lowercase letters, digits and single underscores, starting with a letter",
                    column.name
                ));
            }
            if !seen.insert(column.name.as_str()) {
                return fail(format!("column {:?} is declared twice", column.name));
            }
            if let Some(codes) = &column.codes {
                let valid = codes.split_once(':').is_some_and(|(dataset, column)| {
                    is_valid_identifier(dataset) && is_valid_identifier(column)
                });
                if !valid {
                    return fail(format!(
                        "column {:?}: codes {codes:?} must be \"dataset:column\"",
                        column.name
                    ));
                }
            }
            if column.searchable && !column.column_type.is_textual() {
                return fail(format!(
                    "column {:?} is searchable but not text",
                    column.name
                ));
            }
        }
        match self.columns.iter().find(|c| c.name == self.primary_key) {
            Some(c) if matches!(c.column_type, ColumnType::Integer | ColumnType::Text) => {}
            Some(_) => return fail("the primary key must be an integer or text column".into()),
            None => {
                return fail(format!(
                    "primary key {:?} is not a declared column",
                    self.primary_key
                ));
            }
        }
        if let Some(source) = &self.source_column
            && !seen.contains(source.as_str())
        {
            return fail(format!("source column {source:?} is not a declared column"));
        }
        let mut names = std::collections::HashSet::new();
        for query in &self.queries {
            if !is_valid_identifier(&query.name) || !names.insert(query.name.as_str()) {
                return fail(format!(
                    "query name {:?} must be a unique lowercase identifier",
                    query.name
                ));
            }
        }
        Ok(())
    }
}

pub(crate) fn now_utc() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Creates the table and its metadata, and opens revision 1 of the dataset (the rows that
/// follow belong to it). Returns the new revision number.
pub(crate) fn create_dataset(
    tx: &Transaction<'_>,
    spec: &DatasetSpec,
    author: &str,
    message: &str,
) -> Result<i64, StoreError> {
    spec.validate()?;
    let exists: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM _logam_datasets WHERE id = ?1)
             OR EXISTS(SELECT 1 FROM sqlite_schema WHERE name = ?1)",
        params![spec.id],
        |r| r.get(0),
    )?;
    if exists {
        return Err(StoreError::DatasetExists(spec.id.clone()));
    }

    let mut columns_sql = Vec::with_capacity(spec.columns.len() + 1);
    for column in &spec.columns {
        let mut def = format!("\"{}\" {}", column.name, column.column_type.sqlite_type());
        if column.name == spec.primary_key {
            def.push_str(" PRIMARY KEY NOT NULL");
        }
        columns_sql.push(def);
    }
    // The revision that added the row: lets a later `_as_of` tell old rows from new.
    columns_sql.push("\"_rev_from\" INTEGER NOT NULL".into());
    tx.execute_batch(&format!(
        "CREATE TABLE \"{}\" ({}) STRICT;",
        spec.id,
        columns_sql.join(", ")
    ))?;
    super::history::ensure_history_table(tx, &spec.id, &spec.columns, &spec.primary_key)?;

    let now = now_utc();
    let rev = open_revision(tx, &spec.id, author, message, &now)?;
    let searchable = spec.columns.iter().any(|c| c.searchable);
    tx.execute(
        "INSERT INTO _logam_datasets (id, table_name, title_id, title_en, description_id,
            description_en, licence, primary_key, source_column, synthetic, searchable,
            current_rev, schema_version, row_count, created_at, updated_at)
         VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1, 0, ?12, ?12)",
        params![
            spec.id,
            spec.title.id,
            spec.title.en,
            spec.description.id,
            spec.description.en,
            spec.licence,
            spec.primary_key,
            spec.source_column,
            spec.synthetic,
            searchable,
            rev,
            now
        ],
    )?;
    let mut insert_column = tx.prepare(
        "INSERT INTO _logam_columns (dataset_id, position, name, type, unit, searchable,
            title_id, title_en, description_id, description_en, codes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for (position, column) in spec.columns.iter().enumerate() {
        insert_column.execute(params![
            spec.id,
            position as i64,
            column.name,
            column.column_type.as_str(),
            column.unit,
            column.searchable,
            column.title.id,
            column.title.en,
            column.description.id,
            column.description.en,
            column.codes
        ])?;
    }
    let mut insert_query = tx.prepare(
        "INSERT INTO _logam_queries (dataset_id, name, title_id, title_en, description_id,
            description_en, sql)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for query in &spec.queries {
        insert_query.execute(params![
            spec.id,
            query.name,
            query.title.id,
            query.title.en,
            query.description.id,
            query.description.en,
            query.sql
        ])?;
    }
    Ok(rev)
}

fn open_revision(
    tx: &Transaction<'_>,
    dataset: &str,
    author: &str,
    message: &str,
    now: &str,
) -> Result<i64, StoreError> {
    tx.execute(
        "INSERT INTO _logam_revisions (dataset_id, created_at, author, message)
         VALUES (?1, ?2, ?3, ?4)",
        params![dataset, now, author, message],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Inserts typed rows (one `Value` per declared column, in order) as part of revision `rev`.
/// A duplicate primary key fails the whole transaction with a message naming the key.
pub(crate) fn insert_rows<I>(
    tx: &Transaction<'_>,
    meta: &DatasetMeta,
    rev: i64,
    rows: I,
) -> Result<i64, StoreError>
where
    I: IntoIterator<Item = Vec<Value>>,
{
    let names: Vec<String> = meta
        .columns
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    let placeholders = vec!["?"; meta.columns.len() + 1].join(", ");
    let mut stmt = tx.prepare(&format!(
        "INSERT INTO \"{}\" ({}, \"_rev_from\") VALUES ({placeholders})",
        meta.table,
        names.join(", ")
    ))?;
    let pk = meta.primary_key_index();
    let mut count = 0i64;
    for mut row in rows {
        if row.len() != meta.columns.len() {
            return Err(StoreError::InvalidData {
                dataset: meta.id.clone(),
                reason: format!(
                    "row {} has {} values for {} columns",
                    count + 1,
                    row.len(),
                    meta.columns.len()
                ),
            });
        }
        if row[pk] == Value::Null {
            return Err(StoreError::InvalidData {
                dataset: meta.id.clone(),
                reason: format!(
                    "row {} has no primary key `{}`",
                    count + 1,
                    meta.primary_key
                ),
            });
        }
        let key = row[pk].clone();
        row.push(Value::Integer(rev));
        stmt.execute(params_from_iter(row.iter())).map_err(|err| {
            match err.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::InvalidData {
                    dataset: meta.id.clone(),
                    reason: format!(
                        "primary key `{}` = {} is already taken",
                        meta.primary_key,
                        describe_value(&key)
                    ),
                },
                _ => StoreError::from_sqlite(err),
            }
        })?;
        count += 1;
    }
    Ok(count)
}

fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Text(t) => format!("{t:?}"),
        Value::Blob(_) => "(blob)".into(),
    }
}

/// Builds the FTS5 index over the searchable columns and the triggers that keep it in step.
/// Called after the first bulk insert, so a million-row load indexes once instead of a
/// million times.
pub(crate) fn build_search_index(
    tx: &Transaction<'_>,
    meta: &DatasetMeta,
) -> Result<(), StoreError> {
    let columns: Vec<&str> = meta
        .columns
        .iter()
        .filter(|c| c.searchable)
        .map(|c| c.name.as_str())
        .collect();
    if columns.is_empty() {
        return Ok(());
    }
    let fts = fts_table_name(&meta.table);
    let table = &meta.table;
    let quoted = |prefix: &str| {
        columns
            .iter()
            .map(|c| format!("{prefix}\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let plain = quoted("");
    let new = quoted("new.");
    let old = quoted("old.");
    tx.execute_batch(&format!(
        r#"
        CREATE VIRTUAL TABLE "{fts}" USING fts5({plain}, content="{table}", content_rowid="rowid",
            tokenize="unicode61 remove_diacritics 2");
        INSERT INTO "{fts}"("{fts}") VALUES ('rebuild');
        CREATE TRIGGER "{fts}_insert" AFTER INSERT ON "{table}" BEGIN
            INSERT INTO "{fts}"(rowid, {plain}) VALUES (new.rowid, {new});
        END;
        CREATE TRIGGER "{fts}_delete" AFTER DELETE ON "{table}" BEGIN
            INSERT INTO "{fts}"("{fts}", rowid, {plain}) VALUES ('delete', old.rowid, {old});
        END;
        CREATE TRIGGER "{fts}_update" AFTER UPDATE ON "{table}" BEGIN
            INSERT INTO "{fts}"("{fts}", rowid, {plain}) VALUES ('delete', old.rowid, {old});
            INSERT INTO "{fts}"(rowid, {plain}) VALUES (new.rowid, {new});
        END;
        "#
    ))?;
    Ok(())
}

/// Closes revision `rev`: records its counts and moves the dataset's current revision.
pub(crate) fn close_revision(
    tx: &Transaction<'_>,
    dataset: &str,
    rev: i64,
    added: i64,
) -> Result<(), StoreError> {
    let now = now_utc();
    tx.execute(
        "UPDATE _logam_revisions SET rows_added = ?2 WHERE rev = ?1",
        params![rev, added],
    )?;
    tx.execute(
        "UPDATE _logam_datasets
         SET current_rev = ?2, updated_at = ?3,
             row_count = row_count + ?4
         WHERE id = ?1",
        params![dataset, rev, now, added],
    )?;
    Ok(())
}

/// Opens a revision for a change to an existing dataset.
pub(crate) fn begin_change(
    tx: &Transaction<'_>,
    dataset: &str,
    author: &str,
    message: &str,
) -> Result<i64, StoreError> {
    open_revision(tx, dataset, author, message, &now_utc())
}

/// Checks that every row's source exists in the sources dataset, so no figure is served
/// without a resolvable source.
pub(crate) fn check_sources(
    tx: &Transaction<'_>,
    meta: &DatasetMeta,
    sources: &DatasetMeta,
) -> Result<(), StoreError> {
    let Some(source_column) = &meta.source_column else {
        return Ok(());
    };
    let mut stmt = tx.prepare(&format!(
        "SELECT \"{pk}\", \"{source_column}\" FROM \"{table}\"
         WHERE \"{source_column}\" IS NULL
            OR \"{source_column}\" NOT IN (SELECT \"{spk}\" FROM \"{stable}\")
         LIMIT 5",
        pk = meta.primary_key,
        table = meta.table,
        spk = sources.primary_key,
        stable = sources.table,
    ))?;
    let bad: Vec<String> = stmt
        .query_map([], |r| {
            let key: Value = r.get(0)?;
            let source: Value = r.get(1)?;
            Ok(format!(
                "row {} names source {}",
                describe_value(&key),
                describe_value(&source)
            ))
        })?
        .collect::<Result<_, _>>()?;
    if bad.is_empty() {
        Ok(())
    } else {
        Err(StoreError::InvalidData {
            dataset: meta.id.clone(),
            reason: format!(
                "every row needs a source that exists in `{}`: {}",
                sources.id,
                bad.join("; ")
            ),
        })
    }
}
