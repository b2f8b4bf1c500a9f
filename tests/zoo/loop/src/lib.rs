//! `zoo-loop`: an indicator whose `finish` never returns. It reads its input like an honest
//! plugin, then spins forever on arithmetic the optimiser cannot remove.
//!
//! Expected: `GET /api/indicators/zoo-loop` answers 504 `plugin_timeout` once the per-call
//! wall-time limit (epoch interruption) stops it, and the host keeps serving.

use std::hint::black_box;

use logam_plugin_kit::{Batch, Bilingual, Indicator, IndicatorInfo, Params, PluginError, Table};
use zoo_common::Years;

pub struct Loop {
    years: Years,
}

impl Indicator for Loop {
    fn info() -> IndicatorInfo {
        zoo_common::indicator_info(
            "zoo-loop",
            Bilingual::new("Berputar selamanya di finish.", "Spins forever in finish."),
        )
    }

    fn new(_params: Params) -> Self {
        Loop {
            years: Years::default(),
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.years.push(batch)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        // A linear congruential generator seeded by the row count: every turn depends on
        // the previous one and goes through black_box, so the loop cannot be folded away.
        let mut state = self.years.rows();
        loop {
            state = black_box(
                state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407),
            );
        }
    }
}

logam_plugin_kit::indicator_component!(Loop, "../../../wit");
