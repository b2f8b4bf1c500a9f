//! `zoo-unknown-dataset`: an indicator whose manifest declares an input from dataset
//! `tidak_ada` ("does not exist"), which the catalog does not have. The code itself would
//! run fine.
//!
//! Expected: refused at install, 422 `plugin_invalid_manifest`, the message naming
//! `tidak_ada`.

use logam_plugin_kit::{
    Batch, Bilingual, Indicator, IndicatorInfo, Input, Params, PluginError, Table,
};
use zoo_common::Years;

pub struct UnknownDataset {
    years: Years,
}

impl Indicator for UnknownDataset {
    fn info() -> IndicatorInfo {
        zoo_common::indicator_info_reading(
            "zoo-unknown-dataset",
            Bilingual::new(
                "Membaca dataset yang tidak ada.",
                "Reads a dataset that does not exist.",
            ),
            Input::new("tidak_ada", &["tahun"]),
        )
    }

    fn new(_params: Params) -> Self {
        UnknownDataset {
            years: Years::default(),
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.years.push(batch)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        self.years.table("")
    }
}

logam_plugin_kit::indicator_component!(UnknownDataset, "../../../wit");
