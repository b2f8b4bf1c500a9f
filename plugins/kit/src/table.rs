//! Building result tables row by row (an indicator's observations).

use crate::batch::bitmap;
use crate::{Batch, Cell, Column, ColumnData, ColumnInfo, ColumnType, PluginError, Role};

/// A table: a schema and its rows (WIT `observations`).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub schema: Vec<ColumnInfo>,
    pub data: Batch,
}

impl Table {
    pub fn rows(&self) -> usize {
        self.data.rows
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.schema.iter().position(|c| c.name == name)
    }

    /// The cell of column `name` at `row`; panics on an unknown name (for tests).
    pub fn cell(&self, name: &str, row: usize) -> Cell<'_> {
        let index = self
            .column_index(name)
            .unwrap_or_else(|| panic!("no column {name}"));
        self.data.cell(index, row)
    }

    /// Checks the observations rule: exactly one measure column, numeric.
    pub fn check_observations(&self) -> Result<(), PluginError> {
        let measures: Vec<&ColumnInfo> = self
            .schema
            .iter()
            .filter(|c| c.role == Role::Measure)
            .collect();
        match measures.as_slice() {
            [m] if m.column_type.is_numeric() => Ok(()),
            _ => Err(PluginError::Failed(
                "observations need exactly one numeric measure column".into(),
            )),
        }
    }
}

/// Accumulates the values of one column.
#[derive(Debug, Clone)]
pub struct ColumnBuilder {
    column_type: ColumnType,
    data: ColumnData,
    valid: Vec<bool>,
}

impl ColumnBuilder {
    pub fn new(column_type: ColumnType) -> Self {
        let data = match column_type {
            ColumnType::Integer => ColumnData::Integer(Vec::new()),
            ColumnType::Real => ColumnData::Real(Vec::new()),
            ColumnType::Boolean => ColumnData::Boolean(Vec::new()),
            ColumnType::Text | ColumnType::Date => ColumnData::Text {
                buffer: String::new(),
                ends: Vec::new(),
            },
        };
        ColumnBuilder {
            column_type,
            data,
            valid: Vec::new(),
        }
    }

    /// Whether [`push`](Self::push) takes this value.
    pub fn accepts(&self, cell: Cell<'_>) -> bool {
        matches!(
            (&self.data, cell),
            (_, Cell::Null)
                | (ColumnData::Integer(_), Cell::Integer(_))
                | (ColumnData::Real(_), Cell::Real(_) | Cell::Integer(_))
                | (ColumnData::Boolean(_), Cell::Boolean(_))
                | (ColumnData::Text { .. }, Cell::Text(_))
        )
    }

    /// Appends a value. An integer goes into a real column as a float; any other mismatch
    /// is an error.
    pub fn push(&mut self, cell: Cell<'_>) -> Result<(), PluginError> {
        let valid = !cell.is_null();
        match (&mut self.data, cell) {
            (ColumnData::Integer(v), Cell::Integer(i)) => v.push(i),
            (ColumnData::Integer(v), Cell::Null) => v.push(0),
            (ColumnData::Real(v), Cell::Real(r)) => v.push(r),
            (ColumnData::Real(v), Cell::Integer(i)) => v.push(i as f64),
            (ColumnData::Real(v), Cell::Null) => v.push(0.0),
            (ColumnData::Boolean(v), Cell::Boolean(b)) => v.push(b),
            (ColumnData::Boolean(v), Cell::Null) => v.push(false),
            (ColumnData::Text { buffer, ends }, cell @ (Cell::Text(_) | Cell::Null)) => {
                if let Cell::Text(s) = cell {
                    buffer.push_str(s);
                }
                let end = u32::try_from(buffer.len())
                    .map_err(|_| PluginError::Failed("text column over 4 GiB".into()))?;
                ends.push(end);
            }
            (_, cell) => {
                return Err(PluginError::Failed(format!(
                    "value {cell:?} does not fit a {} column",
                    self.column_type.as_str()
                )));
            }
        }
        self.valid.push(valid);
        Ok(())
    }

    pub fn finish(self) -> Column {
        Column {
            validity: bitmap(&self.valid),
            data: self.data,
        }
    }
}

/// Builds a table row by row.
#[derive(Debug, Clone)]
pub struct TableBuilder {
    schema: Vec<ColumnInfo>,
    columns: Vec<ColumnBuilder>,
    rows: usize,
}

impl TableBuilder {
    pub fn new(schema: Vec<ColumnInfo>) -> Self {
        let columns = schema
            .iter()
            .map(|c| ColumnBuilder::new(c.column_type))
            .collect();
        TableBuilder {
            schema,
            columns,
            rows: 0,
        }
    }

    /// Appends a row: one cell per schema column, in schema order.
    pub fn push_row(&mut self, cells: &[Cell<'_>]) -> Result<(), PluginError> {
        if cells.len() != self.columns.len() {
            return Err(PluginError::Failed(format!(
                "row has {} cells, schema has {} columns",
                cells.len(),
                self.columns.len()
            )));
        }
        // Check every cell first, so a bad row leaves the table unchanged.
        for ((builder, cell), info) in self.columns.iter().zip(cells).zip(&self.schema) {
            if !builder.accepts(*cell) {
                return Err(PluginError::Failed(format!(
                    "value {cell:?} does not fit column {} ({})",
                    info.name,
                    info.column_type.as_str()
                )));
            }
        }
        for (builder, cell) in self.columns.iter_mut().zip(cells) {
            builder.push(*cell)?;
        }
        self.rows += 1;
        Ok(())
    }

    pub fn finish(self) -> Table {
        Table {
            schema: self.schema,
            data: Batch {
                rows: self.rows,
                columns: self
                    .columns
                    .into_iter()
                    .map(ColumnBuilder::finish)
                    .collect(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Bilingual;

    #[test]
    fn builds_typed_columns_with_nulls() {
        let schema = vec![
            ColumnInfo::new(
                "tahun",
                ColumnType::Integer,
                Role::Dimension,
                Bilingual::new("Tahun", "Year"),
            ),
            ColumnInfo::new(
                "nilai",
                ColumnType::Real,
                Role::Measure,
                Bilingual::new("Nilai", "Value"),
            ),
            ColumnInfo::new(
                "catatan",
                ColumnType::Text,
                Role::Attribute,
                Bilingual::new("Catatan", "Note"),
            ),
        ];
        let mut builder = TableBuilder::new(schema);
        builder
            .push_row(&[Cell::Integer(2020), Cell::Integer(6), Cell::Null])
            .unwrap();
        builder
            .push_row(&[Cell::Null, Cell::Real(0.5), Cell::Text("é")])
            .unwrap();
        assert!(
            builder
                .push_row(&[Cell::Text("x"), Cell::Real(1.0), Cell::Null])
                .is_err()
        );
        assert!(
            builder
                .push_row(&[Cell::Integer(1), Cell::Real(1.0), Cell::Integer(3)])
                .is_err()
        );
        let table = builder.finish();
        table.check_observations().unwrap();
        assert_eq!(table.rows(), 2);
        assert_eq!(table.cell("nilai", 0), Cell::Real(6.0));
        assert_eq!(table.cell("tahun", 1), Cell::Null);
        assert_eq!(table.cell("catatan", 0), Cell::Null);
        assert_eq!(table.cell("catatan", 1), Cell::Text("é"));
        for column in &table.data.columns {
            column.check(2).unwrap();
        }
    }
}
