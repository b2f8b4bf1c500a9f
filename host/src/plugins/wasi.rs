//! The WASI imports the host answers itself instead of wasmtime-wasi's defaults: clocks whose
//! pollables are always ready, and random bytes capped per call.
//!
//! A sandboxed call can be stopped only while it runs WebAssembly (epoch interruption). A
//! plugin that sleeps (`std::thread::sleep`, `subscribe-duration` + `pollable.block`) would
//! otherwise wait inside the host, where no deadline reaches it, holding its thread and
//! whatever the request holds. Here every clock subscription is already due: the clocks are
//! stopped anyway (results depend on the inputs only), so a sleep ends at once and a plugin
//! that waits in a loop spins in WebAssembly, where its time limit stops it.
//!
//! `get-random-bytes` and `get-insecure-random-bytes` build the whole list on the host before
//! it is copied into the guest; without a cap a plugin could make the host allocate any size
//! outside its memory budget. Past [`RANDOM_BYTES`] per call the call traps and is reported as
//! the plugin's memory limit.

use std::time::Duration;

use wasmtime::component::{HasData, Linker, Resource, ResourceTable};
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::bindings::random::{insecure, random};
use wasmtime_wasi::p2::{DynPollable, Pollable, subscribe};
use wasmtime_wasi::random::WasiRandomCtx;

/// Most bytes one `get-random-bytes` or `get-insecure-random-bytes` call may ask for. Rust's
/// std asks for 16 (a `HashMap` seed); 1 MiB leaves room for any honest use.
pub const RANDOM_BYTES: u64 = 1 << 20;

/// A pollable that is always ready.
struct Due;

#[wasmtime_wasi::async_trait]
impl Pollable for Due {
    async fn ready(&mut self) {}
}

/// `wasi:clocks/monotonic-clock`, stopped at zero, whose subscriptions are always due.
pub struct NeverWaitClock<'a> {
    table: &'a mut ResourceTable,
}

impl<'a> NeverWaitClock<'a> {
    pub fn new(table: &'a mut ResourceTable) -> Self {
        NeverWaitClock { table }
    }

    fn due(&mut self) -> wasmtime::Result<Resource<DynPollable>> {
        let due = self.table.push(Due)?;
        subscribe(self.table, due)
    }
}

impl monotonic_clock::Host for NeverWaitClock<'_> {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        Ok(0)
    }

    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        Ok(Duration::from_secs(1).as_nanos() as u64)
    }

    fn subscribe_instant(
        &mut self,
        _when: monotonic_clock::Instant,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.due()
    }

    fn subscribe_duration(
        &mut self,
        _duration: monotonic_clock::Duration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.due()
    }
}

struct NeverWait;

impl HasData for NeverWait {
    type Data<'a> = NeverWaitClock<'a>;
}

/// `wasi:random/random` and `wasi:random/insecure` over the sandbox's fixed streams, with the
/// length of a list checked before anything is allocated.
pub struct CappedRandom<'a> {
    random: &'a mut WasiRandomCtx,
    /// Set to the length asked when a call asked for more than [`RANDOM_BYTES`].
    refused: &'a mut Option<u64>,
}

impl<'a> CappedRandom<'a> {
    pub fn new(random: &'a mut WasiRandomCtx, refused: &'a mut Option<u64>) -> Self {
        CappedRandom { random, refused }
    }

    fn check(&mut self, len: u64) -> wasmtime::Result<()> {
        if len > RANDOM_BYTES {
            *self.refused = Some(len);
            return Err(wasmtime::Error::msg(format!(
                "{len} random bytes asked in one call, at most {RANDOM_BYTES} allowed"
            )));
        }
        Ok(())
    }
}

impl random::Host for CappedRandom<'_> {
    fn get_random_bytes(&mut self, len: u64) -> wasmtime::Result<Vec<u8>> {
        self.check(len)?;
        random::Host::get_random_bytes(&mut *self.random, len)
    }

    fn get_random_u64(&mut self) -> wasmtime::Result<u64> {
        random::Host::get_random_u64(&mut *self.random)
    }
}

impl insecure::Host for CappedRandom<'_> {
    fn get_insecure_random_bytes(&mut self, len: u64) -> wasmtime::Result<Vec<u8>> {
        self.check(len)?;
        insecure::Host::get_insecure_random_bytes(&mut *self.random, len)
    }

    fn get_insecure_random_u64(&mut self) -> wasmtime::Result<u64> {
        insecure::Host::get_insecure_random_u64(&mut *self.random)
    }
}

struct Capped;

impl HasData for Capped {
    type Data<'a> = CappedRandom<'a>;
}

/// Replaces wasmtime-wasi's monotonic clock and random lists in `linker` (which already has
/// the rest of WASI) with the ones above, reached through `clock` and `random`.
pub fn shadow<T: Send + 'static>(
    linker: &mut Linker<T>,
    clock: fn(&mut T) -> NeverWaitClock<'_>,
    random: fn(&mut T) -> CappedRandom<'_>,
) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    monotonic_clock::add_to_linker::<T, NeverWait>(linker, clock)?;
    random::add_to_linker::<T, Capped>(linker, random)?;
    insecure::add_to_linker::<T, Capped>(linker, random)?;
    linker.allow_shadowing(false);
    Ok(())
}
