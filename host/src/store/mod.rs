//! The store: SQLite behind one writer connection and a pool of read-only connections.
//!
//! Architecture invariant: this is the only module that writes SQL. Everything else asks for
//! datasets, plans and batches.

mod batch;
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
mod write;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

pub use batch::{Batch, Cell, Column, ColumnData};
pub use catalog::{Bilingual, ColumnMeta, ColumnType, DatasetMeta, DatasetState, SourceRecord};
pub use changes::{ChangedRow, Changes};
pub use error::{QueryError, StoreError};
pub use plugins::{NewInstall, PluginInstall};
pub use query::{FACET_LIMIT, Filter, Operator, ReadPlan, RowRequest, Sort};
pub use read::{ColumnProfile, Facet, FacetValue, Fresh, Page, ReadSession, RevisionRecord};
pub use sql::{
    DEFAULT_STREAM_LIMIT, DEFAULT_TIME_LIMIT, SqlColumn, SqlError, SqlHead, SqlRequest, SqlSummary,
    parameter_names,
};
pub use submissions::Submission;
pub use tokens::{AccountError, AuditEntry, Role, TokenCheck, TokenInfo, same_bytes};
pub use values::parse_bool;
pub use write::{CannedQuery, DatasetSpec, is_valid_identifier};

use catalog::Catalog;

/// How to open a database file.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Load the embedded Purbalingga datasets into a database that has none yet.
    pub seed_if_new: bool,
    /// Read-only connections in the pool (each serves one request at a time).
    pub readers: u32,
    /// Connections for ad-hoc SQL, apart from the API's so that expensive statements cannot
    /// starve it; also the most statements that run at once.
    pub sql_readers: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            seed_if_new: true,
            readers: (std::thread::available_parallelism()
                .map(|n| n.get() as u32)
                .unwrap_or(2)
                * 2)
            .clamp(2, 16),
            // Leave at least one core to the API while statements run to their deadline.
            sql_readers: (std::thread::available_parallelism()
                .map(|n| n.get() as u32)
                .unwrap_or(2)
                / 2)
            .max(1),
        }
    }
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
    sql: r2d2::Pool<SqliteConnectionManager>,
    catalog: ArcSwap<Catalog>,
}

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

fn configure_writer(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
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

        let manager = SqliteConnectionManager::file(path)
            .with_flags(
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )
            .with_init(|conn| {
                conn.busy_timeout(BUSY_TIMEOUT)?;
                conn.pragma_update(None, "query_only", "ON")?;
                // No mmap: mapped pages count as resident memory, so a full export would grow
                // the process by the size of the table. A bounded page cache per connection
                // keeps memory flat whatever is exported.
                conn.pragma_update(None, "mmap_size", 0i64)?;
                conn.pragma_update(None, "cache_size", -8192i64)?;
                conn.set_prepared_statement_cache_capacity(64);
                Ok(())
            });
        let readers = r2d2::Pool::builder()
            .max_size(options.readers)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;

        let sql = sql::pool(path, options.sql_readers.max(1))?;

        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                readers,
                sql,
                catalog: ArcSwap::from_pointee(Catalog::default()),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `work` on a read-only connection inside one read transaction, off the async
    /// runtime. Everything `work` reads comes from one snapshot of the database.
    pub async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut ReadSession<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read_blocking(work))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// [`Store::read`] for code that is already on a blocking thread (exports, the CLI).
    pub fn read_blocking<T>(
        &self,
        work: impl FnOnce(&mut ReadSession<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.inner.readers.get()?;
        let mut session = ReadSession::begin(&mut conn, &self.inner.catalog)?;
        let result = work(&mut session);
        session.end();
        result
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
        let mut conn = self
            .inner
            .writer
            .lock()
            .map_err(|_| StoreError::Task("writer connection poisoned".into()))?;
        work(&mut conn)
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
