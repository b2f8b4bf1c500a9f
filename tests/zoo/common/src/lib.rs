//! What the zoo's plugins share: valid manifests that read real seeded data, and an honest
//! result, so that each component is refused or fails for the one thing it does wrong and
//! nothing else.

use std::collections::BTreeMap;

use logam_plugin_kit::{
    Batch, Bilingual, Cell, ColumnInfo, ColumnType, ExporterInfo, IndicatorInfo, Input,
    PluginError, Role, Table, TableBuilder, Targets,
};

/// The dataset and column every zoo indicator reads: `kontrak_pasokan.tahun`, an integer
/// column of the seed data.
pub const DATASET: &str = "kontrak_pasokan";
pub const COLUMN: &str = "tahun";

/// A valid indicator manifest reading [`DATASET`].[`COLUMN`]. `about` says, in both
/// languages, how the plugin misbehaves; it becomes the title and the description.
pub fn indicator_info(id: &str, about: Bilingual) -> IndicatorInfo {
    indicator_info_reading(id, about, Input::new(DATASET, &[COLUMN]))
}

/// A manifest like [`indicator_info`] with another input (for manifests that are wrong on
/// purpose).
pub fn indicator_info_reading(id: &str, about: Bilingual, input: Input) -> IndicatorInfo {
    let test = || {
        Bilingual::new(
            "Uji ketahanan host; bukan indikator sungguhan.",
            "A host robustness test; not a real indicator.",
        )
    };
    IndicatorInfo {
        id: id.to_string(),
        version: "0.1.0".to_string(),
        title: Bilingual::new(&format!("Kebun binatang: {id}"), &format!("Zoo: {id}")),
        description: about,
        konsep: test(),
        definisi: Bilingual::new(
            "Banyaknya baris kontrak_pasokan menurut tahun, bila plugin ini selesai.",
            "Number of kontrak_pasokan rows by year, should this plugin ever finish.",
        ),
        rumus: Bilingual::new(
            "jumlah(t) = banyaknya baris dengan tahun t",
            "count(t) = rows with year t",
        ),
        ukuran: Bilingual::new("Jumlah", "Count"),
        satuan: Bilingual::new("baris", "rows"),
        interpretasi: test(),
        frekuensi: Bilingual::new("Tidak tetap", "Irregular"),
        inputs: vec![input],
        parameters: vec![],
    }
}

/// A valid exporter manifest for datasets, with `about` as its description.
pub fn exporter_info(id: &str, extension: &str, about: Bilingual) -> ExporterInfo {
    ExporterInfo {
        id: id.to_string(),
        version: "0.1.0".to_string(),
        title: Bilingual::new(&format!("Kebun binatang: {id}"), &format!("Zoo: {id}")),
        description: about,
        media_type: "text/plain; charset=utf-8".to_string(),
        extension: extension.to_string(),
        targets: Targets {
            datasets: true,
            indicators: false,
        },
        parameters: vec![],
    }
}

/// Years read from batches of the one declared column, for an honest result.
#[derive(Debug, Default)]
pub struct Years {
    counts: BTreeMap<Option<i64>, u64>,
}

impl Years {
    /// Counts the rows of one batch by the year in its first column.
    pub fn push(&mut self, batch: &Batch) -> Result<(), PluginError> {
        batch.expect_columns(1)?;
        for row in 0..batch.rows {
            let year = match batch.cell(0, row) {
                Cell::Null => None,
                cell => Some(cell.as_i64().ok_or_else(|| {
                    PluginError::InvalidInput(format!("tahun di baris {row} bukan bilangan bulat"))
                })?),
            };
            *self.counts.entry(year).or_insert(0) += 1;
        }
        Ok(())
    }

    /// Rows seen so far.
    pub fn rows(&self) -> u64 {
        self.counts.values().sum()
    }

    /// The observations: one row per year, the count as the measure, `note` on every row.
    pub fn table(&self, note: &str) -> Result<Table, PluginError> {
        let mut table = TableBuilder::new(schema());
        for (year, count) in &self.counts {
            table.push_row(&[
                Cell::integer(*year),
                Cell::Integer(*count as i64),
                Cell::Text(note),
            ])?;
        }
        Ok(table.finish())
    }
}

/// The observations schema of the zoo's indicators: `tahun` (dimension), `nilai` (the
/// measure, a count) and `catatan` (a note).
pub fn schema() -> Vec<ColumnInfo> {
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
            Bilingual::new("Jumlah baris", "Rows"),
        )
        .unit("baris"),
        ColumnInfo::new(
            "catatan",
            ColumnType::Text,
            Role::Attribute,
            Bilingual::new("Catatan", "Note"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use logam_plugin_kit::{Column, ColumnData};

    #[test]
    fn counts_rows_by_year() {
        let mut years = Years::default();
        years
            .push(
                &Batch::new(
                    3,
                    vec![Column {
                        data: ColumnData::Integer(vec![2021, 0, 2021]),
                        validity: vec![0b101],
                    }],
                )
                .unwrap(),
            )
            .unwrap();
        assert_eq!(years.rows(), 3);
        let table = years.table("ok").unwrap();
        table.check_observations().unwrap();
        assert_eq!(table.rows(), 2);
        assert_eq!(table.cell("tahun", 0), Cell::Null);
        assert_eq!(table.cell("nilai", 1), Cell::Real(2.0));
    }
}
