//! `bench-trivial` 1.0.0 (see body.rs).
const VERSION: &str = "1.0.0";
const MAJOR: i64 = 1;
include!("body.rs");
