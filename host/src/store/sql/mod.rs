//! Read-only SQL for anyone, enforced by SQLite itself rather than by inspecting the text.
//!
//! A statement runs on its own pool of connections opened `SQLITE_OPEN_READ_ONLY` with
//! `query_only`, under an authorizer that allows reading published datasets and a list of safe
//! functions and denies everything else (writes, ATTACH, PRAGMA, internal tables, unknown
//! functions), with a deadline enforced by SQLite's progress handler and `sqlite3_limit`s on
//! statement size, string size and expression depth. No statement text can get around any of
//! these: they are checked by the engine on the compiled statement.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::hooks::{AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::{Connection, ErrorCode, OpenFlags, params_from_iter};
use thiserror::Error;

mod as_of;
mod authorizer;
mod parameters;

pub use parameters::parameter_names;

use super::batch::{Batch, Column};
use super::{DatasetState, StoreError};
use as_of::{create_revision_views, drop_revision_views};
use authorizer::{Published, authorize, published};

/// Longest statement accepted, in bytes.
pub const MAX_SQL_BYTES: i32 = 20_000;
/// Longest string or blob a statement may build, in bytes.
pub const MAX_VALUE_BYTES: i32 = 1_000_000;
/// The default and largest deadline for a statement to produce its first row (and, for a
/// JSON result, to finish).
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_millis(1000);
/// The default and largest time a streamed export may run once rows flow.
pub const DEFAULT_STREAM_LIMIT: Duration = Duration::from_secs(30);
/// Rows per batch.
const BATCH_ROWS: usize = 1024;
/// How often (in SQLite VM steps) the deadline is checked.
const PROGRESS_STEPS: i32 = 1000;

/// Why a statement was refused or stopped. Each is the client's to fix.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum SqlError {
    #[error("the statement is empty")]
    Empty,
    #[error("only one statement at a time")]
    MultipleStatements,
    #[error("{0}")]
    Denied(String),
    #[error("the statement ran past its time limit of {0} ms")]
    Timeout(u128),
    #[error("the statement builds a value or statement larger than allowed: {0}")]
    TooBig(String),
    #[error("missing value for parameter {0}")]
    MissingParameter(String),
    #[error("revision {requested} does not exist (the newest is {newest})")]
    UnknownRevision { requested: i64, newest: i64 },
    #[error("SQL error: {0}")]
    Invalid(String),
}

impl SqlError {
    pub fn code(&self) -> &'static str {
        match self {
            SqlError::Empty => "sql_empty",
            SqlError::MultipleStatements => "sql_multiple_statements",
            SqlError::Denied(_) => "sql_denied",
            SqlError::Timeout(_) => "sql_timeout",
            SqlError::TooBig(_) => "sql_too_big",
            SqlError::MissingParameter(_) => "sql_missing_parameter",
            SqlError::UnknownRevision { .. } => "unknown_revision",
            SqlError::Invalid(_) => "sql_invalid",
        }
    }

    pub fn hint(&self) -> String {
        match self {
            SqlError::Empty => "give a SELECT statement in `sql`".into(),
            SqlError::MultipleStatements => "remove everything after the first statement's `;`".into(),
            SqlError::Denied(_) => "only SELECTs that read published datasets with common functions are allowed; GET /api/datasets lists the tables".into(),
            SqlError::Timeout(_) => "filter earlier, use an index (e.g. kecamatan on synthetic data) or aggregate less".into(),
            SqlError::TooBig(_) => "build smaller strings; split the statement".into(),
            SqlError::MissingParameter(name) => format!("add `{}=value` to the query string", name.trim_start_matches([':', '@', '$'])),
            SqlError::UnknownRevision { .. } => "GET /api/datasets/{id}/revisions lists revisions".into(),
            SqlError::Invalid(_) => "check the statement's syntax and the table and column names".into(),
        }
    }
}

/// One ad-hoc statement and how to run it.
#[derive(Clone)]
pub struct SqlRequest {
    pub sql: String,
    /// Values for `:name` parameters, bound as text (SQLite's column affinity converts them
    /// where they meet a numeric column).
    pub params: HashMap<String, String>,
    /// Run against the data as of this revision.
    pub as_of: Option<i64>,
    /// Until the first row, and for the whole statement when `stream_limit` is `None`.
    pub time_limit: Duration,
    /// For exports: how long the statement may run in all once it has produced a row.
    pub stream_limit: Option<Duration>,
    /// Stop after this many rows (a JSON page); `None` streams everything.
    pub max_rows: Option<usize>,
    /// Asked between steps: true once nobody wants the answer (the client went away), so a
    /// statement stops at once instead of holding its connection until the deadline.
    pub cancelled: Option<Arc<dyn Fn() -> bool + Send + Sync>>,
}

#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct SqlColumn {
    pub name: String,
    /// The declared type of the column the value comes from, if it comes from one.
    #[serde(rename = "type")]
    pub declared_type: Option<String>,
}

/// What is known before the first row: the columns and the data state queried.
#[derive(Debug, Clone)]
pub struct SqlHead {
    pub columns: Vec<SqlColumn>,
    /// The revision the statement reads: `_as_of`, or the newest.
    pub revision: i64,
    pub state: DatasetState,
}

#[derive(Debug, Clone, Copy)]
pub struct SqlSummary {
    pub rows: u64,
    /// True when `max_rows` cut the result short.
    pub truncated: bool,
}

pub(crate) fn pool(
    path: &std::path::Path,
    size: u32,
) -> Result<r2d2::Pool<SqliteConnectionManager>, StoreError> {
    let manager = SqliteConnectionManager::file(path)
        .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .with_init(|conn| {
            conn.busy_timeout(Duration::from_secs(5))?;
            conn.pragma_update(None, "query_only", "ON")?;
            conn.pragma_update(None, "mmap_size", 0i64)?;
            conn.pragma_update(None, "cache_size", -8192i64)?;
            // Small, bounded statements; no attaching anything.
            conn.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES)?;
            conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)?;
            conn.set_limit(Limit::SQLITE_LIMIT_EXPR_DEPTH, 100)?;
            conn.set_limit(Limit::SQLITE_LIMIT_COMPOUND_SELECT, 50)?;
            conn.set_limit(Limit::SQLITE_LIMIT_VDBE_OP, 100_000)?;
            conn.set_limit(Limit::SQLITE_LIMIT_FUNCTION_ARG, 32)?;
            conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)?;
            conn.set_limit(Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 1000)?;
            conn.set_limit(Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 100)?;
            conn.set_limit(Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 1)?;
            Ok(())
        });
    Ok(r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(3))
        .build(manager)?)
}

fn classify(
    err: rusqlite::Error,
    denied: &Mutex<Option<String>>,
    time_limit: Duration,
) -> StoreError {
    if let rusqlite::Error::MultipleStatement = err {
        return SqlError::MultipleStatements.into();
    }
    // Errors from preparing carry the statement and offset; others only a code and message.
    let (code, message) = match &err {
        rusqlite::Error::SqliteFailure(e, message) => (
            Some(e.code),
            message.clone().unwrap_or_else(|| e.to_string()),
        ),
        rusqlite::Error::SqlInputError {
            error, msg, offset, ..
        } => (Some(error.code), format!("{msg} (at character {offset})")),
        other => (None, other.to_string()),
    };
    match code {
        Some(ErrorCode::AuthorizationForStatementDenied) => {
            let reason = denied
                .lock()
                .ok()
                .and_then(|d| d.clone())
                .unwrap_or(message);
            SqlError::Denied(reason).into()
        }
        Some(ErrorCode::OperationInterrupted) => SqlError::Timeout(time_limit.as_millis()).into(),
        Some(ErrorCode::TooBig) => SqlError::TooBig(message).into(),
        Some(ErrorCode::ReadOnly) => SqlError::Denied("writing is not allowed".into()).into(),
        // Not from SQLite at all: the statement text itself is unusable (an interior NUL).
        None => SqlError::Invalid(message).into(),
        Some(ErrorCode::Unknown)
        | Some(ErrorCode::ConstraintViolation)
        | Some(ErrorCode::TypeMismatch)
        | Some(ErrorCode::ApiMisuse)
        | Some(ErrorCode::ParameterOutOfRange) => {
            // A denial can also surface as a plain error (e.g. "access to x is prohibited").
            match denied.lock().ok().and_then(|d| d.clone()) {
                Some(reason) => SqlError::Denied(reason).into(),
                None => SqlError::Invalid(message).into(),
            }
        }
        _ => StoreError::from_sqlite(err),
    }
}

/// Runs `request` in the sandbox. `on_head` sees the columns before any row; `each` receives
/// the rows in batches and may stop early.
pub(crate) fn run(
    pool: &r2d2::Pool<SqliteConnectionManager>,
    request: &SqlRequest,
    on_head: impl FnOnce(&SqlHead) -> ControlFlow<()>,
    mut each: impl FnMut(&Batch) -> ControlFlow<()>,
) -> Result<SqlSummary, StoreError> {
    if request.sql.trim().is_empty() {
        return Err(SqlError::Empty.into());
    }
    // SQLite stops reading at a NUL; whatever follows would be silently dropped. Refuse it
    // rather than run a statement other than the one the client sent.
    if request.sql.contains('\0') {
        return Err(SqlError::Invalid("the statement contains a NUL character".into()).into());
    }
    if request.sql.len() > MAX_SQL_BYTES as usize {
        return Err(SqlError::TooBig(format!(
            "the statement is {} bytes; the limit is {MAX_SQL_BYTES}",
            request.sql.len()
        ))
        .into());
    }
    let conn = pool.get().map_err(|_| StoreError::Unavailable {
        resource: "SQL connections",
        retry_after_secs: 1,
    })?;
    conn.execute_batch("BEGIN")
        .map_err(StoreError::from_sqlite)?;
    let published = published(&conn)?;
    if let Some(revision) = request.as_of
        && !(1..=published.newest_revision).contains(&revision)
    {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(SqlError::UnknownRevision {
            requested: revision,
            newest: published.newest_revision,
        }
        .into());
    }
    if let Some(revision) = request.as_of {
        create_revision_views(&conn, &published.tables, revision)?;
    }
    // One statement only: checked before the sandbox closes, so a second statement is
    // refused as such rather than by whatever it would have done.
    if let Err(rusqlite::Error::MultipleStatement) = conn.prepare(&request.sql) {
        if request.as_of.is_some() {
            drop_revision_views(&conn, &published.tables);
        }
        let _ = conn.execute_batch("ROLLBACK");
        return Err(SqlError::MultipleStatements.into());
    }
    let tables = Arc::new(published.tables.clone());
    let existing = Arc::new(published.existing.clone());
    let denied = Arc::new(Mutex::new(None::<String>));
    let as_of = request.as_of.is_some();
    {
        let (tables, denied) = (tables.clone(), denied.clone());
        conn.authorizer(Some(move |ctx: AuthContext<'_>| {
            authorize(&ctx, &tables, &existing, as_of, &denied)
        }))?;
    }
    let started = Instant::now();
    let first_row = Arc::new(AtomicBool::new(false));
    {
        let first_row = first_row.clone();
        let (before, after) = (
            request.time_limit,
            request.stream_limit.unwrap_or(request.time_limit),
        );
        conn.progress_handler(
            PROGRESS_STEPS,
            Some(move || {
                let limit = if first_row.load(Ordering::Relaxed) {
                    after
                } else {
                    before
                };
                started.elapsed() > limit
            }),
        )?;
    }

    let result = run_statement(
        &conn, request, &published, &denied, &first_row, on_head, &mut each,
    );

    // Leave the connection as the pool handed it out, whatever happened.
    let _ = conn.authorizer(None::<fn(AuthContext<'_>) -> Authorization>);
    let _ = conn.progress_handler(0, None::<fn() -> bool>);
    if as_of {
        drop_revision_views(&conn, &tables);
    }
    let _ = conn.execute_batch("ROLLBACK");
    result
}

fn run_statement(
    conn: &Connection,
    request: &SqlRequest,
    published: &Published,
    denied: &Mutex<Option<String>>,
    first_row: &AtomicBool,
    on_head: impl FnOnce(&SqlHead) -> ControlFlow<()>,
    each: &mut impl FnMut(&Batch) -> ControlFlow<()>,
) -> Result<SqlSummary, StoreError> {
    let classify = |e| {
        let limit = match (first_row.load(Ordering::Relaxed), request.stream_limit) {
            (true, Some(stream)) => stream,
            _ => request.time_limit,
        };
        classify(e, denied, limit)
    };
    let mut stmt = conn.prepare(&request.sql).map_err(classify)?;
    if !stmt.readonly() {
        return Err(SqlError::Denied("only statements that read are allowed".into()).into());
    }
    let mut values = Vec::with_capacity(stmt.parameter_count());
    for index in 1..=stmt.parameter_count() {
        let name = stmt
            .parameter_name(index)
            .ok_or_else(|| SqlError::Invalid("use named parameters (:name), not `?`".into()))?;
        let key = name.trim_start_matches([':', '@', '$']);
        let value = request
            .params
            .get(key)
            .ok_or_else(|| SqlError::MissingParameter(name.to_string()))?;
        values.push(value.clone());
    }
    let columns: Vec<SqlColumn> = stmt
        .columns()
        .iter()
        .map(|c| SqlColumn {
            name: c.name().to_string(),
            declared_type: c.decl_type().map(str::to_string),
        })
        .collect();
    let head = SqlHead {
        columns: unique_names(columns),
        revision: request.as_of.unwrap_or(published.newest_revision),
        state: published.state,
    };
    if on_head(&head).is_break() {
        return Ok(SqlSummary {
            rows: 0,
            truncated: false,
        });
    }
    let mut batch = Batch::new(
        head.columns
            .iter()
            .map(|c| Column::dynamic(&c.name, BATCH_ROWS))
            .collect(),
    );
    let mut rows = stmt
        .query(params_from_iter(values.iter()))
        .map_err(classify)?;
    let mut delivered = 0u64;
    let cap = request.max_rows.map(|m| m as u64);
    let mut truncated = false;
    while let Some(row) = rows.next().map_err(classify)? {
        if cap == Some(delivered + batch.len() as u64) {
            truncated = true;
            break;
        }
        batch.push_row(row).map_err(classify)?;
        first_row.store(true, Ordering::Relaxed);
        if batch.len() == BATCH_ROWS {
            delivered += batch.len() as u64;
            if each(&batch).is_break() {
                return Ok(SqlSummary {
                    rows: delivered,
                    truncated: false,
                });
            }
            batch.clear();
        }
    }
    if !batch.is_empty() {
        delivered += batch.len() as u64;
        let _ = each(&batch);
    }
    Ok(SqlSummary {
        rows: delivered,
        truncated,
    })
}

/// `SELECT 1 AS a, 2 AS a` would lose a value in a JSON object; the second `a` becomes `a_2`.
fn unique_names(mut columns: Vec<SqlColumn>) -> Vec<SqlColumn> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for column in &mut columns {
        let count = seen.entry(column.name.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            column.name = format!("{}_{}", column.name, count);
        }
    }
    columns
}
