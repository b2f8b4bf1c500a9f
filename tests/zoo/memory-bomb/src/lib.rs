//! `zoo-memory-bomb`: an indicator whose `finish` allocates 1 MiB blocks, writes every byte
//! of each, and keeps them all, until allocation fails.
//!
//! Expected: `GET /api/indicators/zoo-memory-bomb` answers 502 `plugin_memory_limit`: the
//! host's limit over the instance's linear memory (64 MiB by default) stops the growth,
//! either by trapping in `memory.grow` or by refusing it, after which Rust's allocation
//! error handler prints "memory allocation of N bytes failed" and aborts.

use std::hint::black_box;

use logam_plugin_kit::{Batch, Bilingual, Indicator, IndicatorInfo, Params, PluginError, Table};
use zoo_common::Years;

const BLOCK: usize = 1 << 20;

pub struct MemoryBomb {
    years: Years,
}

impl Indicator for MemoryBomb {
    fn info() -> IndicatorInfo {
        zoo_common::indicator_info(
            "zoo-memory-bomb",
            Bilingual::new(
                "Menimbun memori di finish sampai habis.",
                "Hoards memory in finish until there is none left.",
            ),
        )
    }

    fn new(_params: Params) -> Self {
        MemoryBomb {
            years: Years::default(),
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.years.push(batch)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            // Every byte written (not zeroed by the allocator), so the pages are really used.
            let fill = (hoard.len() % 251) as u8 + 1;
            let mut block = Vec::with_capacity(BLOCK);
            block.resize(BLOCK, fill);
            hoard.push(black_box(block));
            black_box(&hoard);
        }
    }
}

logam_plugin_kit::indicator_component!(MemoryBomb, "../../../wit");
