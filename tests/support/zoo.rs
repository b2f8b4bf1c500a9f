//! The plugin zoo (`tests/zoo`): WebAssembly components that misbehave on purpose, built from
//! source once per test process; and the build of any such components workspace
//! ([`build_components`], which the soak uses for `bench/plugins`).
//!
//! Used from a test file as `#[path = "support/zoo.rs"] mod zoo;` next to `mod support;`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root (the host crate sits in `host/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds the zoo (once per process) and returns the folder holding its components.
fn built() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| build_components("tests/zoo"))
}

/// Builds the components of the cargo workspace at `folder` (relative to the repository
/// root, e.g. `tests/zoo` or `bench/plugins`) for wasm32-wasip2 in release, and returns the
/// folder holding them.
pub fn build_components(folder: &str) -> PathBuf {
    let workspace = root().join(folder);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(&workspace).args([
        "build",
        "--release",
        "--locked",
        "--target",
        "wasm32-wasip2",
    ]);
    // The settings of the build running this test are the host's; the workspace has its own
    // profile and target directory (`{folder}/target`), as in host/build.rs.
    for variable in [
        "CARGO_TARGET_DIR",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
    ] {
        command.env_remove(variable);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("could not run cargo to build {folder}: {e}"));
    assert!(
        output.status.success(),
        "building {folder} failed (cd {folder} && cargo build --release --locked --target \
         wasm32-wasip2):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    workspace.join("target/wasm32-wasip2/release")
}

/// The bytes of zoo component `name`: the file stem in `tests/zoo/target/wasm32-wasip2/
/// release`, so a library crate's name with underscores (`zoo_loop`) and a binary's with its
/// hyphens (`zoo-command`).
pub fn component(name: &str) -> Vec<u8> {
    let path = built().join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The bytes of a first-party component from `plugins/` (e.g. `template_indicator`), which
/// host/build.rs builds with the whole plugins workspace before this test is compiled.
pub fn first_party(name: &str) -> Vec<u8> {
    let path = root()
        .join("plugins/target/wasm32-wasip2/release")
        .join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); host/build.rs builds it with the plugins workspace",
            path.display()
        )
    })
}
