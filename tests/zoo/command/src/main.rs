//! `zoo-command`: not a plugin but a program. Built for wasm32-wasip2 it is a component of
//! world `wasi:cli/command`: it exports `wasi:cli/run` and neither logam interface (and,
//! through std's start-up code, may import `wasi:filesystem` too).
//!
//! Expected: refused at install, 422 `plugin_wrong_world`; the host checks the world before
//! the imports, so the answer is the world, not the filesystem.

use std::io::Read as _;

fn main() {
    let mut input = String::new();
    let _ = std::io::stdin().read_to_string(&mut input);
    let listing = std::fs::read_dir("/").map(|entries| entries.count());
    println!(
        "zoo-command: {} bytes on stdin, / has {listing:?} entries",
        input.len()
    );
}
