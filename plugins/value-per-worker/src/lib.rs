//! Indicator `value-per-worker`: production value per worker in the knalpot cluster, by
//! year and source, from `klaster_knalpot` (nilai_produksi / tenaga_kerja, both full-year
//! figures from the same source).
//!
//! On the seed data only 2020 qualifies: Rp138.700.000.000 / 1.326 ≈ Rp104.600.301,66
//! (Kemenperin). 2010's production values come from other sources than its worker count,
//! and 2015's production value covers January–May only.

use logam_plugin_kit::figures::{FIGURE_COLUMNS, Figure, Ratio, read_figures, same_source_ratios};
use logam_plugin_kit::{
    Batch, Bilingual, Cell, ColumnInfo, ColumnType, Indicator, IndicatorInfo, Input, Params,
    PluginError, Role, Table, TableBuilder,
};

/// Production value per worker for every year, scope and source that gives both figures
/// for the whole year.
pub fn value_per_worker(figures: &[Figure]) -> Result<Vec<Ratio>, PluginError> {
    same_source_ratios(figures, "nilai_produksi", "tenaga_kerja")
}

const SATUAN: &str = "rupiah per orang per tahun";

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
            "cakupan",
            ColumnType::Text,
            Role::Dimension,
            Bilingual::new("Cakupan", "Scope"),
        ),
        ColumnInfo::new(
            "sumber_id",
            ColumnType::Text,
            Role::Dimension,
            Bilingual::new("ID sumber", "Source ID"),
        ),
        ColumnInfo::new(
            "nilai",
            ColumnType::Real,
            Role::Measure,
            Bilingual::new(
                "Nilai produksi per tenaga kerja",
                "Production value per worker",
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
            "catatan",
            ColumnType::Text,
            Role::Attribute,
            Bilingual::new("Catatan", "Note"),
        )
        .description(Bilingual::new(
            "Pembilang dan penyebut seperti dicetak sumber.",
            "Numerator and denominator as printed by the source.",
        )),
    ]
}

/// The observations: one row per (year, scope, source).
pub fn observations(ratios: &[Ratio]) -> Result<Table, PluginError> {
    let mut table = TableBuilder::new(schema());
    for ratio in ratios {
        let note = format!(
            "{} / {}",
            ratio.numerator.printed(),
            ratio.denominator.printed()
        );
        table.push_row(&[
            Cell::Integer(ratio.tahun),
            Cell::Text(&ratio.cakupan),
            Cell::Text(&ratio.sumber_id),
            Cell::Real(ratio.value),
            Cell::Text(SATUAN),
            Cell::Text(&note),
        ])?;
    }
    Ok(table.finish())
}

/// The streaming calculation: collects figures, pairs them at the end.
#[derive(Default)]
pub struct ValuePerWorker {
    figures: Vec<Figure>,
}

impl Indicator for ValuePerWorker {
    fn info() -> IndicatorInfo {
        IndicatorInfo {
            id: "value-per-worker".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            title: Bilingual::new(
                "Nilai produksi per tenaga kerja klaster knalpot",
                "Production value per worker in the exhaust-pipe cluster",
            ),
            description: Bilingual::new(
                "Nilai produksi setahun dibagi jumlah tenaga kerja klaster knalpot Purbalingga, menurut tahun dan sumber.",
                "A year's production value divided by the number of workers of the Purbalingga exhaust-pipe cluster, by year and source.",
            ),
            konsep: Bilingual::new(
                "Produktivitas tenaga kerja: nilai barang yang dihasilkan rata-rata setiap pekerja dalam setahun.",
                "Labour productivity: the value of goods produced by the average worker in a year.",
            ),
            definisi: Bilingual::new(
                "Nilai produksi setahun dibagi jumlah tenaga kerja klaster knalpot pada tahun yang sama, dari dataset klaster_knalpot (ukuran nilai_produksi dan tenaga_kerja). Pembilang dan penyebut harus berasal dari sumber yang sama (sumber_id sama) dan cakupan yang sama, dan keduanya angka setahun penuh (periode sama dengan tahun), sehingga nilai produksi Januari–Mei 2015 tidak dipakai; angka dari sumber berbeda tidak dipasangkan.",
                "A year's production value divided by the number of workers of the exhaust-pipe cluster in the same year, from the klaster_knalpot dataset (measures nilai_produksi and tenaga_kerja). Numerator and denominator must come from the same source (same sumber_id) and scope, and both must cover the whole year (periode equals tahun), so the January–May 2015 production value is not used; figures from different sources are never paired.",
            ),
            rumus: Bilingual::new(
                "nilai per tenaga kerja(t, s) = nilai_produksi(t, s) / tenaga_kerja(t, s), t = tahun, s = sumber",
                "value per worker(t, s) = nilai_produksi(t, s) / tenaga_kerja(t, s), t = year, s = source",
            ),
            ukuran: Bilingual::new("Rasio", "Ratio"),
            satuan: Bilingual::new(SATUAN, "rupiah per person per year"),
            interpretasi: Bilingual::new(
                "Makin tinggi nilainya, makin besar nilai produksi rata-rata setiap pekerja. Nilai produksi bukan nilai tambah dan bukan upah: angka ini tidak menunjukkan pendapatan pekerja.",
                "The higher the value, the more each worker produces on average. Production value is neither value added nor wages: the figure says nothing about workers' income.",
            ),
            frekuensi: Bilingual::new(
                "Tidak tetap (mengikuti terbitnya sumber)",
                "Irregular (as sources publish)",
            ),
            inputs: vec![Input::new("klaster_knalpot", &FIGURE_COLUMNS)],
            parameters: vec![],
        }
    }

    fn new(_params: Params) -> Self {
        ValuePerWorker::default()
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        read_figures(batch, &mut self.figures)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        observations(&value_per_worker(&self.figures)?)
    }
}

logam_plugin_kit::indicator_component!(ValuePerWorker, "../../wit");

#[cfg(test)]
mod tests {
    use super::*;
    use logam_plugin_kit::format::Notation;
    use logam_plugin_kit::{run_indicator, testing};

    #[test]
    fn seed_figures_match_the_hand_computation() {
        let table = run_indicator::<ValuePerWorker>(
            vec![],
            testing::inputs(&ValuePerWorker::info().inputs),
        )
        .unwrap();
        table.check_observations().unwrap();
        assert_eq!(table.rows(), 1);
        assert_eq!(table.cell("tahun", 0), Cell::Integer(2020));
        assert_eq!(
            table.cell("sumber_id", 0),
            Cell::Text("kemenperin-2022-08-30")
        );
        let value = table.cell("nilai", 0).as_f64().unwrap();
        assert_eq!(value, 138_700_000_000.0 / 1_326.0);
        assert!((value - 104_600_301.659_125).abs() < 1e-3, "{value}");
        assert_eq!(
            logam_plugin_kit::format::number(value, 2, Notation::Indonesian),
            "104.600.301,66"
        );
        assert_eq!(
            table.cell("catatan", 0),
            Cell::Text("Rp138,7 miliar / 1.326 tenaga kerja")
        );
    }

    #[test]
    fn part_year_values_are_not_divided_by_workers() {
        // 2015: Rp43,8 miliar covers January–May, the 837 workers the year.
        let mut figures = Vec::new();
        read_figures(
            &testing::input(&ValuePerWorker::info().inputs[0]),
            &mut figures,
        )
        .unwrap();
        assert!(
            figures
                .iter()
                .any(|f| f.tahun == Some(2015) && f.ukuran == "nilai_produksi")
        );
        assert!(
            value_per_worker(&figures)
                .unwrap()
                .iter()
                .all(|r| r.tahun != 2015)
        );
    }
}
