//! Indicator `cagr`: compound annual growth rate of a knalpot-cluster series between two
//! years, from `klaster_knalpot`, with both ends from the same source.
//!
//! Parameters: `ukuran` (the measure, default `nilai_produksi`), `from-year` (default 2010),
//! `to-year` (default 2020) and, optionally, `sumber` (a source id). With the defaults:
//! Kemenperin's Rp37 miliar (2010) → Rp138,7 miliar (2020):
//! ((138,7 / 37)^(1/10) − 1) × 100 ≈ 14,13 % per year.

use std::collections::BTreeSet;

use logam_plugin_kit::figures::{FIGURE_COLUMNS, Figure, full_year_by_key, read_figures};
use logam_plugin_kit::{
    Batch, Bilingual, Cell, ColumnInfo, ColumnType, Indicator, IndicatorInfo, Input, Parameter,
    Params, PluginError, Role, Scalar, Table, TableBuilder,
};

/// What to compute, from the parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub ukuran: String,
    pub from_year: i64,
    pub to_year: i64,
    pub sumber: Option<String>,
}

impl Query {
    pub fn from_params(params: &Params) -> Result<Self, PluginError> {
        let missing =
            |name: &str| PluginError::InvalidParameter(format!("parameter {name} wajib diisi"));
        let query = Query {
            ukuran: params
                .text("ukuran")?
                .ok_or_else(|| missing("ukuran"))?
                .to_string(),
            from_year: params
                .integer("from-year")?
                .ok_or_else(|| missing("from-year"))?,
            to_year: params
                .integer("to-year")?
                .ok_or_else(|| missing("to-year"))?,
            sumber: params.text("sumber")?.map(str::to_string),
        };
        if query.to_year <= query.from_year {
            return Err(PluginError::InvalidParameter(format!(
                "to-year ({}) harus sesudah from-year ({})",
                query.to_year, query.from_year
            )));
        }
        Ok(query)
    }
}

/// The compound annual growth rate in percent per year:
/// ((end / start)^(1 / years) − 1) × 100. `None` unless start > 0, end ≥ 0 and years > 0.
pub fn cagr_percent(start: f64, end: f64, years: i64) -> Option<f64> {
    (start > 0.0 && end >= 0.0 && years > 0)
        .then(|| ((end / start).powf(1.0 / years as f64) - 1.0) * 100.0)
}

/// One growth rate: its two ends and the rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Growth {
    pub cakupan: String,
    pub sumber_id: String,
    pub start: Figure,
    pub end: Figure,
    pub percent: f64,
}

/// The growth of `query.ukuran` between the two years for every scope and source that has
/// a full-year figure in both, optionally only source `query.sumber`.
pub fn growth(figures: &[Figure], query: &Query) -> Result<Vec<Growth>, PluginError> {
    let measures: BTreeSet<&str> = figures.iter().map(|f| f.ukuran.as_str()).collect();
    if !measures.contains(query.ukuran.as_str()) {
        return Err(PluginError::InvalidParameter(format!(
            "ukuran {:?} tidak ada; pilih salah satu: {}",
            query.ukuran,
            measures.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    if let Some(sumber) = &query.sumber
        && !figures
            .iter()
            .any(|f| &f.sumber_id == sumber && f.ukuran == query.ukuran)
    {
        return Err(PluginError::InvalidParameter(format!(
            "sumber {sumber:?} tidak memuat angka {}",
            query.ukuran
        )));
    }
    let by_key = full_year_by_key(figures, &query.ukuran)?;
    let mut out = Vec::new();
    for ((year, cakupan, sumber_id), start) in &by_key {
        if *year != query.from_year || query.sumber.as_ref().is_some_and(|s| s != sumber_id) {
            continue;
        }
        let Some(end) = by_key.get(&(query.to_year, cakupan.clone(), sumber_id.clone())) else {
            continue;
        };
        if let Some(percent) = cagr_percent(start.nilai, end.nilai, query.to_year - query.from_year)
        {
            out.push(Growth {
                cakupan: cakupan.clone(),
                sumber_id: sumber_id.clone(),
                start: start.clone(),
                end: end.clone(),
                percent,
            });
        }
    }
    Ok(out)
}

const SATUAN: &str = "persen per tahun";

fn schema() -> Vec<ColumnInfo> {
    vec![
        ColumnInfo::new(
            "ukuran",
            ColumnType::Text,
            Role::Dimension,
            Bilingual::new("Ukuran", "Measure"),
        ),
        ColumnInfo::new(
            "tahun_awal",
            ColumnType::Integer,
            Role::Dimension,
            Bilingual::new("Tahun awal", "Start year"),
        )
        .unit("tahun"),
        ColumnInfo::new(
            "tahun_akhir",
            ColumnType::Integer,
            Role::Dimension,
            Bilingual::new("Tahun akhir", "End year"),
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
                "Laju pertumbuhan majemuk tahunan",
                "Compound annual growth rate",
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
            "nilai_awal",
            ColumnType::Real,
            Role::Attribute,
            Bilingual::new("Nilai awal", "Start value"),
        ),
        ColumnInfo::new(
            "nilai_akhir",
            ColumnType::Real,
            Role::Attribute,
            Bilingual::new("Nilai akhir", "End value"),
        ),
        ColumnInfo::new(
            "catatan",
            ColumnType::Text,
            Role::Attribute,
            Bilingual::new("Catatan", "Note"),
        )
        .description(Bilingual::new(
            "Kedua ujung seperti dicetak sumber.",
            "Both ends as printed by the source.",
        )),
    ]
}

/// The observations: one row per scope and source.
pub fn observations(query: &Query, growth: &[Growth]) -> Result<Table, PluginError> {
    let mut table = TableBuilder::new(schema());
    for g in growth {
        let note = format!(
            "{} ({}) → {} ({})",
            g.start.printed(),
            query.from_year,
            g.end.printed(),
            query.to_year
        );
        table.push_row(&[
            Cell::Text(&query.ukuran),
            Cell::Integer(query.from_year),
            Cell::Integer(query.to_year),
            Cell::Text(&g.cakupan),
            Cell::Text(&g.sumber_id),
            Cell::Real(g.percent),
            Cell::Text(SATUAN),
            Cell::Real(g.start.nilai),
            Cell::Real(g.end.nilai),
            Cell::Text(&note),
        ])?;
    }
    Ok(table.finish())
}

/// The streaming calculation: collects figures, computes at the end.
pub struct Cagr {
    query: Result<Query, PluginError>,
    figures: Vec<Figure>,
}

fn parameter(
    name: &str,
    column_type: ColumnType,
    default: Option<Scalar>,
    title: Bilingual,
    description: Bilingual,
) -> Parameter {
    Parameter {
        name: name.into(),
        column_type,
        required: false,
        default,
        title,
        description,
    }
}

impl Indicator for Cagr {
    fn info() -> IndicatorInfo {
        IndicatorInfo {
            id: "cagr".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            title: Bilingual::new(
                "Laju pertumbuhan majemuk tahunan klaster knalpot",
                "Compound annual growth rate of the exhaust-pipe cluster",
            ),
            description: Bilingual::new(
                "Laju pertumbuhan rata-rata per tahun (CAGR) sebuah deret klaster knalpot Purbalingga di antara dua tahun, misalnya nilai produksi 2010–2020.",
                "Average growth per year (CAGR) of a Purbalingga exhaust-pipe cluster series between two years, e.g. production value 2010–2020.",
            ),
            konsep: Bilingual::new(
                "Pertumbuhan tahunan tetap yang membawa nilai awal ke nilai akhir dalam rentang tahun yang sama.",
                "The constant yearly growth that takes the start value to the end value over the same span of years.",
            ),
            definisi: Bilingual::new(
                "Untuk ukuran yang dipilih (parameter ukuran) dari dataset klaster_knalpot: angka tahun awal (from-year) dan tahun akhir (to-year) yang berasal dari sumber yang sama (sumber_id sama) dan cakupan yang sama, keduanya angka setahun penuh (periode sama dengan tahun). Setiap sumber yang memuat kedua ujung menghasilkan satu baris; parameter sumber membatasi pada satu sumber. Angka dari sumber berbeda tidak dipasangkan.",
                "For the chosen measure (parameter ukuran) of the klaster_knalpot dataset: the figures of the start year (from-year) and end year (to-year) that come from the same source (same sumber_id) and scope, both covering the whole year (periode equals tahun). Each source that gives both ends yields one row; the sumber parameter restricts to one source. Figures from different sources are never paired.",
            ),
            rumus: Bilingual::new(
                "CAGR = ((nilai tahun akhir / nilai tahun awal)^(1 / (tahun akhir − tahun awal)) − 1) × 100",
                "CAGR = ((end-year value / start-year value)^(1 / (end year − start year)) − 1) × 100",
            ),
            ukuran: Bilingual::new("Laju pertumbuhan", "Growth rate"),
            satuan: Bilingual::new(SATUAN, "percent per year"),
            interpretasi: Bilingual::new(
                "Nilai positif berarti deret tumbuh, negatif berarti menyusut, rata-rata per tahun. CAGR hanya melihat kedua ujung: naik-turun di antaranya tidak tampak. Nilai rupiah belum disesuaikan dengan inflasi.",
                "A positive value means the series grew, a negative one that it shrank, on average per year. CAGR looks only at the two ends: ups and downs in between are hidden. Rupiah values are not adjusted for inflation.",
            ),
            frekuensi: Bilingual::new(
                "Sesuai permintaan (parameter tahun)",
                "On request (year parameters)",
            ),
            inputs: vec![Input::new("klaster_knalpot", &FIGURE_COLUMNS)],
            parameters: vec![
                parameter(
                    "ukuran",
                    ColumnType::Text,
                    Some(Scalar::Text("nilai_produksi".into())),
                    Bilingual::new("Ukuran", "Measure"),
                    Bilingual::new(
                        "Kode ukuran di kolom ukuran dataset klaster_knalpot: unit_usaha, tenaga_kerja, volume_produksi, nilai_produksi atau investasi.",
                        "Measure code from the ukuran column of klaster_knalpot: unit_usaha, tenaga_kerja, volume_produksi, nilai_produksi or investasi.",
                    ),
                ),
                parameter(
                    "from-year",
                    ColumnType::Integer,
                    Some(Scalar::Integer(2010)),
                    Bilingual::new("Tahun awal", "Start year"),
                    Bilingual::new("Tahun awal deret.", "First year of the series."),
                ),
                parameter(
                    "to-year",
                    ColumnType::Integer,
                    Some(Scalar::Integer(2020)),
                    Bilingual::new("Tahun akhir", "End year"),
                    Bilingual::new(
                        "Tahun akhir deret; harus sesudah tahun awal.",
                        "Last year of the series; must be after the start year.",
                    ),
                ),
                parameter(
                    "sumber",
                    ColumnType::Text,
                    None,
                    Bilingual::new("Sumber", "Source"),
                    Bilingual::new(
                        "ID sumber (dataset sumber); bila kosong, setiap sumber yang memuat kedua ujung menghasilkan satu baris.",
                        "Source id (sumber dataset); when unset, every source that gives both ends yields one row.",
                    ),
                ),
            ],
        }
    }

    fn new(params: Params) -> Self {
        Cagr {
            query: Query::from_params(&params),
            figures: Vec::new(),
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.query.as_ref().map_err(Clone::clone)?;
        read_figures(batch, &mut self.figures)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        let query = self.query.clone()?;
        observations(&query, &growth(&self.figures, &query)?)
    }
}

logam_plugin_kit::indicator_component!(Cagr, "../../wit");

#[cfg(test)]
mod tests {
    use super::*;
    use logam_plugin_kit::{Param, run_indicator, testing};

    fn run(params: Vec<Param>) -> Result<Table, PluginError> {
        run_indicator::<Cagr>(params, testing::inputs(&Cagr::info().inputs))
    }

    #[test]
    fn production_value_2010_to_2020_by_default() {
        let table = run(vec![]).unwrap();
        table.check_observations().unwrap();
        // Only Kemenperin gives both 2010 (Rp37 miliar) and 2020 (Rp138,7 miliar); Pemkab's
        // Rp40 miliar and sampaijauh.com's Rp35 miliar have no 2020 figure of their own.
        assert_eq!(table.rows(), 1);
        assert_eq!(
            table.cell("sumber_id", 0),
            Cell::Text("kemenperin-2022-08-30")
        );
        let value = table.cell("nilai", 0).as_f64().unwrap();
        let hand = ((138.7_f64 / 37.0).powf(1.0 / 10.0) - 1.0) * 100.0;
        assert!((value - hand).abs() < 1e-9, "{value} vs {hand}");
        assert!((value - 14.126_756).abs() < 1e-5);
        assert_eq!(
            table.cell("catatan", 0),
            Cell::Text("Rp37 miliar (2010) → Rp138,7 miliar (2020)")
        );
        assert_eq!(table.cell("nilai_awal", 0), Cell::Real(37_000_000_000.0));
    }

    #[test]
    fn production_volume_2019_to_2020() {
        let table = run(vec![
            Param::new("ukuran", Scalar::Text("volume_produksi".into())),
            Param::new("from-year", Scalar::Integer(2019)),
            Param::new("to-year", Scalar::Integer(2020)),
        ])
        .unwrap();
        assert_eq!(table.rows(), 1);
        let value = table.cell("nilai", 0).as_f64().unwrap();
        assert!((value - (852_650.0 / 803_750.0 - 1.0) * 100.0).abs() < 1e-9);
    }

    #[test]
    fn investment_with_a_source_filter() {
        let table = run(vec![
            Param::new("ukuran", Scalar::Text("investasi".into())),
            Param::new("sumber", Scalar::Text("kemenperin-2022-08-30".into())),
        ])
        .unwrap();
        assert_eq!(table.rows(), 1);
        let value = table.cell("nilai", 0).as_f64().unwrap();
        assert!((value - ((5.2_f64 / 1.6).powf(0.1) - 1.0) * 100.0).abs() < 1e-9);
    }

    #[test]
    fn units_2010_to_2020_come_from_different_sources() {
        // 112 units (Pemkab 2015) and 204 units (Kemenperin): not paired.
        let table = run(vec![Param::new(
            "ukuran",
            Scalar::Text("unit_usaha".into()),
        )])
        .unwrap();
        assert_eq!(table.rows(), 0);
    }

    #[test]
    fn bad_parameters_are_reported() {
        let unknown = run(vec![Param::new("ukuran", Scalar::Text("omzet".into()))]);
        assert!(
            matches!(unknown, Err(PluginError::InvalidParameter(m)) if m.contains("nilai_produksi"))
        );
        let backwards = run(vec![Param::new("to-year", Scalar::Integer(2005))]);
        assert!(matches!(backwards, Err(PluginError::InvalidParameter(_))));
        let source = run(vec![Param::new(
            "sumber",
            Scalar::Text("republika-2019".into()),
        )]);
        assert!(matches!(source, Err(PluginError::InvalidParameter(_))));
    }

    #[test]
    fn cagr_formula() {
        assert_eq!(
            cagr_percent(100.0, 121.0, 2).map(|v| (v * 1e9).round() / 1e9),
            Some(10.0)
        );
        assert_eq!(cagr_percent(0.0, 1.0, 1), None);
        assert_eq!(cagr_percent(1.0, 1.0, 0), None);
    }
}
