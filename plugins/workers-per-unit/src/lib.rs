//! Indicator `workers-per-unit`: workers per IKM unit in the knalpot cluster, by year and
//! source, from `klaster_knalpot` (tenaga_kerja / unit_usaha, both from the same source).
//!
//! 2010: 483 / 112 = 4,3125; 2015: 837 / 173 ≈ 4,84; 2019: ~1.000 / 146 ≈ 6,85 (two
//! sources print the same figures); 2020: 1.326 / 204 = 6,5.

use logam_plugin_kit::figures::{FIGURE_COLUMNS, Figure, Ratio, read_figures, same_source_ratios};
use logam_plugin_kit::{
    Batch, Bilingual, Cell, ColumnInfo, ColumnType, Indicator, IndicatorInfo, Input, Params,
    PluginError, Role, Table, TableBuilder,
};

/// Workers per unit for every year, scope and source that gives both figures for the whole
/// year.
pub fn workers_per_unit(figures: &[Figure]) -> Result<Vec<Ratio>, PluginError> {
    same_source_ratios(figures, "tenaga_kerja", "unit_usaha")
}

const SATUAN: &str = "orang per unit usaha";

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
            Bilingual::new("Tenaga kerja per unit usaha", "Workers per business unit"),
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
pub struct WorkersPerUnit {
    figures: Vec<Figure>,
}

impl Indicator for WorkersPerUnit {
    fn info() -> IndicatorInfo {
        IndicatorInfo {
            id: "workers-per-unit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            title: Bilingual::new(
                "Tenaga kerja per unit usaha klaster knalpot",
                "Workers per business unit in the exhaust-pipe cluster",
            ),
            description: Bilingual::new(
                "Rata-rata jumlah tenaga kerja per unit usaha (IKM) klaster knalpot Purbalingga, menurut tahun dan sumber.",
                "Average number of workers per business unit (IKM) of the Purbalingga exhaust-pipe cluster, by year and source.",
            ),
            konsep: Bilingual::new(
                "Ukuran rata-rata usaha dalam klaster, dilihat dari tenaga kerjanya.",
                "The average size of the cluster's firms, measured by their workforce.",
            ),
            definisi: Bilingual::new(
                "Jumlah tenaga kerja dibagi jumlah unit usaha klaster knalpot pada tahun yang sama, dari dataset klaster_knalpot (ukuran tenaga_kerja dan unit_usaha). Pembilang dan penyebut harus berasal dari sumber yang sama (sumber_id sama) dan cakupan yang sama, dan keduanya angka setahun penuh (periode sama dengan tahun); angka dari sumber berbeda tidak dipasangkan. Bila dua sumber memuat angka yang sama, setiap sumber menghasilkan barisnya sendiri.",
                "Number of workers divided by number of business units of the exhaust-pipe cluster in the same year, from the klaster_knalpot dataset (measures tenaga_kerja and unit_usaha). Numerator and denominator must come from the same source (same sumber_id) and scope, and both must cover the whole year (periode equals tahun); figures from different sources are never paired. Where two sources print the same figures, each source gives its own row.",
            ),
            rumus: Bilingual::new(
                "tenaga kerja per unit(t, s) = tenaga_kerja(t, s) / unit_usaha(t, s), t = tahun, s = sumber",
                "workers per unit(t, s) = tenaga_kerja(t, s) / unit_usaha(t, s), t = year, s = source",
            ),
            ukuran: Bilingual::new("Rasio", "Ratio"),
            satuan: Bilingual::new(SATUAN, "persons per business unit"),
            interpretasi: Bilingual::new(
                "Makin tinggi nilainya, makin banyak rata-rata pekerja di setiap usaha. Angka yang dicetak sebagai perkiraan (mis. 'sekitar 1.000') menghasilkan rasio perkiraan; lihat kolom catatan.",
                "The higher the value, the more workers each firm has on average. Figures printed as estimates (e.g. 'sekitar 1.000', about 1,000) give an approximate ratio; see the catatan (note) column.",
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
        WorkersPerUnit::default()
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        read_figures(batch, &mut self.figures)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        observations(&workers_per_unit(&self.figures)?)
    }
}

logam_plugin_kit::indicator_component!(WorkersPerUnit, "../../wit");

#[cfg(test)]
mod tests {
    use super::*;
    use logam_plugin_kit::{run_indicator, testing};

    fn run() -> Table {
        run_indicator::<WorkersPerUnit>(vec![], testing::inputs(&WorkersPerUnit::info().inputs))
            .unwrap()
    }

    fn value(table: &Table, row: usize) -> (i64, String, f64) {
        (
            table.cell("tahun", row).as_i64().unwrap(),
            table.cell("sumber_id", row).as_str().unwrap().to_string(),
            table.cell("nilai", row).as_f64().unwrap(),
        )
    }

    #[test]
    fn seed_figures_match_the_hand_computation() {
        let table = run();
        table.check_observations().unwrap();
        let rows: Vec<_> = (0..table.rows()).map(|r| value(&table, r)).collect();
        let expected = [
            (2010, "pemkab-2015-knalpot-595371", 483.0 / 112.0),
            (2015, "pemkab-2015-knalpot-595371", 837.0 / 173.0),
            (2019, "purbalinggakab-2019", 1000.0 / 146.0),
            (2019, "republika-2019", 1000.0 / 146.0),
            (2020, "kemenperin-2022-08-30", 1326.0 / 204.0),
        ];
        assert_eq!(rows.len(), expected.len(), "{rows:?}");
        for ((year, source, v), (e_year, e_source, e_v)) in rows.iter().zip(expected) {
            assert_eq!((*year, source.as_str()), (e_year, e_source));
            assert!((v - e_v).abs() < 1e-12, "{year}: {v} vs {e_v}");
        }
        assert_eq!(rows[0].2, 4.3125);
        assert_eq!(rows[4].2, 6.5);
        assert_eq!(
            table.cell("catatan", 2),
            Cell::Text("sekitar 1.000 / 146 unit terdaftar")
        );
        assert_eq!(
            table.cell("catatan", 0),
            Cell::Text("483 tenaga kerja / 112 unit")
        );
        assert_eq!(
            table.cell("cakupan", 0),
            Cell::Text("klaster knalpot Purbalingga")
        );
    }

    #[test]
    fn the_undated_pesayangan_snapshot_is_not_a_year() {
        // tempo.co: 37 firms and 108 workers, undated: no year, so no observation.
        let table = run();
        for row in 0..table.rows() {
            assert_ne!(
                table.cell("sumber_id", row),
                Cell::Text("tempo-masih-ramai-di-pesayangan")
            );
        }
    }

    #[test]
    fn figures_from_different_sources_are_not_paired() {
        let figure = |ukuran: &str, nilai: f64, sumber: &str| Figure {
            tahun: Some(2010),
            periode: Some("2010".into()),
            ukuran: ukuran.into(),
            nilai,
            cakupan: "klaster".into(),
            sumber_id: sumber.into(),
            tercetak: None,
        };
        let figures = [
            figure("tenaga_kerja", 100.0, "a"),
            figure("unit_usaha", 10.0, "b"),
        ];
        assert!(workers_per_unit(&figures).unwrap().is_empty());
        let figures = [
            figure("tenaga_kerja", 100.0, "a"),
            figure("unit_usaha", 10.0, "a"),
            figure("unit_usaha", 11.0, "a"),
        ];
        assert!(matches!(
            workers_per_unit(&figures),
            Err(PluginError::InvalidInput(_))
        ));
    }
}
