//! Reading inside one snapshot. A [`ReadSession`] is a read transaction on a pooled
//! read-only connection: a page, its count and its facets all see the same data, and an
//! export streams from the snapshot it started on however long it runs.

use std::ops::ControlFlow;
use std::sync::Arc;

use arc_swap::ArcSwap;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde::Serialize;

use super::catalog::{self, Catalog, DatasetMeta, DatasetState, SourceRecord};
use super::query::{FACET_LIMIT, ReadPlan, RowRequest};
use super::{Batch, StoreError, values};

/// Either the caller's copy is still current, or here is the new one.
#[derive(Debug)]
pub enum Fresh<T> {
    NotModified(DatasetState),
    Modified(T),
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FacetValue {
    /// The value (string, number, boolean or null).
    pub value: serde_json::Value,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Facet {
    #[serde(skip)]
    pub column: String,
    pub values: Vec<FacetValue>,
    /// True when more distinct values exist than are listed.
    pub truncated: bool,
}

/// See [`ReadSession::column_profile`]. `min` and `max` are null when every value is.
#[derive(Debug, Clone)]
pub struct ColumnProfile {
    pub min: serde_json::Value,
    pub max: serde_json::Value,
    /// Distinct lengths in characters of the non-null values (as text), ascending.
    pub lengths: Vec<i64>,
}

/// One page of rows with what the client asked to know about the whole filtered set.
#[derive(Debug)]
pub struct Page {
    pub state: DatasetState,
    pub plan: ReadPlan,
    pub batch: Batch,
    pub next: Option<String>,
    pub count: Option<i64>,
    /// The count stopped at the plan's bound: there are at least `count` rows.
    pub count_is_lower_bound: bool,
    pub facets: Vec<Facet>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevisionRecord {
    pub revision: i64,
    pub dataset: String,
    pub created_at: String,
    pub author: String,
    pub message: String,
    pub rows_added: i64,
    pub rows_changed: i64,
    pub rows_removed: i64,
}

pub struct ReadSession<'c> {
    conn: &'c mut Connection,
    catalog: &'c ArcSwap<Catalog>,
    open: bool,
}

fn cell_json(value: ValueRef<'_>) -> serde_json::Value {
    match value {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(r) => serde_json::Number::from_f64(r)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned().into(),
    }
}

impl<'c> ReadSession<'c> {
    pub(crate) fn begin(
        conn: &'c mut Connection,
        catalog: &'c ArcSwap<Catalog>,
    ) -> Result<Self, StoreError> {
        conn.execute_batch("BEGIN")
            .map_err(StoreError::from_sqlite)?;
        Ok(ReadSession {
            conn,
            catalog,
            open: true,
        })
    }

    pub(crate) fn end(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        if self.open {
            self.open = false;
            // A read transaction has nothing to keep; failure here only means it is gone.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    pub fn state(&self, dataset: &str) -> Result<DatasetState, StoreError> {
        catalog::dataset_state(self.conn, dataset)
    }

    /// The dataset's metadata, from the in-memory catalog when its schema has not changed.
    /// Its `revision` and `row_count` are as of when it was cached; use [`Self::state`] or
    /// [`Self::dataset`] for current figures.
    /// The session's connection, for store code that reads within the same snapshot.
    pub(crate) fn connection(&self) -> &Connection {
        self.conn
    }

    pub fn meta(&self, dataset: &str, state: DatasetState) -> Result<Arc<DatasetMeta>, StoreError> {
        if let Some(meta) = self.catalog.load().datasets.get(dataset)
            && meta.schema_version == state.schema_version
        {
            return Ok(meta.clone());
        }
        let meta = Arc::new(catalog::load_dataset(self.conn, dataset)?);
        let cached = meta.clone();
        self.catalog.rcu(|current| {
            let mut next = (**current).clone();
            next.datasets.insert(cached.id.clone(), cached.clone());
            next
        });
        Ok(meta)
    }

    /// Current metadata, read fresh (revision and row count included).
    pub fn dataset(&self, dataset: &str) -> Result<DatasetMeta, StoreError> {
        catalog::load_dataset(self.conn, dataset)
    }

    pub fn datasets(&self, include_synthetic: bool) -> Result<Vec<DatasetMeta>, StoreError> {
        catalog::list_dataset_ids(self.conn)?
            .iter()
            .map(|id| catalog::load_dataset(self.conn, id))
            .filter(|m| include_synthetic || m.as_ref().map(|m| !m.synthetic).unwrap_or(true))
            .collect()
    }

    /// The store-wide setting `key` (publisher, licence, sources dataset), if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM _logam_meta WHERE key = ?1")?
            .query_row(params![key], |r| r.get(0))
            .optional()?)
    }

    /// Checks the request against the schema and the caller's cached copy. Returns
    /// `NotModified` without touching the rows when `unchanged_since` is still current.
    pub fn plan(
        &self,
        dataset: &str,
        request: &RowRequest,
        unchanged_since: Option<DatasetState>,
    ) -> Result<Fresh<(DatasetState, ReadPlan)>, StoreError> {
        let state = self.state(dataset)?;
        if unchanged_since == Some(state) {
            return Ok(Fresh::NotModified(state));
        }
        if let Some(requested) = request.as_of {
            let newest: i64 = self
                .conn
                .prepare_cached("SELECT coalesce(max(rev), 0) FROM _logam_revisions")?
                .query_row([], |r| r.get(0))?;
            if !(1..=newest).contains(&requested) {
                return Err(super::QueryError::UnknownRevision { requested, newest }.into());
            }
        }
        let meta = self.meta(dataset, state)?;
        let plan = ReadPlan::new(meta, request)?;
        Ok(Fresh::Modified((state, plan)))
    }

    /// Streams the plan's rows in batches of up to `batch_rows`; `each` may stop the scan
    /// early by returning `ControlFlow::Break`. Returns the number of rows delivered.
    pub fn scan(
        &self,
        plan: &ReadPlan,
        batch_rows: usize,
        mut each: impl FnMut(&Batch) -> ControlFlow<()>,
    ) -> Result<u64, StoreError> {
        let (sql, params) = plan.rows_sql(0);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(params.iter()))?;
        let mut batch = plan.new_batch(batch_rows);
        let mut delivered = 0u64;
        while let Some(row) = rows.next().map_err(StoreError::from_sqlite)? {
            batch.push_row(row)?;
            if batch.len() == batch_rows {
                delivered += batch.len() as u64;
                if each(&batch).is_break() {
                    return Ok(delivered);
                }
                batch.clear();
            }
        }
        if !batch.is_empty() {
            delivered += batch.len() as u64;
            let _ = each(&batch);
        }
        Ok(delivered)
    }

    /// One page: up to `plan.limit` rows, the token for the next page, and the optional
    /// count and facets of the whole filtered set.
    pub fn page(&self, state: DatasetState, plan: ReadPlan) -> Result<Page, StoreError> {
        let size = plan.limit.unwrap_or(100);
        let (sql, params) = plan.rows_sql(1);
        let mut batch = plan.new_batch(size + 1);
        {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(params.iter()))?;
            while let Some(row) = rows.next().map_err(StoreError::from_sqlite)? {
                batch.push_row(row)?;
            }
        }
        let next = if batch.len() > size {
            batch.truncate(size);
            Some(plan.token_after(&batch, size - 1))
        } else {
            None
        };
        let count: Option<i64> = match (plan.count, plan.reads_every_current_row()) {
            (false, _) => None,
            // Kept by every write in the same transaction, so as current as the rows read.
            (true, true) => Some(
                self.conn
                    .prepare_cached("SELECT row_count FROM _logam_datasets WHERE id = ?1")?
                    .query_row([&plan.meta.id], |r| r.get(0))?,
            ),
            (true, false) => {
                let (sql, params) = plan.count_sql();
                Some(
                    self.conn
                        .prepare_cached(&sql)?
                        .query_row(params_from_iter(params.iter()), |r| r.get(0))?,
                )
            }
        };
        let count_is_lower_bound = !plan.reads_every_current_row()
            && matches!((count, plan.count_bound), (Some(c), Some(b)) if c as u64 >= b);
        let mut facets = Vec::with_capacity(plan.facets.len());
        for &column in &plan.facets {
            let (sql, params) = plan.facet_sql(column);
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut values = stmt
                .query_map(params_from_iter(params.iter()), |r| {
                    Ok(FacetValue {
                        value: cell_json(r.get_ref(0)?),
                        count: r.get(1)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let truncated = values.len() > FACET_LIMIT;
            values.truncate(FACET_LIMIT);
            if plan.meta.columns[column].column_type == super::ColumnType::Boolean {
                for v in &mut values {
                    if let Some(i) = v.value.as_i64() {
                        v.value = (i != 0).into();
                    }
                }
            }
            facets.push(super::Facet {
                column: plan.meta.columns[column].name.clone(),
                values,
                truncated,
            });
        }
        Ok(Page {
            state,
            plan,
            batch,
            next,
            count,
            count_is_lower_bound,
            facets,
        })
    }

    /// The row whose primary key is `key` (given as text, parsed by the key's type).
    pub fn row(&self, meta: &Arc<DatasetMeta>, key: &str) -> Result<(ReadPlan, Batch), StoreError> {
        let pk = &meta.columns[meta.primary_key_index()];
        let not_found = || StoreError::RowNotFound {
            dataset: meta.id.clone(),
            column: pk.name.clone(),
            value: key.chars().take(100).collect(),
        };
        // A key that cannot be of the key's type names no row.
        values::parse_text(pk.column_type, key).ok_or_else(not_found)?;
        let request = RowRequest {
            filters: vec![super::Filter {
                parameter: pk.name.clone(),
                column: pk.name.clone(),
                operator: super::Operator::Exact,
                value: key.to_string(),
            }],
            limit: Some(1),
            ..RowRequest::default()
        };
        let plan = ReadPlan::new(meta.clone(), &request)?;
        let mut found = plan.new_batch(1);
        self.scan(&plan, 1, |batch| {
            found = batch.clone();
            ControlFlow::Break(())
        })?;
        if found.is_empty() {
            return Err(not_found());
        }
        Ok((plan, found))
    }

    /// The sources that the dataset's rows cite, as records of the sources dataset.
    pub fn sources_of(&self, meta: &DatasetMeta) -> Result<Vec<SourceRecord>, StoreError> {
        let Some(sources_id) = self.setting("sources_dataset")? else {
            return Ok(Vec::new());
        };
        let sources = catalog::load_dataset(self.conn, &sources_id)?;
        let columns: Vec<String> = sources
            .columns
            .iter()
            .map(|c| format!("\"{}\"", c.name))
            .collect();
        let sql = match &meta.source_column {
            _ if meta.id == sources.id => format!(
                "SELECT {} FROM \"{}\" ORDER BY 1",
                columns.join(", "),
                sources.table
            ),
            Some(source_column) => format!(
                "SELECT {} FROM \"{}\" WHERE \"{}\" IN (SELECT DISTINCT \"{}\" FROM \"{}\") ORDER BY 1",
                columns.join(", "),
                sources.table,
                sources.primary_key,
                source_column,
                meta.table
            ),
            None => return Ok(Vec::new()),
        };
        let mut stmt = self.conn.prepare(&sql)?;
        let records = stmt
            .query_map([], |r| {
                let mut record = SourceRecord::new();
                for (i, column) in sources.columns.iter().enumerate() {
                    record.insert(column.name.clone(), cell_json(r.get_ref(i)?));
                }
                Ok(record)
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(records)
    }

    pub fn revisions(
        &self,
        dataset: Option<&str>,
        limit: usize,
    ) -> Result<Vec<RevisionRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT rev, dataset_id, created_at, author, message, rows_added, rows_changed, rows_removed
             FROM _logam_revisions WHERE ?1 IS NULL OR dataset_id = ?1 ORDER BY rev DESC LIMIT ?2",
        )?;
        let records = stmt
            .query_map(params![dataset, limit as i64], |r| {
                Ok(RevisionRecord {
                    revision: r.get(0)?,
                    dataset: r.get(1)?,
                    created_at: r.get(2)?,
                    author: r.get(3)?,
                    message: r.get(4)?,
                    rows_added: r.get(5)?,
                    rows_changed: r.get(6)?,
                    rows_removed: r.get(7)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(records)
    }

    /// The canned queries published with a dataset.
    pub fn queries(&self, dataset: &str) -> Result<Vec<super::CannedQuery>, StoreError> {
        self.state(dataset)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, title_id, title_en, description_id, description_en, sql
             FROM _logam_queries WHERE dataset_id = ?1 ORDER BY name",
        )?;
        let queries = stmt
            .query_map(params![dataset], |r| {
                Ok(super::CannedQuery {
                    name: r.get(0)?,
                    title: super::Bilingual {
                        id: r.get(1)?,
                        en: r.get(2)?,
                    },
                    description: super::Bilingual {
                        id: r.get(3)?,
                        en: r.get(4)?,
                    },
                    sql: r.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(queries)
    }

    /// The shape of one column's values, for describing it to catalogs without sending its
    /// rows: partial ISO dates (`2021`, `2021-06`) are valid here, and a Table Schema `date`
    /// field would reject them, so the describer needs to know which lengths occur.
    pub fn column_profile(
        &self,
        meta: &DatasetMeta,
        column: &str,
    ) -> Result<ColumnProfile, StoreError> {
        let (_, column) = meta.column(column).ok_or_else(|| {
            StoreError::Query(super::QueryError::UnknownColumn {
                dataset: meta.id.clone(),
                column: column.to_string(),
                known: meta.column_names(),
            })
        })?;
        let (min, max) = self
            .conn
            .prepare(&format!(
                "SELECT min(\"{0}\"), max(\"{0}\") FROM \"{1}\"",
                column.name, meta.table
            ))?
            .query_row([], |r| {
                Ok((cell_json(r.get_ref(0)?), cell_json(r.get_ref(1)?)))
            })?;
        let lengths = self
            .conn
            .prepare(&format!(
                "SELECT DISTINCT length(\"{0}\") FROM \"{1}\" WHERE \"{0}\" IS NOT NULL ORDER BY 1",
                column.name, meta.table
            ))?
            .query_map([], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ColumnProfile { min, max, lengths })
    }

    /// A fingerprint of every dataset's state, for caching catalog-wide responses.
    pub fn catalog_version(&self) -> Result<(i64, i64), StoreError> {
        Ok(self.conn.prepare_cached(
            "SELECT coalesce(max(current_rev), 0), coalesce(sum(schema_version), 0) + count(*) FROM _logam_datasets",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }
}

impl Drop for ReadSession<'_> {
    fn drop(&mut self) {
        self.finish();
    }
}
