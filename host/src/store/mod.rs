//! The store: SQLite behind one writer connection and a pool of read-only connections.
//!
//! Architecture invariant: this is the only module that writes SQL. Everything else asks for
//! datasets, plans and batches.

mod batch;
mod budget;
mod catalog;
mod changes;
mod error;
mod history;
pub mod import;
mod plugins;
mod query;
mod read;
mod schema;
pub mod seed;
mod sql;
mod submissions;
pub mod synthetic;
mod tokens;
mod values;
mod version;
mod write;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

pub use batch::{Batch, Cell, Column, ColumnData};
pub use catalog::{Bilingual, ColumnMeta, ColumnType, DatasetMeta, DatasetState, SourceRecord};
pub use changes::{ChangedRow, Changes, DEFAULT_CHANGES_PAGE, MAX_CHANGES_PAGE};
pub use error::{QueryError, StoreError};
pub use plugins::{NewInstall, PluginInstall};
pub use query::{FACET_LIMIT, Filter, Operator, ReadPlan, RowRequest, Sort};
pub use read::{ColumnProfile, Facet, FacetValue, Fresh, Page, ReadSession, RevisionRecord};
pub use sql::{
    DEFAULT_STREAM_LIMIT, DEFAULT_TIME_LIMIT, SqlColumn, SqlError, SqlHead, SqlRequest, SqlSummary,
    parameter_names,
};
pub use submissions::{Added, PendingLimit, Submission};
pub use tokens::{
    AccountError, Actor, AuditEntry, AuditRow, Role, TokenCheck, TokenInfo, same_bytes,
};
pub use values::parse_bool;
pub use version::DataVersion;
pub use write::{CannedQuery, DatasetSpec, is_valid_identifier};

use catalog::Catalog;

/// How to open a database file.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Load the embedded Purbalingga datasets into a database that has none yet.
    pub seed_if_new: bool,
    /// Read-only connections for pages, single rows, metadata and catalogs (each serves one
    /// request at a time). Exports never take one of these.
    pub readers: u32,
    /// Read-only connections for whole-result exports, apart from the pages' so that slow
    /// downloads cannot starve them; also the most dataset exports that run at once.
    pub export_readers: u32,
    /// Connections for ad-hoc SQL, apart from the API's so that expensive statements cannot
    /// starve it; also the most statements that run at once.
    pub sql_readers: u32,
    /// How long a request waits for a free connection before it is told to come back (503).
    pub reader_wait: Duration,
    /// CPU time one request may spend in SQLite on the pages' pool (see `budget.rs`).
    pub read_budget: Duration,
}

fn cores() -> u32 {
    std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(2)
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            seed_if_new: true,
            readers: (cores() * 2).clamp(2, 16),
            export_readers: (cores() * 2).clamp(2, 16),
            // Leave at least one core to the API while statements run to their deadline.
            sql_readers: (cores() / 2).max(1),
            reader_wait: Duration::from_secs(1),
            read_budget: Duration::from_secs(1),
        }
    }
}

/// How much of each kind of connection is in use now, for `/healthz`.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Capacity {
    pub readers_in_use: u32,
    pub readers: u32,
    pub export_readers_in_use: u32,
    pub export_readers: u32,
}

/// A handle on one database file, cheap to clone and share between requests.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: r2d2::Pool<SqliteConnectionManager>,
    /// One permit per reader: requests wait for a reader here, asynchronously and for at most
    /// `reader_wait`, rather than on a blocking thread inside the pool.
    reader_permits: Arc<tokio::sync::Semaphore>,
    exports: r2d2::Pool<SqliteConnectionManager>,
    /// The health check's own connection: `/healthz` never waits for a pooled one.
    health: Mutex<Connection>,
    /// Whether the last health check that ran could read the database.
    healthy: AtomicBool,
    /// When that check ran, in milliseconds since the store was opened.
    health_checked_ms: std::sync::atomic::AtomicU64,
    opened: std::time::Instant,
    /// Tells whether anyone (this server's writer, `logam import` in another process, the
    /// fleet's replicator) committed since it last asked: part of the edge cache's key.
    version: version::ChangeDetector,
    sql: r2d2::Pool<SqliteConnectionManager>,
    catalog: ArcSwap<Catalog>,
    options: OpenOptions,
}

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a health check's outcome stands for `/healthz`.
pub const HEALTH_FRESH: Duration = Duration::from_millis(100);

fn configure_writer(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn read_only_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI
}

fn configure_reader(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "query_only", "ON")?;
    // No mmap: mapped pages count as resident memory, so a full export would grow the process
    // by the size of the table. A bounded page cache per connection keeps memory flat
    // whatever is exported.
    conn.pragma_update(None, "mmap_size", 0i64)?;
    conn.pragma_update(None, "cache_size", -8192i64)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// A pool of read-only connections. `wait` bounds a checkout: past it the caller is told the
/// server is at capacity (503), never left waiting.
fn read_pool(
    path: &Path,
    size: u32,
    wait: Duration,
) -> Result<r2d2::Pool<SqliteConnectionManager>, StoreError> {
    let manager = SqliteConnectionManager::file(path)
        .with_flags(read_only_flags())
        .with_init(|conn| configure_reader(conn));
    Ok(r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(wait.max(Duration::from_millis(1)))
        .build(manager)?)
}

impl Store {
    /// Opens (creating if needed) the database at `path`, brings its internal tables up to
    /// date, and seeds it when it is new and `options.seed_if_new` is set.
    pub fn open(path: &Path, options: &OpenOptions) -> Result<Store, StoreError> {
        let mut writer = Connection::open(path)?;
        configure_writer(&writer)?;
        let is_new = schema::ensure(&writer)?;
        if is_new && options.seed_if_new {
            seed::seed(&mut writer)?;
        }

        let readers = read_pool(path, options.readers.max(1), options.reader_wait)?;
        let exports = read_pool(path, options.export_readers.max(1), options.reader_wait)?;
        let health = Connection::open_with_flags(path, read_only_flags())?;
        configure_reader(&health)?;
        let version = Connection::open_with_flags(path, read_only_flags())?;
        configure_reader(&version)?;

        let sql = sql::pool(path, options.sql_readers.max(1))?;

        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                readers,
                reader_permits: Arc::new(tokio::sync::Semaphore::new(
                    options.readers.max(1) as usize
                )),
                exports,
                health: Mutex::new(health),
                healthy: AtomicBool::new(true),
                // Never checked: the first `recent_health` finds nothing fresh.
                health_checked_ms: std::sync::atomic::AtomicU64::new(u64::MAX),
                opened: std::time::Instant::now(),
                version: version::ChangeDetector::new(path, version),
                sql,
                catalog: ArcSwap::from_pointee(Catalog::default()),
                options: options.clone(),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `work` on a read-only connection inside one read transaction, off the async
    /// runtime. Everything `work` reads comes from one snapshot of the database. The read
    /// waits at most `reader_wait` for a connection (then [`StoreError::Unavailable`]), may
    /// spend at most `read_budget` of CPU in SQLite (then [`StoreError::BudgetExceeded`]),
    /// and stops at its next step when the caller stops waiting for it.
    pub async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut ReadSession<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let options = &self.inner.options;
        let permit = tokio::time::timeout(
            options.reader_wait,
            self.inner.reader_permits.clone().acquire_owned(),
        )
        .await
        .map_err(|_| self.readers_unavailable())?
        .map_err(|_| self.readers_unavailable())?;
        let cancel = budget::CancelOnDrop::new();
        let (store, flag, budget) = (self.clone(), cancel.flag(), options.read_budget);
        let result = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            store.session_on(&store.inner.readers, Some(budget), Some(flag), work)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?;
        cancel.disarm();
        result
    }

    /// [`Store::read`] for code that is already on a blocking thread (indicators, the pages
    /// that read several datasets, the CLI): the same pool, without the budget.
    pub fn read_blocking<T>(
        &self,
        work: impl FnOnce(&mut ReadSession<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.session_on(&self.inner.readers, None, None, work)
    }

    /// A read for a whole-result export, on the exports' own pool, without the budget: an
    /// export's cost is bounded by admission (how many run at once) and by the rule that cuts
    /// off a client that drains it too slowly, not by CPU time.
    pub fn export_blocking<T>(
        &self,
        work: impl FnOnce(&mut ReadSession<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.session_on(&self.inner.exports, None, None, work)
    }

    fn readers_unavailable(&self) -> StoreError {
        StoreError::Unavailable {
            resource: "database readers",
            retry_after_secs: 1,
        }
    }

    fn session_on<T>(
        &self,
        pool: &r2d2::Pool<SqliteConnectionManager>,
        budget: Option<Duration>,
        cancelled: Option<Arc<AtomicBool>>,
        work: impl FnOnce(&mut ReadSession<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = pool.get().map_err(|_| StoreError::Unavailable {
            resource: if std::ptr::eq(pool, &self.inner.exports) {
                "export readers"
            } else {
                "database readers"
            },
            retry_after_secs: 1,
        })?;
        let meter = budget::Meter::arm(&conn, budget, cancelled)?;
        let result = (|| {
            let mut session = ReadSession::begin(&mut conn, &self.inner.catalog)?;
            let result = work(&mut session);
            session.end();
            result
        })();
        meter.disarm(&conn, result)
    }

    /// The state of the committed data: it differs after every commit from any connection of
    /// any process, and costs one unlocked read of the WAL-index header (see
    /// `store/version.rs`): cheap enough to ask on every cached request. `None` when the
    /// database cannot be read.
    pub fn data_version(&self) -> Option<DataVersion> {
        self.inner.version.current()
    }

    /// Checks that the database can be read, on the health check's own connection. When a
    /// check is already running, answers with the last one's outcome instead of waiting.
    pub fn health_blocking(&self) -> bool {
        let Ok(conn) = self.inner.health.try_lock() else {
            return self.inner.healthy.load(Ordering::Relaxed);
        };
        let ok = conn
            .query_row("SELECT count(*) FROM _logam_meta", [], |r| {
                r.get::<_, i64>(0)
            })
            .is_ok();
        self.inner.healthy.store(ok, Ordering::Relaxed);
        self.inner.health_checked_ms.store(
            self.inner.opened.elapsed().as_millis() as u64,
            Ordering::Relaxed,
        );
        ok
    }

    /// The outcome of a health check that ran within the last [`HEALTH_FRESH`], if any: a
    /// monitor polling hard (or a flood of `/healthz`) costs one database read per interval,
    /// not one per request.
    pub fn recent_health(&self) -> Option<bool> {
        let checked = self.inner.health_checked_ms.load(Ordering::Relaxed);
        let now = self.inner.opened.elapsed().as_millis() as u64;
        (checked != u64::MAX && now.saturating_sub(checked) < HEALTH_FRESH.as_millis() as u64)
            .then(|| self.inner.healthy.load(Ordering::Relaxed))
    }

    /// Connections in use now, by kind.
    pub fn capacity(&self) -> Capacity {
        let exports = self.inner.exports.state();
        let options = &self.inner.options;
        let readers = options.readers.max(1);
        Capacity {
            readers_in_use: readers
                .saturating_sub(self.inner.reader_permits.available_permits() as u32),
            readers,
            export_readers_in_use: exports.connections - exports.idle_connections,
            export_readers: options.export_readers.max(1),
        }
    }

    /// Runs an ad-hoc read-only statement in the SQL sandbox (see `sql.rs`), on the calling
    /// (blocking) thread.
    pub fn sql_blocking(
        &self,
        request: &SqlRequest,
        on_head: impl FnOnce(&SqlHead) -> std::ops::ControlFlow<()>,
        each: impl FnMut(&Batch) -> std::ops::ControlFlow<()>,
    ) -> Result<SqlSummary, StoreError> {
        sql::run(&self.inner.sql, request, on_head, each)
    }

    /// Runs `work` on the writer connection off the async runtime.
    pub async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.write_blocking(work))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    pub fn write_blocking<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.writer();
        work(&mut conn)
    }

    /// The writer connection. A panic while it was held (a bug, caught per request) poisons
    /// the mutex; the connection itself is still good once any transaction the panic left
    /// open is rolled back (a `Transaction` rolls back as it unwinds), so the lock is taken
    /// back rather than every later write failing.
    fn writer(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.inner.writer.lock().unwrap_or_else(|poisoned| {
            tracing::error!(
                "the writer connection was held by a request that panicked; recovering it"
            );
            let conn = poisoned.into_inner();
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            self.inner.writer.clear_poison();
            conn
        })
    }

    /// The writer, only if no one holds it now: for best-effort bookkeeping (a token's last
    /// use) that must never wait behind an import.
    pub(crate) fn try_writer(&self) -> Option<std::sync::MutexGuard<'_, Connection>> {
        match self.inner.writer.try_lock() {
            Ok(conn) => Some(conn),
            Err(std::sync::TryLockError::Poisoned(_)) => Some(self.writer()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// Adds rows (JSON objects keyed by column name) to a dataset as one new revision.
    /// All rows land or none do. Returns the new revision number.
    pub fn append_rows_blocking(
        &self,
        dataset: &str,
        rows: &[serde_json::Map<String, serde_json::Value>],
        author: &str,
        message: &str,
    ) -> Result<i64, StoreError> {
        self.write_blocking(|conn| {
            let tx = conn.transaction()?;
            let meta = catalog::load_dataset(&tx, dataset)?;
            let typed = rows
                .iter()
                .enumerate()
                .map(|(i, row)| typed_row(&meta, i, row))
                .collect::<Result<Vec<_>, _>>()?;
            let rev = write::begin_change(&tx, dataset, author, message)?;
            let added = write::insert_rows(&tx, &meta, rev, typed)?;
            let sources_dataset: Option<String> = tx
                .query_row(
                    "SELECT value FROM _logam_meta WHERE key = 'sources_dataset'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(sources_id) = sources_dataset {
                let sources = catalog::load_dataset(&tx, &sources_id)?;
                write::check_sources(&tx, &meta, &sources)?;
            }
            write::close_revision(&tx, dataset, rev, added)?;
            tx.commit()?;
            Ok(rev)
        })
    }
}

fn typed_row(
    meta: &DatasetMeta,
    index: usize,
    row: &serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<rusqlite::types::Value>, StoreError> {
    let invalid = |reason: String| StoreError::InvalidData {
        dataset: meta.id.clone(),
        reason: format!("row {}: {reason}", index + 1),
    };
    if let Some(unknown) = row.keys().find(|k| meta.column(k).is_none()) {
        return Err(invalid(format!("unknown column `{unknown}`")));
    }
    meta.columns
        .iter()
        .map(|column| {
            let value = row.get(&column.name).unwrap_or(&serde_json::Value::Null);
            values::from_json(column.column_type, value).ok_or_else(|| {
                invalid(format!(
                    "`{}` must be {}",
                    column.name,
                    values::expected(column.column_type)
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta_value(store: &Store, key: &str) -> Option<String> {
        store
            .read_blocking(|session| session.setting(key))
            .expect("read")
    }

    #[test]
    fn a_panic_while_writing_does_not_wedge_later_writes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = OpenOptions {
            seed_if_new: false,
            ..OpenOptions::default()
        };
        let store = Store::open(&dir.path().join("poison.db"), &options).expect("open");
        let panicking = store.clone();
        let outcome = std::thread::spawn(move || {
            panicking.write_blocking(|conn| -> Result<(), StoreError> {
                let tx = conn.transaction()?;
                tx.execute(
                    "INSERT INTO _logam_meta(key, value) VALUES ('half_done', '1')",
                    [],
                )?;
                panic!("a bug in the middle of a write");
            })
        })
        .join();
        assert!(outcome.is_err(), "the write should have panicked");
        assert!(store.inner.writer.is_poisoned());
        store
            .write_blocking(|conn| {
                conn.execute(
                    "INSERT INTO _logam_meta(key, value) VALUES ('after', '2')",
                    [],
                )?;
                Ok(())
            })
            .expect("a write after the panic");
        assert!(!store.inner.writer.is_poisoned());
        assert_eq!(meta_value(&store, "after").as_deref(), Some("2"));
        // The panicked write's transaction was rolled back, not left open or committed.
        assert_eq!(meta_value(&store, "half_done"), None);
    }

    #[test]
    fn a_read_past_its_budget_is_stopped_by_sqlite() {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = OpenOptions {
            seed_if_new: false,
            read_budget: Duration::from_millis(20),
            ..OpenOptions::default()
        };
        let store = Store::open(&dir.path().join("budget.db"), &options).expect("open");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let expensive = runtime.block_on(store.read(|session| {
            Ok(session.connection().query_row(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000)
                 SELECT count(*) FROM n",
                [],
                |r| r.get::<_, i64>(0),
            )?)
        }));
        assert!(
            matches!(expensive, Err(StoreError::BudgetExceeded { budget_ms: 20 })),
            "{expensive:?}"
        );
        // The connection goes back to the pool without the handler: a cheap read is fine,
        // and so is an unbudgeted one.
        let cheap = runtime.block_on(store.read(|session| session.setting("nothing")));
        assert!(matches!(cheap, Ok(None)), "{cheap:?}");
        assert_eq!(meta_value(&store, "nothing"), None);
    }
}
