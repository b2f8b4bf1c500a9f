//! JSON and NDJSON: rows as objects keyed by column name, written straight into the output
//! buffer without building a `serde_json::Value` per row.

use std::io::Write as _;

use super::{ExportError, ExportSchema, Exporter};
use crate::store::{Batch, Cell};

/// Appends one cell as a JSON value.
pub fn write_cell(out: &mut Vec<u8>, cell: Cell<'_>) {
    match cell {
        Cell::Null => out.extend_from_slice(b"null"),
        Cell::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Cell::Real(r) => {
            // Finite by construction (imports reject NaN and infinities); stay valid JSON anyway.
            if serde_json::to_writer(&mut *out, &r).is_err() || !r.is_finite() {
                out.extend_from_slice(b"null");
            }
        }
        Cell::Text(t) => {
            let _ = serde_json::to_writer(&mut *out, t);
        }
        Cell::Boolean(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
    }
}

/// Precomputed `"name":` prefixes, so a row costs no key escaping.
#[derive(Debug, Default, Clone)]
pub struct ObjectKeys {
    keys: Vec<Vec<u8>>,
    positions: Vec<usize>,
}

impl ObjectKeys {
    pub fn new(schema: &ExportSchema) -> Self {
        ObjectKeys {
            keys: schema
                .names
                .iter()
                .map(|n| {
                    let mut key = serde_json::to_vec(n).unwrap_or_else(|_| b"\"\"".to_vec());
                    key.push(b':');
                    key
                })
                .collect(),
            positions: schema.positions.clone(),
        }
    }
}

/// Appends row `row` of `batch` as a JSON object.
pub fn write_row_object(out: &mut Vec<u8>, keys: &ObjectKeys, batch: &Batch, row: usize) {
    out.push(b'{');
    for (i, (key, &position)) in keys.keys.iter().zip(&keys.positions).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(key);
        write_cell(out, batch.cell(position, row));
    }
    out.push(b'}');
}

/// `.json`: the whole result as one array of row objects (what `pandas.read_json` and `jq`
/// take directly).
#[derive(Default)]
pub struct JsonArrayExporter {
    keys: ObjectKeys,
    rows: u64,
}

impl Exporter for JsonArrayExporter {
    fn begin(&mut self, schema: &ExportSchema, out: &mut Vec<u8>) -> Result<(), ExportError> {
        self.keys = ObjectKeys::new(schema);
        out.push(b'[');
        Ok(())
    }

    fn write(&mut self, batch: &Batch, out: &mut Vec<u8>) -> Result<(), ExportError> {
        for row in 0..batch.len() {
            out.extend_from_slice(if self.rows == 0 { b"\n" } else { b",\n" });
            write_row_object(out, &self.keys, batch, row);
            self.rows += 1;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), ExportError> {
        out.extend_from_slice(b"\n]\n");
        Ok(())
    }
}

/// `.ndjson`: one row object per line.
#[derive(Default)]
pub struct NdjsonExporter {
    keys: ObjectKeys,
}

impl Exporter for NdjsonExporter {
    fn begin(&mut self, schema: &ExportSchema, _out: &mut Vec<u8>) -> Result<(), ExportError> {
        self.keys = ObjectKeys::new(schema);
        Ok(())
    }

    fn write(&mut self, batch: &Batch, out: &mut Vec<u8>) -> Result<(), ExportError> {
        for row in 0..batch.len() {
            write_row_object(out, &self.keys, batch, row);
            out.push(b'\n');
        }
        Ok(())
    }

    fn finish(&mut self, _out: &mut Vec<u8>) -> Result<(), ExportError> {
        Ok(())
    }
}
