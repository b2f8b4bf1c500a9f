//! `zoo-sleep-describe`: an indicator whose `describe()` sleeps forever (a host call), so an
//! install, a submission or `logam plugin check` would wait with it.
//!
//! Expected: `POST /admin/plugins` answers 422 `plugin_invalid_manifest` ("describe()
//! failed: ... time limit") within the time limit plus a small margin, and the next install
//! is not held behind it.

use std::time::Duration;

use logam_plugin_kit::{Batch, Bilingual, Indicator, IndicatorInfo, Params, PluginError, Table};
use zoo_common::Years;

pub struct SleepDescribe {
    years: Years,
}

impl Indicator for SleepDescribe {
    fn info() -> IndicatorInfo {
        loop {
            std::thread::sleep(Duration::from_secs(1));
            if std::hint::black_box(false) {
                break;
            }
        }
        zoo_common::indicator_info(
            "zoo-sleep-describe",
            Bilingual::new("Tidak pernah menjawab.", "Never answers."),
        )
    }

    fn new(_params: Params) -> Self {
        SleepDescribe {
            years: Years::default(),
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.years.push(batch)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        self.years.table("awake")
    }
}

logam_plugin_kit::indicator_component!(SleepDescribe, "../../../wit");
