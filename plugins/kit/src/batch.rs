//! Columnar batches (WIT `batch`), with the same layout as the WIT so values move across.

use crate::PluginError;

/// Type of a column (WIT `column-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Integer,
    Real,
    Text,
    /// ISO 8601 text, possibly partial (`2021-06-02`, `2021-06`, `2021`).
    Date,
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

    pub fn is_numeric(self) -> bool {
        matches!(self, ColumnType::Integer | ColumnType::Real)
    }
}

/// The values of one column (WIT `column-data`). Text is kept as a `String` buffer
/// (validated once when it arrives) plus end offsets.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    Integer(Vec<i64>),
    Real(Vec<f64>),
    Boolean(Vec<bool>),
    /// Every value back to back; value `i` ends at `ends[i]` and starts at `ends[i - 1]`.
    Text {
        buffer: String,
        ends: Vec<u32>,
    },
}

impl ColumnData {
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Integer(v) => v.len(),
            ColumnData::Real(v) => v.len(),
            ColumnData::Boolean(v) => v.len(),
            ColumnData::Text { ends, .. } => ends.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column type this data can carry (`Text` stands for text and date).
    pub fn kind(&self) -> ColumnType {
        match self {
            ColumnData::Integer(_) => ColumnType::Integer,
            ColumnData::Real(_) => ColumnType::Real,
            ColumnData::Boolean(_) => ColumnType::Boolean,
            ColumnData::Text { .. } => ColumnType::Text,
        }
    }
}

/// One value, borrowed from a batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Boolean(bool),
}

impl<'a> Cell<'a> {
    /// Text, or null for `None`.
    pub fn text(s: Option<&'a str>) -> Self {
        s.map_or(Cell::Null, Cell::Text)
    }

    /// An integer, or null for `None`.
    pub fn integer(i: Option<i64>) -> Self {
        i.map_or(Cell::Null, Cell::Integer)
    }

    /// A real, or null for `None` and for NaN or infinity.
    pub fn real(r: Option<f64>) -> Self {
        r.filter(|r| r.is_finite()).map_or(Cell::Null, Cell::Real)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// Integer or real as f64.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Cell::Integer(i) => Some(i as f64),
            Cell::Real(r) => Some(r),
            _ => None,
        }
    }

    /// Integer, or a real with no fractional part.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Cell::Integer(i) => Some(i),
            Cell::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e15 => Some(r as i64),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
            Cell::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// One column of a batch (WIT `column`).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub data: ColumnData,
    /// Bit `i % 8` of byte `i / 8` is 1 when row `i` is valid; empty means all valid.
    pub validity: Vec<u8>,
}

impl Column {
    /// A column with no nulls.
    pub fn new(data: ColumnData) -> Self {
        Column {
            data,
            validity: Vec::new(),
        }
    }

    pub fn is_valid(&self, row: usize) -> bool {
        self.validity.is_empty() || self.validity[row / 8] & (1 << (row % 8)) != 0
    }

    pub fn cell(&self, row: usize) -> Cell<'_> {
        if !self.is_valid(row) {
            return Cell::Null;
        }
        match &self.data {
            ColumnData::Integer(v) => Cell::Integer(v[row]),
            ColumnData::Real(v) => Cell::Real(v[row]),
            ColumnData::Boolean(v) => Cell::Boolean(v[row]),
            ColumnData::Text { buffer, ends } => {
                let start = if row == 0 { 0 } else { ends[row - 1] as usize };
                Cell::Text(&buffer[start..ends[row] as usize])
            }
        }
    }

    /// Checks that the column has `rows` values, a long enough bitmap, and text offsets
    /// that are in order, in bounds and on character boundaries, so `cell` cannot panic.
    pub fn check(&self, rows: usize) -> Result<(), String> {
        if self.data.len() != rows {
            return Err(format!("has {} values for {rows} rows", self.data.len()));
        }
        if !self.validity.is_empty() && self.validity.len() < rows.div_ceil(8) {
            return Err(format!(
                "validity bitmap has {} bytes, {rows} rows need {}",
                self.validity.len(),
                rows.div_ceil(8)
            ));
        }
        if let ColumnData::Text { buffer, ends } = &self.data {
            let mut previous = 0u32;
            for &end in ends {
                if end < previous
                    || end as usize > buffer.len()
                    || !buffer.is_char_boundary(end as usize)
                {
                    return Err(format!(
                        "text offset {end} is out of order or splits a character"
                    ));
                }
                previous = end;
            }
        }
        Ok(())
    }
}

/// A run of rows in columnar form (WIT `batch`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Batch {
    pub rows: usize,
    pub columns: Vec<Column>,
}

impl Batch {
    /// A batch whose columns have been checked (see [`Column::check`]).
    pub fn new(rows: usize, columns: Vec<Column>) -> Result<Self, PluginError> {
        for (index, column) in columns.iter().enumerate() {
            column
                .check(rows)
                .map_err(|e| PluginError::InvalidInput(format!("column {index} {e}")))?;
        }
        Ok(Batch { rows, columns })
    }

    pub fn cell(&self, column: usize, row: usize) -> Cell<'_> {
        self.columns[column].cell(row)
    }

    /// Rows `start..start + len` as a batch of their own (a copy).
    pub fn slice(&self, start: usize, len: usize) -> Batch {
        let end = start + len;
        assert!(
            end <= self.rows,
            "slice {start}..{end} of {} rows",
            self.rows
        );
        let columns = self
            .columns
            .iter()
            .map(|column| {
                let data = match &column.data {
                    ColumnData::Integer(v) => ColumnData::Integer(v[start..end].to_vec()),
                    ColumnData::Real(v) => ColumnData::Real(v[start..end].to_vec()),
                    ColumnData::Boolean(v) => ColumnData::Boolean(v[start..end].to_vec()),
                    ColumnData::Text { buffer, ends } => {
                        let base = if start == 0 { 0 } else { ends[start - 1] };
                        let stop = if end == 0 { 0 } else { ends[end - 1] };
                        ColumnData::Text {
                            buffer: buffer[base as usize..stop as usize].to_string(),
                            ends: ends[start..end].iter().map(|e| e - base).collect(),
                        }
                    }
                };
                let valid: Vec<bool> = (start..end).map(|row| column.is_valid(row)).collect();
                Column {
                    data,
                    validity: bitmap(&valid),
                }
            })
            .collect();
        Batch { rows: len, columns }
    }

    /// Fails with `invalid-input` unless the batch has exactly `n` columns.
    pub fn expect_columns(&self, n: usize) -> Result<(), PluginError> {
        if self.columns.len() == n {
            Ok(())
        } else {
            Err(PluginError::InvalidInput(format!(
                "expected {n} columns, got {}",
                self.columns.len()
            )))
        }
    }
}

/// Builds a validity bitmap from per-row flags; empty when every row is valid.
pub(crate) fn bitmap(valid: &[bool]) -> Vec<u8> {
    if valid.iter().all(|v| *v) {
        return Vec::new();
    }
    let mut bits = vec![0u8; valid.len().div_ceil(8)];
    for (i, v) in valid.iter().enumerate() {
        if *v {
            bits[i / 8] |= 1 << (i % 8);
        }
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cells_and_nulls() {
        let column = Column {
            data: ColumnData::Text {
                buffer: "Kemangkonékö".into(),
                ends: vec![9, 9, 14],
            },
            validity: vec![0b101],
        };
        column.check(3).unwrap();
        assert_eq!(column.cell(0), Cell::Text("Kemangkon"));
        assert_eq!(column.cell(1), Cell::Null);
        assert_eq!(column.cell(2), Cell::Text("ékö"));
    }

    #[test]
    fn check_refuses_split_characters_and_short_bitmaps() {
        let split = Column::new(ColumnData::Text {
            buffer: "é".into(),
            ends: vec![1],
        });
        assert!(split.check(1).is_err());
        let short = Column {
            data: ColumnData::Integer(vec![1; 9]),
            validity: vec![0xff],
        };
        assert!(short.check(9).is_err());
        assert!(Column::new(ColumnData::Integer(vec![1])).check(2).is_err());
    }

    #[test]
    fn slices_rebase_text_and_validity() {
        let batch = Batch::new(
            3,
            vec![
                Column {
                    data: ColumnData::Text {
                        buffer: "abcdef".into(),
                        ends: vec![2, 2, 6],
                    },
                    validity: vec![0b101],
                },
                Column::new(ColumnData::Integer(vec![1, 2, 3])),
            ],
        )
        .unwrap();
        let tail = batch.slice(1, 2);
        assert_eq!(tail.rows, 2);
        assert_eq!(tail.cell(0, 0), Cell::Null);
        assert_eq!(tail.cell(0, 1), Cell::Text("cdef"));
        assert_eq!(tail.cell(1, 1), Cell::Integer(3));
        for column in &tail.columns {
            column.check(2).unwrap();
        }
        assert_eq!(batch.slice(3, 0).rows, 0);
    }

    #[test]
    fn bitmap_is_empty_when_all_valid() {
        assert!(bitmap(&[true, true]).is_empty());
        assert_eq!(
            bitmap(&[true, false, true, true, true, true, true, true, false, true]),
            vec![0b1111_1101, 0b10]
        );
    }
}
