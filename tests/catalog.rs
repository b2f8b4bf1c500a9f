//! The catalog documents harvesters read (`/catalog.jsonld`, `/data.json`, `/datapackage.json`),
//! from the real server, checked by each standard's own validator run as a subprocess, and by
//! reading them back here.
//!
//! The validators are Python tools that `.ci/run` installs; a missing one fails the test with
//! that hint rather than skipping it, so a green run always means the documents were validated.
//! The standards' files they check against are vendored under `tests/standards/` (see its
//! README for sources and licences).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::{Server, client, generate, get_json, get_text};

const INSTALL_HINT: &str = "run .ci/run once, or: python3 -m pip install 'frictionless==5.*' \
                            'check-jsonschema==0.*' 'pyshacl==0.*'";

fn standards() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/standards")
}

/// Runs a validator; its absence is a failure that says how to install it.
fn run_tool(program: &str, args: &[&str]) -> Output {
    match Command::new(program).args(args).output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{program}` is not installed; .ci/run installs it ({INSTALL_HINT})")
        }
        Err(e) => panic!("could not run `{program}`: {e}"),
    }
}

fn printed(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `frictionless validate --json` on a descriptor URL: it downloads every resource from the
/// server and checks each row against the Table Schema (types, patterns, keys).
fn frictionless_report(url: &str) -> Value {
    let output = run_tool("frictionless", &["validate", "--json", url]);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "frictionless gave no JSON report ({e}):\n{}",
            printed(&output)
        )
    })
}

fn assert_frictionless_valid(url: &str) {
    let report = frictionless_report(url);
    assert_eq!(
        report["valid"],
        Value::Bool(true),
        "frictionless validate {url} found errors:\n{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
}

/// Every dataset the API publishes, without the synthetic ones.
async fn published(server: &Server) -> BTreeMap<String, Value> {
    let (status, list) = get_json(&server.url("/api/datasets")).await;
    assert_eq!(status, 200);
    let mut datasets = BTreeMap::new();
    for summary in list["datasets"].as_array().expect("datasets") {
        if summary["synthetic"] == Value::Bool(true) {
            continue;
        }
        let id = summary["id"].as_str().expect("id").to_string();
        let (status, meta) = get_json(&server.url(&format!("/api/datasets/{id}"))).await;
        assert_eq!(status, 200);
        datasets.insert(id, meta);
    }
    datasets
}

async fn assert_answers(url: &str) {
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "{url} is not an absolute URL on this server"
    );
    let status = client().get(url).send().await.expect("GET").status();
    assert_eq!(status.as_u16(), 200, "{url}");
}

#[tokio::test]
async fn the_whole_datapackage_passes_frictionless_validate_against_the_live_csv() {
    let server = Server::seeded();
    assert_frictionless_valid(&server.url("/datapackage.json"));
}

#[tokio::test]
async fn one_dataset_package_with_partial_dates_passes_frictionless_validate() {
    let server = Server::seeded();
    for dataset in published(&server).await.values() {
        let has_dates = dataset["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .any(|c| c["type"] == "date");
        if has_dates {
            let id = dataset["id"].as_str().expect("id");
            assert_frictionless_valid(&server.url(&format!("/datasets/{id}/datapackage.json")));
        }
    }
}

#[tokio::test]
async fn a_wrong_field_type_is_caught_by_frictionless() {
    // The validator must really read the rows: a package that calls a text column an integer
    // is reported invalid.
    let server = Server::seeded();
    let (status, mut package) = get_json(&server.url("/datasets/sumber/datapackage.json")).await;
    assert_eq!(status, 200);
    let fields = package["resources"][0]["schema"]["fields"]
        .as_array_mut()
        .expect("fields");
    let penerbit = fields
        .iter_mut()
        .find(|f| f["name"] == "penerbit")
        .expect("a text column");
    penerbit["type"] = Value::from("integer");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("datapackage.json");
    std::fs::write(&path, package.to_string()).expect("write");
    let report = frictionless_report(path.to_str().expect("utf-8 path"));
    assert_eq!(report["valid"], Value::Bool(false), "{report}");
    assert!(report.to_string().contains("type-error"), "{report}");
}

#[tokio::test]
async fn data_json_passes_the_project_open_data_v1_1_schema() {
    let server = Server::seeded();
    let (status, body) = get_text(&server.url("/data.json")).await;
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().expect("temp dir");
    let document = dir.path().join("data.json");
    std::fs::write(&document, &body).expect("write");

    // The schema's `id` names project-open-data.cio.gov, so its relative `$ref` would be
    // fetched from there; without that `id` it resolves to the vendored file beside it. The
    // schemas are otherwise used exactly as published.
    let pod = standards().join("pod-v1.1");
    let mut catalog: Value =
        serde_json::from_slice(&std::fs::read(pod.join("catalog.json")).expect("catalog.json"))
            .expect("catalog schema");
    catalog.as_object_mut().expect("object").remove("id");
    std::fs::write(dir.path().join("catalog.json"), catalog.to_string()).expect("write");
    std::fs::copy(
        pod.join("dataset-non-federal.json"),
        dir.path().join("dataset-non-federal.json"),
    )
    .expect("copy");

    let schema = dir.path().join("catalog.json");
    let output = run_tool(
        "check-jsonschema",
        &[
            "--schemafile",
            schema.to_str().expect("utf-8"),
            document.to_str().expect("utf-8"),
        ],
    );
    assert!(output.status.success(), "{}", printed(&output));

    let catalog: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        catalog["conformsTo"],
        "https://project-open-data.cio.gov/v1.1/schema"
    );
    let datasets = published(&server).await;
    let listed: BTreeSet<&str> = catalog["dataset"]
        .as_array()
        .expect("dataset")
        .iter()
        .map(|d| {
            // Federal-only fields are not required of us, but these are of any catalog.
            assert!(!d["keyword"].as_array().expect("keyword").is_empty(), "{d}");
            assert_eq!(d["accessLevel"], "public");
            assert!(
                d["contactPoint"]["hasEmail"]
                    .as_str()
                    .is_some_and(|e| e.starts_with("mailto:")),
                "{d}"
            );
            assert!(d["modified"].as_str().is_some_and(|m| !m.is_empty()));
            d["identifier"]
                .as_str()
                .expect("identifier")
                .rsplit('/')
                .next()
                .expect("id")
        })
        .collect();
    assert_eq!(
        listed,
        datasets.keys().map(String::as_str).collect::<BTreeSet<_>>()
    );
}

/// The one result the DCAT-AP 3.0.0 shapes give for every conforming catalog: their
/// "Dataset in series" shape targets every `dcat:Dataset` and asks each for a `dcat:inSeries`,
/// though the specification makes that property apply only to datasets that belong to a
/// series (and ours belong to none). ckanext-dcat's SHACL tests keep a list of known failures
/// for the same reason.
const DCAT_AP_3_0_0_IN_SERIES_ERRATUM: &str = "https://semiceu.github.io//DCAT-AP/releases/3.0.0#DatasetInSeriesShape/f1d864889254a8950dbca6e8836c6c796202980c";

/// `pyshacl` on a JSON-LD document against the vendored DCAT-AP 3.0.0 shapes: the results as
/// (source shape, result path), and the human-readable report for failure messages.
fn dcat_ap_results(document: &Path) -> (Vec<(String, String)>, String) {
    let shapes = standards().join("dcat-ap-3.0.0/dcat-ap-SHACL.ttl");
    let run = |format: &str| {
        run_tool(
            "pyshacl",
            &[
                "--shacl",
                shapes.to_str().expect("utf-8"),
                "--shacl-file-format",
                "turtle",
                "--data-file-format",
                "json-ld",
                "--format",
                format,
                document.to_str().expect("utf-8"),
            ],
        )
    };
    let human = printed(&run("human"));
    let output = run("json-ld");
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("pyshacl gave no JSON-LD report ({e}):\n{human}"));
    const SH: &str = "http://www.w3.org/ns/shacl#";
    let results = report
        .as_array()
        .expect("expanded JSON-LD")
        .iter()
        .filter(|node| {
            node["@type"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == &format!("{SH}ValidationResult")))
        })
        .map(|node| {
            let first_id = |key: &str| {
                node[format!("{SH}{key}")][0]["@id"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            };
            (first_id("sourceShape"), first_id("resultPath"))
        })
        .collect();
    (results, human)
}

#[tokio::test]
async fn catalog_jsonld_conforms_to_the_dcat_ap_3_shapes() {
    let server = Server::seeded();
    let response = client()
        .get(server.url("/catalog.jsonld"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().expect("ascii"),
        "application/ld+json"
    );
    let body = response.text().await.expect("body");
    let dir = tempfile::tempdir().expect("temp dir");
    let document = dir.path().join("catalog.jsonld");
    std::fs::write(&document, &body).expect("write");
    let (results, report) = dcat_ap_results(&document);
    let unexpected: Vec<&(String, String)> = results
        .iter()
        .filter(|(shape, path)| {
            !(shape == DCAT_AP_3_0_0_IN_SERIES_ERRATUM
                && path == "http://www.w3.org/ns/dcat#inSeries")
        })
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}\n{report}");

    let catalog: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(catalog["@type"], "dcat:Catalog");
    let ids: BTreeSet<String> = catalog["dcat:dataset"]
        .as_array()
        .expect("datasets")
        .iter()
        .map(|d| {
            assert_eq!(d["dct:title"][0]["@language"], "id", "Indonesian first");
            d["@id"]
                .as_str()
                .expect("@id")
                .rsplit('/')
                .next()
                .expect("id")
                .to_string()
        })
        .collect();
    assert_eq!(
        ids,
        published(&server)
            .await
            .into_keys()
            .collect::<BTreeSet<_>>()
    );
}

#[tokio::test]
async fn a_dataset_without_a_title_is_caught_by_the_dcat_ap_shapes() {
    // The shapes must really be checked: a dataset stripped of its mandatory title and a
    // distribution stripped of its access URL are both reported.
    let server = Server::seeded();
    let (status, mut catalog) = get_json(&server.url("/catalog.jsonld")).await;
    assert_eq!(status, 200);
    let dataset = &mut catalog["dcat:dataset"][0];
    dataset
        .as_object_mut()
        .expect("dataset")
        .remove("dct:title");
    dataset["dcat:distribution"][0]
        .as_object_mut()
        .expect("distribution")
        .remove("dcat:accessURL");
    let dir = tempfile::tempdir().expect("temp dir");
    let document = dir.path().join("catalog.jsonld");
    std::fs::write(&document, catalog.to_string()).expect("write");
    let (results, report) = dcat_ap_results(&document);
    let paths: BTreeSet<&str> = results.iter().map(|(_, path)| path.as_str()).collect();
    assert!(paths.contains("http://purl.org/dc/terms/title"), "{report}");
    assert!(
        paths.contains("http://www.w3.org/ns/dcat#accessURL"),
        "{report}"
    );
}

#[tokio::test]
async fn every_catalog_link_is_absolute_and_answers() {
    let server = Server::seeded();
    let (_, dcat) = get_json(&server.url("/catalog.jsonld")).await;
    for dataset in dcat["dcat:dataset"].as_array().expect("datasets") {
        assert_answers(dataset["@id"].as_str().expect("@id")).await;
        for distribution in dataset["dcat:distribution"].as_array().expect("dist") {
            assert_answers(
                distribution["dcat:downloadURL"]["@id"]
                    .as_str()
                    .expect("downloadURL"),
            )
            .await;
            assert!(
                distribution["dcat:mediaType"]["@id"]
                    .as_str()
                    .expect("mediaType")
                    .starts_with("http://www.iana.org/assignments/media-types/")
            );
        }
    }
    let (_, pod) = get_json(&server.url("/data.json")).await;
    for dataset in pod["dataset"].as_array().expect("dataset") {
        assert_answers(dataset["describedBy"].as_str().expect("describedBy")).await;
        for distribution in dataset["distribution"].as_array().expect("dist") {
            assert_answers(distribution["downloadURL"].as_str().expect("url")).await;
        }
    }
    let (_, package) = get_json(&server.url("/datapackage.json")).await;
    for resource in package["resources"].as_array().expect("resources") {
        assert_answers(resource["path"].as_str().expect("path")).await;
    }

    // Behind a TLS proxy the links say https.
    let response = client()
        .get(server.url("/data.json"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("GET");
    let body: Value = response.json().await.expect("JSON");
    assert!(
        body["dataset"][0]["identifier"]
            .as_str()
            .expect("identifier")
            .starts_with("https://127.0.0.1:")
    );
}

#[tokio::test]
async fn table_schema_types_follow_the_column_types_and_the_values() {
    let server = Server::seeded();
    let (_, package) = get_json(&server.url("/datapackage.json")).await;
    let resources: BTreeMap<&str, &Value> = package["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| (r["name"].as_str().expect("name"), r))
        .collect();
    let datasets = published(&server).await;
    assert_eq!(
        resources.keys().copied().collect::<BTreeSet<_>>(),
        datasets.keys().map(String::as_str).collect::<BTreeSet<_>>()
    );
    for (id, meta) in &datasets {
        let resource = resources[id.as_str()];
        assert_eq!(resource["encoding"], "utf-8");
        assert_eq!(resource["format"], "csv");
        assert_eq!(resource["schema"]["primaryKey"][0], meta["primary_key"]);
        let (_, rows) = get_json(&server.url(&format!("/api/datasets/{id}/rows.json"))).await;
        let rows = rows.as_array().expect("rows");
        let fields = resource["schema"]["fields"].as_array().expect("fields");
        let columns = meta["columns"].as_array().expect("columns");
        assert_eq!(fields.len(), columns.len(), "{id}");
        for (field, column) in fields.iter().zip(columns) {
            assert_eq!(field["name"], column["name"]);
            let name = column["name"].as_str().expect("name");
            let lengths: BTreeSet<usize> = rows
                .iter()
                .filter_map(|r| r[name].as_str().map(str::len))
                .collect();
            let expected = match column["type"].as_str().expect("type") {
                "integer" => "integer",
                "real" => "number",
                "text" => "string",
                "boolean" => "boolean",
                "date" => match lengths.iter().copied().collect::<Vec<_>>()[..] {
                    [] | [10] => "date",
                    [7] => "yearmonth",
                    [4] => "year",
                    _ => {
                        assert!(
                            field["constraints"]["pattern"].is_string(),
                            "{id}.{name}: mixed-precision dates need a pattern"
                        );
                        "string"
                    }
                },
                other => panic!("unknown column type {other}"),
            };
            assert_eq!(field["type"], expected, "{id}.{name}");
            if let Some(unit) = column["unit"].as_str() {
                assert!(
                    field["description"]
                        .as_str()
                        .is_some_and(|d| d.contains(unit)),
                    "{id}.{name}: the unit belongs in the description"
                );
            }
        }
    }
}

#[tokio::test]
async fn synthetic_datasets_stay_out_of_the_catalogs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("logam.db");
    let mut server = Server::start(&db);
    server.terminate();
    generate(&db, 50);
    let server = Server::start(&db);
    let (_, list) = get_json(&server.url("/api/datasets")).await;
    let synthetic: Vec<&str> = list["datasets"]
        .as_array()
        .expect("datasets")
        .iter()
        .filter(|d| d["synthetic"] == Value::Bool(true))
        .map(|d| d["id"].as_str().expect("id"))
        .collect();
    assert_eq!(synthetic.len(), 1, "{list}");
    for path in ["/catalog.jsonld", "/data.json", "/datapackage.json"] {
        let (status, body) = get_text(&server.url(path)).await;
        assert_eq!(status, 200);
        assert!(
            !body.contains(&format!("/api/datasets/{}", synthetic[0])),
            "{path} lists the synthetic dataset"
        );
    }
}

#[tokio::test]
async fn an_unknown_dataset_has_no_package() {
    let server = Server::seeded();
    let (status, body) = get_json(&server.url("/datasets/tidak_ada/datapackage.json")).await;
    assert_eq!(status, 404);
    assert!(body["error"]["code"].is_string(), "{body}");
    let (status, index) = get_json(&server.url("/api")).await;
    assert_eq!(status, 200);
    let links = index["links"].to_string();
    for path in ["/catalog.jsonld", "/data.json", "/datapackage.json"] {
        assert!(links.contains(path), "/api does not link {path}");
    }
}
