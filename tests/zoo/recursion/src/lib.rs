//! `zoo-recursion`: an indicator whose `finish` recurses without bound.
//!
//! Expected: `GET /api/indicators/zoo-recursion` answers 502 `plugin_stack_overflow` when
//! the WebAssembly call stack runs out (wasmtime's `max_wasm_stack`, 512 KiB by default).
//!
//! Two things keep this honest. The optimiser must neither fold the recursion away nor turn
//! it into a loop (a trailing `^` lets LLVM's tail-recursion pass do that with an
//! accumulator; plain statics and relaxed atomics do not stop it, since wasm32 without
//! threads lowers them to ordinary loads and stores that LTO proves dead). So every level
//! reads its stop value with a volatile load and stores its result with a volatile store
//! after the call returns. And the frames must not use Rust's shadow stack in linear
//! memory: `std::hint::black_box` would spill its argument there (16 bytes a frame, seen
//! with `wasm-tools print`), and with a large enough `max_wasm_stack` the 1 MiB shadow stack
//! would run out first, wrap below address 0 and trap as an out-of-bounds access instead.
//! Volatile accesses to statics keep every frame's state in wasm locals, so only the wasm
//! stack grows.

use std::ptr::{addr_of, addr_of_mut, read_volatile, write_volatile};

use logam_plugin_kit::{Batch, Bilingual, Indicator, IndicatorInfo, Params, PluginError, Table};
use zoo_common::Years;

/// Written by every level; volatile, so the optimiser cannot drop the write.
static mut DEEPEST: u64 = 0;
/// Never changed, but read (volatile) at every level, so the end of the recursion is
/// unknowable to the optimiser.
static FLOOR: u64 = u64::MAX;

pub struct Recursion {
    years: Years,
}

/// Descends until `depth` reaches [`FLOOR`], which it never does.
#[inline(never)]
fn descend(depth: u64) -> u64 {
    // SAFETY: FLOOR is a plain static, valid for reads for the whole program.
    if depth == unsafe { read_volatile(addr_of!(FLOOR)) } {
        return depth;
    }
    let below = descend(depth + 1);
    // SAFETY: a component instance runs one call at a time on one thread; nothing else
    // touches DEEPEST.
    unsafe { write_volatile(addr_of_mut!(DEEPEST), below) };
    below ^ depth
}

impl Indicator for Recursion {
    fn info() -> IndicatorInfo {
        zoo_common::indicator_info(
            "zoo-recursion",
            Bilingual::new(
                "Rekursi tanpa batas di finish.",
                "Recurses without bound in finish.",
            ),
        )
    }

    fn new(_params: Params) -> Self {
        Recursion {
            years: Years::default(),
        }
    }

    fn push(&mut self, _input: u32, batch: &Batch) -> Result<(), PluginError> {
        self.years.push(batch)
    }

    fn finish(&mut self) -> Result<Table, PluginError> {
        let bottom = descend(self.years.rows());
        self.years.table(&format!("dasar rekursi: {bottom}"))
    }
}

logam_plugin_kit::indicator_component!(Recursion, "../../../wit");
