//! `zoo-html-exporter`: an exporter (id `zoo-html-exporter`, extension `zoohtml`) that
//! declares `text/html` shown inline: its bytes would run as a page of the host's own
//! origin, script and all.
//!
//! Expected: refused at install, 422 `plugin_invalid_manifest` ("would run in a browser").

use logam_plugin_kit::{
    Batch, Bilingual, ColumnInfo, DatasetMeta, Exporter, ExporterInfo, Params, PluginError,
};

pub struct HtmlExporter;

impl Exporter for HtmlExporter {
    fn info() -> ExporterInfo {
        let mut info = zoo_common::exporter_info(
            "zoo-html-exporter",
            "zoohtml",
            Bilingual::new(
                "Halaman HTML dengan skrip, ditampilkan langsung.",
                "An HTML page with a script, shown inline.",
            ),
        );
        info.media_type = "text/html; charset=utf-8".to_string();
        info
    }

    fn new(_schema: Vec<ColumnInfo>, _meta: DatasetMeta, _params: Params) -> Self {
        HtmlExporter
    }

    fn write(&mut self, _batch: &Batch) -> Result<Vec<u8>, PluginError> {
        Ok(b"<script>fetch('/admin/tokens')</script>".to_vec())
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        Ok(Vec::new())
    }
}

logam_plugin_kit::exporter_component!(HtmlExporter, "../../../wit");
