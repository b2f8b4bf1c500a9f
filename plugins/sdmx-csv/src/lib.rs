//! Exporter `sdmx-csv`: an indicator's observations as an SDMX-CSV 2.0 data message.
//!
//! Columns: `STRUCTURE` (always `dataflow`), `STRUCTURE_ID` (`AGENCY:ID(1.0.0)`, the
//! indicator id in upper case with `-` → `_`), `ACTION` (always `I`, information), then the
//! dimensions in schema order, `OBS_VALUE` for the measure, then the attributes. Component
//! ids are the column names in upper case, except the two SDMX cross-domain concepts the
//! observations carry: a dimension named `tahun` is `TIME_PERIOD` and an attribute named
//! `satuan` is `UNIT_MEASURE`. Numbers are written in full with "." as the decimal mark,
//! fields are quoted per RFC 4180, lines end in CRLF, and the file starts without a BOM.
//!
//! There is no data structure definition behind `STRUCTURE_ID` yet: the message follows the
//! SDMX-CSV 2.0 layout so SDMX tools can read it, and the indicator's manifest is its
//! documentation.

use logam_plugin_kit::text::{csv_field, push_f64};
use logam_plugin_kit::{
    Batch, Bilingual, Cell, ColumnInfo, ColumnType, DatasetMeta, Exporter, ExporterInfo, Parameter,
    Params, PluginError, Role, Scalar, Targets,
};

/// The SDMX component id of a column.
pub fn component_id(column: &ColumnInfo) -> String {
    match (column.role, column.name.as_str()) {
        (Role::Measure, _) => "OBS_VALUE".into(),
        (Role::Dimension, "tahun") => "TIME_PERIOD".into(),
        (Role::Attribute, "satuan") => "UNIT_MEASURE".into(),
        (_, name) => sdmx_id(name),
    }
}

/// An id in SDMX form: upper case, `-` and other characters outside `[A-Za-z0-9_]` as `_`.
pub fn sdmx_id(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The column order of the message: dimensions, the measure, attributes (each in schema
/// order).
pub fn column_order(schema: &[ColumnInfo]) -> Result<Vec<usize>, PluginError> {
    let of = |role: Role| (0..schema.len()).filter(move |&i| schema[i].role == role);
    let measures: Vec<usize> = of(Role::Measure).collect();
    if measures.len() != 1 {
        return Err(PluginError::Unsupported(
            "SDMX-CSV butuh tepat satu kolom ukuran (measure): tabel ini bukan hasil indikator"
                .into(),
        ));
    }
    Ok(of(Role::Dimension)
        .chain(measures)
        .chain(of(Role::Attribute))
        .collect())
}

/// Appends one value.
fn field(out: &mut String, cell: Cell<'_>) {
    match cell {
        Cell::Null => {}
        Cell::Integer(i) => out.push_str(&i.to_string()),
        Cell::Real(r) => {
            push_f64(out, r);
        }
        Cell::Boolean(b) => out.push_str(if b { "true" } else { "false" }),
        Cell::Text(s) => csv_field(out, s),
    }
}

/// The streaming encoder.
pub struct SdmxCsv {
    order: Result<Vec<usize>, PluginError>,
    prefix: String,
    header: String,
    started: bool,
}

impl Exporter for SdmxCsv {
    fn info() -> ExporterInfo {
        ExporterInfo {
            id: "sdmx-csv".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            title: Bilingual::new("SDMX-CSV 2.0", "SDMX-CSV 2.0"),
            description: Bilingual::new(
                "Hasil indikator sebagai pesan data SDMX-CSV 2.0: satu baris per observasi, dimensi, OBS_VALUE dan atribut.",
                "Indicator results as an SDMX-CSV 2.0 data message: one row per observation, with dimensions, OBS_VALUE and attributes.",
            ),
            media_type: "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8".into(),
            extension: "sdmx.csv".into(),
            targets: Targets {
                datasets: false,
                indicators: true,
            },
            parameters: vec![Parameter {
                name: "agency".into(),
                column_type: ColumnType::Text,
                required: false,
                default: Some(Scalar::Text("LOGAM".into())),
                title: Bilingual::new("Lembaga (agency)", "Agency"),
                description: Bilingual::new(
                    "ID lembaga pemilik struktur dalam STRUCTURE_ID (huruf, angka, _ dan -).",
                    "Id of the agency owning the structure in STRUCTURE_ID (letters, digits, _ and -).",
                ),
            }],
        }
    }

    fn new(schema: Vec<ColumnInfo>, meta: DatasetMeta, params: Params) -> Self {
        let agency = params.text("agency").and_then(|a| {
            let a = a.unwrap_or("LOGAM");
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                Ok(a.to_string())
            } else {
                Err(PluginError::InvalidParameter(format!(
                    "agency {a:?} bukan ID SDMX yang sah"
                )))
            }
        });
        let order = agency.and_then(|_| column_order(&schema));
        let mut header = String::from("STRUCTURE,STRUCTURE_ID,ACTION");
        if let Ok(order) = &order {
            for &i in order {
                header.push(',');
                csv_field(&mut header, &component_id(&schema[i]));
            }
        }
        header.push_str("\r\n");
        let agency = params
            .text("agency")
            .ok()
            .flatten()
            .unwrap_or("LOGAM")
            .to_string();
        let mut prefix = String::from("dataflow,");
        csv_field(
            &mut prefix,
            &format!("{agency}:{}(1.0.0)", sdmx_id(&meta.id)),
        );
        prefix.push_str(",I");
        SdmxCsv {
            order,
            prefix,
            header,
            started: false,
        }
    }

    fn write(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        let order = self.order.as_ref().map_err(Clone::clone)?;
        if let Some(&max) = order.iter().max()
            && max >= batch.columns.len()
        {
            return Err(PluginError::InvalidInput(
                "batch has fewer columns than the schema".into(),
            ));
        }
        let mut out = String::with_capacity(batch.rows * 64);
        if !self.started {
            out.push_str(&self.header);
            self.started = true;
        }
        for row in 0..batch.rows {
            out.push_str(&self.prefix);
            for &column in order {
                out.push(',');
                field(&mut out, batch.cell(column, row));
            }
            out.push_str("\r\n");
        }
        Ok(out.into_bytes())
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        self.order.as_ref().map_err(Clone::clone)?;
        if self.started {
            return Ok(Vec::new());
        }
        self.started = true;
        Ok(self.header.clone().into_bytes())
    }
}

logam_plugin_kit::exporter_component!(SdmxCsv, "../../wit");

#[cfg(test)]
mod tests {
    use super::*;
    use logam_plugin_kit::{
        Citation, Indicator, Param, Table, TableKind, run_exporter, run_indicator, testing,
    };

    fn indicator_meta(id: &str) -> DatasetMeta {
        DatasetMeta {
            id: id.into(),
            kind: TableKind::Indicator,
            title: Bilingual::new("Laju pertumbuhan", "Growth"),
            description: Bilingual::default(),
            publisher: "logam".into(),
            licence: "CC-BY-4.0".into(),
            sources: vec![Citation {
                id: "kemenperin-2022-08-30".into(),
                publisher: "Kemenperin (Ditjen IKMA)".into(),
                ..Default::default()
            }],
            revision: 1,
            url: None,
        }
    }

    fn export(id: &str, table: Table, params: Vec<Param>) -> Result<String, PluginError> {
        run_exporter::<SdmxCsv>(table.schema, indicator_meta(id), params, &[table.data])
            .map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn cagr_as_sdmx_csv() {
        let table =
            run_indicator::<cagr::Cagr>(vec![], testing::inputs(&cagr::Cagr::info().inputs))
                .unwrap();
        let text = export("cagr", table, vec![]).unwrap();
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(
            header,
            [
                "STRUCTURE",
                "STRUCTURE_ID",
                "ACTION",
                "UKURAN",
                "TAHUN_AWAL",
                "TAHUN_AKHIR",
                "CAKUPAN",
                "SUMBER_ID",
                "OBS_VALUE",
                "UNIT_MEASURE",
                "NILAI_AWAL",
                "NILAI_AKHIR",
                "CATATAN",
            ]
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(&row[0], "dataflow");
        assert_eq!(&row[1], "LOGAM:CAGR(1.0.0)");
        assert_eq!(&row[2], "I");
        assert_eq!(&row[3], "nilai_produksi");
        assert_eq!(&row[4], "2010");
        let value: f64 = row[8].parse().unwrap();
        assert!((value - ((138.7_f64 / 37.0).powf(0.1) - 1.0) * 100.0).abs() < 1e-12);
        assert_eq!(&row[9], "persen per tahun");
        assert_eq!(&row[10], "37000000000");
        assert!(text.ends_with("\r\n") && text.matches("\r\n").count() == 2);
    }

    #[test]
    fn year_is_time_period() {
        let table = run_indicator::<workers_per_unit::WorkersPerUnit>(
            vec![],
            testing::inputs(&workers_per_unit::WorkersPerUnit::info().inputs),
        )
        .unwrap();
        let rows = table.rows();
        let text = export(
            "workers-per-unit",
            table,
            vec![Param::new("agency", Scalar::Text("DINPERINDAG-PBG".into()))],
        )
        .unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "STRUCTURE,STRUCTURE_ID,ACTION,TIME_PERIOD,CAKUPAN,SUMBER_ID,OBS_VALUE,UNIT_MEASURE,CATATAN"
        );
        assert_eq!(lines.len(), rows + 1);
        assert!(lines[1].starts_with("dataflow,DINPERINDAG-PBG:WORKERS_PER_UNIT(1.0.0),I,2010,klaster knalpot Purbalingga,pemkab-2015-knalpot-595371,4.3125,"));
    }

    #[test]
    fn datasets_and_bad_agencies_are_refused() {
        let (schema, batch) = testing::dataset("kontrak_pasokan");
        let result =
            run_exporter::<SdmxCsv>(schema, testing::meta("kontrak_pasokan"), vec![], &[batch]);
        assert!(matches!(result, Err(PluginError::Unsupported(_))));
        let table =
            run_indicator::<cagr::Cagr>(vec![], testing::inputs(&cagr::Cagr::info().inputs))
                .unwrap();
        let bad = export(
            "cagr",
            table,
            vec![Param::new("agency", Scalar::Text("A,B".into()))],
        );
        assert!(matches!(bad, Err(PluginError::InvalidParameter(_))));
    }

    #[test]
    fn empty_results_still_have_a_header() {
        let table = run_indicator::<cagr::Cagr>(
            vec![Param::new("ukuran", Scalar::Text("unit_usaha".into()))],
            testing::inputs(&cagr::Cagr::info().inputs),
        )
        .unwrap();
        assert_eq!(table.rows(), 0);
        let text = export("cagr", table, vec![]).unwrap();
        assert_eq!(text.matches("\r\n").count(), 1);
        assert!(text.starts_with("STRUCTURE,STRUCTURE_ID,ACTION,UKURAN"));
    }

    #[test]
    fn text_that_would_run_as_a_formula_is_written_as_text() {
        let schema = vec![
            ColumnInfo::new(
                "tahun",
                ColumnType::Integer,
                Role::Dimension,
                Bilingual::default(),
            ),
            ColumnInfo::new(
                "nilai",
                ColumnType::Real,
                Role::Measure,
                Bilingual::default(),
            ),
            ColumnInfo::new(
                "catatan",
                ColumnType::Text,
                Role::Attribute,
                Bilingual::default(),
            ),
        ];
        let mut table = logam_plugin_kit::TableBuilder::new(schema);
        table
            .push_row(&[
                Cell::Integer(2020),
                Cell::Real(-2.5),
                Cell::Text("=HYPERLINK(\"http://example.invalid\",\"klik\")"),
            ])
            .unwrap();
        table
            .push_row(&[Cell::Integer(2021), Cell::Real(1.0), Cell::Text("-2+3")])
            .unwrap();
        let text = export("uji", table.finish(), vec![]).unwrap();
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(
            &rows[0][5],
            "'=HYPERLINK(\"http://example.invalid\",\"klik\")"
        );
        assert_eq!(&rows[1][5], "'-2+3");
        // A number is a number, sign and all.
        assert_eq!(&rows[0][4], "-2.5");
    }
}
