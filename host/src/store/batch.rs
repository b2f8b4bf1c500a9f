//! Columnar batches: how rows leave the store. Every output format, native or (later) a wasm
//! plugin, consumes the same shape, which is also the shape that crosses the plugin boundary
//! cheaply (primitive vectors and one text buffer instead of a record per row).

use base64::Engine as _;
use rusqlite::types::{Value, ValueRef};

use super::catalog::ColumnType;

/// One value of one row, borrowed from a batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Boolean(bool),
}

#[derive(Debug, Clone)]
pub enum ColumnData {
    Integer(Vec<i64>),
    Real(Vec<f64>),
    Boolean(Vec<bool>),
    /// All values of the column back to back; `ends[i]` is where value `i` stops.
    Text {
        buffer: String,
        ends: Vec<u32>,
    },
    /// A column of an ad-hoc SQL result, where each cell has its own type (SQLite is
    /// dynamically typed). Blobs are kept as base64 text.
    Dynamic(Vec<Value>),
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub column_type: ColumnType,
    pub data: ColumnData,
    /// `valid[i]` is false where row `i` is NULL.
    pub valid: Vec<bool>,
}

impl Column {
    pub fn new(name: &str, column_type: ColumnType, capacity: usize) -> Self {
        let data = match column_type {
            ColumnType::Integer => ColumnData::Integer(Vec::with_capacity(capacity)),
            ColumnType::Real => ColumnData::Real(Vec::with_capacity(capacity)),
            ColumnType::Boolean => ColumnData::Boolean(Vec::with_capacity(capacity)),
            ColumnType::Text | ColumnType::Date => ColumnData::Text {
                buffer: String::with_capacity(capacity * 16),
                ends: Vec::with_capacity(capacity),
            },
        };
        Column {
            name: name.to_string(),
            column_type,
            data,
            valid: Vec::with_capacity(capacity),
        }
    }

    /// A column whose cells may each have any type; `column_type` is only nominal (text).
    pub fn dynamic(name: &str, capacity: usize) -> Self {
        Column {
            name: name.to_string(),
            column_type: ColumnType::Text,
            data: ColumnData::Dynamic(Vec::with_capacity(capacity)),
            valid: Vec::with_capacity(capacity),
        }
    }

    /// The value at `row`; a row past the end reads as null rather than panicking (an empty
    /// result asked for its first row is an answer with no data, not a crash).
    pub fn cell(&self, row: usize) -> Cell<'_> {
        if !self.valid.get(row).copied().unwrap_or(false) {
            return Cell::Null;
        }
        let cell = match &self.data {
            ColumnData::Dynamic(v) => v.get(row).map(|value| match value {
                Value::Null => Cell::Null,
                Value::Integer(i) => Cell::Integer(*i),
                Value::Real(r) => Cell::Real(*r),
                Value::Text(t) => Cell::Text(t),
                // Blobs are stored as base64 text on the way in.
                Value::Blob(_) => Cell::Null,
            }),
            ColumnData::Integer(v) => v.get(row).map(|&i| Cell::Integer(i)),
            ColumnData::Real(v) => v.get(row).map(|&r| Cell::Real(r)),
            ColumnData::Boolean(v) => v.get(row).map(|&b| Cell::Boolean(b)),
            ColumnData::Text { buffer, ends } => {
                let start = match row.checked_sub(1) {
                    Some(previous) => ends.get(previous).map_or(0, |&e| e as usize),
                    None => 0,
                };
                ends.get(row)
                    .and_then(|&end| buffer.get(start..end as usize))
                    .map(Cell::Text)
            }
        };
        cell.unwrap_or(Cell::Null)
    }

    /// Appends one SQLite value. STRICT tables guarantee the stored type matches the
    /// declared one; anything else (a hand-edited file) is coerced rather than trusted.
    pub(crate) fn push(&mut self, value: ValueRef<'_>) {
        let is_null = matches!(value, ValueRef::Null);
        self.valid.push(!is_null);
        match &mut self.data {
            ColumnData::Dynamic(v) => v.push(match value {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(i) => Value::Integer(i),
                ValueRef::Real(r) => Value::Real(r),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => {
                    Value::Text(base64::engine::general_purpose::STANDARD.encode(b))
                }
            }),
            ColumnData::Integer(v) => v.push(match value {
                ValueRef::Integer(i) => i,
                ValueRef::Real(r) => r as i64,
                _ => 0,
            }),
            ColumnData::Real(v) => v.push(match value {
                ValueRef::Integer(i) => i as f64,
                ValueRef::Real(r) => r,
                _ => 0.0,
            }),
            ColumnData::Boolean(v) => v.push(match value {
                ValueRef::Integer(i) => i != 0,
                ValueRef::Real(r) => r != 0.0,
                _ => false,
            }),
            ColumnData::Text { buffer, ends } => {
                match value {
                    // Valid UTF-8 (as SQLite's text almost always is) is checked and copied
                    // in one pass; only invalid bytes take the replacing path.
                    ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
                        match std::str::from_utf8(bytes) {
                            Ok(text) => buffer.push_str(text),
                            Err(_) => buffer.push_str(&String::from_utf8_lossy(bytes)),
                        }
                    }
                    ValueRef::Integer(i) => buffer.push_str(&i.to_string()),
                    ValueRef::Real(r) => buffer.push_str(&r.to_string()),
                    ValueRef::Null => {}
                }
                ends.push(buffer.len() as u32);
            }
        }
    }

    /// Makes this column a copy of `source`, reusing its buffers where the kinds agree.
    fn copy_from(&mut self, source: &Column) {
        self.valid.clone_from(&source.valid);
        match (&mut self.data, &source.data) {
            (ColumnData::Integer(to), ColumnData::Integer(from)) => to.clone_from(from),
            (ColumnData::Real(to), ColumnData::Real(from)) => to.clone_from(from),
            (ColumnData::Boolean(to), ColumnData::Boolean(from)) => to.clone_from(from),
            (
                ColumnData::Text { buffer, ends },
                ColumnData::Text {
                    buffer: from_buffer,
                    ends: from_ends,
                },
            ) => {
                buffer.clone_from(from_buffer);
                ends.clone_from(from_ends);
            }
            (ColumnData::Dynamic(to), ColumnData::Dynamic(from)) => to.clone_from(from),
            (to, from) => *to = from.clone(),
        }
        if self.name != source.name {
            self.name.clone_from(&source.name);
        }
        self.column_type = source.column_type;
    }

    fn clear(&mut self) {
        self.valid.clear();
        match &mut self.data {
            ColumnData::Dynamic(v) => v.clear(),
            ColumnData::Integer(v) => v.clear(),
            ColumnData::Real(v) => v.clear(),
            ColumnData::Boolean(v) => v.clear(),
            ColumnData::Text { buffer, ends } => {
                buffer.clear();
                ends.clear();
            }
        }
    }
}

/// A run of rows in columnar form. Reused between fills so a long scan allocates once.
#[derive(Debug, Clone)]
pub struct Batch {
    pub columns: Vec<Column>,
    len: usize,
}

impl Batch {
    pub fn new(columns: Vec<Column>) -> Self {
        Batch { columns, len: 0 }
    }

    /// A batch from filled columns; every column must hold `len` rows.
    pub fn from_columns(columns: Vec<Column>, len: usize) -> Self {
        debug_assert!(columns.iter().all(|c| c.valid.len() == len));
        Batch { columns, len }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn cell(&self, column: usize, row: usize) -> Cell<'_> {
        self.columns.get(column).map_or(Cell::Null, |c| c.cell(row))
    }

    /// A batch of the same columns with no rows.
    pub fn empty_like(&self) -> Batch {
        let columns = self
            .columns
            .iter()
            .map(|c| match c.data {
                ColumnData::Dynamic(_) => Column::dynamic(&c.name, self.len),
                _ => Column::new(&c.name, c.column_type, self.len),
            })
            .collect();
        Batch::new(columns)
    }

    /// Makes this batch a copy of `source` (of the same columns), reusing its buffers: how a
    /// long export hands batches to its encoder's thread without allocating per batch.
    pub fn copy_from(&mut self, source: &Batch) {
        self.columns.truncate(source.columns.len());
        for (i, from) in source.columns.iter().enumerate() {
            match self.columns.get_mut(i) {
                Some(to) => to.copy_from(from),
                None => self.columns.push(from.clone()),
            }
        }
        self.len = source.len;
    }

    pub(crate) fn push_row(&mut self, row: &rusqlite::Row<'_>) -> rusqlite::Result<()> {
        for (i, column) in self.columns.iter_mut().enumerate() {
            column.push(row.get_ref(i)?);
        }
        self.len += 1;
        Ok(())
    }

    pub(crate) fn clear(&mut self) {
        self.columns.iter_mut().for_each(Column::clear);
        self.len = 0;
    }

    /// Drops rows past `len` (used to cut the look-ahead row off a page).
    pub(crate) fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        for column in &mut self.columns {
            column.valid.truncate(len);
            match &mut column.data {
                ColumnData::Dynamic(v) => v.truncate(len),
                ColumnData::Integer(v) => v.truncate(len),
                ColumnData::Real(v) => v.truncate(len),
                ColumnData::Boolean(v) => v.truncate(len),
                ColumnData::Text { buffer, ends } => {
                    ends.truncate(len);
                    buffer.truncate(ends.last().copied().unwrap_or(0) as usize);
                }
            }
        }
        self.len = len;
    }
}
