//! `zoo-sleep-exporter`: an exporter (extension `zoosleep`) whose `write` sleeps forever
//! inside a host call, while the export holds a database reader.
//!
//! Expected: `GET /api/datasets/kontrak_pasokan/rows.zoosleep` answers 504 `plugin_timeout`
//! within the time limit plus a small margin, and five of them at once leave the readers,
//! every dataset request and `/healthz` answering.

use std::time::Duration;

use logam_plugin_kit::{
    Batch, Bilingual, ColumnInfo, DatasetMeta, Exporter, ExporterInfo, Params, PluginError,
};

pub struct SleepExporter;

impl Exporter for SleepExporter {
    fn info() -> ExporterInfo {
        zoo_common::exporter_info(
            "zoo-sleep-exporter",
            "zoosleep",
            Bilingual::new("Tidur saat menulis.", "Sleeps while writing."),
        )
    }

    fn new(_schema: Vec<ColumnInfo>, _meta: DatasetMeta, _params: Params) -> Self {
        SleepExporter
    }

    fn write(&mut self, _batch: &Batch) -> Result<Vec<u8>, PluginError> {
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        Ok(Vec::new())
    }
}

logam_plugin_kit::exporter_component!(SleepExporter, "../../../wit");
