//! `zoo-slow` 2.0.0: the same indicator, the next version (see `../slow/src/body.rs`).
const VERSION: &str = "2.0.0";
include!("../../slow/src/body.rs");
