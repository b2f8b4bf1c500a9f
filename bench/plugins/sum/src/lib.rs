//! `bench-sum`: the sum of `monthly_value_idr` over every row of `synthetic_enterprises`
//! (`logam gen`), so the benchmark can set a plugin's cost against the same sum in the host.

use logam_plugin_kit::{
    Batch, Bilingual, Cell, ColumnData, ColumnInfo, ColumnType, Indicator, IndicatorInfo, Input,
    Params, PluginError, Role, Table, TableBuilder,
};

pub struct Sum {
    total: i64,
    rows: i64,
}

impl Indicator for Sum {
    fn info() -> IndicatorInfo {
        let text = |s: &str| Bilingual::new(s, s);
        IndicatorInfo {
            id: "bench-sum".into(),
            version: "1.0.0".into(),
            title: text("Bench: sum of monthly_value_idr"),
            description: text("Sums one integer column of the synthetic dataset."),
            konsep: text("-"),
            definisi: text("-"),
            rumus: text("sum(monthly_value_idr)"),
            ukuran: text("-"),
            satuan: text("rupiah"),
            interpretasi: text("-"),
            frekuensi: text("-"),
            inputs: vec![Input::new("synthetic_enterprises", &["monthly_value_idr"])],
            parameters: Vec::new(),
        }
    }

    fn new(_params: Params) -> Self {
        Sum { total: 0, rows: 0 }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        let column = &batch.columns[0];
        let ColumnData::Integer(values) = &column.data else {
            return Err(PluginError::InvalidInput(
                "monthly_value_idr is not integer".into(),
            ));
        };
        for (row, value) in values.iter().enumerate() {
            if column.is_valid(row) {
                self.total = self.total.wrapping_add(*value);
            }
        }
        self.rows += batch.rows as i64;
        Ok(())
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        let mut table = TableBuilder::new(vec![
            ColumnInfo::new(
                "baris",
                ColumnType::Integer,
                Role::Dimension,
                Bilingual::new("Baris", "Rows"),
            ),
            ColumnInfo::new(
                "nilai",
                ColumnType::Integer,
                Role::Measure,
                Bilingual::new("Jumlah", "Sum"),
            ),
        ]);
        table.push_row(&[Cell::Integer(self.rows), Cell::Integer(self.total)])?;
        Ok(table.finish())
    }
}

logam_plugin_kit::indicator_component!(Sum, "../../../wit");
