//! Indicator `rupiah-per-unit`: the Rupiah value per unit supplied, for each supply
//! contract in `kontrak_pasokan` (monthly contract value / monthly units).
//!
//! Rp250.000.000 / 3.500 unit ≈ Rp71.428,57 per unit; Rp120.000.000 / 12.500 = Rp9.600.

use logam_plugin_kit::format::{self, Notation};
use logam_plugin_kit::{
    Batch, Bilingual, Cell, ColumnInfo, ColumnType, Indicator, IndicatorInfo, Input, Params,
    PluginError, Role, Table, TableBuilder,
};

/// One contract, as read from the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Contract {
    pub id: i64,
    pub tahun: Option<i64>,
    pub pemasok: Option<String>,
    pub produk: Option<String>,
    pub unit_per_bulan: Option<f64>,
    pub nilai_per_bulan: Option<f64>,
    pub sumber_id: Option<String>,
}

/// Columns of `kontrak_pasokan` the indicator reads, in this order.
pub const COLUMNS: [&str; 7] = [
    "id",
    "tahun",
    "pemasok",
    "produk",
    "unit_per_bulan",
    "nilai_per_bulan",
    "sumber_id",
];

/// Reads the contracts of one batch with [`COLUMNS`].
pub fn read_contracts(batch: &Batch, into: &mut Vec<Contract>) -> Result<(), PluginError> {
    batch.expect_columns(COLUMNS.len())?;
    for row in 0..batch.rows {
        let text = |c: usize| batch.cell(c, row).as_str().map(str::to_string);
        let Some(id) = batch.cell(0, row).as_i64() else {
            return Err(PluginError::InvalidInput(format!(
                "baris {row} tanpa id kontrak"
            )));
        };
        into.push(Contract {
            id,
            tahun: batch.cell(1, row).as_i64(),
            pemasok: text(2),
            produk: text(3),
            unit_per_bulan: batch.cell(4, row).as_f64(),
            nilai_per_bulan: batch.cell(5, row).as_f64(),
            sumber_id: text(6),
        });
    }
    Ok(())
}

/// Rupiah per unit of a contract: monthly value / monthly units. `None` when either is
/// unknown or there are no units.
pub fn rupiah_per_unit(contract: &Contract) -> Option<f64> {
    match (contract.nilai_per_bulan, contract.unit_per_bulan) {
        (Some(value), Some(units)) if units > 0.0 => Some(value / units),
        _ => None,
    }
}

fn schema() -> Vec<ColumnInfo> {
    vec![
        ColumnInfo::new(
            "kontrak_id",
            ColumnType::Integer,
            Role::Dimension,
            Bilingual::new("ID kontrak", "Contract ID"),
        )
        .description(Bilingual::new(
            "Kolom id di dataset kontrak_pasokan.",
            "The id column of the kontrak_pasokan dataset.",
        )),
        ColumnInfo::new(
            "tahun",
            ColumnType::Integer,
            Role::Dimension,
            Bilingual::new("Tahun", "Year"),
        )
        .unit("tahun"),
        ColumnInfo::new(
            "nilai",
            ColumnType::Real,
            Role::Measure,
            Bilingual::new("Rupiah per unit", "Rupiah per unit"),
        )
        .unit("rupiah per unit"),
        ColumnInfo::new(
            "satuan",
            ColumnType::Text,
            Role::Attribute,
            Bilingual::new("Satuan", "Unit"),
        ),
        ColumnInfo::new(
            "pemasok",
            ColumnType::Text,
            Role::Attribute,
            Bilingual::new("Pemasok", "Supplier"),
        ),
        ColumnInfo::new(
            "produk",
            ColumnType::Text,
            Role::Attribute,
            Bilingual::new("Produk", "Product"),
        ),
        ColumnInfo::new(
            "sumber_id",
            ColumnType::Text,
            Role::Attribute,
            Bilingual::new("ID sumber", "Source ID"),
        ),
        ColumnInfo::new(
            "catatan",
            ColumnType::Text,
            Role::Attribute,
            Bilingual::new("Catatan", "Note"),
        ),
    ]
}

/// The observations: one row per contract whose value and units are known, by contract id.
pub fn observations(contracts: &[Contract]) -> Result<Table, PluginError> {
    let mut sorted: Vec<&Contract> = contracts.iter().collect();
    sorted.sort_by_key(|c| c.id);
    let mut table = TableBuilder::new(schema());
    for contract in sorted {
        let Some(value) = rupiah_per_unit(contract) else {
            continue;
        };
        let note = format!(
            "{} per bulan / {} unit per bulan",
            format::rupiah(
                contract.nilai_per_bulan.unwrap_or_default(),
                Notation::Indonesian
            ),
            format::number(
                contract.unit_per_bulan.unwrap_or_default(),
                0,
                Notation::Indonesian
            ),
        );
        table.push_row(&[
            Cell::Integer(contract.id),
            Cell::integer(contract.tahun),
            Cell::Real(value),
            Cell::Text("rupiah per unit"),
            Cell::text(contract.pemasok.as_deref()),
            Cell::text(contract.produk.as_deref()),
            Cell::text(contract.sumber_id.as_deref()),
            Cell::Text(&note),
        ])?;
    }
    Ok(table.finish())
}

/// The streaming calculation: collects contracts, computes at the end.
#[derive(Default)]
pub struct RupiahPerUnit {
    contracts: Vec<Contract>,
}

impl Indicator for RupiahPerUnit {
    fn info() -> IndicatorInfo {
        IndicatorInfo {
            id: "rupiah-per-unit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            title: Bilingual::new("Nilai kontrak per unit", "Contract value per unit"),
            description: Bilingual::new(
                "Nilai rupiah per unit barang untuk setiap kontrak pasokan perajin logam Purbalingga.",
                "Rupiah value per unit supplied, for each supply contract of Purbalingga metal craftsmen.",
            ),
            konsep: Bilingual::new(
                "Harga rata-rata per unit yang tersirat dalam kontrak pasokan bulanan.",
                "The average price per unit implied by a monthly supply contract.",
            ),
            definisi: Bilingual::new(
                "Nilai kontrak per bulan dibagi jumlah unit yang dipasok per bulan, untuk setiap kontrak di dataset kontrak_pasokan yang nilai dan jumlah unitnya diketahui (kontrak tanpa jumlah unit per bulan dilewati).",
                "Monthly contract value divided by the number of units supplied per month, for each contract in the kontrak_pasokan dataset whose value and unit count are known (contracts without a monthly unit count are skipped).",
            ),
            rumus: Bilingual::new(
                "rupiah per unit = nilai_per_bulan / unit_per_bulan",
                "rupiah per unit = nilai_per_bulan / unit_per_bulan",
            ),
            ukuran: Bilingual::new("Rasio", "Ratio"),
            satuan: Bilingual::new("rupiah per unit", "rupiah per unit"),
            interpretasi: Bilingual::new(
                "Makin tinggi nilainya, makin mahal rata-rata setiap unit yang dipasok. Angka ini rata-rata seluruh isi kontrak, bukan harga satuan resmi, dan hanya mencakup kontrak yang diberitakan.",
                "The higher the value, the more each unit supplied is worth on average. It is an average over the whole contract, not an official unit price, and covers only contracts reported in the news.",
            ),
            frekuensi: Bilingual::new(
                "Tidak tetap (setiap ada kontrak baru)",
                "Irregular (whenever a contract is reported)",
            ),
            inputs: vec![Input::new("kontrak_pasokan", &COLUMNS)],
            parameters: vec![],
        }
    }

    fn new(_params: Params) -> Self {
        RupiahPerUnit::default()
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        read_contracts(batch, &mut self.contracts)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        observations(&self.contracts)
    }
}

logam_plugin_kit::indicator_component!(RupiahPerUnit, "../../wit");

#[cfg(test)]
mod tests {
    use super::*;
    use logam_plugin_kit::{run_indicator, testing};

    #[test]
    fn seed_contracts_match_the_hand_computation() {
        let table =
            run_indicator::<RupiahPerUnit>(vec![], testing::inputs(&RupiahPerUnit::info().inputs))
                .unwrap();
        table.check_observations().unwrap();
        assert_eq!(table.rows(), 2);
        // Muhammad Ali Imron: Rp250 juta / 3.500 unit.
        assert_eq!(table.cell("kontrak_id", 0), Cell::Integer(1));
        let first = table.cell("nilai", 0).as_f64().unwrap();
        assert!((first - 71_428.571_428_571_43).abs() < 1e-6, "{first}");
        assert_eq!(format::number(first, 2, Notation::Indonesian), "71.428,57");
        assert_eq!(table.cell("pemasok", 0), Cell::Text("Muhammad Ali Imron"));
        assert_eq!(
            table.cell("catatan", 0),
            Cell::Text("Rp250.000.000 per bulan / 3.500 unit per bulan")
        );
        // Ria Ayu Wardani: Rp120 juta / 12.500 handle dongkrak.
        assert_eq!(table.cell("nilai", 1), Cell::Real(9_600.0));
        assert_eq!(table.cell("tahun", 1), Cell::Integer(2021));
        assert_eq!(
            table.cell("sumber_id", 1),
            Cell::Text("radarbanyumas-2021-06-02")
        );
        assert_eq!(table.cell("satuan", 1), Cell::Text("rupiah per unit"));
    }

    #[test]
    fn contracts_without_units_are_skipped() {
        let contract = Contract {
            id: 3,
            tahun: Some(2021),
            pemasok: None,
            produk: None,
            unit_per_bulan: None,
            nilai_per_bulan: Some(1.0),
            sumber_id: None,
        };
        assert_eq!(rupiah_per_unit(&contract), None);
        let zero = Contract {
            unit_per_bulan: Some(0.0),
            ..contract.clone()
        };
        assert_eq!(rupiah_per_unit(&zero), None);
        assert_eq!(observations(&[contract, zero]).unwrap().rows(), 0);
    }

    #[test]
    fn a_batch_with_the_wrong_columns_is_refused() {
        let batch = testing::batch("kontrak_pasokan", &["id", "tahun"]);
        let mut indicator = RupiahPerUnit::default();
        assert!(matches!(
            indicator.push(0, &batch),
            Err(PluginError::InvalidInput(_))
        ));
    }
}
