//! `zoo-random`: an indicator whose `finish` asks the host for 64 MiB of random bytes at
//! once (`wasi:random/insecure.get-insecure-random-bytes`), a list the host would build in
//! its own memory, outside the plugin's budget, before copying it in.
//!
//! Expected: `GET /api/indicators/zoo-random` answers 502 `plugin_memory_limit` naming the
//! host's cap on random bytes per call; eight at once leave the server's memory as it was.

use logam_plugin_kit::{Batch, Bilingual, Indicator, IndicatorInfo, Params, PluginError, Table};
use zoo_common::Years;

mod random {
    wit_bindgen::generate!({
        inline: "
            package zoo:random;
            world asks {
                import wasi:random/insecure@0.2.0;
            }
            package wasi:random@0.2.0 {
                interface insecure {
                    get-insecure-random-bytes: func(len: u64) -> list<u8>;
                    get-insecure-random-u64: func() -> u64;
                }
            }
        ",
        world: "zoo:random/asks",
        generate_all,
    });
}

pub struct Random {
    years: Years,
}

impl Indicator for Random {
    fn info() -> IndicatorInfo {
        zoo_common::indicator_info(
            "zoo-random",
            Bilingual::new(
                "Meminta 64 MiB bilangan acak dari host.",
                "Asks the host for 64 MiB of random bytes.",
            ),
        )
    }

    fn new(_params: Params) -> Self {
        Random {
            years: Years::default(),
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.years.push(batch)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        let bytes = random::wasi::random::insecure::get_insecure_random_bytes(64 << 20);
        let note = format!("{} random bytes", bytes.len());
        self.years.table(&note)
    }
}

logam_plugin_kit::indicator_component!(Random, "../../../wit");
