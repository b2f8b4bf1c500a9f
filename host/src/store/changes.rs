//! What changed in a dataset between two revisions: rows added, removed and changed, read from
//! the live table and its history (see `history.rs`) inside one snapshot, a page of keys at a
//! time (keyset, like rows), so a change that touched a million rows is read in pages.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::types::{Value, ValueRef};
use serde::Serialize;

use super::catalog::{ColumnType, DatasetMeta};
use super::history::{as_of_source, history_table};
use super::{QueryError, ReadSession, StoreError, values};

/// Keys per page by default, and at most.
pub const DEFAULT_CHANGES_PAGE: usize = 1000;
pub const MAX_CHANGES_PAGE: usize = 10_000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChangedRow {
    /// The row's primary key value.
    pub key: serde_json::Value,
    #[schema(value_type = Object)]
    pub before: serde_json::Map<String, serde_json::Value>,
    #[schema(value_type = Object)]
    pub after: serde_json::Map<String, serde_json::Value>,
    /// The columns whose values differ.
    pub columns: Vec<String>,
}

/// One page of the changes: the rows of up to `size` touched keys, in key order. `next`
/// continues after the last of them; `None` when there is nothing after.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Changes {
    pub dataset: String,
    pub from: i64,
    pub to: i64,
    #[schema(value_type = Vec<Object>)]
    pub added: Vec<serde_json::Map<String, serde_json::Value>>,
    #[schema(value_type = Vec<Object>)]
    pub removed: Vec<serde_json::Map<String, serde_json::Value>>,
    pub changed: Vec<ChangedRow>,
    /// True when more keys changed than this page holds (follow `next`).
    pub truncated: bool,
    #[schema(required)]
    pub next: Option<String>,
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

/// Up to `limit` keys touched in `(from, to]`, after `after`, in key order. Both arms of the
/// UNION are read in key order (the live table by its key, the history table by its key
/// index), so a page costs what it returns, not what the whole range touched.
fn touched_keys(
    session: &ReadSession<'_>,
    meta: &DatasetMeta,
    from: i64,
    to: i64,
    after: Option<&Value>,
    limit: usize,
) -> Result<Vec<Value>, StoreError> {
    let pk = &meta.primary_key;
    let table = &meta.table;
    let hist = history_table(table);
    let beyond = if after.is_some() {
        format!("\"{pk}\" > ?3 AND")
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT \"{pk}\" FROM main.\"{table}\"
           WHERE {beyond} \"_rev_from\" > ?1 AND \"_rev_from\" <= ?2
         UNION SELECT \"{pk}\" FROM main.\"{hist}\"
           WHERE {beyond} ((\"_rev_from\" > ?1 AND \"_rev_from\" <= ?2)
              OR (\"_rev_to\" > ?1 AND \"_rev_to\" <= ?2))
         ORDER BY 1 LIMIT {limit}"
    );
    let mut stmt = session.connection().prepare(&sql)?;
    let mut bound = vec![Value::Integer(from), Value::Integer(to)];
    bound.extend(after.cloned());
    let keys = stmt
        .query_map(rusqlite::params_from_iter(bound.iter()), |r| {
            r.get::<_, Value>(0)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(keys)
}

/// The rows as of `revision` with one of `keys`.
fn rows_at(
    session: &ReadSession<'_>,
    meta: &DatasetMeta,
    revision: i64,
    keys: &[Value],
) -> Result<Rows, StoreError> {
    let names = meta.column_names();
    let list = names
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let marks = vec!["?"; keys.len()].join(", ");
    let sql = format!(
        "SELECT {list} FROM {source} WHERE \"{pk}\" IN ({marks})",
        source = as_of_source(&meta.table, &names, revision),
        pk = meta.primary_key,
    );
    let conn = session.connection();
    let mut stmt = conn.prepare(&sql)?;
    let pk_index = meta.primary_key_index();
    let mut rows = stmt.query(rusqlite::params_from_iter(keys.iter()))?;
    let mut out = Rows::new();
    while let Some(row) = rows.next()? {
        let mut map = serde_json::Map::new();
        for (i, column) in meta.columns.iter().enumerate() {
            map.insert(
                column.name.clone(),
                cell(column.column_type, row.get_ref(i)?),
            );
        }
        let key = cell(meta.columns[pk_index].column_type, row.get_ref(pk_index)?).to_string();
        out.insert(key, map);
    }
    Ok(out)
}

/// A key as the row maps are keyed: its JSON text.
fn key_text(column_type: ColumnType, key: &Value) -> String {
    let value = match key {
        Value::Integer(i) if column_type == ColumnType::Boolean => serde_json::Value::Bool(*i != 0),
        Value::Integer(i) => serde_json::json!(i),
        Value::Real(r) => serde_json::json!(r),
        Value::Text(t) => serde_json::json!(t),
        Value::Null | Value::Blob(_) => serde_json::Value::Null,
    };
    value.to_string()
}

fn invalid_token(reason: &str) -> QueryError {
    QueryError::InvalidNextToken {
        reason: reason.to_string(),
    }
}

/// The key a `next` token continues after; the token also names the range it belongs to.
fn decode_next(token: &str, from: i64, to: i64, meta: &DatasetMeta) -> Result<Value, QueryError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| invalid_token("it is not base64url"))?;
    let parsed: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| invalid_token("it does not decode"))?;
    let parts = parsed
        .as_array()
        .filter(|a| a.len() == 3)
        .ok_or_else(|| invalid_token("it has the wrong shape"))?;
    if parts[0].as_i64() != Some(from) || parts[1].as_i64() != Some(to) {
        return Err(invalid_token(
            "it was made for other revisions; keep `from` and `to` as on the first page",
        ));
    }
    let column_type = match meta.columns[meta.primary_key_index()].column_type {
        ColumnType::Boolean => ColumnType::Integer,
        other => other,
    };
    values::from_json(column_type, &parts[2])
        .filter(|v| *v != Value::Null)
        .ok_or_else(|| invalid_token("its key does not fit the dataset's key"))
}

fn encode_next(from: i64, to: i64, key: &Value) -> String {
    let key = match key {
        Value::Integer(i) => serde_json::json!(i),
        Value::Real(r) => serde_json::json!(r),
        Value::Text(t) => serde_json::json!(t),
        Value::Null | Value::Blob(_) => serde_json::Value::Null,
    };
    URL_SAFE_NO_PAD.encode(serde_json::json!([from, to, key]).to_string())
}

impl ReadSession<'_> {
    /// One page of the rows added, removed and changed in `dataset` from revision `from` to
    /// `to` (global revision numbers; `from` may be 0, before anything): the changes of up to
    /// `size` touched keys after the `next` token's, in key order. Memory is bounded by the
    /// page, never by how much changed.
    pub fn changes(
        &self,
        dataset: &str,
        from: i64,
        to: i64,
        size: usize,
        next: Option<&str>,
    ) -> Result<Changes, StoreError> {
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
        let after = next
            .map(|token| decode_next(token, from, to, &meta))
            .transpose()?;
        let size = size.clamp(1, MAX_CHANGES_PAGE);
        let mut keys = touched_keys(self, &meta, from, to, after.as_ref(), size + 1)?;
        let more = keys.len() > size;
        keys.truncate(size);
        let next = if more {
            keys.last().map(|k| encode_next(from, to, k))
        } else {
            None
        };
        let (before, after) = if keys.is_empty() {
            (Rows::new(), Rows::new())
        } else {
            (
                rows_at(self, &meta, from, &keys)?,
                rows_at(self, &meta, to, &keys)?,
            )
        };
        let mut changes = Changes {
            dataset: meta.id.clone(),
            from,
            to,
            added: Vec::new(),
            removed: Vec::new(),
            changed: Vec::new(),
            truncated: next.is_some(),
            next,
        };
        // In key order, as the keys were read (the maps are keyed by JSON text).
        let pk_type = meta.columns[meta.primary_key_index()].column_type;
        for key in &keys {
            let text = key_text(pk_type, key);
            match (before.get(&text), after.get(&text)) {
                (None, Some(new)) => changes.added.push(new.clone()),
                (Some(old), None) => changes.removed.push(old.clone()),
                (Some(old), Some(new)) if old != new => changes.changed.push(ChangedRow {
                    key: new.get(&meta.primary_key).cloned().unwrap_or_default(),
                    columns: meta
                        .columns
                        .iter()
                        .filter(|c| old.get(&c.name) != new.get(&c.name))
                        .map(|c| c.name.clone())
                        .collect(),
                    before: old.clone(),
                    after: new.clone(),
                }),
                _ => {}
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
