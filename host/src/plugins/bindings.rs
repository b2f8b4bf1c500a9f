//! Rust bindings of the WIT contract (`wit/`), generated at compile time.

pub mod indicator {
    wasmtime::component::bindgen!({
        world: "indicator",
        path: "../wit",
    });
}
