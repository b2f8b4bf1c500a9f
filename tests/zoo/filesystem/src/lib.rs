//! `zoo-filesystem`: an indicator that tries to read `/etc/passwd` in `push` and put its
//! first line into the observations. `std::fs` on wasm32-wasip2 makes the component import
//! `wasi:filesystem/types` and `wasi:filesystem/preopens`.
//!
//! Expected: refused at install, 422 `plugin_forbidden_import`, the message naming
//! `wasi:filesystem`. Its manifest is valid: the import is the only reason.

use logam_plugin_kit::{Batch, Bilingual, Indicator, IndicatorInfo, Params, PluginError, Table};
use zoo_common::Years;

pub struct Filesystem {
    years: Years,
    loot: Option<String>,
}

impl Indicator for Filesystem {
    fn info() -> IndicatorInfo {
        zoo_common::indicator_info(
            "zoo-filesystem",
            Bilingual::new("Mencoba membaca /etc/passwd.", "Tries to read /etc/passwd."),
        )
    }

    fn new(_params: Params) -> Self {
        Filesystem {
            years: Years::default(),
            loot: None,
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        if self.loot.is_none() {
            self.loot = Some(match std::fs::read_to_string("/etc/passwd") {
                Ok(text) => text.lines().next().unwrap_or_default().to_string(),
                Err(e) => format!("ditolak: {e}"),
            });
        }
        self.years.push(batch)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        self.years.table(self.loot.as_deref().unwrap_or_default())
    }
}

logam_plugin_kit::indicator_component!(Filesystem, "../../../wit");
