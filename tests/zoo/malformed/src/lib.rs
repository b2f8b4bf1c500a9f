//! `zoo-malformed`: an indicator whose observations break the contract's shape rules, one
//! rule per value of its parameter `fault`:
//!
//! | `fault` | what is wrong |
//! | --- | --- |
//! | `ends` (default) | a text column's `ends` point past the end of its `bytes` |
//! | `columns` | the schema has three columns, the batch two |
//! | `rows` | the measure column has one value more than the batch has rows |
//! | `measures` | two columns are marked `measure` (the contract asks for exactly one) |
//! | `type` | a column declared `integer` carries text |
//!
//! Expected: `GET /api/indicators/zoo-malformed?fault=...` answers 502
//! `plugin_invalid_output` for each. Any other value is the plugin's own
//! `invalid-parameter` error (400). Written with plain wit-bindgen rather than the kit,
//! whose glue would catch some of these before they leave the component.

use std::cell::Cell;

wit_bindgen::generate!({ world: "indicator", path: "../../../wit" });

use exports::logam::plugin::indicator_plugin::{
    Guest, GuestAccumulator, IndicatorInfo, Input, Observations,
};
use logam::plugin::types::{
    Batch, Bilingual, Column, ColumnData, ColumnInfo, ColumnRole, ColumnType, Param, Parameter,
    PluginError, Scalar, TextData,
};

const FAULTS: [&str; 5] = ["ends", "columns", "rows", "measures", "type"];

fn text(id: &str, en: &str) -> Bilingual {
    Bilingual {
        id: id.to_string(),
        en: en.to_string(),
    }
}

struct Malformed;

impl Guest for Malformed {
    type Accumulator = Accumulator;

    fn describe() -> IndicatorInfo {
        let test = || {
            text(
                "Uji ketahanan host; bukan indikator sungguhan.",
                "A host robustness test; not a real indicator.",
            )
        };
        IndicatorInfo {
            id: "zoo-malformed".to_string(),
            version: "0.1.0".to_string(),
            title: text("Kebun binatang: zoo-malformed", "Zoo: zoo-malformed"),
            description: text(
                "Mengembalikan observasi yang bentuknya rusak.",
                "Returns observations of a broken shape.",
            ),
            konsep: test(),
            definisi: test(),
            rumus: text("tidak ada", "none"),
            ukuran: text("Jumlah", "Count"),
            satuan: text("baris", "rows"),
            interpretasi: test(),
            frekuensi: text("Tidak tetap", "Irregular"),
            inputs: vec![Input {
                dataset: "kontrak_pasokan".to_string(),
                columns: vec!["tahun".to_string()],
            }],
            parameters: vec![Parameter {
                name: "fault".to_string(),
                type_: ColumnType::Text,
                required: false,
                default: Some(Scalar::Text("ends".to_string())),
                title: text("Kerusakan", "Fault"),
                description: text(
                    "ends, columns, rows, measures atau type.",
                    "ends, columns, rows, measures or type.",
                ),
            }],
        }
    }
}

struct Accumulator {
    fault: Option<String>,
    rows: Cell<u32>,
}

fn info(name: &str, type_: ColumnType, role: ColumnRole) -> ColumnInfo {
    ColumnInfo {
        name: name.to_string(),
        type_,
        role,
        title: text(name, name),
        description: text("", ""),
        unit: None,
    }
}

fn column(data: ColumnData) -> Column {
    Column {
        data,
        validity: Vec::new(),
    }
}

/// A note column of `rows` values "rusak", with each end moved by `stretch` bytes.
fn notes(rows: u32, stretch: u32) -> ColumnData {
    let mut data = TextData {
        bytes: Vec::new(),
        ends: Vec::new(),
    };
    for _ in 0..rows {
        data.bytes.extend_from_slice(b"rusak");
        data.ends.push(data.bytes.len() as u32 + stretch);
    }
    ColumnData::Text(data)
}

/// Observations with the given fault, over `rows` rows (at least one).
fn observations(fault: &str, rows: u32) -> Result<Observations, PluginError> {
    let rows = rows.max(1);
    let years = || ColumnData::Integer((0..rows).map(|r| 2000 + i64::from(r)).collect());
    let values = |n: u32| ColumnData::Real((0..n).map(f64::from).collect());
    let mut schema = vec![
        info("tahun", ColumnType::Integer, ColumnRole::Dimension),
        info("nilai", ColumnType::Real, ColumnRole::Measure),
        info("catatan", ColumnType::Text, ColumnRole::Attribute),
    ];
    let mut columns = vec![
        column(years()),
        column(values(rows)),
        column(notes(rows, 0)),
    ];
    match fault {
        "ends" => columns[2] = column(notes(rows, 4000)),
        "columns" => {
            columns.pop();
        }
        "rows" => columns[1] = column(values(rows + 1)),
        "measures" => {
            schema.push(info("nilai_lagi", ColumnType::Real, ColumnRole::Measure));
            columns.push(column(values(rows)));
        }
        "type" => columns[0] = column(notes(rows, 0)),
        other => {
            return Err(PluginError::InvalidParameter(format!(
                "fault harus salah satu dari {FAULTS:?}, bukan {other:?}"
            )));
        }
    }
    Ok(Observations {
        schema,
        data: Batch { rows, columns },
    })
}

impl GuestAccumulator for Accumulator {
    fn new(params: Vec<Param>) -> Self {
        let fault = params
            .into_iter()
            .find_map(|p| match (p.name.as_str(), p.value) {
                ("fault", Scalar::Text(t)) => Some(t),
                _ => None,
            });
        Accumulator {
            fault,
            rows: Cell::new(0),
        }
    }

    fn push(&self, _input: u32, data: Batch) -> Result<(), PluginError> {
        self.rows.set(self.rows.get().saturating_add(data.rows));
        Ok(())
    }

    fn finish(&self) -> Result<Observations, PluginError> {
        observations(self.fault.as_deref().unwrap_or("ends"), self.rows.get())
    }
}

// Only in the component: the export names are not valid symbol names natively.
#[cfg(target_arch = "wasm32")]
export!(Malformed);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_breaks_exactly_its_rule() {
        let ok_lengths = |o: &Observations| {
            o.data.columns.iter().all(|c| match &c.data {
                ColumnData::Integer(v) => v.len() == o.data.rows as usize,
                ColumnData::Real(v) => v.len() == o.data.rows as usize,
                ColumnData::Boolean(v) => v.len() == o.data.rows as usize,
                ColumnData::Text(t) => t.ends.len() == o.data.rows as usize,
            })
        };
        let ends_in_bounds = |o: &Observations| {
            o.data.columns.iter().all(|c| match &c.data {
                ColumnData::Text(t) => t.ends.iter().all(|&e| e as usize <= t.bytes.len()),
                _ => true,
            })
        };
        let measures = |o: &Observations| {
            o.schema
                .iter()
                .filter(|c| matches!(c.role, ColumnRole::Measure))
                .count()
        };
        let ends = observations("ends", 2).unwrap();
        assert!(!ends_in_bounds(&ends) && ok_lengths(&ends) && measures(&ends) == 1);
        let columns = observations("columns", 2).unwrap();
        assert_eq!((columns.schema.len(), columns.data.columns.len()), (3, 2));
        let rows = observations("rows", 2).unwrap();
        assert!(!ok_lengths(&rows) && ends_in_bounds(&rows));
        let two = observations("measures", 2).unwrap();
        assert!(measures(&two) == 2 && ok_lengths(&two) && ends_in_bounds(&two));
        let mistyped = observations("type", 2).unwrap();
        assert!(matches!(mistyped.data.columns[0].data, ColumnData::Text(_)));
        assert!(matches!(
            observations("nonsense", 2),
            Err(PluginError::InvalidParameter(_))
        ));
    }
}
