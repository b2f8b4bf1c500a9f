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
    /// Scratch space for numbers: a million rows a second leave no room for `format!`.
    integers: itoa::Buffer,
    reals: ryu::Buffer,
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
            integers: itoa::Buffer::new(),
            reals: ryu::Buffer::new(),
            field: Vec::with_capacity(64),
        }
    }
}

/// A real as Rust's `Display` writes it (shortest digits that read back to the same value,
/// never an exponent, no `.0` on whole numbers), the way every CSV logam has written. ryu
/// gives the same digits much faster where it writes no exponent, the value is not whole and
/// is small enough that its exact binary value never lies halfway between two shortest
/// decimals (ryu breaks such ties to even, `Display` upwards: 662936471232937.25 is "…7.2"
/// against "…7.3"); whole values are written as integers; the rest take `Display`.
fn real<'a>(r: f64, reals: &'a mut ryu::Buffer, field: &'a mut Vec<u8>) -> &'a [u8] {
    let magnitude = r.abs();
    if r.is_finite() && r.fract() == 0.0 && magnitude < 1e15 && r != 0.0 {
        field.clear();
        let _ = write!(field, "{}", r as i64);
        return field;
    }
    if r.is_finite() && r.fract() != 0.0 && (1e-5..1e9).contains(&magnitude) {
        return reals.format_finite(r).as_bytes();
    }
    field.clear();
    let _ = write!(field, "{r}");
    field
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
                let written = match batch.cell(position, row) {
                    Cell::Null => writer.write_field(b""),
                    Cell::Integer(i) => writer.write_field(self.integers.format(i)),
                    Cell::Real(r) => writer.write_field(real(r, &mut self.reals, &mut self.field)),
                    Cell::Text(t) => writer.write_field(guard_formula(t).as_bytes()),
                    Cell::Boolean(b) => writer.write_field(if b { "true" } else { "false" }),
                };
                written.map_err(failed)?;
            }
            writer.write_record(None::<&[u8]>).map_err(failed)?;
        }
        writer.flush().map_err(failed)
    }

    fn finish(&mut self, _out: &mut Vec<u8>) -> Result<(), ExportError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_are_written_exactly_as_display_writes_them() {
        let (mut reals, mut field) = (ryu::Buffer::new(), Vec::new());
        let mut check = |r: f64| {
            let ours = String::from_utf8(real(r, &mut reals, &mut field).to_vec()).unwrap();
            assert_eq!(ours, format!("{r}"), "{r:e}");
        };
        for r in [
            0.0,
            -0.0,
            1.0,
            -3.0,
            0.1,
            -7.37648,
            109.30601,
            1e-5,
            9.99e-6,
            1e-7,
            1e15,
            1e16,
            1.5e16,
            123_456_789.125,
            398_000_000.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            check(r);
        }
        // A spread of bit patterns over every exponent.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            check(f64::from_bits(x));
            // And as many where ryu is used: the same mantissa bits over [1e-5, 1e9).
            let exponent = 1023 - 17 + (x >> 58) % 48;
            check(f64::from_bits((x & ((1 << 52) - 1)) | (exponent << 52)));
        }
    }
}
