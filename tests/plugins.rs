//! The plugin runtime over HTTP against the real binary: exporter plugins serving datasets
//! and indicators, the admin endpoints (install, upgrade, disable, enable, rollback) and who
//! may call them, persistence across restarts, the watched plugins folder, the result cache,
//! the compiled-artifact cache, and `logam plugin check`.

mod support;
#[path = "support/zoo.rs"]
mod zoo;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{BIN, Server, client, get_json, get_text};

const TOKEN: &str = "a-test-admin-token-0123456789";

/// A first-party component, as `host/build.rs` built it (the template is built, not bundled).
fn component(file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/target/wasm32-wasip2/release")
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn post_plugin(server: &Server, token: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let mut request = client()
        .post(server.url("/admin/plugins"))
        .header("content-type", "application/wasm")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("POST /admin/plugins");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn act(server: &Server, token: Option<&str>, id: &str, action: &str) -> (u16, Value) {
    let mut request = client().post(server.url(&format!("/admin/plugins/{id}/{action}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("POST action");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn plugin_ids(server: &Server) -> Vec<(String, String, String)> {
    let (status, body) = get_json(&server.url("/api/plugins")).await;
    assert_eq!(status, 200, "{body}");
    body["plugins"]
        .as_array()
        .expect("plugins")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["sha256"].as_str().unwrap().to_string(),
                p["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn plugin<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no plugin {id} in {list}"))
}

#[tokio::test]
async fn exporter_plugins_serve_dataset_rows_and_indicator_results() {
    let server = Server::seeded();
    let (status, formats) = get_json(&server.url("/api/formats")).await;
    assert_eq!(status, 200);
    let formats = formats["formats"].as_array().unwrap();
    for (extension, plugin) in [
        ("geojson", "geojson"),
        ("xlsx", "xlsx"),
        ("sdmx.csv", "sdmx-csv"),
        ("md", "markdown"),
    ] {
        let format = formats
            .iter()
            .find(|f| f["extension"] == extension)
            .unwrap_or_else(|| panic!("no .{extension} in {formats:?}"));
        assert_eq!(format["plugin"], plugin);
        assert_eq!(format["native"], false);
    }

    // GeoJSON of the kecamatan, with the same filters as the JSON API.
    let (_, page) =
        get_json(&server.url("/api/datasets/wilayah/rows?tingkat=kecamatan&_size=1000")).await;
    let expected = page["rows"].as_array().unwrap().len();
    assert!(expected >= 18, "{page}");
    let response = client()
        .get(server.url("/api/datasets/wilayah/rows.geojson?tingkat=kecamatan"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/geo+json",
        "{:?}",
        response.headers()
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("wilayah.geojson")
    );
    let geojson: Value = response.json().await.unwrap();
    assert_eq!(geojson["type"], "FeatureCollection");
    let features = geojson["features"].as_array().unwrap();
    assert_eq!(features.len(), expected);
    for feature in features {
        assert_eq!(feature["type"], "Feature");
        let point = &feature["geometry"]["coordinates"];
        let (lon, lat) = (point[0].as_f64().unwrap(), point[1].as_f64().unwrap());
        // RFC 7946: longitude first. Purbalingga is near 109.3 E, 7.4 S.
        assert!(
            (108.0..111.0).contains(&lon) && (-8.5..-6.5).contains(&lat),
            "{feature}"
        );
    }

    // XLSX: a ZIP holding a workbook with the data and metadata sheets.
    let response = client()
        .get(server.url("/api/datasets/kontrak_pasokan/rows.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"), "not a ZIP");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("xl/workbook.xml") && text.contains("xl/worksheets/sheet2.xml"));

    // SDMX-CSV fits indicators only.
    let (status, body) = get_text(&server.url("/api/indicators/rupiah-per-unit.sdmx.csv")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("STRUCTURE,STRUCTURE_ID,ACTION"), "{body}");
    assert!(body.contains("LOGAM:RUPIAH-PER-UNIT(1.0.0)") || body.contains("LOGAM:"));
    let (status, body) = get_json(&server.url("/api/datasets/wilayah/rows.sdmx.csv")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "format_not_applicable");

    // Markdown of an indicator, with the exporter's own parameter; the indicator's own
    // parameters still reach the indicator.
    let (status, body) = get_text(&server.url(
        "/api/indicators/cagr.md?bahasa=en&ukuran=nilai_produksi&from-year=2010&to-year=2020",
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains('|') && body.contains("Source"), "{body}");
    let (status, body) = get_json(&server.url("/api/indicators/cagr.md?bahasa=xx")).await;
    assert_eq!(status, 400, "{body}");

    // Every link an indicator lists works.
    let (_, indicator) = get_json(&server.url("/api/indicators/rupiah-per-unit")).await;
    let links = indicator["indicator"]["links"].as_object().unwrap();
    assert!(links.contains_key("sdmx.csv") && links.contains_key("md"));
    assert!(!links.contains_key("geojson"), "geojson fits datasets only");
    for link in links.values() {
        let (status, _) = get_text(&server.url(link.as_str().unwrap())).await;
        assert_eq!(status, 200, "{link}");
    }
}

#[tokio::test]
async fn admin_endpoints_refuse_without_the_token_and_change_nothing() {
    let server = Server::seeded_with(&["--admin-token", TOKEN], &[]);
    let template = component("template_indicator.wasm");
    let before = plugin_ids(&server).await;
    for (token, status, code) in [
        (None, 401, "unauthorized"),
        (Some("wrong-token-wrong-token"), 401, "invalid_token"),
        (Some(""), 401, "unauthorized"),
    ] {
        let (got, body) = post_plugin(&server, token, template.clone()).await;
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)));
        for action in ["disable", "enable", "rollback"] {
            let (got, body) = act(&server, token, "cagr", action).await;
            assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)));
        }
    }
    assert_eq!(plugin_ids(&server).await, before);

    // Without a bootstrap token, only tokens from `logam token create` open it (see
    // tests/accounts.rs).
    let closed = Server::seeded();
    let (status, body) = post_plugin(&closed, Some(TOKEN), template).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_token");
}

#[tokio::test]
async fn plugins_install_disable_enable_roll_back_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logam.db");
    let mut server = Server::start_with(&db, &["--admin-token", TOKEN], &[]);
    let template = component("template_indicator.wasm");

    let (status, _) = get_json(&server.url("/api/indicators/contoh-jumlah-kontrak")).await;
    assert_eq!(status, 404);
    let (status, body) = post_plugin(&server, Some(TOKEN), template.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["plugin"]["id"], "contoh-jumlah-kontrak");
    assert_eq!(body["plugin"]["source"], "admin");
    let (status, result) = get_json(&server.url("/api/indicators/contoh-jumlah-kontrak")).await;
    assert_eq!(status, 200, "{result}");
    // Two supply contracts in 2021 (Radar Banyumas, 2 June 2021).
    let rows = result["rows"].as_array().unwrap();
    let year_2021 = rows.iter().find(|r| r["tahun"] == 2021).expect("2021");
    assert_eq!(year_2021["nilai"].as_f64(), Some(2.0), "{result}");

    // The same bytes again: nothing changes.
    let (status, body) = post_plugin(&server, Some(TOKEN), template.clone()).await;
    assert_eq!((status, &body["changed"]), (200, &Value::Bool(false)));

    // Disabled: gone from the list and the endpoint, still in /api/plugins.
    let (status, body) = act(&server, Some(TOKEN), "contoh-jumlah-kontrak", "disable").await;
    assert_eq!(
        (status, &body["plugin"]["status"]),
        (200, &Value::from("disabled"))
    );
    let (status, body) = get_json(&server.url("/api/indicators/contoh-jumlah-kontrak")).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &Value::from("plugin_disabled"))
    );
    let (_, list) = get_json(&server.url("/api/indicators")).await;
    assert!(!list.to_string().contains("contoh-jumlah-kontrak"));

    // Nothing earlier to roll back to: refused, still installed.
    let (status, body) = act(&server, Some(TOKEN), "contoh-jumlah-kontrak", "rollback").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (409, &Value::from("nothing_to_roll_back"))
    );
    let (status, _) = act(&server, Some(TOKEN), "no-such-plugin", "disable").await;
    assert_eq!(status, 404);
    let (status, _) = act(&server, Some(TOKEN), "cagr", "explode").await;
    assert_eq!(status, 404);

    // A bundled plugin re-installed over the API, then rolled back to the built-in version.
    let markdown = component("markdown_exporter.wasm");
    let (status, body) = post_plugin(&server, Some(TOKEN), markdown).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["plugin"]["source"], "admin");
    let (status, body) = act(&server, Some(TOKEN), "markdown", "rollback").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["plugin"]["source"], "bundled");
    let (status, body) = act(&server, Some(TOKEN), "markdown", "rollback").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (409, &Value::from("nothing_to_roll_back"))
    );

    // Restart on the same file: the install and its disabled status come back.
    let exit = server.terminate();
    assert!(exit.success());
    let server = Server::start_with(&db, &["--admin-token", TOKEN], &[]);
    let (_, list) = get_json(&server.url("/api/plugins")).await;
    let installed = plugin(&list, "contoh-jumlah-kontrak");
    assert_eq!(installed["status"], "disabled");
    assert_eq!(installed["source"], "admin");
    assert_eq!(plugin(&list, "markdown")["source"], "bundled");
    let (status, _) = act(&server, Some(TOKEN), "contoh-jumlah-kontrak", "enable").await;
    assert_eq!(status, 200);
    let (status, _) = get_json(&server.url("/api/indicators/contoh-jumlah-kontrak")).await;
    assert_eq!(status, 200);
    let (status, detail) = get_json(&server.url("/api/plugins/contoh-jumlah-kontrak")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["versions"].as_array().unwrap().len(), 1, "{detail}");
}

#[tokio::test]
async fn refused_components_change_nothing() {
    let server = Server::seeded_with(&["--admin-token", TOKEN], &[]);
    let before = plugin_ids(&server).await;
    let template = component("template_indicator.wasm");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "empty_body"),
        ("text", b"hello".to_vec(), "plugin_not_a_component"),
        (
            "core module",
            b"\0asm\x01\0\0\0".to_vec(),
            "plugin_not_a_component",
        ),
        (
            "truncated",
            template[..template.len() / 2].to_vec(),
            "plugin_not_a_component",
        ),
    ];
    for (what, body, code) in cases {
        let (status, answer) = post_plugin(&server, Some(TOKEN), body).await;
        assert!(status == 422 || status == 400, "{what}: {status} {answer}");
        assert_eq!(answer["error"]["code"], code, "{what}: {answer}");
    }
    assert_eq!(plugin_ids(&server).await, before);
}

#[tokio::test]
async fn the_plugins_folder_installs_replaces_and_removes() {
    let folder = tempfile::tempdir().unwrap();
    let server = Server::seeded_with(&["--plugins-dir", folder.path().to_str().unwrap()], &[]);
    let wait_for = |id: &'static str, present: bool| {
        let url = server.url("/api/plugins");
        async move {
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                let (_, list) = get_json(&url).await;
                let found = list["plugins"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["id"] == id)
                    .cloned();
                if found.is_some() == present {
                    return found;
                }
                assert!(Instant::now() < deadline, "{id} present={present}: {list}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let file = folder.path().join("mine.wasm");
    // Written in two steps, as a slow copy would: never installed half-written.
    let template = component("template_indicator.wasm");
    std::fs::write(&file, &template[..template.len() / 3]).unwrap();
    std::fs::write(&file, &template).unwrap();
    let installed = wait_for("contoh-jumlah-kontrak", true).await.unwrap();
    assert_eq!(installed["source"], "folder");
    let (status, _) = get_json(&server.url("/api/indicators/contoh-jumlah-kontrak")).await;
    assert_eq!(status, 200);

    // Replaced by a file holding another plugin: the first goes, the second comes.
    let other = folder.path().join("mine.wasm.tmp");
    std::fs::write(&other, component("workers_per_unit.wasm")).unwrap();
    std::fs::rename(&other, &file).unwrap();
    wait_for("contoh-jumlah-kontrak", false).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, list) = get_json(&server.url("/api/plugins")).await;
        if plugin(&list, "workers-per-unit")["source"] == "folder" {
            break;
        }
        assert!(Instant::now() < deadline, "{list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Deleted: the folder's version goes, the bundled one is back.
    std::fs::remove_file(&file).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, list) = get_json(&server.url("/api/plugins")).await;
        if plugin(&list, "workers-per-unit")["source"] == "bundled" {
            break;
        }
        assert!(Instant::now() < deadline, "{list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn indicator_results_are_cached_until_their_inputs_change() {
    let server = Server::seeded();
    let http = client();
    let url = server.url("/api/indicators/rupiah-per-unit");
    let first = http.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let first_body: Value = first.json().await.unwrap();
    let again = http
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // Another representation has another tag.
    let csv = http.get(format!("{url}.csv")).send().await.unwrap();
    assert_ne!(csv.headers()["etag"].to_str().unwrap(), etag);
    let (_, list) = get_json(&server.url("/api/plugins")).await;
    let stats = plugin(&list, "rupiah-per-unit");
    assert_eq!(stats["calls"], 1, "ran once: {stats}");
    // The 304 came from the edge cache's entry; the CSV, another answer, from the result
    // cache of the plugin host.
    assert!(stats["cache_hits"].as_u64().unwrap() >= 1, "{stats}");
    assert!(stats["p50_ms"].as_f64().unwrap() > 0.0);

    // New data in an input: the old tag no longer matches and the plugin runs again.
    let store = logam::store::Store::open(
        &server.db,
        &logam::store::OpenOptions {
            seed_if_new: false,
            ..Default::default()
        },
    )
    .unwrap();
    let row: serde_json::Map<String, Value> = serde_json::from_value(serde_json::json!({
        "id": 999, "tahun": 2026, "pemasok": "Uji", "usaha": null, "pembeli": "Uji",
        "produk": "knalpot", "kategori": "knalpot", "unit_per_bulan": 10,
        "nilai_per_bulan": 1000, "nilai_tercetak": "uji", "sumber_id": "radarbanyumas-2021-06-02",
        "catatan": "baris uji"
    }))
    .unwrap();
    store
        .append_rows_blocking("kontrak_pasokan", &[row], "test", "a test contract")
        .unwrap();
    let after = http
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
    let body: Value = after.json().await.unwrap();
    assert!(body.to_string().contains("Uji"), "{body}");
    let (_, list) = get_json(&server.url("/api/plugins")).await;
    assert_eq!(plugin(&list, "rupiah-per-unit")["calls"], 2);

    // A citation names a revision: as of the first answer's revision the figures are the old
    // ones, forever, while the live result has the new contract.
    let old_revision = first_body["revision"].as_i64().unwrap();
    let (status, cited) = get_json(&format!("{url}?_as_of={old_revision}")).await;
    assert_eq!(status, 200, "{cited}");
    assert_eq!(
        cited["rows"], first_body["rows"],
        "the same numbers as at revision {old_revision}"
    );
    assert_eq!(cited["revision"], old_revision);
    assert_eq!(body["rows"].as_array().unwrap().len(), 3);
    let (status, bad) = get_json(&format!("{url}?_as_of=soon")).await;
    assert_eq!(
        (status, &bad["error"]["code"]),
        (400, &Value::from("invalid_value"))
    );
}

#[tokio::test]
async fn compiled_plugins_are_cached_and_a_tampered_artifact_is_compiled_again() {
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().to_str().unwrap();
    let envs = [("LOGAM_CACHE_DIR", cache_dir)];
    let server = Server::seeded_with(&[], &envs);
    let (status, _) = get_json(&server.url("/api/indicators/cagr")).await;
    assert_eq!(status, 200);
    drop(server);
    let artifacts: Vec<PathBuf> = std::fs::read_dir(cache.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert!(artifacts.len() >= 9, "{artifacts:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cache.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the cache folder is private");
    }
    // Flip one byte of every artifact's code: each must fail its check and be rebuilt.
    for path in &artifacts {
        let mut bytes = std::fs::read(path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(path, bytes).unwrap();
    }
    let server = Server::seeded_with(&[], &envs);
    let (status, body) = get_json(&server.url("/api/indicators/cagr")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        server.log().contains("failed its check"),
        "{}",
        server.log()
    );
}

#[test]
fn plugin_check_reports_a_run_or_the_exact_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.wasm");
    std::fs::write(&template, component("template_indicator.wasm")).unwrap();
    let output = std::process::Command::new(BIN)
        .args(["plugin", "check"])
        .arg(&template)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "accepted: indicator `contoh-jumlah-kontrak`",
        "\"konsep\"",
        "time: ",
        "peak memory: ",
        "output: ",
        "rows: ",
        "tahun",
        "2021,",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from:\n{stdout}"
        );
    }

    let geojson = dir.path().join("geojson.wasm");
    std::fs::write(&geojson, component("geojson_exporter.wasm")).unwrap();
    let output = std::process::Command::new(BIN)
        .args(["plugin", "check"])
        .arg(&geojson)
        .args(["--dataset", "wilayah", "--param", "skip-unlocated=true"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("FeatureCollection"), "{stdout}");

    let broken = dir.path().join("broken.wasm");
    std::fs::write(&broken, b"\0asm\x01\0\0\0").unwrap();
    let output = std::process::Command::new(BIN)
        .args(["plugin", "check"])
        .arg(&broken)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    assert!(
        stdout.contains("refused (plugin_not_a_component)"),
        "{stdout}"
    );
}

/// Which version of `zoo-slow` answered, and how long it took.
async fn slow_run(server: &Server, spin: u64) -> (String, Duration) {
    let started = Instant::now();
    let (status, body) =
        get_json(&server.url(&format!("/api/indicators/zoo-slow?spin={spin}"))).await;
    assert_eq!(status, 200, "{body}");
    let version = body["indicator"]["plugin"]["version"]
        .as_str()
        .unwrap()
        .to_string();
    let note = body["rows"][0]["catatan"].as_str().unwrap_or_default();
    assert_eq!(
        note, version,
        "the note names the version that computed it: {body}"
    );
    (version, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_during_an_upgrade_finishes_on_its_version() {
    let server = Server::seeded_with(&["--admin-token", TOKEN], &[]);
    let (status, body) = post_plugin(&server, Some(TOKEN), zoo::component("zoo_slow")).await;
    assert_eq!(status, 201, "{body}");

    // Calibrate the spin so that one run takes about 600 ms (the limit is 2 s).
    let (_, sample) = slow_run(&server, 20_000_000).await;
    let per_round = sample.as_secs_f64() / 20_000_000.0;
    let spin = ((0.6 / per_round) as u64).clamp(1_000_000, 2_000_000_000);

    let in_flight = {
        let url = server.url(&format!("/api/indicators/zoo-slow?spin={spin}"));
        tokio::spawn(async move {
            let (status, body) = get_json(&url).await;
            assert_eq!(status, 200, "{body}");
            body
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (status, body) = post_plugin(&server, Some(TOKEN), zoo::component("zoo_slow_v2")).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["plugin"]["version"], "2.0.0");
    let old = in_flight.await.unwrap();
    assert_eq!(
        old["indicator"]["plugin"]["version"], "1.0.0",
        "the request that started on 1.0.0 finished on it: {old}"
    );
    assert_eq!(old["rows"][0]["catatan"], "1.0.0");
    let (version, _) = slow_run(&server, 1).await;
    assert_eq!(version, "2.0.0", "new requests get the new version");

    // Rolled back: 1.0.0 again, and the history lists both.
    let (status, body) = act(&server, Some(TOKEN), "zoo-slow", "rollback").await;
    assert_eq!(
        (status, &body["plugin"]["version"]),
        (200, &Value::from("1.0.0"))
    );
    let (version, _) = slow_run(&server, 2).await;
    assert_eq!(version, "1.0.0");
    let (_, detail) = get_json(&server.url("/api/plugins/zoo-slow")).await;
    let versions: Vec<&str> = detail["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["2.0.0", "1.0.0"], "{detail}");
}

#[tokio::test]
async fn fuel_limits_a_plugin_when_it_is_switched_on() {
    let server = Server::seeded_with(&["--admin-token", TOKEN, "--plugin-fuel", "50000000"], &[]);
    let (status, body) = post_plugin(&server, Some(TOKEN), zoo::component("zoo_slow")).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = get_json(&server.url("/api/indicators/zoo-slow?spin=10")).await;
    assert_eq!(status, 200, "a short run fits in the fuel");
    let (status, body) = get_json(&server.url("/api/indicators/zoo-slow?spin=1000000000")).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "plugin_fuel_limit", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("zoo-slow")
    );
    // The bundled plugins still run under the same fuel.
    let (status, body) = get_json(&server.url("/api/indicators/rupiah-per-unit")).await;
    assert_eq!(status, 200, "{body}");
}
