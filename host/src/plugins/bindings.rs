//! Rust bindings of the WIT contract (`wit/`), generated at compile time. Both worlds share
//! one `types` interface, so the exporter bindings reuse the indicator's generated types and
//! one set of conversions serves both.

pub mod indicator {
    wasmtime::component::bindgen!({
        world: "indicator",
        path: "../wit",
    });
}

pub mod exporter {
    wasmtime::component::bindgen!({
        world: "exporter",
        path: "../wit",
        with: {
            "logam:plugin/types": super::indicator::logam::plugin::types,
        },
    });
}

/// The shared WIT types (`logam:plugin/types`).
pub use indicator::logam::plugin::types;
