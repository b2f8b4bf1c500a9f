//! From a read request to SQL. Identifiers in the SQL come only from the dataset's metadata
//! (a request can name a column, never spell one); every value is a bound parameter.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::types::Value;
use serde_json::json;

use super::QueryError;
use super::batch::{Batch, Cell, Column};
use super::catalog::{ColumnMeta, ColumnType, DatasetMeta};
use super::values;

/// Filter operators, as written after `__` in a query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Exact,
    Not,
    Gt,
    Gte,
    Lt,
    Lte,
    Contains,
    StartsWith,
    In,
    IsNull,
}

impl Operator {
    pub const ALL: [(&'static str, Operator); 10] = [
        ("exact", Operator::Exact),
        ("not", Operator::Not),
        ("gt", Operator::Gt),
        ("gte", Operator::Gte),
        ("lt", Operator::Lt),
        ("lte", Operator::Lte),
        ("contains", Operator::Contains),
        ("startswith", Operator::StartsWith),
        ("in", Operator::In),
        ("isnull", Operator::IsNull),
    ];

    pub fn parse(name: &str) -> Option<Operator> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, op)| *op)
    }
}

/// Most values an `in` filter may list.
pub const MAX_IN_VALUES: usize = 100;
/// Most words a `_q` search may have.
pub const MAX_SEARCH_TERMS: usize = 32;
/// Most distinct values a facet reports.
pub const FACET_LIMIT: usize = 30;

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The parameter as the client wrote it, for error messages.
    pub parameter: String,
    pub column: String,
    pub operator: Operator,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    pub column: String,
    pub descending: bool,
}

/// A read request in the store's terms, already split into its parts by the API but not yet
/// checked against any schema.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowRequest {
    pub filters: Vec<Filter>,
    pub sort: Option<Sort>,
    /// Rows wanted: the page size for a page, an optional cap for an export.
    pub limit: Option<usize>,
    pub next: Option<String>,
    pub columns: Option<Vec<String>>,
    pub facets: Vec<String>,
    pub search: Option<String>,
    pub count: bool,
    /// Count at most this many rows: past it the count says "at least" (a page that counts
    /// a large filtered set by default stays fast; an exact count is asked for).
    pub count_bound: Option<u64>,
    /// Read the data as it was at this revision.
    pub as_of: Option<i64>,
}

/// A checked request: everything needed to run it, with identifiers resolved to positions in
/// the dataset's columns.
#[derive(Debug, Clone)]
pub struct ReadPlan {
    pub meta: Arc<DatasetMeta>,
    /// Dataset column indices that are selected, in SELECT order.
    selected: Vec<usize>,
    /// Positions within `selected` that the client sees, in output order.
    pub output: Vec<usize>,
    where_sql: Vec<String>,
    params: Vec<Value>,
    sort_column: usize,
    descending: bool,
    after: Option<(Value, Value)>,
    pub limit: Option<usize>,
    pub facets: Vec<usize>,
    pub count: bool,
    pub count_bound: Option<u64>,
    /// `_as_of`: the rows are read from the live table and its history (see `history.rs`).
    as_of: Option<i64>,
}

impl ReadPlan {
    pub fn new(meta: Arc<DatasetMeta>, request: &RowRequest) -> Result<ReadPlan, QueryError> {
        let lookup = |name: &str| -> Result<usize, QueryError> {
            meta.column(name)
                .map(|(i, _)| i)
                .ok_or_else(|| QueryError::UnknownColumn {
                    dataset: meta.id.clone(),
                    column: name.to_string(),
                    known: meta.column_names(),
                })
        };

        let mut where_sql = Vec::new();
        let mut params = Vec::new();
        for filter in &request.filters {
            let index = lookup(&filter.column)?;
            let (sql, mut bound) = filter_sql(&meta.columns[index], filter)?;
            where_sql.push(sql);
            params.append(&mut bound);
        }

        if let Some(text) = &request.search {
            // The search index covers live rows only; a match there says nothing about the
            // text of an older version, so the two are refused together rather than guessed.
            if request.as_of.is_some() {
                return Err(QueryError::NotApplicable {
                    parameter: "_q".into(),
                    context: "_as_of (the search index holds the live rows only)",
                });
            }
            if !meta.searchable {
                return Err(QueryError::SearchUnavailable {
                    dataset: meta.id.clone(),
                });
            }
            let fts = meta.fts_table();
            where_sql.push(format!(
                "rowid IN (SELECT rowid FROM \"{fts}\" WHERE \"{fts}\" MATCH ?)"
            ));
            params.push(Value::Text(fts_query(text)?));
        }

        let pk = meta.primary_key_index();
        let (sort_column, descending) = match &request.sort {
            Some(sort) => (lookup(&sort.column)?, sort.descending),
            None => (pk, false),
        };

        let mut output_columns = match &request.columns {
            Some(names) => {
                let mut indices = Vec::with_capacity(names.len());
                for name in names {
                    let i = lookup(name)?;
                    if !indices.contains(&i) {
                        indices.push(i);
                    }
                }
                indices
            }
            None => (0..meta.columns.len()).collect(),
        };
        // The keyset needs the sort column and the key even when the client does not.
        let mut selected = output_columns.clone();
        for needed in [sort_column, pk] {
            if !selected.contains(&needed) {
                selected.push(needed);
            }
        }
        let output = output_columns
            .drain(..)
            .map(|c| selected.iter().position(|s| *s == c).unwrap_or(0))
            .collect();

        let mut facets = Vec::with_capacity(request.facets.len());
        for name in &request.facets {
            let i = lookup(name)?;
            if !facets.contains(&i) {
                facets.push(i);
            }
        }

        let after = match &request.next {
            Some(token) => Some(decode_token(&meta, token, sort_column, descending)?),
            None => None,
        };

        Ok(ReadPlan {
            meta,
            selected,
            output,
            where_sql,
            params,
            sort_column,
            descending,
            after,
            limit: request.limit,
            facets,
            count: request.count,
            count_bound: request.count_bound,
            as_of: request.as_of,
        })
    }

    /// The columns the client sees, in output order.
    pub fn output_columns(&self) -> impl Iterator<Item = &ColumnMeta> {
        self.output
            .iter()
            .map(|&p| &self.meta.columns[self.selected[p]])
    }

    /// An empty batch with one column per selected column, ready to be filled by a scan.
    pub fn new_batch(&self, capacity: usize) -> Batch {
        Batch::new(
            self.selected
                .iter()
                .map(|&i| {
                    let c = &self.meta.columns[i];
                    Column::new(&c.name, c.column_type, capacity)
                })
                .collect(),
        )
    }

    fn quoted(&self, index: usize) -> String {
        format!("\"{}\"", self.meta.columns[index].name)
    }

    /// What the rows are read from: the live table, or its rows as of `_as_of`.
    fn source(&self) -> String {
        match self.as_of {
            None => format!("\"{}\"", self.meta.table),
            Some(revision) => {
                super::history::as_of_source(&self.meta.table, &self.meta.column_names(), revision)
            }
        }
    }

    fn filter_clause(&self) -> String {
        if self.where_sql.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.where_sql.join(" AND "))
        }
    }

    /// The SELECT for rows, with the keyset condition, and its parameters. `extra_rows` lets a
    /// page look one row ahead to learn whether another page follows.
    pub(crate) fn rows_sql(&self, extra_rows: usize) -> (String, Vec<Value>) {
        let columns: Vec<String> = self.selected.iter().map(|&i| self.quoted(i)).collect();
        let mut conditions = self.where_sql.clone();
        let mut params = self.params.clone();
        let sort = self.quoted(self.sort_column);
        let pk = self.quoted(self.meta.primary_key_index());
        let single_key = self.sort_column == self.meta.primary_key_index();
        if let Some((value, key)) = &self.after {
            let (beyond, key_beyond) = if self.descending {
                ("<", "<")
            } else {
                (">", ">")
            };
            if single_key {
                conditions.push(format!("{pk} {beyond} ?"));
                params.push(key.clone());
            } else if *value == Value::Null {
                // NULLs sort first ascending and last descending (SQLite's rule).
                if self.descending {
                    conditions.push(format!("({sort} IS NULL AND {pk} {key_beyond} ?)"));
                    params.push(key.clone());
                } else {
                    conditions.push(format!(
                        "({sort} IS NOT NULL OR ({sort} IS NULL AND {pk} {key_beyond} ?))"
                    ));
                    params.push(key.clone());
                }
            } else {
                let nulls_after = if self.descending {
                    format!(" OR {sort} IS NULL")
                } else {
                    String::new()
                };
                conditions.push(format!(
                    "({sort} {beyond} ? OR ({sort} = ? AND {pk} {key_beyond} ?){nulls_after})"
                ));
                params.push(value.clone());
                params.push(value.clone());
                params.push(key.clone());
            }
        }
        let direction = if self.descending { " DESC" } else { "" };
        let order = if single_key {
            format!("{pk}{direction}")
        } else {
            format!("{sort}{direction}, {pk}{direction}")
        };
        let mut sql = format!("SELECT {} FROM {}", columns.join(", "), self.source());
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(" ORDER BY ");
        sql.push_str(&order);
        if let Some(limit) = self.limit {
            // SQLite reads a LIMIT past i64 as a real and refuses it; any such limit means
            // "every row" anyway.
            let limit = limit.saturating_add(extra_rows).min(i64::MAX as usize);
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        (sql, params)
    }

    /// Counts the filtered set, stopping at `count_bound` when there is one.
    pub(crate) fn count_sql(&self) -> (String, Vec<Value>) {
        let sql = match self.count_bound {
            Some(bound) => format!(
                "SELECT count(*) FROM (SELECT 1 FROM {}{} LIMIT {bound})",
                self.source(),
                self.filter_clause()
            ),
            None => format!(
                "SELECT count(*) FROM {}{}",
                self.source(),
                self.filter_clause()
            ),
        };
        (sql, self.params.clone())
    }

    /// Whether the plan reads every current row (no filter, no search, no past revision):
    /// then the count is the one the catalog keeps, with no scan.
    pub(crate) fn reads_every_current_row(&self) -> bool {
        self.where_sql.is_empty() && self.as_of.is_none()
    }

    pub(crate) fn facet_sql(&self, column: usize) -> (String, Vec<Value>) {
        let c = self.quoted(column);
        (
            format!(
                "SELECT {c}, count(*) FROM {}{} GROUP BY {c} ORDER BY 2 DESC, 1 LIMIT {}",
                self.source(),
                self.filter_clause(),
                FACET_LIMIT + 1
            ),
            self.params.clone(),
        )
    }

    /// The `_next` token that continues after row `row` of a batch filled by this plan.
    pub fn token_after(&self, batch: &Batch, row: usize) -> String {
        let position = |dataset_index: usize| {
            self.selected
                .iter()
                .position(|s| *s == dataset_index)
                .unwrap_or(0)
        };
        let to_json = |cell: Cell<'_>| match cell {
            Cell::Null => serde_json::Value::Null,
            Cell::Integer(i) => json!(i),
            Cell::Real(r) => json!(r),
            Cell::Text(t) => json!(t),
            Cell::Boolean(b) => json!(b as i64),
        };
        let value = to_json(batch.cell(position(self.sort_column), row));
        let key = to_json(batch.cell(position(self.meta.primary_key_index()), row));
        let token = json!([
            self.meta.columns[self.sort_column].name,
            self.descending,
            value,
            key
        ]);
        URL_SAFE_NO_PAD.encode(token.to_string())
    }
}

fn invalid_token(reason: &str) -> QueryError {
    QueryError::InvalidNextToken {
        reason: reason.to_string(),
    }
}

fn decode_token(
    meta: &DatasetMeta,
    token: &str,
    sort_column: usize,
    descending: bool,
) -> Result<(Value, Value), QueryError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| invalid_token("it is not base64url"))?;
    let parsed: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| invalid_token("it does not decode"))?;
    let parts = parsed
        .as_array()
        .filter(|a| a.len() == 4)
        .ok_or_else(|| invalid_token("it has the wrong shape"))?;
    if parts[0].as_str() != Some(meta.columns[sort_column].name.as_str())
        || parts[1].as_bool() != Some(descending)
    {
        return Err(invalid_token(
            "it was made for another sort order; keep _sort/_sort_desc as on the first page",
        ));
    }
    let typed = |index: usize, value: &serde_json::Value| {
        let column_type = match meta.columns[index].column_type {
            ColumnType::Boolean => ColumnType::Integer,
            other => other,
        };
        values::from_json(column_type, value)
            .ok_or_else(|| invalid_token("its values do not fit the columns"))
    };
    let value = typed(sort_column, &parts[2])?;
    let key = typed(meta.primary_key_index(), &parts[3])?;
    if key == Value::Null {
        return Err(invalid_token("it has no key"));
    }
    Ok((value, key))
}

fn invalid_value(filter: &Filter, expected: &str) -> QueryError {
    QueryError::InvalidValue {
        parameter: filter.parameter.clone(),
        value: filter.value.chars().take(100).collect(),
        expected: expected.to_string(),
    }
}

fn typed_value(column: &ColumnMeta, filter: &Filter, raw: &str) -> Result<Value, QueryError> {
    values::parse_text(column.column_type, raw)
        .ok_or_else(|| invalid_value(filter, values::expected(column.column_type)))
}

/// Escapes LIKE's wildcards so `contains=50%` means the text "50%".
fn like_escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 2);
    for c in raw.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn filter_sql(column: &ColumnMeta, filter: &Filter) -> Result<(String, Vec<Value>), QueryError> {
    let name = format!("\"{}\"", column.name);
    let comparison = |op: &str| -> Result<(String, Vec<Value>), QueryError> {
        Ok((
            format!("{name} {op} ?"),
            vec![typed_value(column, filter, &filter.value)?],
        ))
    };
    match filter.operator {
        Operator::Exact => comparison("="),
        Operator::Not => {
            let value = typed_value(column, filter, &filter.value)?;
            // "not 2020" should keep rows whose year is unknown: NULL != 2020 is NULL in SQL.
            Ok((format!("({name} IS NULL OR {name} != ?)"), vec![value]))
        }
        Operator::Gt => comparison(">"),
        Operator::Gte => comparison(">="),
        Operator::Lt => comparison("<"),
        Operator::Lte => comparison("<="),
        Operator::Contains | Operator::StartsWith => {
            if !column.column_type.is_textual() {
                return Err(QueryError::OperatorNotForType {
                    column: column.name.clone(),
                    operator: if filter.operator == Operator::Contains {
                        "contains".into()
                    } else {
                        "startswith".into()
                    },
                    column_type: column.column_type.as_str(),
                });
            }
            let escaped = like_escape(&filter.value);
            let pattern = if filter.operator == Operator::Contains {
                format!("%{escaped}%")
            } else {
                format!("{escaped}%")
            };
            Ok((
                format!("{name} LIKE ? ESCAPE '\\'"),
                vec![Value::Text(pattern)],
            ))
        }
        Operator::In => {
            let items: Vec<&str> = filter.value.split(',').collect();
            if items.len() > MAX_IN_VALUES {
                return Err(invalid_value(
                    filter,
                    &format!("a comma-separated list of at most {MAX_IN_VALUES} values"),
                ));
            }
            let values = items
                .iter()
                .map(|item| typed_value(column, filter, item))
                .collect::<Result<Vec<_>, _>>()?;
            let marks = vec!["?"; values.len()].join(", ");
            Ok((format!("{name} IN ({marks})"), values))
        }
        Operator::IsNull => match values::parse_bool(&filter.value) {
            Some(true) => Ok((format!("{name} IS NULL"), vec![])),
            Some(false) => Ok((format!("{name} IS NOT NULL"), vec![])),
            None => Err(invalid_value(filter, "1 (is null) or 0 (is not null)")),
        },
    }
}

/// Turns free text into an FTS5 query that cannot be a syntax error: every word becomes a
/// quoted phrase, and all words must match.
fn fts_query(text: &str) -> Result<String, QueryError> {
    let terms: Vec<String> = text
        .split_whitespace()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    if terms.is_empty() || terms.len() > MAX_SEARCH_TERMS {
        return Err(QueryError::InvalidValue {
            parameter: "_q".into(),
            value: text.chars().take(100).collect(),
            expected: format!("between 1 and {MAX_SEARCH_TERMS} words"),
        });
    }
    Ok(terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_quoted_word_by_word() {
        assert_eq!(
            fts_query("knalpot  Purbalingga").unwrap(),
            "\"knalpot\" \"Purbalingga\""
        );
        assert_eq!(fts_query("a\"b OR c*").unwrap(), "\"a\"\"b\" \"OR\" \"c*\"");
        assert!(fts_query("   ").is_err());
    }

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }
}
