//! Clients generated from `/openapi.json` with the generators API users really use, run
//! against the real server: openapi-python-client (Python) and openapi-typescript with
//! openapi-fetch (TypeScript, type-checked by tsc in strict mode). Each makes typed calls:
//! the catalog, a page of rows, SQL with named parameters (GET and POST), a JSON download
//! and an indicator. `tests/all.sh` installs the tools (tests/requirements.txt and
//! tests/browser/package.json, both pinned); without them these tests fail and say so.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{Server, get_text};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(command: &mut Command, what: &str) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what} did not start ({e}); tests/all.sh installs it"));
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The server's document, written where a generator can read it.
async fn document(server: &Server, dir: &Path) -> PathBuf {
    let (status, text) = get_text(&server.url("/openapi.json")).await;
    assert_eq!(status, 200);
    let path = dir.join("openapi.json");
    std::fs::write(&path, text).expect("write the document");
    path
}

#[tokio::test]
async fn a_generated_python_client_makes_typed_calls() {
    let server = Server::seeded();
    let dir = tempfile::tempdir().expect("temp dir");
    let doc = document(&server, dir.path()).await;
    let client = dir.path().join("client");
    let generated = run(
        Command::new("openapi-python-client")
            .args(["generate", "--overwrite", "--path"])
            .arg(&doc)
            .arg("--output-path")
            .arg(&client),
        "openapi-python-client",
    );
    // The generator leaves out only the answers it cannot type at all (NDJSON and the
    // Prometheus text, which stay available as raw bytes); an operation it cannot parse, a
    // JSON answer without a shape, is a defect of the document.
    let said = String::from_utf8_lossy(&generated.stdout).to_string()
        + &String::from_utf8_lossy(&generated.stderr);
    let problems: Vec<&str> = said
        .lines()
        .filter(|l| l.starts_with("Cannot parse") && !l.contains("Unsupported content_type"))
        .collect();
    assert!(
        problems.is_empty(),
        "the generator could not use the document:\n{said}"
    );
    let output = run(
        Command::new("python3")
            .arg(root().join("tests/clients/check.py"))
            .arg(&server.url)
            .env("PYTHONPATH", &client),
        "the generated Python client",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("python client: every call passed"),
        "{stdout}"
    );
}

#[tokio::test]
async fn a_generated_typescript_client_type_checks_and_makes_typed_calls() {
    let node = root().join("tests/browser");
    let bin = node.join("node_modules/.bin");
    assert!(
        bin.join("openapi-typescript").exists() && bin.join("tsc").exists(),
        "openapi-typescript and typescript are missing: run `npm ci` in tests/browser (tests/all.sh does)"
    );
    let server = Server::seeded();
    let dir = tempfile::tempdir().expect("temp dir");
    let doc = document(&server, dir.path()).await;
    let checks = node.join("clients");
    run(
        Command::new(bin.join("openapi-typescript"))
            .arg(&doc)
            .arg("-o")
            .arg(checks.join("logam.d.ts"))
            .current_dir(&node),
        "openapi-typescript",
    );
    run(
        Command::new(bin.join("tsc"))
            .args(["-p", "clients"])
            .current_dir(&node),
        "tsc (the calls type-check against the generated types)",
    );
    let output = run(
        Command::new("node")
            .arg(checks.join("out/check.js"))
            .arg(&server.url)
            .current_dir(&node),
        "the TypeScript client",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("typescript client: every call passed"),
        "{stdout}"
    );
}
