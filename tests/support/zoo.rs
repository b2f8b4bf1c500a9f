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

/// LEB128 of an unsigned number, as WebAssembly encodes sizes and counts.
fn leb128(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// One section: its id, its size, its contents.
fn section(id: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![id];
    leb128(contents.len() as u64, &mut out);
    out.extend_from_slice(contents);
    out
}

/// A valid core module with one function `() -> ()` declaring `locals` i32 locals and
/// `nesting` blocks inside each other: code whose compilation costs far more than its size.
pub fn bomb_module(nesting: usize, locals: u32) -> Vec<u8> {
    let mut body = Vec::new();
    if locals > 0 {
        body.push(1);
        leb128(u64::from(locals), &mut body);
        body.push(0x7f);
    } else {
        body.push(0);
    }
    for _ in 0..nesting {
        body.extend_from_slice(&[0x02, 0x40]); // block (empty type)
    }
    body.extend(std::iter::repeat_n(0x0b, nesting + 1)); // the blocks' ends, then the body's
    let mut code = vec![1];
    leb128(body.len() as u64, &mut code);
    code.extend_from_slice(&body);
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    module.extend(section(1, &[1, 0x60, 0, 0])); // type 0: () -> ()
    module.extend(section(3, &[1, 0])); // one function of type 0
    module.extend(section(10, &code));
    module
}

/// `component` with one more core module inside it (never instantiated, still compiled):
/// a working plugin carrying a compile bomb.
pub fn with_module(component: &[u8], module: &[u8]) -> Vec<u8> {
    let mut out = component.to_vec();
    out.extend(section(1, module));
    out
}

/// `component` with a custom section of `size` bytes named after `tag`: the same plugin in
/// other bytes.
pub fn padded(component: &[u8], tag: &str, size: usize) -> Vec<u8> {
    let mut contents = Vec::new();
    let name = format!("zoo-padding-{tag}");
    leb128(name.len() as u64, &mut contents);
    contents.extend_from_slice(name.as_bytes());
    contents.extend(std::iter::repeat_n(0x5a, size));
    let mut out = component.to_vec();
    out.extend(section(0, &contents));
    out
}
