//! `zoo-flood`: an indicator whose observations are 4 MiB of text: 4096 rows, each with a
//! 1 KiB note. The table is well formed; it is only too big.
//!
//! Expected: with `--plugin-output-limit-mib 1`, `GET /api/indicators/zoo-flood` answers
//! 502 `plugin_output_limit`. (Under the default 16 MiB limit it would be served.)

use logam_plugin_kit::{
    Batch, Bilingual, Cell, Indicator, IndicatorInfo, Params, PluginError, Table, TableBuilder,
};
use zoo_common::Years;

const ROWS: i64 = 4096;
const NOTE_BYTES: usize = 1024;

pub struct Flood {
    years: Years,
}

impl Indicator for Flood {
    fn info() -> IndicatorInfo {
        zoo_common::indicator_info(
            "zoo-flood",
            Bilingual::new(
                "Mengembalikan 4 MiB observasi.",
                "Returns 4 MiB of observations.",
            ),
        )
    }

    fn new(_params: Params) -> Self {
        Flood {
            years: Years::default(),
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.years.push(batch)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        let rows = self.years.rows() as i64;
        let mut table = TableBuilder::new(zoo_common::schema());
        let mut note = String::with_capacity(NOTE_BYTES);
        for row in 0..ROWS {
            note.clear();
            while note.len() < NOTE_BYTES {
                note.push_str("banjir ");
            }
            note.truncate(NOTE_BYTES);
            table.push_row(&[Cell::Integer(row), Cell::Integer(rows), Cell::Text(&note)])?;
        }
        Ok(table.finish())
    }
}

logam_plugin_kit::indicator_component!(Flood, "../../../wit");
