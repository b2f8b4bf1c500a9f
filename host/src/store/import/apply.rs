//! Writing checked rows as one revision: the live table changed, old versions kept in the
//! history table.

use std::collections::HashSet;

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Transaction, params_from_iter};

use super::*;
use crate::store::catalog::DatasetMeta;
use crate::store::history::history_table;

#[derive(Default)]
pub(super) struct Counts {
    pub(super) added: u64,
    pub(super) changed: u64,
    pub(super) removed: u64,
    pub(super) unchanged: u64,
}

/// Writes checked rows as revision `rev`. A changed or removed row's old version is copied to
/// the history table, closed at `rev`, before the live row is touched.
pub(super) fn apply(
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
pub(super) fn same_row(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Value::Real(x), Value::Real(y)) => x == y,
            _ => x == y,
        })
}
