//! A minimal logam indicator: the number of supply contracts per year, from the dataset
//! `kontrak_pasokan`.
//!
//! Use it as the starting point of your own indicator. The file has three parts:
//!
//! 1. The computation, in plain Rust with no WebAssembly in sight. `cargo test` runs it on
//!    your machine.
//! 2. The manifest (`describe`): what the indicator is (BPS MS-Ind metadata) and, most
//!    important, which dataset columns it reads. The host gives it those columns and
//!    nothing else: a plugin has no files, network, clock or environment.
//! 3. The glue: receiving columnar batches from the host and handing back a table.
//!
//! Build the component with `cargo build --release --target wasm32-wasip2`; the file is
//! `target/wasm32-wasip2/release/template_indicator.wasm`. Check it against the host with
//! `logam plugin check target/wasm32-wasip2/release/template_indicator.wasm`.

use std::cell::RefCell;
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------
// 1. The computation.
// ---------------------------------------------------------------------------------------

/// Counts contracts per year. `None` stands for a contract whose year is unknown (a null).
pub fn count_by_year(years: &[Option<i64>]) -> BTreeMap<Option<i64>, u64> {
    let mut counts = BTreeMap::new();
    for year in years {
        *counts.entry(*year).or_insert(0) += 1;
    }
    counts
}

// ---------------------------------------------------------------------------------------
// 2 and 3. The manifest and the glue.
// ---------------------------------------------------------------------------------------

// Generates Rust types and traits from the contract in wit/ (world `indicator`).
mod bindings {
    wit_bindgen::generate!({ world: "indicator", path: "wit" });
}

use bindings::exports::logam::plugin::indicator_plugin::{
    Guest, GuestAccumulator, IndicatorInfo, Input, Observations,
};
use bindings::logam::plugin::types::{
    Batch, Bilingual, Column, ColumnData, ColumnInfo, ColumnRole, ColumnType, Param, PluginError,
    TextData,
};

fn text(id: &str, en: &str) -> Bilingual {
    Bilingual {
        id: id.to_string(),
        en: en.to_string(),
    }
}

/// The component. `Guest` is the indicator's side of the contract.
struct Component;

impl Guest for Component {
    type Accumulator = Accumulator;

    /// The manifest. The host calls it when the plugin is installed and refuses the plugin
    /// if an input names a dataset or column that does not exist.
    fn describe() -> IndicatorInfo {
        IndicatorInfo {
            // Change the id: it is the indicator's URL, /api/indicators/{id}.
            id: "contoh-jumlah-kontrak".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            title: text(
                "Jumlah kontrak pasokan per tahun",
                "Number of supply contracts per year",
            ),
            description: text(
                "Contoh indikator: banyaknya kontrak pasokan tercatat menurut tahun.",
                "Example indicator: how many supply contracts are recorded, by year.",
            ),
            konsep: text(
                "Banyaknya kontrak pasokan.",
                "The number of supply contracts.",
            ),
            definisi: text(
                "Jumlah baris dataset kontrak_pasokan untuk setiap nilai kolom tahun.",
                "Number of rows of the kontrak_pasokan dataset for each value of its tahun column.",
            ),
            rumus: text(
                "jumlah(t) = banyaknya kontrak dengan tahun t",
                "count(t) = number of contracts with year t",
            ),
            ukuran: text("Jumlah", "Count"),
            satuan: text("kontrak", "contracts"),
            interpretasi: text(
                "Hanya kontrak yang diberitakan yang tercatat.",
                "Only contracts reported in the news are recorded.",
            ),
            frekuensi: text("Tahunan", "Yearly"),
            // The grant: the host pushes exactly these columns, in this order.
            inputs: vec![Input {
                dataset: "kontrak_pasokan".to_string(),
                columns: vec!["tahun".to_string()],
            }],
            parameters: vec![],
        }
    }
}

/// One calculation. The host creates it, pushes the input in batches, calls `finish` once.
/// Methods take `&self`, so mutable state lives in a `RefCell`.
struct Accumulator {
    years: RefCell<Vec<Option<i64>>>,
}

/// Whether row `row` of a column holds a value: bit `row % 8` of byte `row / 8` of the
/// validity bitmap, or every row when the bitmap is empty.
fn is_valid(column: &Column, row: usize) -> bool {
    column.validity.is_empty() || column.validity[row / 8] & (1 << (row % 8)) != 0
}

impl GuestAccumulator for Accumulator {
    fn new(_params: Vec<Param>) -> Self {
        Accumulator {
            years: RefCell::new(Vec::new()),
        }
    }

    fn push(&self, _input: u32, data: Batch) -> Result<(), PluginError> {
        // Column 0 is `tahun`, the first (and only) declared column. It is an integer column,
        // so it arrives as a list of s64; nulls are marked in the validity bitmap.
        let column = data
            .columns
            .first()
            .ok_or_else(|| PluginError::InvalidInput("no tahun column".to_string()))?;
        let ColumnData::Integer(values) = &column.data else {
            return Err(PluginError::InvalidInput(
                "tahun is not an integer column".to_string(),
            ));
        };
        let mut years = self.years.borrow_mut();
        for (row, value) in values.iter().enumerate().take(data.rows as usize) {
            years.push(is_valid(column, row).then_some(*value));
        }
        Ok(())
    }

    fn finish(&self) -> Result<Observations, PluginError> {
        let counts = count_by_year(&self.years.borrow());
        // The result is a table, column by column: the year (a dimension), the count (the one
        // measure) and the unit (an attribute).
        let mut years = Vec::new();
        let mut year_validity = Vec::new();
        let mut values = Vec::new();
        for (row, (year, count)) in counts.iter().enumerate() {
            if row % 8 == 0 {
                year_validity.push(0u8);
            }
            if year.is_some() {
                year_validity[row / 8] |= 1 << (row % 8);
            }
            years.push(year.unwrap_or(0));
            values.push(*count as f64);
        }
        // Text columns are one UTF-8 buffer plus the end offset of each value.
        let mut units = TextData {
            bytes: Vec::new(),
            ends: Vec::new(),
        };
        for _ in 0..counts.len() {
            units.bytes.extend_from_slice("kontrak".as_bytes());
            units.ends.push(units.bytes.len() as u32);
        }
        let info = |name: &str, column_type, role, title| ColumnInfo {
            name: name.to_string(),
            type_: column_type,
            role,
            title,
            description: text("", ""),
            unit: None,
        };
        Ok(Observations {
            schema: vec![
                info(
                    "tahun",
                    ColumnType::Integer,
                    ColumnRole::Dimension,
                    text("Tahun", "Year"),
                ),
                info(
                    "nilai",
                    ColumnType::Real,
                    ColumnRole::Measure,
                    text("Jumlah kontrak", "Contracts"),
                ),
                info(
                    "satuan",
                    ColumnType::Text,
                    ColumnRole::Attribute,
                    text("Satuan", "Unit"),
                ),
            ],
            data: Batch {
                rows: counts.len() as u32,
                columns: vec![
                    Column {
                        data: ColumnData::Integer(years),
                        validity: year_validity,
                    },
                    // An empty validity list means: no nulls.
                    Column {
                        data: ColumnData::Real(values),
                        validity: Vec::new(),
                    },
                    Column {
                        data: ColumnData::Text(units),
                        validity: Vec::new(),
                    },
                ],
            },
        })
    }
}

// Exports the component. Only for WebAssembly: the export names are not valid symbol names
// for a native library, and `cargo test` builds one.
#[cfg(target_arch = "wasm32")]
bindings::export!(Component with_types_in bindings);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_contracts_per_year() {
        let counts = count_by_year(&[Some(2021), Some(2021), None, Some(2019)]);
        assert_eq!(
            counts.into_iter().collect::<Vec<_>>(),
            [(None, 1), (Some(2019), 1), (Some(2021), 2)]
        );
    }

    #[test]
    fn the_seed_data_has_two_contracts_in_2021() {
        // The glue, natively: push one batch like the host would, read the table back.
        let accumulator = Accumulator::new(vec![]);
        accumulator
            .push(
                0,
                Batch {
                    rows: 2,
                    columns: vec![Column {
                        data: ColumnData::Integer(vec![2021, 2021]),
                        validity: vec![],
                    }],
                },
            )
            .unwrap();
        let observations = accumulator.finish().unwrap();
        assert_eq!(observations.data.rows, 1);
        assert!(
            matches!(&observations.data.columns[0].data, ColumnData::Integer(v) if v == &[2021])
        );
        assert!(matches!(&observations.data.columns[1].data, ColumnData::Real(v) if v == &[2.0]));
    }

    #[test]
    fn the_vendored_wit_is_the_contract() {
        // Inside the logam repository, wit/ here must equal the repository's wit/. Copied out
        // on its own, there is nothing to compare with.
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let upstream = here.join("../../wit");
        if !upstream.join("types.wit").exists() {
            return;
        }
        for file in ["types.wit", "indicator.wit", "exporter.wit"] {
            let ours = std::fs::read_to_string(here.join("wit").join(file)).unwrap();
            let theirs = std::fs::read_to_string(upstream.join(file)).unwrap();
            assert_eq!(
                ours, theirs,
                "wit/{file} differs from the repository's: copy it again"
            );
        }
    }
}
