// Shared by `bench-trivial` (1.0.0) and `bench-trivial-v2` (2.0.0): the smallest indicator
// that still reads data. It counts the rows of `sumber` and reports its own version as the
// measure, so a client can tell which version answered during a hot upgrade.

use logam_plugin_kit::{
    Batch, Bilingual, Cell, ColumnInfo, ColumnType, Indicator, IndicatorInfo, Input, Params,
    PluginError, Role, Table, TableBuilder,
};

pub struct Trivial {
    rows: i64,
}

impl Indicator for Trivial {
    fn info() -> IndicatorInfo {
        let text = |s: &str| Bilingual::new(s, s);
        IndicatorInfo {
            id: "bench-trivial".into(),
            version: VERSION.into(),
            title: text("Bench: trivial"),
            description: text("Counts the rows of sumber; the value is the plugin's major version."),
            konsep: text("-"),
            definisi: text("-"),
            rumus: text("-"),
            ukuran: text("-"),
            satuan: text("-"),
            interpretasi: text("-"),
            frekuensi: text("-"),
            inputs: vec![Input::new("sumber", &["id"])],
            parameters: Vec::new(),
        }
    }

    fn new(_params: Params) -> Self {
        Trivial { rows: 0 }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.rows += batch.rows as i64;
        Ok(())
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        let mut table = TableBuilder::new(vec![
            ColumnInfo::new("baris", ColumnType::Integer, Role::Dimension, Bilingual::new("Baris", "Rows")),
            ColumnInfo::new("nilai", ColumnType::Integer, Role::Measure, Bilingual::new("Versi", "Version")),
        ]);
        table.push_row(&[Cell::Integer(self.rows), Cell::Integer(MAJOR)])?;
        Ok(table.finish())
    }
}

logam_plugin_kit::indicator_component!(Trivial, "../../../wit");
