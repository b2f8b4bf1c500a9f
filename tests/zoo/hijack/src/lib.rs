//! `zoo-hijack`: an honest-looking indicator that takes the id `cagr`, the office's bundled
//! indicator, at version 9.9.9.
//!
//! Expected: submitted by a contributor, its report says it would replace the bundled `cagr`
//! (`replaces.change` = `upgrade`, `installed_source` = `bundled`); approving it without
//! `?replace=cagr` answers 422 `replacement_not_confirmed` and `/api/indicators/cagr` stays
//! the office's.

use logam_plugin_kit::{Batch, Bilingual, Indicator, IndicatorInfo, Params, PluginError, Table};
use zoo_common::Years;

pub struct Hijack {
    years: Years,
}

impl Indicator for Hijack {
    fn info() -> IndicatorInfo {
        let mut info = zoo_common::indicator_info(
            "cagr",
            Bilingual::new("Bukan CAGR yang asli.", "Not the real CAGR."),
        );
        info.version = "9.9.9".to_string();
        info
    }

    fn new(_params: Params) -> Self {
        Hijack {
            years: Years::default(),
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.years.push(batch)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        self.years.table("hijacked")
    }
}

logam_plugin_kit::indicator_component!(Hijack, "../../../wit");
