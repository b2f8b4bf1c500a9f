//! Read-only SQL, over HTTP, against the real binary: what it answers, and everything it must
//! refuse while the database stays byte-for-byte the same and the API keeps answering.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{Server, client, get_json, get_text, sqlite};

fn sql_url(server: &Server, ext: &str, sql: &str, extra: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("sql", sql);
    for (k, v) in extra {
        query.append_pair(k, v);
    }
    server.url(&format!("/api/sql{ext}?{}", query.finish()))
}

/// The database file and its WAL, hashed: "unchanged" means these bytes.
fn fingerprint(db: &std::path::Path) -> String {
    let mut hasher = Sha256::new();
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", db.display());
        if let Ok(bytes) = std::fs::read(&path) {
            hasher.update(path.as_bytes());
            hasher.update(&bytes);
        }
    }
    format!("{:x}", hasher.finalize())
}

#[tokio::test]
async fn select_answers_json_with_columns_types_and_revision() {
    let server = Server::seeded();
    let (status, body) = get_json(&sql_url(
        &server,
        "",
        "SELECT tahun, sum(nilai) AS total FROM klaster_knalpot WHERE ukuran = 'unit_usaha' AND tahun IS NOT NULL GROUP BY tahun ORDER BY tahun",
        &[],
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["columns"][0],
        json!({"name": "tahun", "type": "INTEGER"})
    );
    assert_eq!(body["columns"][1]["name"], json!("total"));
    let expected: Vec<(i64, f64)> = {
        let conn = sqlite(&server.db);
        let mut stmt = conn
            .prepare("SELECT tahun, sum(nilai) FROM klaster_knalpot WHERE ukuran = 'unit_usaha' AND tahun IS NOT NULL GROUP BY tahun ORDER BY tahun")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let got: Vec<(i64, f64)> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["tahun"].as_i64().unwrap(), r["total"].as_f64().unwrap()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(body["truncated"], json!(false));
    let newest: i64 = sqlite(&server.db)
        .query_row("SELECT max(rev) FROM _logam_revisions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        body["revision"],
        json!(newest),
        "the result names the data revision"
    );

    // Duplicate names stay distinct in the row objects.
    let (_, body) = get_json(&sql_url(&server, "", "SELECT 1 AS a, 2 AS a", &[])).await;
    assert_eq!(body["rows"], json!([{"a": 1, "a_2": 2}]));
}

#[tokio::test]
async fn named_parameters_come_from_the_query_string_or_the_body() {
    let server = Server::seeded();
    let sql =
        "SELECT kode, nama FROM wilayah WHERE tingkat = :tingkat AND nama LIKE :awal ORDER BY kode";
    let (status, body) = get_json(&sql_url(
        &server,
        "",
        sql,
        &[("tingkat", "kecamatan"), ("awal", "Kara%")],
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["nama"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Karangreja", "Karanganyar", "Karangmoncol", "Karangjambu"]
    );

    let (status, body) = get_json(&sql_url(&server, "", sql, &[("tingkat", "kecamatan")])).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], json!("sql_missing_parameter"));
    assert!(body["error"]["message"].as_str().unwrap().contains(":awal"));

    // POST, as a form and as JSON, for statements too long for a URL.
    let form = client()
        .post(server.url("/api/sql"))
        .form(&[("sql", sql), ("tingkat", "kecamatan"), ("awal", "Kara%")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let form: Value = form.json().await.unwrap();
    let as_json = client()
        .post(server.url("/api/sql"))
        .json(&json!({"sql": sql, "params": {"tingkat": "kecamatan", "awal": "Kara%"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(as_json.status(), 200);
    let as_json: Value = as_json.json().await.unwrap();
    assert_eq!(form["rows"], as_json["rows"]);
    assert_eq!(form["rows"].as_array().unwrap().len(), 4);

    let bad = client()
        .post(server.url("/api/sql"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let too_big = client()
        .post(server.url("/api/sql"))
        .form(&[("sql", "x".repeat(100 * 1024))])
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413);
    let body: Value = too_big.json().await.unwrap();
    assert_eq!(body["error"]["code"], json!("body_rejected"));
}

#[tokio::test]
async fn json_results_are_capped_and_exports_stream_everything() {
    let server = Server::generated(5000);
    let db = server.db.clone();
    let (_, body) = get_json(&sql_url(
        &server,
        "",
        "SELECT id, kecamatan FROM synthetic_enterprises",
        &[],
    ))
    .await;
    assert_eq!(body["rows"].as_array().unwrap().len(), 1000);
    assert_eq!(body["truncated"], json!(true));
    let (_, body) = get_json(&sql_url(
        &server,
        "",
        "SELECT id FROM synthetic_enterprises",
        &[("_size", "10")],
    ))
    .await;
    assert_eq!(body["rows"].as_array().unwrap().len(), 10);

    let (status, csv_text) = get_text(&sql_url(
        &server,
        ".csv",
        "SELECT id, name, workers FROM synthetic_enterprises ORDER BY id",
        &[],
    ))
    .await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["id", "name", "workers"]
    );
    let ids: Vec<i64> = reader
        .records()
        .map(|r| r.unwrap()[0].parse().unwrap())
        .collect();
    assert_eq!(ids, (1..=5000).collect::<Vec<_>>());

    let (status, ndjson) = get_text(&sql_url(
        &server,
        ".ndjson",
        "SELECT id FROM synthetic_enterprises WHERE kecamatan = :k",
        &[("k", "Rembang")],
    ))
    .await;
    assert_eq!(status, 200);
    let expected: i64 = sqlite(&db)
        .query_row(
            "SELECT count(*) FROM synthetic_enterprises WHERE kecamatan = 'Rembang'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ndjson.lines().count() as i64, expected);
    let (_, bom) = get_text(&sql_url(&server, ".csv", "SELECT 1 AS a", &[("_bom", "1")])).await;
    assert!(bom.starts_with('\u{feff}'));
}

#[tokio::test]
async fn canned_queries_have_urls_formats_and_forms() {
    let server = Server::seeded();
    let (status, list) = get_json(&server.url("/api/datasets/kontrak_pasokan/queries")).await;
    assert_eq!(status, 200);
    assert_eq!(list["queries"][0]["name"], json!("rupiah_per_unit"));

    // Rp250 juta / 3.500 = Rp71.428,57; Rp120 juta / 12.500 = Rp9.600 (the facts file).
    let (status, body) =
        get_json(&server.url("/api/datasets/kontrak_pasokan/queries/rupiah_per_unit")).await;
    assert_eq!(status, 200, "{body}");
    let per_unit: Vec<f64> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rupiah_per_unit"].as_f64().unwrap())
        .collect();
    assert_eq!(per_unit, vec![71428.57, 9600.0]);

    let (_, list) = get_json(&server.url("/api/datasets/klaster_knalpot/queries")).await;
    let seri = list["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == json!("seri_ukuran"))
        .unwrap();
    assert_eq!(seri["parameters"], json!(["ukuran"]));
    let (status, body) = get_json(
        &server.url("/api/datasets/klaster_knalpot/queries/seri_ukuran?ukuran=nilai_produksi"),
    )
    .await;
    assert_eq!(status, 200);
    let expected: i64 = sqlite(&server.db)
        .query_row(
            "SELECT count(*) FROM klaster_knalpot WHERE ukuran = 'nilai_produksi'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(body["rows"].as_array().unwrap().len() as i64, expected);
    let (status, csv_text) = get_text(
        &server.url("/api/datasets/klaster_knalpot/queries/seri_ukuran.csv?ukuran=nilai_produksi"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(csv_text.lines().count() as i64, expected + 1);
    let (status, body) =
        get_json(&server.url("/api/datasets/klaster_knalpot/queries/seri_ukuran")).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("sql_missing_parameter"))
    );
    let (status, body) = get_json(&server.url("/api/datasets/klaster_knalpot/queries/nope")).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (404, json!("unknown_query"))
    );
    let (status, body) = get_json(
        &server.url("/api/datasets/klaster_knalpot/queries/seri_ukuran?sql=DELETE%20FROM%20kbli"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("unknown_parameter")),
        "a canned query's SQL cannot be replaced"
    );

    // Every seeded canned query runs (with a value for each parameter).
    let (_, catalog) = get_json(&server.url("/api/datasets")).await;
    let mut ran = 0;
    for dataset in catalog["datasets"].as_array().unwrap() {
        let id = dataset["id"].as_str().unwrap();
        let (_, list) = get_json(&server.url(&format!("/api/datasets/{id}/queries"))).await;
        for query in list["queries"].as_array().unwrap() {
            let params: String = query["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| format!("{}=nilai_produksi&", p.as_str().unwrap()))
                .collect();
            let (status, body) = get_json(&server.url(&format!(
                "/api/datasets/{id}/queries/{}?{params}",
                query["name"].as_str().unwrap()
            )))
            .await;
            assert_eq!(status, 200, "{id}/{}: {body}", query["name"]);
            ran += 1;
        }
    }
    assert!(ran >= 3);

    // The form page.
    let (status, html) = get_text(
        &server.url("/datasets/klaster_knalpot/queries/seri_ukuran?ukuran=nilai_produksi"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("<input id=\"p-ukuran\" name=\"ukuran\" value=\"nilai_produksi\">"));
    assert!(html.contains("<th scope=\"col\">nilai_tercetak</th>"));
    assert!(html.contains("Rp138,7 miliar"));
    assert!(html.contains(
        "/api/datasets/klaster_knalpot/queries/seri_ukuran.csv?ukuran=nilai_produksi&amp;_bom=1"
    ));
}

#[tokio::test]
async fn as_of_reads_the_data_as_it_was() {
    let server = Server::seeded();
    let (_, before) = get_json(&sql_url(&server, "", "SELECT count(*) AS n FROM kbli", &[])).await;
    let rev_before = before["revision"].as_i64().unwrap();
    let count_before = before["rows"][0]["n"].as_i64().unwrap();
    let store = logam::store::Store::open(
        &server.db,
        &logam::store::OpenOptions {
            seed_if_new: false,
            ..Default::default()
        },
    )
    .unwrap();
    let row = json!({"kode": "99999", "versi": "KBLI 2020", "uraian_en": "test", "uraian_id": "uji", "catatan": null, "sumber_id": "bps-kbli-2020"});
    let rev = store
        .append_rows_blocking(
            "kbli",
            &[row.as_object().unwrap().clone()],
            "test",
            "one more",
        )
        .unwrap();
    assert_eq!(rev, rev_before + 1);

    let (_, now) = get_json(&sql_url(&server, "", "SELECT count(*) AS n FROM kbli", &[])).await;
    assert_eq!(now["rows"][0]["n"], json!(count_before + 1));
    assert_eq!(now["revision"], json!(rev));
    let (_, then) = get_json(&sql_url(
        &server,
        "",
        "SELECT count(*) AS n FROM kbli",
        &[("_as_of", &rev_before.to_string())],
    ))
    .await;
    assert_eq!(then["rows"][0]["n"], json!(count_before), "{then}");
    assert_eq!(then["revision"], json!(rev_before));
    // The host applies the revision; the statement cannot step around it.
    let (status, body) = get_json(&sql_url(
        &server,
        "",
        "SELECT count(*) FROM main.kbli",
        &[("_as_of", &rev_before.to_string())],
    ))
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("sql_denied"))
    );
    let (status, body) = get_json(&sql_url(&server, "", "SELECT 1", &[("_as_of", "999999")])).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("unknown_revision"))
    );

    // The rows API and its exports take `_as_of` too.
    let (_, page) = get_json(&server.url(&format!(
        "/api/datasets/kbli/rows?_count=1&_as_of={rev_before}"
    )))
    .await;
    assert_eq!(page["count"], json!(count_before));
    let (_, csv_text) =
        get_text(&server.url(&format!("/api/datasets/kbli/rows.csv?_as_of={rev_before}"))).await;
    assert_eq!(csv_text.lines().count() as i64, count_before + 1);
    let (status, body) = get_json(&server.url("/api/datasets/kbli/rows?_as_of=0")).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("unknown_revision"))
    );
}

/// Statements that must never run: each is refused (or cut off by a limit) with a JSON 4xx.
fn attack_corpus() -> Vec<String> {
    let mut corpus: Vec<String> = [
        // Every write form.
        "INSERT INTO kbli(kode, versi, uraian_en, uraian_id, sumber_id) VALUES ('1','x','x','x','x')",
        "UPDATE kbli SET versi = 'x'",
        "DELETE FROM kbli",
        "REPLACE INTO kbli(kode) VALUES ('x')",
        "INSERT INTO kbli SELECT * FROM kbli",
        "WITH x AS (SELECT 1) DELETE FROM kbli",
        "DROP TABLE kbli",
        "DROP VIEW IF EXISTS v",
        "CREATE TABLE x(a)",
        "CREATE TEMP TABLE x(a)",
        "CREATE VIEW v AS SELECT 1",
        "CREATE INDEX i ON kbli(versi)",
        "CREATE TRIGGER t AFTER INSERT ON kbli BEGIN SELECT 1; END",
        "CREATE VIRTUAL TABLE v USING fts5(a)",
        "ALTER TABLE kbli ADD COLUMN x",
        "ALTER TABLE kbli RENAME TO y",
        "VACUUM",
        "VACUUM INTO '/tmp/logam-stolen.db'",
        "REINDEX",
        "ANALYZE",
        "BEGIN",
        "COMMIT",
        "SAVEPOINT a",
        // Other databases.
        "ATTACH DATABASE '/tmp/logam-x.db' AS x",
        "ATTACH 'file::memory:' AS m",
        "DETACH DATABASE main",
        // Pragmas.
        "PRAGMA writable_schema = ON",
        "PRAGMA journal_mode = DELETE",
        "PRAGMA query_only = OFF",
        "PRAGMA table_info(kbli)",
        "PRAGMA database_list",
        "SELECT * FROM pragma_database_list",
        "SELECT * FROM pragma_table_info('_logam_tokens')",
        "PRAGMA integrity_check",
        // Extensions and unlisted functions.
        "SELECT load_extension('/tmp/evil.so')",
        "SELECT load_extension('/tmp/evil.so', 'entry') FROM kbli",
        "SELECT readfile('/etc/passwd')",
        "SELECT writefile('/tmp/x', 'y')",
        "SELECT fts3_tokenizer('simple')",
        "SELECT sqlite_compileoption_get(0)",
        // Internal tables, however they are spelled.
        "SELECT * FROM _logam_datasets",
        "SELECT * FROM _logam_revisions",
        "SELECT * FROM _logam_meta",
        "SELECT * FROM _logam_tokens",
        "SELECT secret FROM _logam_tokens",
        "SELECT * FROM _logam_plugins",
        "sElEcT * FrOm _LOGAM_TOKENS",
        "SELECT * FROM \"_logam_tokens\"",
        "SELECT * FROM main._logam_tokens",
        "SELECT * FROM [_logam_tokens]",
        "SELECT * FROM `_logam_plugins`",
        "SELECT * FROM kbli WHERE kode IN (SELECT secret FROM _logam_tokens)",
        "SELECT * FROM kbli UNION ALL SELECT secret, 1, 1, 1, 1, 1, 1 FROM _logam_tokens",
        "WITH t AS (SELECT * FROM _logam_tokens) SELECT * FROM t",
        "SELECT * FROM sqlite_master",
        "SELECT * FROM sqlite_schema",
        "SELECT * FROM sqlite_temp_master",
        "SELECT name FROM main.sqlite_schema",
        "SELECT * FROM _logam_fts_program",
        "SELECT * FROM _logam_fts_program_data",
        "SELECT * FROM dbstat",
        // Bombs: cut off by the deadline or the value-size limit.
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION SELECT x + 1 FROM c) SELECT max(x) FROM c",
        "WITH RECURSIVE s(x) AS (SELECT 'x' UNION ALL SELECT x || x FROM s) SELECT length(x) FROM s",
        "SELECT count(*) FROM klaster_knalpot a, klaster_knalpot b, klaster_knalpot c, klaster_knalpot d, klaster_knalpot e, klaster_knalpot f",
        "SELECT a.catatan || b.catatan FROM klaster_knalpot a, klaster_knalpot b, klaster_knalpot c, klaster_knalpot d, klaster_knalpot e ORDER BY 1 DESC",
        "SELECT group_concat(a.catatan || b.catatan || c.catatan) FROM klaster_knalpot a, klaster_knalpot b, klaster_knalpot c, klaster_knalpot d",
        "SELECT randomblob(1000000000)",
        "SELECT zeroblob(1000000000)",
        "SELECT printf('%.*c', 1000000000, 'x')",
        "SELECT format('%1000000000d', 1)",
        "SELECT hex(zeroblob(100000000))",
        // Statements hidden behind comments, semicolons and Unicode.
        "SELECT 1; DELETE FROM kbli",
        "SELECT 1 /* ; */ ; DROP TABLE kbli",
        "/* SELECT */ DELETE FROM kbli",
        "-- SELECT\nDELETE FROM kbli",
        "SELECT 1;\u{00a0}DELETE FROM kbli",
        "ＤＥＬＥＴＥ FROM kbli",
        "DELETE\u{200b} FROM kbli",
        "SELECT 1\u{0000}; DELETE FROM kbli",
        "SELECT * FROM kbli; ATTACH 'x' AS y",
        "",
        "   ",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Too deep, too long.
    corpus.push(format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000)));
    corpus.push(format!("SELECT 1 {}", "+ 1 ".repeat(10_000)));
    corpus.push(format!("SELECT '{}'", "x".repeat(30_000)));
    corpus
}

#[tokio::test]
async fn the_attack_corpus_is_refused_the_file_is_unchanged_and_the_api_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logam.db");
    {
        // Seed, then fill the internal tables worth stealing (a token's hash, plugin
        // blobs), so the corpus can try to read them.
        drop(Server::start(&db));
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "INSERT INTO _logam_tokens(name, role, salt, hash, created_at)
                 VALUES ('admin', 'admin', x'00', x'0123', '2026-01-01T00:00:00Z');
             CREATE TABLE _logam_plugins (id TEXT, wasm BLOB);
             INSERT INTO _logam_plugins VALUES ('p', x'0061736d');
             PRAGMA wal_checkpoint(TRUNCATE);",
        )
        .unwrap();
    }
    let server = Server::start(&db);
    // Taken with the server up: opening the store may create the WAL file, which is not the
    // attack's doing.
    get_json(&server.url("/healthz")).await;
    let before = fingerprint(&db);
    let corpus = attack_corpus();
    assert!(corpus.len() >= 40, "{} statements", corpus.len());

    // Ordinary readers run throughout, measuring their own latency.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = {
        let stop = stop.clone();
        let url = server.url("/api/datasets/klaster_knalpot/rows?_size=20&tahun__gte=2010");
        tokio::spawn(async move {
            let http = client();
            let mut latencies = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let started = Instant::now();
                let response = http.get(&url).send().await.expect("probe request");
                assert_eq!(
                    response.status(),
                    200,
                    "an ordinary request failed during the attack"
                );
                response.bytes().await.unwrap();
                latencies.push(started.elapsed());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            latencies
        })
    };
    // A baseline with nothing else running, for the report.
    let baseline = {
        let http = client();
        let mut worst = Duration::ZERO;
        for _ in 0..20 {
            let started = Instant::now();
            http.get(server.url("/healthz")).send().await.unwrap();
            worst = worst.max(started.elapsed());
        }
        worst
    };

    let allowed = [
        "sql_denied",
        "sql_invalid",
        "sql_timeout",
        "sql_too_big",
        "sql_multiple_statements",
        "sql_empty",
    ];
    let mut seen_codes = BTreeSet::new();
    for statement in &corpus {
        let started = Instant::now();
        let response = client()
            .post(server.url("/api/sql"))
            .form(&[("sql", statement.as_str())])
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        let code = body["error"]["code"]
            .as_str()
            .unwrap_or("(none)")
            .to_string();
        let shown: String = statement.chars().take(80).collect();
        assert_eq!(status, 400, "{shown:?} was not refused: {body}");
        assert!(
            allowed.contains(&code.as_str()),
            "{shown:?}: unexpected code {code}: {body}"
        );
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{shown:?} took {:?}",
            started.elapsed()
        );
        seen_codes.insert(code);
    }
    assert!(
        seen_codes.contains("sql_timeout")
            && seen_codes.contains("sql_too_big")
            && seen_codes.contains("sql_denied"),
        "{seen_codes:?}"
    );

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut latencies = probe.await.unwrap();
    latencies.sort();
    let worst = *latencies.last().unwrap();
    let p50 = latencies[latencies.len() / 2];
    eprintln!(
        "ordinary requests during the attack: {} requests, p50 {p50:?}, worst {worst:?} (baseline worst {baseline:?})",
        latencies.len()
    );
    assert!(latencies.len() >= 20, "the probe barely ran");
    // A server queued behind the statements would take a full deadline (1 s) per request.
    assert!(
        worst < Duration::from_millis(500),
        "ordinary requests waited {worst:?} behind SQL"
    );

    assert_eq!(fingerprint(&db), before, "the database changed");
    drop(server);
    let integrity: String = sqlite(&db)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
}

#[tokio::test]
async fn each_client_gets_a_bounded_number_of_statements_at_once() {
    let server = Server::seeded();
    let bomb = sql_url(
        &server,
        "",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        &[("_timelimit", "600")],
    );
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let url = bomb.clone();
            tokio::spawn(async move {
                let response = client().get(&url).send().await.unwrap();
                let status = response.status().as_u16();
                let retry = response.headers().get("retry-after").is_some();
                let body: Value = response.json().await.unwrap();
                (
                    status,
                    body["error"]["code"].as_str().unwrap_or("").to_string(),
                    retry,
                )
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let limited = outcomes
        .iter()
        .filter(|(s, c, r)| *s == 429 && c == "too_many_queries" && *r)
        .count();
    let timed_out = outcomes
        .iter()
        .filter(|(s, c, _)| *s == 400 && c == "sql_timeout")
        .count();
    assert!(limited >= 1, "{outcomes:?}");
    assert!(timed_out >= 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|(s, _, _)| [400, 429, 503].contains(s)),
        "{outcomes:?}"
    );
    // The limit is on statements in flight, not a ban.
    let (status, _) = get_json(&sql_url(&server, "", "SELECT 1", &[])).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_sql_page_runs_a_statement_and_explains_a_refusal() {
    let server = Server::seeded();
    let (status, html) = get_text(&server.url("/sql")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<textarea id=\"sql\" name=\"sql\""));
    assert!(html.contains("lang=\"id\""));
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("sql", "SELECT nama FROM wilayah WHERE kode = :kode")
        .append_pair("kode", "33.03.09")
        .finish();
    let (status, html) = get_text(&server.url(&format!("/sql?{query}"))).await;
    assert_eq!(status, 200);
    assert!(html.contains("<td>Bobotsari</td>"), "{html}");
    assert!(html.contains("/api/sql.csv?sql="));
    let (_, html) = get_text(&server.url(&format!("/sql?{query}&lang=en"))).await;
    assert!(html.contains("lang=\"en\"") && html.contains("Download all rows"));
    let (status, html) = get_text(&server.url("/sql?sql=DELETE%20FROM%20kbli")).await;
    assert_eq!(status, 200);
    assert!(html.contains("role=\"alert\"") && html.contains("sql_denied"));
    // What a statement returns is escaped.
    let (_, html) =
        get_text(&server.url("/sql?sql=SELECT%20%27%3Cscript%3Ex%3C%2Fscript%3E%27%20AS%20a"))
            .await;
    assert!(!html.contains("<script>x") && html.contains("&lt;script&gt;x"));
}
