//! CSV as RFC 4180 (CRLF line ends, quotes only where needed), UTF-8, one header row, by the
//! `csv` crate.
//!
//! Text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab
//! or a carriage return: OWASP's list for CSV injection) is written with a leading `'`, which
//! Excel and LibreOffice take as "this is text" and do not show. Numbers are never text, so
//! a negative number stays a number. The rule is `logam_format::guard_formula`, the same one
//! the plugins' CSV writer applies.

use std::io::Write as _;

use logam_format::guard_formula;

use super::{ExportError, ExportSchema, Exporter};
use crate::store::{Batch, Cell};

pub struct CsvExporter {
    byte_order_mark: bool,
    positions: Vec<usize>,
    builder: csv::WriterBuilder,
    field: Vec<u8>,
}

impl CsvExporter {
    pub fn new(byte_order_mark: bool) -> Self {
        CsvExporter {
            byte_order_mark,
            positions: Vec::new(),
            builder: {
                let mut builder = csv::WriterBuilder::new();
                builder.terminator(csv::Terminator::CRLF);
                builder
            },
            field: Vec::with_capacity(64),
        }
    }
}

fn failed(err: impl std::fmt::Display) -> ExportError {
    ExportError::Write {
        format: "csv",
        reason: err.to_string(),
    }
}

impl Exporter for CsvExporter {
    fn begin(&mut self, schema: &ExportSchema, out: &mut Vec<u8>) -> Result<(), ExportError> {
        if self.byte_order_mark {
            out.extend_from_slice("\u{feff}".as_bytes());
        }
        self.positions = schema.positions.clone();
        let mut writer = self.builder.from_writer(out);
        writer.write_record(&schema.names).map_err(failed)?;
        writer.flush().map_err(failed)
    }

    fn write(&mut self, batch: &Batch, out: &mut Vec<u8>) -> Result<(), ExportError> {
        // A writer per batch: it borrows `out`, so the bytes are the caller's as soon as the
        // batch is written.
        let mut writer = self.builder.from_writer(out);
        for row in 0..batch.len() {
            for &position in &self.positions {
                self.field.clear();
                match batch.cell(position, row) {
                    Cell::Null => {}
                    Cell::Integer(i) => {
                        let _ = write!(self.field, "{i}");
                    }
                    Cell::Real(r) => {
                        let _ = write!(self.field, "{r}");
                    }
                    Cell::Text(t) => self.field.extend_from_slice(guard_formula(t).as_bytes()),
                    Cell::Boolean(b) => {
                        self.field
                            .extend_from_slice(if b { b"true" } else { b"false" })
                    }
                }
                writer.write_field(&self.field).map_err(failed)?;
            }
            writer.write_record(None::<&[u8]>).map_err(failed)?;
        }
        writer.flush().map_err(failed)
    }

    fn finish(&mut self, _out: &mut Vec<u8>) -> Result<(), ExportError> {
        Ok(())
    }
}
