//! Indicator `non-knalpot-share`: the share of supply-contract value that comes from
//! products other than knalpot (kategori ≠ 'knalpot'), by year, from `kontrak_pasokan`.
//!
//! Seed data, 2021: Rp250 juta + Rp120 juta per month, both non-knalpot:
//! 370.000.000 / 370.000.000 × 100 = 100 %.

use std::collections::BTreeMap;

use logam_plugin_kit::format::{Notation, rupiah};
use logam_plugin_kit::{
    Batch, Bilingual, Cell, ColumnInfo, ColumnType, Indicator, IndicatorInfo, Input, Params,
    PluginError, Role, Table, TableBuilder,
};

/// Columns of `kontrak_pasokan` the indicator reads, in this order.
pub const COLUMNS: [&str; 4] = ["tahun", "kategori", "nilai_per_bulan", "sumber_id"];

/// The contracts of one year, summed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearTotals {
    /// Contracts with a known category and value.
    pub contracts: i64,
    /// Their total monthly value.
    pub total: f64,
    /// The part of it from products other than knalpot.
    pub non_knalpot: f64,
    /// Contracts left out because their category or value is unknown.
    pub skipped: i64,
    /// Sources of the contracts counted, in first-seen order.
    pub sources: Vec<String>,
}

impl YearTotals {
    /// Share of non-knalpot value in percent; `None` when the total is zero.
    pub fn share_percent(&self) -> Option<f64> {
        (self.total > 0.0).then(|| self.non_knalpot / self.total * 100.0)
    }
}

/// Whether a category names knalpot (exhaust pipes), ignoring case and surrounding space.
pub fn is_knalpot(kategori: &str) -> bool {
    kategori.trim().eq_ignore_ascii_case("knalpot")
}

/// Adds the contracts of one batch (columns [`COLUMNS`]) to the per-year totals. Contracts
/// without a year are grouped under `None`.
pub fn add_contracts(
    batch: &Batch,
    totals: &mut BTreeMap<Option<i64>, YearTotals>,
) -> Result<(), PluginError> {
    batch.expect_columns(COLUMNS.len())?;
    for row in 0..batch.rows {
        let year = totals.entry(batch.cell(0, row).as_i64()).or_default();
        let (Some(kategori), Some(value)) =
            (batch.cell(1, row).as_str(), batch.cell(2, row).as_f64())
        else {
            year.skipped += 1;
            continue;
        };
        year.contracts += 1;
        year.total += value;
        if !is_knalpot(kategori) {
            year.non_knalpot += value;
        }
        if let Some(source) = batch.cell(3, row).as_str()
            && !year.sources.iter().any(|s| s == source)
        {
            year.sources.push(source.to_string());
        }
    }
    Ok(())
}

const SATUAN: &str = "persen";

fn schema() -> Vec<ColumnInfo> {
    vec![
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
            Bilingual::new(
                "Pangsa nilai kontrak non-knalpot",
                "Non-knalpot share of contract value",
            ),
        )
        .unit(SATUAN),
        ColumnInfo::new(
            "satuan",
            ColumnType::Text,
            Role::Attribute,
            Bilingual::new("Satuan", "Unit"),
        ),
        ColumnInfo::new(
            "jumlah_kontrak",
            ColumnType::Integer,
            Role::Attribute,
            Bilingual::new("Jumlah kontrak", "Number of contracts"),
        )
        .unit("kontrak"),
        ColumnInfo::new(
            "nilai_total",
            ColumnType::Real,
            Role::Attribute,
            Bilingual::new(
                "Nilai kontrak total per bulan",
                "Total contract value per month",
            ),
        )
        .unit("rupiah per bulan"),
        ColumnInfo::new(
            "nilai_non_knalpot",
            ColumnType::Real,
            Role::Attribute,
            Bilingual::new(
                "Nilai kontrak non-knalpot per bulan",
                "Non-knalpot contract value per month",
            ),
        )
        .unit("rupiah per bulan"),
        ColumnInfo::new(
            "sumber_id",
            ColumnType::Text,
            Role::Attribute,
            Bilingual::new("ID sumber", "Source ID"),
        )
        .description(Bilingual::new(
            "Sumber kontrak yang dihitung, dipisah '; '.",
            "Sources of the contracts counted, separated by '; '.",
        )),
        ColumnInfo::new(
            "catatan",
            ColumnType::Text,
            Role::Attribute,
            Bilingual::new("Catatan", "Note"),
        ),
    ]
}

/// The observations: one row per year with at least one counted contract.
pub fn observations(totals: &BTreeMap<Option<i64>, YearTotals>) -> Result<Table, PluginError> {
    let mut table = TableBuilder::new(schema());
    for (year, t) in totals {
        let Some(share) = t.share_percent() else {
            continue;
        };
        let mut note = format!(
            "{} kontrak; {} per bulan, {} di antaranya non-knalpot",
            t.contracts,
            rupiah(t.total, Notation::Indonesian),
            rupiah(t.non_knalpot, Notation::Indonesian)
        );
        if t.skipped > 0 {
            note.push_str(&format!(
                "; {} kontrak tanpa kategori atau nilai tidak dihitung",
                t.skipped
            ));
        }
        let sources = t.sources.join("; ");
        table.push_row(&[
            Cell::integer(*year),
            Cell::Real(share),
            Cell::Text(SATUAN),
            Cell::Integer(t.contracts),
            Cell::Real(t.total),
            Cell::Real(t.non_knalpot),
            Cell::Text(&sources),
            Cell::Text(&note),
        ])?;
    }
    Ok(table.finish())
}

/// The streaming calculation: sums per year as batches arrive.
#[derive(Default)]
pub struct NonKnalpotShare {
    totals: BTreeMap<Option<i64>, YearTotals>,
}

impl Indicator for NonKnalpotShare {
    fn info() -> IndicatorInfo {
        IndicatorInfo {
            id: "non-knalpot-share".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            title: Bilingual::new(
                "Pangsa nilai kontrak produk non-knalpot",
                "Share of contract value from non-knalpot products",
            ),
            description: Bilingual::new(
                "Bagian nilai kontrak pasokan perajin logam Purbalingga yang berasal dari produk selain knalpot, menurut tahun.",
                "The part of Purbalingga metal craftsmen's supply-contract value that comes from products other than exhaust pipes, by year.",
            ),
            konsep: Bilingual::new(
                "Diversifikasi produk: seberapa jauh pendapatan kontrak perajin bergeser dari knalpot ke produk lain, seperti yang didorong Dinperindag.",
                "Product diversification: how far craftsmen's contract income has moved from exhaust pipes to other products, as the regency's trade and industry office encourages.",
            ),
            definisi: Bilingual::new(
                "Jumlah nilai kontrak per bulan dengan kategori selain 'knalpot' dibagi jumlah nilai kontrak per bulan seluruh kontrak, dalam persen, untuk setiap tahun di dataset kontrak_pasokan. Kontrak tanpa kategori atau tanpa nilai tidak dihitung di pembilang maupun penyebut.",
                "Sum of the monthly value of contracts whose category is not 'knalpot', divided by the sum of the monthly value of all contracts, in percent, for each year of the kontrak_pasokan dataset. Contracts without a category or value count in neither numerator nor denominator.",
            ),
            rumus: Bilingual::new(
                "pangsa(t) = Σ nilai_per_bulan(kategori ≠ knalpot, t) / Σ nilai_per_bulan(t) × 100",
                "share(t) = Σ nilai_per_bulan(kategori ≠ knalpot, t) / Σ nilai_per_bulan(t) × 100",
            ),
            ukuran: Bilingual::new("Persentase", "Percentage"),
            satuan: Bilingual::new(SATUAN, "percent"),
            interpretasi: Bilingual::new(
                "100 % berarti seluruh nilai kontrak yang tercatat berasal dari produk selain knalpot. Dataset hanya memuat kontrak yang diberitakan, bukan seluruh kontrak perajin, sehingga angka ini bukan pangsa seluruh industri.",
                "100 % means all recorded contract value comes from products other than exhaust pipes. The dataset holds only contracts reported in the news, not all of the craftsmen's contracts, so this is not the share of the whole industry.",
            ),
            frekuensi: Bilingual::new(
                "Tahunan, bila ada kontrak tercatat",
                "Yearly, where contracts are recorded",
            ),
            inputs: vec![Input::new("kontrak_pasokan", &COLUMNS)],
            parameters: vec![],
        }
    }

    fn new(_params: Params) -> Self {
        NonKnalpotShare::default()
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        add_contracts(batch, &mut self.totals)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        observations(&self.totals)
    }
}

logam_plugin_kit::indicator_component!(NonKnalpotShare, "../../wit");

#[cfg(test)]
mod tests {
    use super::*;
    use logam_plugin_kit::{ColumnBuilder, run_indicator, testing};

    #[test]
    fn seed_contracts_are_all_non_knalpot() {
        let table = run_indicator::<NonKnalpotShare>(
            vec![],
            testing::inputs(&NonKnalpotShare::info().inputs),
        )
        .unwrap();
        table.check_observations().unwrap();
        assert_eq!(table.rows(), 1);
        assert_eq!(table.cell("tahun", 0), Cell::Integer(2021));
        // (250.000.000 + 120.000.000) / 370.000.000 × 100.
        assert_eq!(table.cell("nilai", 0), Cell::Real(100.0));
        assert_eq!(table.cell("nilai_total", 0), Cell::Real(370_000_000.0));
        assert_eq!(table.cell("jumlah_kontrak", 0), Cell::Integer(2));
        assert_eq!(
            table.cell("sumber_id", 0),
            Cell::Text("radarbanyumas-2021-06-02")
        );
        assert_eq!(
            table.cell("catatan", 0),
            Cell::Text(
                "2 kontrak; Rp370.000.000 per bulan, Rp370.000.000 di antaranya non-knalpot"
            )
        );
    }

    fn batch(rows: &[(Option<i64>, Option<&str>, Option<i64>)]) -> Batch {
        let mut columns = [
            ColumnBuilder::new(ColumnType::Integer),
            ColumnBuilder::new(ColumnType::Text),
            ColumnBuilder::new(ColumnType::Integer),
            ColumnBuilder::new(ColumnType::Text),
        ];
        for (year, kategori, value) in rows {
            columns[0].push(Cell::integer(*year)).unwrap();
            columns[1].push(Cell::text(*kategori)).unwrap();
            columns[2].push(Cell::integer(*value)).unwrap();
            columns[3].push(Cell::Text("s")).unwrap();
        }
        Batch::new(
            rows.len(),
            columns.into_iter().map(ColumnBuilder::finish).collect(),
        )
        .unwrap()
    }

    #[test]
    fn knalpot_contracts_lower_the_share_and_unknowns_are_left_out() {
        let mut indicator = NonKnalpotShare::default();
        indicator
            .push(
                0,
                &batch(&[
                    (Some(2021), Some("non-knalpot"), Some(250)),
                    (Some(2021), Some("Knalpot"), Some(750)),
                ]),
            )
            .unwrap();
        // Batches stream: the second adds to the first.
        indicator
            .push(
                0,
                &batch(&[
                    (Some(2021), None, Some(1000)),
                    (Some(2022), Some("knalpot"), Some(10)),
                ]),
            )
            .unwrap();
        let table = indicator.finish().unwrap();
        assert_eq!(table.rows(), 2);
        assert_eq!(table.cell("nilai", 0), Cell::Real(25.0));
        assert!(
            table
                .cell("catatan", 0)
                .as_str()
                .unwrap()
                .contains("1 kontrak tanpa kategori")
        );
        assert_eq!(table.cell("tahun", 1), Cell::Integer(2022));
        assert_eq!(table.cell("nilai", 1), Cell::Real(0.0));
    }
}
