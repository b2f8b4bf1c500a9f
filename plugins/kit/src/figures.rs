//! Long-format figure tables such as `klaster_knalpot`: one row per (figure, source), with
//! the year, the period it covers, the measure code, the value, the scope and the source.
//! Shared by the cluster indicators so that all of them pair figures by the same rule.

use std::collections::BTreeMap;

use crate::{Batch, PluginError};

/// The columns a figure table is read with, in this order.
pub const FIGURE_COLUMNS: [&str; 7] = [
    "tahun",
    "periode",
    "ukuran",
    "nilai",
    "cakupan",
    "sumber_id",
    "nilai_tercetak",
];

/// One figure as a source printed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub tahun: Option<i64>,
    pub periode: Option<String>,
    pub ukuran: String,
    pub nilai: f64,
    pub cakupan: String,
    pub sumber_id: String,
    /// The figure as printed (`Rp138,7 miliar`, `sekitar 1.000`).
    pub tercetak: Option<String>,
}

impl Figure {
    /// Whether the figure covers the whole of its year: its period is the year itself
    /// (`2015`), not part of it (`2015-01/2015-05`, `Mei 2015`) and not undated.
    pub fn is_full_year(&self) -> bool {
        match (self.tahun, self.periode.as_deref()) {
            (Some(year), Some(period)) => period.trim() == year.to_string(),
            _ => false,
        }
    }

    /// How the figure was printed, or its value when that is unknown.
    pub fn printed(&self) -> String {
        self.tercetak.clone().unwrap_or_else(|| {
            crate::format::number(self.nilai, 2, crate::format::Notation::Indonesian)
        })
    }
}

/// Reads the figures of a batch with [`FIGURE_COLUMNS`]. Rows without a measure, value or
/// source are skipped: they cannot be paired or cited.
pub fn read_figures(batch: &Batch, into: &mut Vec<Figure>) -> Result<(), PluginError> {
    batch.expect_columns(FIGURE_COLUMNS.len())?;
    for row in 0..batch.rows {
        let text = |c: usize| batch.cell(c, row).as_str().map(str::to_string);
        let (Some(ukuran), Some(nilai), Some(sumber_id)) =
            (text(2), batch.cell(3, row).as_f64(), text(5))
        else {
            continue;
        };
        into.push(Figure {
            tahun: batch.cell(0, row).as_i64(),
            periode: text(1),
            ukuran,
            nilai,
            cakupan: text(4).unwrap_or_default(),
            sumber_id,
            tercetak: text(6),
        });
    }
    Ok(())
}

/// Key of a full-year figure: (year, scope, source).
pub type YearKey = (i64, String, String);

/// The full-year figures of measure `ukuran`, by (year, scope, source). Two figures under
/// one key are an `invalid-input` error: the pairing would be ambiguous.
pub fn full_year_by_key(
    figures: &[Figure],
    ukuran: &str,
) -> Result<BTreeMap<YearKey, Figure>, PluginError> {
    let mut map = BTreeMap::new();
    for figure in figures
        .iter()
        .filter(|f| f.ukuran == ukuran && f.is_full_year())
    {
        let key = (
            figure.tahun.unwrap_or_default(),
            figure.cakupan.clone(),
            figure.sumber_id.clone(),
        );
        if map.insert(key.clone(), figure.clone()).is_some() {
            return Err(PluginError::InvalidInput(format!(
                "dua angka {ukuran} untuk tahun {}, cakupan {:?}, sumber {}",
                key.0, key.1, key.2
            )));
        }
    }
    Ok(map)
}

/// A ratio of two measures from the same year, scope and source.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratio {
    pub tahun: i64,
    pub cakupan: String,
    pub sumber_id: String,
    pub numerator: Figure,
    pub denominator: Figure,
    pub value: f64,
}

/// `numerator / denominator` for every (year, scope, source) that has a full-year figure
/// of both measures and a non-zero denominator, ordered by year, scope and source.
pub fn same_source_ratios(
    figures: &[Figure],
    numerator: &str,
    denominator: &str,
) -> Result<Vec<Ratio>, PluginError> {
    let top = full_year_by_key(figures, numerator)?;
    let bottom = full_year_by_key(figures, denominator)?;
    Ok(top
        .into_iter()
        .filter_map(|(key, n)| {
            let d = bottom.get(&key)?;
            (d.nilai != 0.0).then(|| Ratio {
                tahun: key.0,
                cakupan: key.1,
                sumber_id: key.2,
                value: n.nilai / d.nilai,
                numerator: n,
                denominator: d.clone(),
            })
        })
        .collect())
}
