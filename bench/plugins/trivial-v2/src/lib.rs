//! `bench-trivial` 2.0.0: the same indicator, a new version, for the hot-upgrade benchmark.
const VERSION: &str = "2.0.0";
const MAJOR: i64 = 2;
include!("../../trivial/src/body.rs");
