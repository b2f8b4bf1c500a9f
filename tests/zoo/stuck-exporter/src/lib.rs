//! `zoo-stuck-exporter`: an exporter (id `zoo-stuck`, extension `zoostuck`) whose `write`
//! returns a short line per batch and whose `finish` never returns.
//!
//! Expected: `GET /api/datasets/kontrak_pasokan/rows.zoostuck` answers 504
//! `plugin_timeout`. The output so far is a few bytes, which the host still holds when the
//! time limit stops `finish`, so the error arrives as the JSON answer, not as a cut-off
//! download.

use std::hint::black_box;

use logam_plugin_kit::{
    Batch, Bilingual, ColumnInfo, DatasetMeta, Exporter, ExporterInfo, Params, PluginError,
};

pub struct Stuck {
    rows: u64,
}

impl Exporter for Stuck {
    fn info() -> ExporterInfo {
        zoo_common::exporter_info(
            "zoo-stuck",
            "zoostuck",
            Bilingual::new(
                "Tidak pernah menyelesaikan ekspor.",
                "Never finishes an export.",
            ),
        )
    }

    fn new(_schema: Vec<ColumnInfo>, _meta: DatasetMeta, _params: Params) -> Self {
        Stuck { rows: 0 }
    }

    fn write(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        self.rows += batch.rows as u64;
        Ok(format!("{} baris\n", batch.rows).into_bytes())
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        let mut state = self.rows;
        loop {
            state = black_box(state.rotate_left(7) ^ 0x9e37_79b9_7f4a_7c15);
        }
    }
}

logam_plugin_kit::exporter_component!(Stuck, "../../../wit");
