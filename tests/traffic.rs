//! Hostile public traffic (issue 11), against the real binary on loopback: slow downloads
//! that used to hold every reader, a `/changes` that materialised a whole table, a page that
//! failed on a database without sources, facet bombs without a budget, a rate limiter that
//! could not see through a proxy, token checks queued behind an import, a shutdown without a
//! deadline. Every request loop is bounded in count and time and stops by itself.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Server, client, get_json, sqlite};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ADMIN: &str = "a-bootstrap-admin-token-0123456789";
const ROWS: &str = "/api/datasets/synthetic_enterprises/rows";

/// What a raw request saw of its response before the test stopped reading.
struct Stalled {
    stream: TcpStream,
    status: u16,
    head: String,
}

/// Sends `GET path` from a client that says (through the trusted proxy) it is `client`, reads
/// the response head, and then stops reading: the slowest possible download.
async fn stalled_download(server: &Server, path: &str, client: &str) -> Stalled {
    let mut stream = tokio::time::timeout(
        Duration::from_secs(10),
        TcpStream::connect(server.authority()),
    )
    .await
    .expect("connect in time")
    .expect("connect");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nX-Forwarded-For: {client}\r\nAccept-Encoding: identity\r\n\r\n",
        server.authority()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        assert!(Instant::now() < deadline, "no response head within 20 s");
        let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buffer))
            .await
            .expect("a response head in time")
            .expect("read");
        assert!(n > 0, "connection closed before a response head");
        seen.extend_from_slice(&buffer[..n]);
    }
    let text = String::from_utf8_lossy(&seen).into_owned();
    let head = text.split("\r\n\r\n").next().unwrap_or("").to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    Stalled {
        stream,
        status,
        head: text,
    }
}

/// Reads what is left of a stalled response (bounded), and says whether the chunked body was
/// ended properly (the zero-length last chunk).
async fn drain_to_end(mut stalled: Stalled) -> bool {
    let mut tail = Vec::new();
    let mut buffer = vec![0u8; 1 << 16];
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            Instant::now() < deadline,
            "the stalled response did not end"
        );
        match tokio::time::timeout(Duration::from_secs(30), stalled.stream.read(&mut buffer)).await
        {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                tail.extend_from_slice(&buffer[..n]);
                let keep = tail.len().saturating_sub(16);
                tail.drain(..keep);
            }
            Err(_) => panic!("the stalled response neither ended nor sent anything for 30 s"),
        }
    }
    tail.ends_with(b"\r\n0\r\n\r\n")
}

async fn health(server: &Server) -> Value {
    let (status, body) = get_json(&server.url("/healthz")).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// GET with an `X-Forwarded-For`, returning status, `Retry-After` and the JSON body.
async fn get_as(url: &str, forwarded_for: Option<&str>) -> (u16, Option<String>, Value) {
    let mut request = client().get(url);
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    let response = request.send().await.expect("GET");
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let body = response.text().await.expect("body");
    let json = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, retry, json)
}

#[tokio::test]
async fn slow_downloads_never_starve_pages_rows_metadata_or_health_and_are_cut_off() {
    // Two readers for pages, two download slots, one per client; 8 slow downloads from 8
    // clients is four times the pages' pool.
    let server = Server::generated_with(
        200_000,
        &[
            "--readers",
            "2",
            "--max-exports",
            "2",
            "--max-exports-per-client",
            "1",
            "--trusted-proxy",
            "127.0.0.1",
            "--export-grace-secs",
            "4",
            "--export-min-kib-per-sec",
            "512",
        ],
    );
    let mut admitted = Vec::new();
    let mut refused = Vec::new();
    for i in 0..8 {
        let stalled = stalled_download(
            &server,
            &format!("{ROWS}.csv"),
            &format!("192.0.2.{}", 10 + i),
        )
        .await;
        match stalled.status {
            200 => admitted.push(stalled),
            _ => refused.push(stalled),
        }
    }
    assert_eq!(admitted.len(), 2, "two download slots");
    for refusal in &refused {
        assert_eq!(refusal.status, 503, "{}", refusal.head);
        let lower = refusal.head.to_ascii_lowercase();
        assert!(lower.contains("retry-after: "), "{}", refusal.head);
        assert!(
            refusal.head.contains("\"exports_busy\""),
            "{}",
            refusal.head
        );
    }
    // A second download from a client that has one running: 429, its own limit.
    let (status, retry, body) =
        get_as(&server.url(&format!("{ROWS}.csv")), Some("192.0.2.10")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("too_many_exports"))
    );
    assert!(retry.is_some());

    let running = health(&server).await;
    assert_eq!(running["capacity"]["exports"]["running"], 2, "{running}");

    // Meanwhile, everything else answers at once, every time.
    for round in 0..15 {
        for path in [
            format!("{ROWS}?_size=10"),
            format!("{ROWS}/{}", 1 + round * 997),
            "/api/datasets".to_string(),
            "/api/datasets/synthetic_enterprises".to_string(),
            "/healthz".to_string(),
        ] {
            let started = Instant::now();
            let (status, retry, body) = get_as(&server.url(&path), None).await;
            assert_eq!(
                status, 200,
                "{path} during slow downloads: {retry:?} {body}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{path} took {:?} during slow downloads",
                started.elapsed()
            );
        }
    }

    // The stalled downloads fall below the minimum rate and are cut off: their readers and
    // slots come back, and their bodies end aborted, not as short files.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = health(&server).await;
        if now["capacity"]["exports"]["running"] == 0
            && now["capacity"]["export_readers"]["in_use"] == 0
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "stalled downloads still hold their slots after 60 s: {now}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for stalled in admitted {
        assert!(
            !drain_to_end(stalled).await,
            "a cut-off download must not end like a complete one"
        );
    }
    assert!(server.log().contains("export cut off"), "{}", server.log());

    // And a client that reads at full speed gets the whole file.
    let response = client()
        .get(server.url(&format!("{ROWS}.csv")))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
    let csv = response.text().await.expect("the whole CSV");
    assert_eq!(csv.lines().count(), 200_001);
}

#[tokio::test]
async fn readers_that_do_not_come_free_in_time_answer_503_with_retry_after_not_500() {
    // One reader, a short wait, a generous budget: expensive pages queue up for the one
    // reader, and whoever cannot get it within 100 ms is told to come back.
    let server = Server::generated_with(
        200_000,
        &[
            "--readers",
            "1",
            "--reader-wait-ms",
            "100",
            "--read-budget-ms",
            "30000",
        ],
    );
    // Six different pages: six identical ones would be computed once (the edge cache's
    // single flight) and never queue.
    let mut requests = Vec::new();
    for size in 1..=6 {
        let url = server.url(&format!("{ROWS}?_facet=name&_facet=lat&_size={size}"));
        requests.push(tokio::spawn(async move {
            let started = Instant::now();
            let outcome = get_as(&url, None).await;
            (outcome, started.elapsed())
        }));
    }
    let health_during = health(&server).await;
    assert_eq!(health_during["status"], "ok");
    let mut busy = 0;
    for request in requests {
        let ((status, retry, body), took) = request.await.expect("request");
        match status {
            200 => {}
            503 => {
                busy += 1;
                assert_eq!(body["error"]["code"], "over_capacity", "{body}");
                assert!(body["error"]["hint"].as_str().is_some(), "{body}");
                assert!(retry.is_some(), "a 503 without Retry-After: {body}");
                assert!(took < Duration::from_secs(5), "a 503 took {took:?}");
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(
        busy >= 1,
        "six expensive pages at once on one reader: none was refused"
    );
}

#[tokio::test]
async fn a_facet_bomb_is_stopped_by_the_read_budget_with_a_hint() {
    let server = Server::generated_with(200_000, &["--read-budget-ms", "100"]);
    let started = Instant::now();
    let (status, _, body) = get_as(
        &server.url(&format!(
            "{ROWS}?_facet=name&_facet=lat&_facet=lon&_facet=monthly_value_idr"
        )),
        None,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "read_budget_exceeded");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("100 ms"),
        "{body}"
    );
    assert!(
        body["error"]["hint"].as_str().unwrap().contains("_facet"),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // Cheap reads on the same server are untouched: a page, a facet on an indexed column
    // with nine values, a row.
    for path in [
        format!("{ROWS}?_size=100"),
        format!("{ROWS}?kecamatan=Bobotsari&_facet=kecamatan&_size=5"),
        format!("{ROWS}/4242"),
    ] {
        let (status, _, body) = get_as(&server.url(&path), None).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
}

#[tokio::test]
async fn changes_over_a_large_table_come_in_pages_and_memory_stays_bounded() {
    let server = Server::generated(200_000);
    // Warm up the process (catalog, plugins, first page) before measuring.
    let (status, _) = get_json(&server.url(&format!("{ROWS}?_size=1"))).await;
    assert_eq!(status, 200);
    let before = server.rss_kib();
    let (status, page) =
        get_json(&server.url("/api/datasets/synthetic_enterprises/changes?from=0")).await;
    assert_eq!(status, 200, "{page}");
    let peak = server.rss_kib();
    assert_eq!(page["added"].as_array().unwrap().len(), 1000);
    assert_eq!(page["truncated"], true);
    assert!(
        peak < before + 64 * 1024,
        "RSS grew from {before} KiB to {peak} KiB for one page of changes"
    );
    // Following next_url visits every added row once, in key order, in pages.
    let mut seen = 0u64;
    let mut last_key = 0i64;
    let mut url = server.url("/api/datasets/synthetic_enterprises/changes?from=0&_size=10000");
    for _ in 0..100 {
        let (status, page) = get_json(&url).await;
        assert_eq!(status, 200, "{page}");
        for row in page["added"].as_array().unwrap() {
            let id = row["id"].as_i64().unwrap();
            assert!(id > last_key, "keys out of order: {id} after {last_key}");
            last_key = id;
            seen += 1;
        }
        match page["next_url"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, 200_000);
    let after = server.rss_kib();
    assert!(
        after < before + 128 * 1024,
        "RSS grew from {before} KiB to {after} KiB over all the pages"
    );
    // A token from another range is refused.
    let (status, first) =
        get_json(&server.url("/api/datasets/synthetic_enterprises/changes?from=0&_size=5")).await;
    assert_eq!(status, 200);
    let token = first["next"].as_str().unwrap();
    let (status, body) = get_json(&server.url(&format!(
        "/api/datasets/synthetic_enterprises/changes?from=1&_next={token}"
    )))
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_next_token"))
    );
}

#[tokio::test]
async fn every_page_answers_on_a_generated_database() {
    let server = Server::generated(500);
    let (_, indicators) = get_json(&server.url("/api/indicators")).await;
    let mut paths: Vec<String> = [
        "/",
        "/sources",
        "/sql",
        "/plugins",
        "/datasets/synthetic_enterprises",
        "/datasets/synthetic_enterprises?kecamatan=Bobotsari",
        "/api",
        "/api/docs",
        "/api/datasets",
        "/api/datasets/synthetic_enterprises",
        "/api/datasets/synthetic_enterprises/revisions",
        "/api/datasets/synthetic_enterprises/changes",
        "/api/datasets/synthetic_enterprises/queries",
        "/api/formats",
        "/api/plugins",
        "/catalog.jsonld",
        "/data.json",
        "/datapackage.json",
        "/datasets/synthetic_enterprises/datapackage.json",
        "/openapi.json",
        "/healthz",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    for indicator in indicators["indicators"].as_array().unwrap() {
        let id = indicator["id"].as_str().unwrap();
        paths.push(format!("/indicators/{id}"));
        paths.push(format!("/embed/indicators/{id}"));
        paths.push(format!("/api/indicators/{id}"));
    }
    for path in &paths {
        let response = client().get(server.url(path)).send().await.expect("GET");
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        assert!(
            status < 500,
            "{path} answered {status} on a generated database: {body}"
        );
    }
    let response = client().get(server.url("/sources")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("belum mencatat sumber"), "{page}");
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_a_trusted_peer() {
    let path = "/api/datasets?x=";
    // No trusted proxy: the headers are ignored, so the spoofed addresses share the socket's
    // bucket and the sixth request is refused.
    let plain = Server::generated_with(10, &["--rate-limit-per-minute", "5"]);
    for i in 0..5 {
        let (status, _, _) = get_as(
            &plain.url(&format!("{path}{i}")),
            Some(&format!("198.51.100.{i}")),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (status, retry, _) = get_as(&plain.url(path), Some("198.51.100.99")).await;
    assert_eq!(
        status, 429,
        "a forged X-Forwarded-For bought a fresh bucket"
    );
    assert!(retry.is_some());

    // Behind a trusted proxy (loopback here), each client has its own bucket, found by the
    // rightmost-untrusted rule.
    let proxied = Server::generated_with(
        10,
        &[
            "--rate-limit-per-minute",
            "5",
            "--trusted-proxy",
            "127.0.0.0/8",
        ],
    );
    for i in 0..5 {
        let (status, _, _) = get_as(&proxied.url(&format!("{path}{i}")), Some("192.0.2.1")).await;
        assert_eq!(status, 200);
    }
    let (status, _, body) = get_as(&proxied.url(path), Some("192.0.2.1")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("rate_limited"))
    );
    // A second proxy hop on loopback is trusted too: still 192.0.2.1.
    let (status, _, _) = get_as(&proxied.url(path), Some("192.0.2.1, 127.0.0.5")).await;
    assert_eq!(status, 429);
    // Whatever the client writes to the left of its own address changes nothing.
    let (status, _, _) = get_as(&proxied.url(path), Some("203.0.113.7, 192.0.2.1")).await;
    assert_eq!(status, 429);
    // Another client behind the same proxy is not affected.
    let (status, _, _) = get_as(&proxied.url(path), Some("192.0.2.2")).await;
    assert_eq!(status, 200);
    let (status, _, _) = get_as(&proxied.url(path), Some("[2001:db8::7]:4711")).await;
    assert_eq!(status, 200);
}

async fn admin_get(server: &Server, token: &str, forwarded_for: &str) -> (u16, Value) {
    let response = client()
        .get(server.url("/admin/audit?limit=1"))
        .header("authorization", format!("Bearer {token}"))
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .expect("GET");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_office_routes_are_rate_limited_and_failed_logins_throttled() {
    let server = Server::generated_with(
        10,
        &[
            "--admin-token",
            ADMIN,
            "--trusted-proxy",
            "127.0.0.1",
            "--office-rate-limit-per-minute",
            "4",
            "--failed-logins-per-minute",
            "3",
        ],
    );
    // Wrong tokens from one address: three are checked (401), then the address is refused
    // without looking (429), even with the right token.
    for _ in 0..3 {
        let (status, body) = admin_get(&server, "logam_wrong-token-number-one", "192.0.2.50").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("invalid_token"))
        );
    }
    let (status, body) = admin_get(&server, "logam_wrong-token-number-one", "192.0.2.50").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("too_many_failed_logins"))
    );
    let (status, _) = admin_get(&server, ADMIN, "192.0.2.50").await;
    assert_eq!(status, 429);
    // The right token from another address works, up to the per-token limit.
    for i in 0..4 {
        let (status, body) = admin_get(&server, ADMIN, &format!("192.0.2.{}", 60 + i)).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = admin_get(&server, ADMIN, "192.0.2.70").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("rate_limited")),
        "{body}"
    );
}

#[tokio::test]
async fn a_wrong_token_is_refused_while_an_import_holds_the_writer() {
    let server = Server::generated_with(1000, &["--admin-token", ADMIN]);
    // 100,000 new rows: seconds of parsing, checking and writing.
    let mut file =
        String::from("id,name,kecamatan,product,workers,founded,monthly_value_idr,lat,lon\n");
    for id in 1001..=101_000u32 {
        file.push_str(&format!(
            "{id},Usaha uji {id},Bobotsari,knalpot,{},{},{},-7.3,109.3\n",
            id % 40 + 1,
            1990 + id % 30,
            1_000_000 + id
        ));
    }
    let import_url = server.url("/admin/datasets/synthetic_enterprises/import");
    let import = tokio::spawn(async move {
        let response = reqwest::Client::builder()
            .timeout(Duration::from_secs(600))
            .build()
            .unwrap()
            .post(import_url)
            .header("authorization", format!("Bearer {ADMIN}"))
            .header("content-type", "text/csv")
            .body(file)
            .send()
            .await
            .expect("import");
        let status = response.status().as_u16();
        (
            status,
            response.text().await.unwrap_or_default(),
            Instant::now(),
        )
    });
    // Wait until the import has begun (its body is in), then knock with a wrong token.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut refused_at = Vec::new();
    for _ in 0..3 {
        let (status, body) = admin_get(&server, "logam_not-a-token-anyone-made", "ignored").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("invalid_token"))
        );
        refused_at.push(Instant::now());
    }
    let (status, report, finished_at) = import.await.expect("import task");
    assert_eq!(status, 200, "{report}");
    assert!(report.contains("\"added\":100000"), "{report}");
    assert!(
        refused_at.iter().all(|t| *t < finished_at),
        "a wrong token waited for the import to finish"
    );
    // The import's audit row is there, written with it.
    let audited: i64 = sqlite(&server.db)
        .query_row(
            "SELECT count(*) FROM _logam_audit WHERE action = 'dataset.import' AND target = 'synthetic_enterprises'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 1);
}

#[test]
fn shutdown_has_a_deadline_even_with_a_download_stalled() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut server = Server::generated_with(
        200_000,
        &["--shutdown-grace-secs", "1", "--export-grace-secs", "600"],
    );
    let stalled = runtime.block_on(stalled_download(&server, &format!("{ROWS}.csv"), "x"));
    assert_eq!(stalled.status, 200);
    let started = Instant::now();
    // `terminate` fails the test if the process is still there 10 s after SIGTERM.
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(8));
    // The log pipe may lag the exit by a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !server.log().contains("shutdown deadline") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        server.log().contains("shutdown deadline"),
        "{}",
        server.log()
    );
    drop(stalled);
}

#[test]
fn command_line_and_folder_actions_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gen.db");
    support::generate(&db, 10);
    let csv = dir.path().join("more.csv");
    std::fs::write(
        &csv,
        "id,name,kecamatan,product,workers,founded,monthly_value_idr,lat,lon\n11,Uji,Bobotsari,knalpot,3,2001,5000000,-7.3,109.3\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let output = std::process::Command::new(support::binary())
            .args(args)
            .env("USER", "siti")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let db_arg = db.to_str().unwrap();
    run(&[
        "import",
        "synthetic_enterprises",
        csv.to_str().unwrap(),
        "--db",
        db_arg,
    ]);
    let schema = dir.path().join("baru.toml");
    std::fs::write(
        &schema,
        "id = \"baru\"\nprimary_key = \"id\"\nlicence = \"CC-BY-4.0\"\n[title]\nid = \"Baru\"\nen = \"New\"\n[description]\nid = \"Uji.\"\nen = \"Test.\"\n[[columns]]\nname = \"id\"\ntype = \"integer\"\ntitle = { id = \"ID\", en = \"ID\" }\ndescription = { id = \"ID\", en = \"ID\" }\n",
    )
    .unwrap();
    run(&[
        "dataset",
        "create",
        schema.to_str().unwrap(),
        "--db",
        db_arg,
    ]);

    // A plugin dropped into the watched folder is installed, and audited as the folder's
    // (on a seeded database: the template reads seeded datasets).
    let plugins = dir.path().join("plugins.d");
    std::fs::create_dir_all(&plugins).unwrap();
    let template = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/target/wasm32-wasip2/release/template_indicator.wasm");
    std::fs::copy(&template, plugins.join("template.wasm")).unwrap();
    let seeded = dir.path().join("seeded.db");
    let server = Server::start_with(&seeded, &["--plugins-dir", plugins.to_str().unwrap()], &[]);
    drop(server);
    let (actor, role): (String, String) = sqlite(&seeded)
        .query_row(
            "SELECT actor, role FROM _logam_audit WHERE action = 'plugin.install'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((actor.as_str(), role.as_str()), ("plugins-dir", "folder"));

    let conn = sqlite(&db);
    let mut stmt = conn
        .prepare("SELECT action, actor, role, target FROM _logam_audit ORDER BY seq")
        .unwrap();
    let rows: Vec<(String, String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let find = |action: &str| {
        rows.iter()
            .find(|r| r.0 == action)
            .unwrap_or_else(|| panic!("no {action} in {rows:?}"))
            .clone()
    };
    let import = find("dataset.import");
    assert_eq!((import.1.as_str(), import.2.as_str()), ("cli:siti", "cli"));
    assert_eq!(import.3, "synthetic_enterprises");
    let create = find("dataset.create");
    assert_eq!((create.1.as_str(), create.3.as_str()), ("cli:siti", "baru"));
}
