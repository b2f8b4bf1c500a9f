//! `_as_of`: every published table read as it was at a revision, through temporary views.

use std::collections::HashSet;

use rusqlite::Connection;

use super::super::StoreError;

/// Views in `temp` named like each published table, holding its rows as of `revision`
/// (see `history.rs`). They shadow the tables for unqualified names.
pub(super) fn create_revision_views(
    conn: &Connection,
    tables: &HashSet<String>,
    revision: i64,
) -> Result<(), StoreError> {
    conn.pragma_update(None, "query_only", "OFF")?;
    let created = (|| -> Result<(), rusqlite::Error> {
        let mut sql = String::new();
        let mut columns = conn.prepare(
            "SELECT name FROM pragma_table_info(?1) WHERE name <> '_rev_from' ORDER BY cid",
        )?;
        for table in tables {
            let names = columns
                .query_map([table], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            sql.push_str(&format!(
                "CREATE TEMP VIEW \"{table}\" AS SELECT * FROM {};\n",
                super::super::history::as_of_source(table, &names, revision)
            ));
        }
        conn.execute_batch(&sql)
    })();
    conn.pragma_update(None, "query_only", "ON")?;
    created?;
    Ok(())
}

pub(super) fn drop_revision_views(conn: &Connection, tables: &HashSet<String>) {
    let _ = conn.pragma_update(None, "query_only", "OFF");
    for table in tables {
        let _ = conn.execute_batch(&format!("DROP VIEW IF EXISTS temp.\"{table}\";"));
    }
    let _ = conn.pragma_update(None, "query_only", "ON");
}
