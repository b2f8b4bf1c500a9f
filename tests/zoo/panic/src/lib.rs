//! `zoo-panic`: an indicator that panics in `finish` with a distinctive message.
//!
//! Expected: `GET /api/indicators/zoo-panic` answers 502 `plugin_crashed`, and the error
//! message carries the panic text "zoo: the plugin gave up", which std's panic hook wrote to
//! stderr before the abort trapped.

use logam_plugin_kit::{Batch, Bilingual, Indicator, IndicatorInfo, Params, PluginError, Table};
use zoo_common::Years;

pub struct Panic {
    years: Years,
}

impl Indicator for Panic {
    fn info() -> IndicatorInfo {
        zoo_common::indicator_info(
            "zoo-panic",
            Bilingual::new("Panik di finish.", "Panics in finish."),
        )
    }

    fn new(_params: Params) -> Self {
        Panic {
            years: Years::default(),
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.years.push(batch)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        if std::hint::black_box(self.years.rows()) < u64::MAX {
            panic!("zoo: the plugin gave up");
        }
        self.years.table("tidak pernah sampai di sini")
    }
}

logam_plugin_kit::indicator_component!(Panic, "../../../wit");
