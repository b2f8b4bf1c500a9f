//! `zoo-slow` 1.0.0: a well-behaved but slow indicator (see `body.rs`), for the test that a
//! request in flight during an upgrade finishes on the version it started with.
const VERSION: &str = "1.0.0";
include!("body.rs");
