//! What changed in a dataset between two revisions: rows added, removed and changed, read from
//! the live table and its history (see `history.rs`) inside one snapshot.

use std::collections::BTreeMap;

use rusqlite::types::ValueRef;
use serde::Serialize;

use super::catalog::{ColumnType, DatasetMeta};
use super::history::{as_of_source, history_table};
use super::{QueryError, ReadSession, StoreError};

/// At most this many rows per list; `truncated` says when more changed.
pub const MAX_CHANGES: usize = 10_000;

#[derive(Debug, Clone, Serialize)]
pub struct ChangedRow {
    pub key: serde_json::Value,
    pub before: serde_json::Map<String, serde_json::Value>,
    pub after: serde_json::Map<String, serde_json::Value>,
    /// The columns whose values differ.
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Changes {
    pub dataset: String,
    pub from: i64,
    pub to: i64,
    pub added: Vec<serde_json::Map<String, serde_json::Value>>,
    pub removed: Vec<serde_json::Map<String, serde_json::Value>>,
    pub changed: Vec<ChangedRow>,
    pub truncated: bool,
}

fn cell(column_type: ColumnType, value: ValueRef<'_>) -> serde_json::Value {
    match (column_type, value) {
        (_, ValueRef::Null) => serde_json::Value::Null,
        (ColumnType::Boolean, ValueRef::Integer(i)) => serde_json::Value::Bool(i != 0),
        (_, ValueRef::Integer(i)) => i.into(),
        (_, ValueRef::Real(r)) => serde_json::Number::from_f64(r)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        (_, ValueRef::Text(t)) => String::from_utf8_lossy(t).into_owned().into(),
        (_, ValueRef::Blob(_)) => serde_json::Value::Null,
    }
}

type Rows = BTreeMap<String, serde_json::Map<String, serde_json::Value>>;

/// The rows as of `revision` whose key is among those touched in `(from, to]`.
fn touched_rows(
    session: &ReadSession<'_>,
    meta: &DatasetMeta,
    revision: i64,
    from: i64,
    to: i64,
) -> Result<Rows, StoreError> {
    let names = meta.column_names();
    let list = names
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let pk = &meta.primary_key;
    let table = &meta.table;
    let hist = history_table(table);
    let sql = format!(
        "SELECT {list} FROM {source} WHERE \"{pk}\" IN (
            SELECT \"{pk}\" FROM main.\"{table}\" WHERE \"_rev_from\" > ?1 AND \"_rev_from\" <= ?2
            UNION SELECT \"{pk}\" FROM main.\"{hist}\"
              WHERE (\"_rev_from\" > ?1 AND \"_rev_from\" <= ?2)
                 OR (\"_rev_to\" > ?1 AND \"_rev_to\" <= ?2))",
        source = as_of_source(table, &names, revision)
    );
    let conn = session.connection();
    let mut stmt = conn.prepare(&sql)?;
    let pk_index = meta.primary_key_index();
    let mut rows = stmt.query([from, to])?;
    let mut out = Rows::new();
    while let Some(row) = rows.next()? {
        let mut map = serde_json::Map::new();
        for (i, column) in meta.columns.iter().enumerate() {
            map.insert(
                column.name.clone(),
                cell(column.column_type, row.get_ref(i)?),
            );
        }
        // Sorted by the key as JSON text, which keeps integer and text keys apart.
        let key = cell(meta.columns[pk_index].column_type, row.get_ref(pk_index)?).to_string();
        out.insert(key, map);
    }
    Ok(out)
}

impl ReadSession<'_> {
    /// Rows added, removed and changed in `dataset` from revision `from` to `to` (global
    /// revision numbers; `from` may be 0, before anything).
    pub fn changes(&self, dataset: &str, from: i64, to: i64) -> Result<Changes, StoreError> {
        let state = self.state(dataset)?;
        let newest: i64 = self.connection().query_row(
            "SELECT coalesce(max(rev), 0) FROM _logam_revisions",
            [],
            |r| r.get(0),
        )?;
        for requested in [from, to] {
            if !(0..=newest).contains(&requested) {
                return Err(QueryError::UnknownRevision { requested, newest }.into());
            }
        }
        if from > to {
            return Err(QueryError::InvalidValue {
                parameter: "from".into(),
                value: from.to_string(),
                expected: format!("a revision no later than `to` ({to})"),
            }
            .into());
        }
        let meta = self.meta(dataset, state)?;
        let before = touched_rows(self, &meta, from, from, to)?;
        let after = touched_rows(self, &meta, to, from, to)?;
        let mut changes = Changes {
            dataset: meta.id.clone(),
            from,
            to,
            added: Vec::new(),
            removed: Vec::new(),
            changed: Vec::new(),
            truncated: false,
        };
        let full = |n: usize, truncated: &mut bool| {
            if n >= MAX_CHANGES {
                *truncated = true;
                true
            } else {
                false
            }
        };
        for (key, new) in &after {
            match before.get(key) {
                None => {
                    if !full(changes.added.len(), &mut changes.truncated) {
                        changes.added.push(new.clone());
                    }
                }
                Some(old) if old != new => {
                    if !full(changes.changed.len(), &mut changes.truncated) {
                        changes.changed.push(ChangedRow {
                            key: new.get(&meta.primary_key).cloned().unwrap_or_default(),
                            columns: meta
                                .columns
                                .iter()
                                .filter(|c| old.get(&c.name) != new.get(&c.name))
                                .map(|c| c.name.clone())
                                .collect(),
                            before: old.clone(),
                            after: new.clone(),
                        });
                    }
                }
                Some(_) => {}
            }
        }
        for (key, old) in &before {
            if !after.contains_key(key) && !full(changes.removed.len(), &mut changes.truncated) {
                changes.removed.push(old.clone());
            }
        }
        Ok(changes)
    }
}

impl ReadSession<'_> {
    /// The dataset's last revision before `to`, or 0 when `to` is its first.
    pub fn revision_before(&self, dataset: &str, to: i64) -> Result<i64, StoreError> {
        Ok(self.connection().query_row(
            "SELECT coalesce(max(rev), 0) FROM _logam_revisions WHERE dataset_id = ?1 AND rev < ?2",
            rusqlite::params![dataset, to],
            |r| r.get(0),
        )?)
    }
}
