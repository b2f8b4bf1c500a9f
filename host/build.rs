//! Builds the first-party plugins (`../plugins`, a workspace of its own) for `wasm32-wasip2`
//! and writes `$OUT_DIR/bundled_plugins.rs`, which embeds the components in the binary. So
//! `cargo run` and `cargo test` need no extra step, and the binary carries its plugins.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates in `../plugins` that are not bundled: the shared kit (a library) and the template,
/// which is a starting point for authors rather than an indicator the office publishes.
const NOT_BUNDLED: &[&str] = &["kit", "template-indicator"];

fn watch(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" {
            continue;
        }
        if path.is_dir() {
            watch(&path);
        } else {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}

/// Authors of the first-party plugins, as their metadata section names them.
const PLUGIN_AUTHORS: &str = "logam contributors";

/// The `license` of the plugins workspace (`[workspace.package]`).
fn workspace_licence(plugins: &Path) -> String {
    fs::read_to_string(plugins.join("Cargo.toml"))
        .ok()
        .and_then(|manifest| {
            manifest.lines().find_map(|l| {
                l.trim()
                    .strip_prefix("license = ")
                    .map(|v| v.trim_matches('"').to_string())
            })
        })
        .unwrap_or_else(|| "Apache-2.0".into())
}

fn leb128(mut value: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Appends a custom section (id 0: name, then bytes) to a component.
fn custom_section(component: &mut Vec<u8>, name: &str, content: &str) {
    let mut body = Vec::new();
    leb128(name.len(), &mut body);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(content.as_bytes());
    component.push(0);
    leb128(body.len(), component);
    component.extend_from_slice(&body);
}

/// The target the plugins are built for.
const WASM_TARGET: &str = "wasm32-wasip2";

/// Whether the compiler that builds the plugins has the standard library for [`WASM_TARGET`].
fn has_wasm_target(rustc: &str) -> bool {
    let Ok(output) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Path::new(&sysroot)
        .join("lib/rustlib")
        .join(WASM_TARGET)
        .join("lib")
        .is_dir()
}

/// rustup installs a toolchain file's `targets` only when it installs the toolchain itself, so
/// a machine that already had `stable` lacks the wasm target. Add it here, saying so, rather
/// than failing halfway through the plugins' build; without rustup, name the command to run.
fn ensure_wasm_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    if has_wasm_target(&rustc) {
        return;
    }
    println!(
        "cargo:warning=the {WASM_TARGET} target (for the bundled plugins) is missing; running `rustup target add {WASM_TARGET}`"
    );
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", WASM_TARGET]);
    if let Ok(toolchain) = env::var("RUSTUP_TOOLCHAIN") {
        rustup.args(["--toolchain", &toolchain]);
    }
    let added = rustup.status().map(|s| s.success()).unwrap_or(false);
    if !added || !has_wasm_target(&rustc) {
        panic!(
            "the {WASM_TARGET} target is missing and could not be added: run `rustup target add {WASM_TARGET}` and build again"
        );
    }
}

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("the host crate sits in the repository");
    let plugins = root.join("plugins");
    let wit = root.join("wit");
    watch(&plugins);
    watch(&wit);
    // The plugins' kit writes figures through the shared formatting crate.
    watch(&root.join("crates/format"));

    ensure_wasm_target();
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&plugins)
        .args(["build", "--release", "--locked", "--target", WASM_TARGET]);
    // This build's settings are for the host; the plugins have their own workspace, profile
    // and target directory (plugins/target).
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
    let status = command
        .status()
        .expect("could not run cargo to build the plugins");
    assert!(
        status.success(),
        "building the plugins for wasm32-wasip2 failed (cd plugins && cargo build --release --target wasm32-wasip2)"
    );

    let built = plugins.join("target/wasm32-wasip2/release");
    let mut members: Vec<String> = fs::read_dir(&plugins)
        .expect("read plugins/")
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !NOT_BUNDLED.contains(&name.as_str()))
        .collect();
    members.sort();

    let mut generated = String::from(
        "/// First-party plugins compiled into the binary: (crate name, component bytes).\n\
         pub static BUNDLED: &[(&str, &[u8])] = &[\n",
    );
    for member in &members {
        let manifest = fs::read_to_string(plugins.join(member).join("Cargo.toml"))
            .expect("read a plugin's Cargo.toml");
        let package = manifest
            .lines()
            .find_map(|l| l.trim().strip_prefix("name = "))
            .map(|n| n.trim_matches('"').replace('-', "_"))
            .unwrap_or_else(|| member.replace('-', "_"));
        let wasm = built.join(format!("{package}.wasm"));
        assert!(wasm.is_file(), "{} was not built", wasm.display());
        // Who wrote it and under which licence travel with the component, as the
        // tool-conventions metadata custom sections `authors` and `licenses` (what
        // `wasm-tools metadata add` writes), so the host reads them like any plugin's.
        let mut bytes = fs::read(&wasm).expect("read a built component");
        custom_section(&mut bytes, "authors", PLUGIN_AUTHORS);
        custom_section(&mut bytes, "licenses", &workspace_licence(&plugins));
        let bundled =
            PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join(format!("{member}.wasm"));
        fs::write(&bundled, bytes).expect("write a bundled component");
        generated.push_str(&format!(
            "    ({member:?}, include_bytes!({:?})),\n",
            bundled.display().to_string()
        ));
    }
    generated.push_str("];\n");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("bundled_plugins.rs");
    fs::write(out, generated).expect("write bundled_plugins.rs");
}
