//! `zoo-flood-exporter`: an exporter (id `zoo-flood-exporter`, extension `zooflood`) whose
//! first `write` returns 2 MiB in one chunk.
//!
//! Expected: with `--plugin-output-limit-mib 1`, `GET
//! /api/datasets/kontrak_pasokan/rows.zooflood` answers 502 `plugin_output_limit`; the
//! chunk is refused before any byte of it is sent.

use logam_plugin_kit::{
    Batch, Bilingual, ColumnInfo, DatasetMeta, Exporter, ExporterInfo, Params, PluginError,
};

const CHUNK_BYTES: usize = 2 << 20;

pub struct FloodExporter;

impl Exporter for FloodExporter {
    fn info() -> ExporterInfo {
        zoo_common::exporter_info(
            "zoo-flood-exporter",
            "zooflood",
            Bilingual::new(
                "Mengembalikan 2 MiB dalam satu write.",
                "Returns 2 MiB from one write.",
            ),
        )
    }

    fn new(_schema: Vec<ColumnInfo>, _meta: DatasetMeta, _params: Params) -> Self {
        FloodExporter
    }

    fn write(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        let line = format!("{} baris banjir\n", batch.rows);
        let mut out = Vec::with_capacity(CHUNK_BYTES + line.len());
        while out.len() < CHUNK_BYTES {
            out.extend_from_slice(line.as_bytes());
        }
        Ok(out)
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        Ok(Vec::new())
    }
}

logam_plugin_kit::exporter_component!(FloodExporter, "../../../wit");
