//! `zoo-sleep`: an indicator that waits inside the host instead of running: wherever its
//! parameter `at` says (`constructor`, `push` or `finish`) it calls `std::thread::sleep` in a
//! loop, which on wasip2 is `subscribe-duration` + `pollable.block`, a host call where epoch
//! interruption cannot reach.
//!
//! Expected: `GET /api/indicators/zoo-sleep?at=push` (or `finish`, `constructor`) answers
//! 504 `plugin_timeout` within the time limit plus a small margin; the host's clocks never
//! make a plugin wait, so the loop spins in WebAssembly until its deadline.

use std::time::Duration;

use logam_plugin_kit::{
    Batch, Bilingual, ColumnType, Indicator, IndicatorInfo, Parameter, Params, PluginError,
    Scalar, Table,
};
use zoo_common::Years;

fn sleep_forever() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

pub struct Sleep {
    years: Years,
    at: String,
}

impl Indicator for Sleep {
    fn info() -> IndicatorInfo {
        let mut info = zoo_common::indicator_info(
            "zoo-sleep",
            Bilingual::new(
                "Tidur selamanya di dalam panggilan host.",
                "Sleeps forever inside a host call.",
            ),
        );
        info.parameters = vec![Parameter {
            name: "at".into(),
            column_type: ColumnType::Text,
            required: false,
            default: Some(Scalar::Text("finish".into())),
            title: Bilingual::new("Di mana", "Where"),
            description: Bilingual::new(
                "constructor, push atau finish.",
                "constructor, push or finish.",
            ),
        }];
        info
    }

    fn new(params: Params) -> Self {
        let at = params
            .text("at")
            .ok()
            .flatten()
            .unwrap_or("finish")
            .to_string();
        if at == "constructor" {
            sleep_forever();
        }
        Sleep {
            years: Years::default(),
            at,
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        if self.at == "push" {
            sleep_forever();
        }
        self.years.push(batch)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        if self.at == "finish" {
            sleep_forever();
        }
        self.years.table("awake")
    }
}

logam_plugin_kit::indicator_component!(Sleep, "../../../wit");
