//! `zoo-manifest-bomb`: a valid indicator whose description is 40,000,000 bytes, which every
//! client of `GET /api/plugins` and `/api/indicators` would then download.
//!
//! Expected: `POST /admin/plugins` answers 422 `plugin_invalid_manifest`, the message naming
//! the description's limit.

use logam_plugin_kit::{Batch, Bilingual, Indicator, IndicatorInfo, Params, PluginError, Table};
use zoo_common::Years;

pub struct ManifestBomb {
    years: Years,
}

impl Indicator for ManifestBomb {
    fn info() -> IndicatorInfo {
        let long = "deskripsi ".repeat(4_000_000);
        let mut info = zoo_common::indicator_info(
            "zoo-manifest-bomb",
            Bilingual::new("Deskripsi raksasa.", "A giant description."),
        );
        // Moved, not copied: the plugin's 64 MiB hold one 40 MB string, not two.
        info.description = Bilingual {
            id: long,
            en: "A giant description.".to_string(),
        };
        info
    }

    fn new(_params: Params) -> Self {
        ManifestBomb {
            years: Years::default(),
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.years.push(batch)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        self.years.table("bomb")
    }
}

logam_plugin_kit::indicator_component!(ManifestBomb, "../../../wit");
