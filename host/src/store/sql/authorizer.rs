//! The authorizer: what a statement may read and call, decided by SQLite on the compiled
//! statement for every table, column and function it touches.

use std::collections::HashSet;
use std::sync::Mutex;

use rusqlite::Connection;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};

use super::super::{DatasetState, StoreError};

/// Functions a statement may call. Everything else — `load_extension`, `randomblob`,
/// `zeroblob`, `printf`/`format` (unbounded padding), `sqlite_*`, `fts3_tokenizer`,
/// `readfile` and any function added later — is refused.
const SAFE_FUNCTIONS: &[&str] = &[
    "abs",
    "avg",
    "ceil",
    "ceiling",
    "char",
    "coalesce",
    "concat",
    "concat_ws",
    "count",
    "cume_dist",
    "date",
    "datetime",
    "dense_rank",
    "exp",
    "first_value",
    "floor",
    "glob",
    "group_concat",
    "hex",
    "ifnull",
    "iif",
    "instr",
    "json",
    "json_array",
    "json_array_length",
    "json_extract",
    "json_object",
    "json_type",
    "json_valid",
    "julianday",
    "lag",
    "last_value",
    "lead",
    "length",
    "like",
    "likely",
    "ln",
    "log",
    "log10",
    "log2",
    "lower",
    "ltrim",
    "max",
    "min",
    "mod",
    "nth_value",
    "ntile",
    "nullif",
    "percent_rank",
    "pi",
    "pow",
    "power",
    "quote",
    "rank",
    "replace",
    "round",
    "row_number",
    "rtrim",
    "sign",
    "sqrt",
    "strftime",
    "string_agg",
    "substr",
    "substring",
    "sum",
    "time",
    "total",
    "trim",
    "trunc",
    "typeof",
    "unicode",
    "unixepoch",
    "unlikely",
    "upper",
];

/// The published tables and the store's state, read before the sandbox closes.
pub(super) struct Published {
    pub(super) tables: HashSet<String>,
    /// Every table and view in the file, published or not: a read of a name outside this set
    /// is a common table expression, which is the statement's own data.
    pub(super) existing: HashSet<String>,
    pub(super) newest_revision: i64,
    pub(super) state: DatasetState,
}

pub(super) fn published(conn: &Connection) -> Result<Published, StoreError> {
    // Names compare case-insensitively, as SQLite resolves them.
    let mut stmt = conn.prepare_cached("SELECT lower(table_name) FROM _logam_datasets")?;
    let tables = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<HashSet<_>, _>>()?;
    let (revision, schema): (i64, i64) = conn.query_row(
        "SELECT coalesce(max(current_rev), 0), coalesce(sum(schema_version), 0) + count(*)
         FROM _logam_datasets",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let newest_revision: i64 = conn.query_row(
        "SELECT coalesce(max(rev), 0) FROM _logam_revisions",
        [],
        |r| r.get(0),
    )?;
    let mut stmt =
        conn.prepare_cached("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view')")?;
    let existing = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<HashSet<_>, _>>()?;
    Ok(Published {
        tables,
        existing,
        newest_revision,
        state: DatasetState {
            revision,
            schema_version: schema,
        },
    })
}

/// Decides one authorizer question. `denied` keeps the first reason, for the error message.
pub(super) fn authorize(
    ctx: &AuthContext<'_>,
    tables: &HashSet<String>,
    existing: &HashSet<String>,
    as_of: bool,
    denied: &Mutex<Option<String>>,
) -> Authorization {
    let verdict: Result<(), String> = match &ctx.action {
        AuthAction::Select | AuthAction::Recursive => Ok(()),
        AuthAction::Read { table_name, .. } => {
            let database = ctx.database_name.unwrap_or("main");
            let lower = table_name.to_ascii_lowercase();
            let known = tables.contains(&lower);
            let internal = existing.contains(&lower)
                || lower.starts_with("sqlite_")
                || lower.starts_with("pragma_")
                || lower == "dbstat";
            match (database, known) {
                // A common table expression: the statement reads its own rows.
                (_, false) if !internal => Ok(()),
                // With `_as_of`, tables are reached only through the revision views, which
                // shadow them in `temp`; naming `main.x` directly would skip the filter.
                ("main", true) if !as_of || ctx.accessor.is_some() => Ok(()),
                ("main", true) => Err(format!(
                    "`main.{table_name}` bypasses `_as_of`; name the table without `main.`"
                )),
                ("temp", true) if as_of => Ok(()),
                // Older row versions, read only by the revision views themselves.
                ("main", false)
                    if as_of && ctx.accessor.is_some() && lower.starts_with("_logam_hist_") =>
                {
                    Ok(())
                }
                _ => Err(format!(
                    "reading `{table_name}` is not allowed: it is not a published dataset"
                )),
            }
        }
        AuthAction::Function { function_name } => {
            let name = function_name.to_ascii_lowercase();
            if SAFE_FUNCTIONS.contains(&name.as_str()) {
                Ok(())
            } else {
                Err(format!("the function `{function_name}` is not allowed"))
            }
        }
        AuthAction::Pragma { pragma_name, .. } => {
            Err(format!("PRAGMA {pragma_name} is not allowed"))
        }
        AuthAction::Attach { .. } => Err("ATTACH is not allowed".into()),
        AuthAction::Detach { .. } => Err("DETACH is not allowed".into()),
        AuthAction::Transaction { .. } | AuthAction::Savepoint { .. } => {
            Err("transactions are not allowed".into())
        }
        other => Err(format!("only SELECT is allowed ({})", describe(other))),
    };
    match verdict {
        Ok(()) => Authorization::Allow,
        Err(reason) => {
            if let Ok(mut slot) = denied.lock()
                && slot.is_none()
            {
                *slot = Some(reason);
            }
            Authorization::Deny
        }
    }
}

fn describe(action: &AuthAction<'_>) -> &'static str {
    match action {
        AuthAction::Insert { .. } => "INSERT",
        AuthAction::Update { .. } => "UPDATE",
        AuthAction::Delete { .. } => "DELETE",
        AuthAction::CreateTable { .. }
        | AuthAction::CreateTempTable { .. }
        | AuthAction::CreateIndex { .. }
        | AuthAction::CreateTempIndex { .. }
        | AuthAction::CreateView { .. }
        | AuthAction::CreateTempView { .. }
        | AuthAction::CreateTrigger { .. }
        | AuthAction::CreateTempTrigger { .. }
        | AuthAction::CreateVtable { .. } => "CREATE",
        AuthAction::DropTable { .. }
        | AuthAction::DropTempTable { .. }
        | AuthAction::DropIndex { .. }
        | AuthAction::DropTempIndex { .. }
        | AuthAction::DropView { .. }
        | AuthAction::DropTempView { .. }
        | AuthAction::DropTrigger { .. }
        | AuthAction::DropTempTrigger { .. }
        | AuthAction::DropVtable { .. } => "DROP",
        AuthAction::AlterTable { .. } => "ALTER",
        AuthAction::Reindex { .. } => "REINDEX",
        AuthAction::Analyze { .. } => "ANALYZE",
        _ => "this operation",
    }
}
