//! Dataset metadata: what the host knows about each table without looking at its rows.
//!
//! The API serves every dataset through this description alone, which is why nothing outside
//! the store ever names a table.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::StoreError;

/// A text in Indonesian (first) and English.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Bilingual {
    pub id: String,
    pub en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Integer,
    Real,
    Text,
    /// ISO 8601 text (`2021-06-02`, or a partial `2021-06` / `2021`), compared as text.
    Date,
    /// Stored as INTEGER 0/1, served as JSON true/false.
    Boolean,
}

impl ColumnType {
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Integer => "integer",
            ColumnType::Real => "real",
            ColumnType::Text => "text",
            ColumnType::Date => "date",
            ColumnType::Boolean => "boolean",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "integer" => ColumnType::Integer,
            "real" => ColumnType::Real,
            "text" => ColumnType::Text,
            "date" => ColumnType::Date,
            "boolean" => ColumnType::Boolean,
            _ => return None,
        })
    }

    /// The SQLite STRICT type that holds this column.
    pub fn sqlite_type(self) -> &'static str {
        match self {
            ColumnType::Integer | ColumnType::Boolean => "INTEGER",
            ColumnType::Real => "REAL",
            ColumnType::Text | ColumnType::Date => "TEXT",
        }
    }

    pub fn is_textual(self) -> bool {
        matches!(self, ColumnType::Text | ColumnType::Date)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct ColumnMeta {
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default)]
    pub searchable: bool,
    pub title: Bilingual,
    pub description: Bilingual,
    /// `dataset:column` holding this column's code list: an import refuses any other value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codes: Option<String>,
}

/// One dataset as the catalog describes it. Cheap to clone behind an `Arc`; replaced whole
/// when its schema version changes.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct DatasetMeta {
    pub id: String,
    #[serde(skip)]
    pub table: String,
    pub title: Bilingual,
    pub description: Bilingual,
    pub licence: String,
    pub primary_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_column: Option<String>,
    pub synthetic: bool,
    pub searchable: bool,
    pub columns: Vec<ColumnMeta>,
    pub revision: i64,
    #[serde(skip)]
    pub schema_version: i64,
    pub row_count: i64,
    pub updated_at: String,
}

impl DatasetMeta {
    pub fn column(&self, name: &str) -> Option<(usize, &ColumnMeta)> {
        self.columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == name)
    }

    pub fn primary_key_index(&self) -> usize {
        self.column(&self.primary_key).map(|(i, _)| i).unwrap_or(0)
    }

    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// Name of the FTS5 table that indexes this dataset's searchable columns.
    pub fn fts_table(&self) -> String {
        fts_table_name(&self.table)
    }
}

pub fn fts_table_name(table: &str) -> String {
    format!("_logam_fts_{table}")
}

/// The per-request freshness check: what changes whenever the dataset's data or schema does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatasetState {
    pub revision: i64,
    pub schema_version: i64,
}

pub(crate) fn dataset_state(conn: &Connection, id: &str) -> Result<DatasetState, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT current_rev, schema_version FROM _logam_datasets WHERE id = ?1")?;
    stmt.query_row(params![id], |r| {
        Ok(DatasetState {
            revision: r.get(0)?,
            schema_version: r.get(1)?,
        })
    })
    .optional()?
    .ok_or_else(|| StoreError::UnknownDataset(id.to_string()))
}

pub(crate) fn load_dataset(conn: &Connection, id: &str) -> Result<DatasetMeta, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, table_name, title_id, title_en, description_id, description_en, licence,
                primary_key, source_column, synthetic, searchable, current_rev, schema_version,
                row_count, updated_at
         FROM _logam_datasets WHERE id = ?1",
    )?;
    let mut meta = stmt
        .query_row(params![id], |r| {
            Ok(DatasetMeta {
                id: r.get(0)?,
                table: r.get(1)?,
                title: Bilingual {
                    id: r.get(2)?,
                    en: r.get(3)?,
                },
                description: Bilingual {
                    id: r.get(4)?,
                    en: r.get(5)?,
                },
                licence: r.get(6)?,
                primary_key: r.get(7)?,
                source_column: r.get(8)?,
                synthetic: r.get(9)?,
                searchable: r.get(10)?,
                columns: Vec::new(),
                revision: r.get(11)?,
                schema_version: r.get(12)?,
                row_count: r.get(13)?,
                updated_at: r.get(14)?,
            })
        })
        .optional()?
        .ok_or_else(|| StoreError::UnknownDataset(id.to_string()))?;

    let mut stmt = conn.prepare_cached(
        "SELECT name, type, unit, searchable, title_id, title_en, description_id, description_en,
                codes
         FROM _logam_columns WHERE dataset_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map(params![id], |r| {
        let type_name: String = r.get(1)?;
        Ok((
            type_name,
            ColumnMeta {
                name: r.get(0)?,
                column_type: ColumnType::Text,
                unit: r.get(2)?,
                codes: r.get(8)?,
                searchable: r.get(3)?,
                title: Bilingual {
                    id: r.get(4)?,
                    en: r.get(5)?,
                },
                description: Bilingual {
                    id: r.get(6)?,
                    en: r.get(7)?,
                },
            },
        ))
    })?;
    for row in rows {
        let (type_name, mut column) = row?;
        column.column_type = ColumnType::parse(&type_name).ok_or_else(|| {
            StoreError::Seed(format!(
                "column {}.{} has unknown type {type_name}",
                meta.id, column.name
            ))
        })?;
        meta.columns.push(column);
    }
    Ok(meta)
}

pub(crate) fn list_dataset_ids(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id FROM _logam_datasets ORDER BY id")?;
    let ids = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

/// In-memory copy of the metadata, so a request does not re-read column descriptions; each
/// entry is checked against [`DatasetState`] inside the request's own read transaction.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    pub datasets: HashMap<String, Arc<DatasetMeta>>,
}

/// A source of figures, as the sources dataset describes it. Read generically: whatever
/// columns the sources dataset has are passed through.
pub type SourceRecord = serde_json::Map<String, serde_json::Value>;
