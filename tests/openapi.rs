//! The API contract against the real server: `/openapi.json` is valid OpenAPI 3.1, and
//! schemathesis finds no request whose answer breaks it. Both tools come from PyPI;
//! `bash tests/all.sh` installs them (pinned, tests/requirements.txt).

mod support;

use std::process::Command;

use support::{Server, get_json, get_text};

fn require(tool: &str, probe: &[&str]) {
    let found = Command::new(probe[0])
        .args(&probe[1..])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is missing: `bash tests/all.sh` installs it (tests/requirements.txt)"
    );
}

#[tokio::test]
async fn document_is_valid_openapi_3_1() {
    require(
        "openapi-spec-validator",
        &["python3", "-c", "import openapi_spec_validator"],
    );
    let server = Server::seeded();
    let (status, document) = get_json(&server.url("/openapi.json")).await;
    assert_eq!(status, 200);
    assert_eq!(document["openapi"], "3.1.0");
    let output = Command::new("python3")
        .args([
            "-c",
            "import json, sys\n\
             from openapi_spec_validator import validate\n\
             validate(json.load(sys.stdin))\n\
             print('valid')",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(document.to_string().as_bytes())?;
            child.wait_with_output()
        })
        .expect("run the validator");
    assert!(
        output.status.success(),
        "not valid OpenAPI 3.1:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // Every open route the index links to is described, and the page renders the document.
    let (_, index) = get_json(&server.url("/api")).await;
    assert_eq!(index["links"]["openapi"], "/openapi.json");
    assert_eq!(index["links"]["docs"], "/api/docs");
    let (status, page) = get_text(&server.url("/api/docs")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<html lang=\"id\">") && page.contains("/api/datasets/{id}/rows"));
    assert!(!page.contains("<script"));
    let (_, english) = get_text(&server.url("/api/docs?lang=en")).await;
    assert!(english.contains("<html lang=\"en\">") && english.contains("list datasets"));
}

#[tokio::test]
async fn schemathesis_finds_nothing() {
    // Every operation of the document, the catalog's included: nothing is left out of the run.
    require("schemathesis", &["schemathesis", "--version"]);
    let server = Server::seeded();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/schemathesis.toml");
    let mut command = Command::new("schemathesis");
    command
        .args(["--config-file", config, "--no-color", "run"])
        .arg(server.url("/openapi.json"))
        .args(["--checks", "all"])
        // Bounded: 30 cases an operation keeps the run near a minute on two cores. One worker:
        // with two, hypothesis 6.170 on CPython 3.11 sometimes fails to parse its own sources
        // in threads ("AST constructor recursion depth mismatch"), a tool error, not ours.
        .args(["--max-examples", "30", "--workers", "1", "--seed", "1"])
        .args(["--request-timeout", "10"]);
    let output = command.output().expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("generated") || l.contains("passed") || l.contains("failures"))
        .collect();
    eprintln!("schemathesis: {}", summary.join(" | "));
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every schema object in `value`, with where it is.
fn schemas<'a>(
    value: &'a serde_json::Value,
    at: String,
    out: &mut Vec<(String, &'a serde_json::Value)>,
) {
    match value {
        serde_json::Value::Object(map) => {
            if map.contains_key("type") {
                out.push((at.clone(), value));
            }
            for (key, inner) in map {
                schemas(inner, format!("{at}/{key}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                schemas(inner, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Issue 15, defect 5, as a class: the names and shapes that broke generated clients. A query
/// parameter may not take a name the generators use for their own variables (`params` did,
/// in openapi-python-client), and an array type always says what it holds (seven JSON
/// answers were `{"type": ["object", "array"]}` with no `items`, so no model was made).
/// tests/clients.rs runs the generators themselves.
#[tokio::test]
async fn no_name_or_shape_that_generated_clients_cannot_use() {
    let server = Server::seeded();
    let (_, document) = get_json(&server.url("/openapi.json")).await;
    const GENERATORS_OWN: [&str; 9] = [
        "params",
        "client",
        "headers",
        "body",
        "json_body",
        "url",
        "kwargs",
        "data",
        "self",
    ];
    let mut clashes = Vec::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap_or("");
                if GENERATORS_OWN.contains(&name) {
                    clashes.push(format!("{method} {path}: {name}"));
                }
            }
            let bodies = operation["requestBody"]["content"]
                .as_object()
                .map(|c| c.len());
            assert!(
                bodies.unwrap_or(0) <= 1,
                "{method} {path}: two request body types"
            );
        }
    }
    assert!(
        clashes.is_empty(),
        "parameters named like a generator's own variables: {clashes:?}"
    );
    let mut found = Vec::new();
    schemas(&document, String::new(), &mut found);
    let untyped: Vec<&String> = found
        .iter()
        .filter(|(_, schema)| {
            let is_array = match &schema["type"] {
                serde_json::Value::String(t) => t == "array",
                serde_json::Value::Array(ts) => ts.iter().any(|t| t == "array"),
                _ => false,
            };
            is_array && schema.get("items").is_none() && schema.get("prefixItems").is_none()
        })
        .map(|(at, _)| at)
        .collect();
    assert!(untyped.is_empty(), "arrays without items: {untyped:?}");
    assert!(found.len() > 100, "only {} schemas seen", found.len());
}
