//! Accounts and plugin review over HTTP against the real binary: tokens made by
//! `logam token`, who may call what, plugin submissions and their review, the audit log,
//! the per-address rate limit on the open endpoints.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{BIN, Server, client, get_json};

const BOOTSTRAP: &str = "a-bootstrap-admin-token-0123456789";

fn component(file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/target/wasm32-wasip2/release")
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn token_cli(db: &Path, args: &[&str]) -> std::process::Output {
    let output = Command::new(BIN)
        .arg("token")
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .expect("run logam token");
    assert!(
        output.status.success(),
        "logam token {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A new token, as the office would make it: by the CLI, on the server's own file.
fn create_token(server: &Server, name: &str, role: &str) -> String {
    let output = token_cli(&server.db, &["create", "--name", name, "--role", role]);
    let token = String::from_utf8(output.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("logam_") && token.len() > 40, "{token}");
    token
}

/// A request body: its content type and bytes.
type Body<'a> = (&'a str, Vec<u8>);

async fn send(
    method: &str,
    url: String,
    token: Option<&str>,
    body: Option<Body<'_>>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = match method {
        "GET" => client().get(url),
        _ => client().post(url),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some((content_type, bytes)) = body {
        request = request.header("content-type", content_type).body(bytes);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn submit(server: &Server, token: &str, bytes: Vec<u8>) -> (u16, Value) {
    let (status, _, body) = send(
        "POST",
        server.url("/api/plugins/submissions"),
        Some(token),
        Some(("application/wasm", bytes)),
    )
    .await;
    (status, body)
}

/// What the admin endpoints could change, read straight from SQLite.
fn plugin_state(db: &Path) -> String {
    let conn = support::sqlite(db);
    let mut state = String::new();
    for sql in [
        "SELECT seq, plugin_id, sha256, coalesce(retired_at, '') FROM _logam_plugin_installs ORDER BY seq",
        "SELECT plugin_id, enabled, changed_at FROM _logam_plugin_status ORDER BY plugin_id",
        "SELECT id, sha256, status, coalesce(reason, ''), coalesce(decided_by, '') FROM _logam_submissions ORDER BY id",
        "SELECT count(*), '', '', '' FROM _logam_audit",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let columns = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..columns)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap();
        for row in rows {
            state.push_str(&row.unwrap().join("|"));
            state.push('\n');
        }
    }
    state
}

#[tokio::test]
async fn admin_endpoints_refuse_missing_contributor_and_revoked_tokens_and_change_nothing() {
    let server = Server::seeded_with(&["--admin-token", BOOTSTRAP], &[]);
    let contributor = create_token(&server, "ayu", "contributor");
    let revoked = create_token(&server, "old-admin", "admin");
    token_cli(&server.db, &["revoke", "old-admin"]);
    // A pending submission, so approve and reject have something to refuse to decide.
    let (status, body) = submit(&server, &contributor, component("template_indicator.wasm")).await;
    assert_eq!(status, 202, "{body}");
    let id = body["submission"]["id"].as_i64().unwrap();

    let (_, plugins_before) = get_json(&server.url("/api/plugins")).await;
    let before = plugin_state(&server.db);
    let template = component("template_indicator.wasm");
    let endpoints: Vec<(&str, String, Option<Body>)> = vec![
        (
            "POST",
            "/admin/plugins".into(),
            Some(("application/wasm", template.clone())),
        ),
        ("POST", "/admin/plugins/cagr/disable".into(), None),
        ("POST", "/admin/plugins/cagr/enable".into(), None),
        ("POST", "/admin/plugins/cagr/rollback".into(), None),
        (
            "POST",
            format!("/admin/plugins/submissions/{id}/approve"),
            None,
        ),
        (
            "POST",
            format!("/admin/plugins/submissions/{id}/reject"),
            Some(("application/json", br#"{"reason": "no"}"#.to_vec())),
        ),
        ("GET", "/admin/audit".into(), None),
        (
            "POST",
            "/admin/datasets/kbli/import".into(),
            Some((
                "text/csv",
                b"kode,versi,uraian_id,uraian_en,catatan,sumber_id\n99997,KBLI 2020,x,x,,bps-kbli-2020\n"
                    .to_vec(),
            )),
        ),
        (
            "POST",
            "/admin/datasets".into(),
            Some(("application/toml", b"id = \"baru\"\n".to_vec())),
        ),
    ];
    let revisions = |db: &std::path::Path| -> (i64, i64) {
        support::sqlite(db)
            .query_row(
                "SELECT count(*), (SELECT count(*) FROM _logam_datasets) FROM _logam_revisions",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    let data_before = revisions(&server.db);
    for (token, status, code) in [
        (None, 401, "unauthorized"),
        (Some(""), 401, "unauthorized"),
        (Some(contributor.as_str()), 403, "forbidden"),
        (Some(revoked.as_str()), 401, "invalid_token"),
        (Some("logam_not-a-token-anyone-made"), 401, "invalid_token"),
    ] {
        for (method, path, body) in &endpoints {
            let (got, headers, answer) = send(method, server.url(path), token, body.clone()).await;
            assert_eq!(
                (got, answer["error"]["code"].as_str()),
                (status, Some(code)),
                "{method} {path} with {token:?}: {answer}"
            );
            if status == 401 {
                let challenge = headers["www-authenticate"].to_str().unwrap();
                assert!(challenge.starts_with("Bearer"), "{challenge}");
            }
        }
    }
    let (_, plugins_after) = get_json(&server.url("/api/plugins")).await;
    assert_eq!(plugins_after, plugins_before);
    assert_eq!(plugin_state(&server.db), before);
    assert_eq!(
        revisions(&server.db),
        data_before,
        "no import or dataset landed"
    );

    // The bootstrap token from the configuration is still an admin.
    let (status, _, audit) = send("GET", server.url("/admin/audit"), Some(BOOTSTRAP), None).await;
    assert_eq!(status, 200, "{audit}");
    // Contributors may submit but never reach the admin side; the refusals left no trace.
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "submission.create",
            "token.revoke",
            "token.create",
            "token.create"
        ]
    );
}

#[tokio::test]
async fn contributors_submit_admins_review_and_the_audit_log_says_who() {
    let server = Server::seeded();
    let admin = create_token(&server, "siti", "admin");
    let ayu = create_token(&server, "ayu", "contributor");
    let budi = create_token(&server, "budi", "contributor");

    // A submission is checked and dry-run at once, but not installed.
    let (status, body) = submit(&server, &ayu, component("template_indicator.wasm")).await;
    assert_eq!(status, 202, "{body}");
    let first = &body["submission"];
    assert_eq!(first["status"], "pending");
    assert_eq!(first["submitter"], "ayu");
    assert_eq!(first["report"]["accepted"], true, "{first}");
    assert_eq!(first["report"]["id"], "contoh-jumlah-kontrak");
    assert!(first["report"]["peak_memory_bytes"].as_u64().unwrap() > 0);
    assert!(first["report"]["time_ms"].as_f64().is_some());
    assert!(!first["report"]["sample"].as_str().unwrap().is_empty());
    assert!(first.get("component").is_none());
    let first_id = first["id"].as_i64().unwrap();
    let (status, _) = get_json(&server.url("/api/indicators/contoh-jumlah-kontrak")).await;
    assert_eq!(status, 404);

    // Garbage is refused on the spot with the reason, and nothing is kept.
    let (status, body) = submit(&server, &ayu, b"\0asm not really".to_vec()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["report"]["accepted"], false);
    assert!(
        body["error"]["code"]
            .as_str()
            .unwrap()
            .starts_with("plugin_"),
        "{body}"
    );

    // Each contributor sees their own submissions; an admin sees all.
    let (status, _, list) = send(
        "GET",
        server.url("/api/plugins/submissions"),
        Some(&ayu),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list["submissions"].as_array().unwrap().len(), 1, "{list}");
    let (_, _, list) = send(
        "GET",
        server.url("/api/plugins/submissions"),
        Some(&budi),
        None,
    )
    .await;
    assert_eq!(list["submissions"], serde_json::json!([]));
    let mine = server.url(&format!("/api/plugins/submissions/{first_id}"));
    let (status, _, _) = send("GET", mine.clone(), Some(&budi), None).await;
    assert_eq!(status, 404);
    let (status, _, _) = send("GET", mine.clone(), None, None).await;
    assert_eq!(status, 401);

    // Approval installs it: callable at once, no restart.
    let approve = server.url(&format!("/admin/plugins/submissions/{first_id}/approve"));
    let (status, _, body) = send("POST", approve.clone(), Some(&admin), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["submission"]["status"], "approved");
    assert_eq!(body["submission"]["decided_by"], "siti");
    let (status, body) = get_json(&server.url("/api/indicators/contoh-jumlah-kontrak")).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = send("POST", approve, Some(&admin), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("submission_decided"))
    );

    // A rejection needs a reason, which the contributor then reads.
    let (status, body) = submit(&server, &budi, component("workers_per_unit.wasm")).await;
    assert_eq!(status, 202, "{body}");
    let second_id = body["submission"]["id"].as_i64().unwrap();
    let reject = server.url(&format!("/admin/plugins/submissions/{second_id}/reject"));
    for empty in [&b"{}"[..], br#"{"reason": "  "}"#, b"not json"] {
        let (status, _, body) = send(
            "POST",
            reject.clone(),
            Some(&admin),
            Some(("application/json", empty.to_vec())),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("reason_required"))
        );
    }
    let why = "sama dengan indikator bawaan; tidak perlu versi kedua";
    let (status, _, body) = send(
        "POST",
        reject.clone(),
        Some(&admin),
        Some((
            "application/json",
            serde_json::to_vec(&serde_json::json!({"reason": why})).unwrap(),
        )),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = send(
        "GET",
        server.url(&format!("/api/plugins/submissions/{second_id}")),
        Some(&budi),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["submission"]["status"], "rejected");
    assert_eq!(body["submission"]["reason"], why);
    let (status, _, _) = send(
        "POST",
        reject,
        Some(&admin),
        Some(("application/json", br#"{"reason": "again"}"#.to_vec())),
    )
    .await;
    assert_eq!(status, 409);

    // An import by an admin token is audited, and its revision names the token.
    let (status, _, report) = send(
        "POST",
        server.url("/admin/datasets/kbli/import?message=satu%20kode"),
        Some(&admin),
        Some((
            "text/csv",
            b"kode,versi,uraian_id,uraian_en,catatan,sumber_id\n99996,KBLI 2020,uji,test,,bps-kbli-2020\n"
                .to_vec(),
        )),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let author: String = support::sqlite(&server.db)
        .query_row(
            "SELECT author FROM _logam_revisions ORDER BY rev DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(author, "siti");
    let (_, _, audit) = send(
        "GET",
        server.url("/admin/audit?limit=1"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(audit["entries"][0]["action"], "dataset.import", "{audit}");
    assert_eq!(audit["entries"][0]["actor"], "siti");
    assert_eq!(audit["entries"][0]["target"], "kbli");

    // The audit log: every action, newest first, with who and when.
    let (status, _, audit) = send("GET", server.url("/admin/audit"), Some(&admin), None).await;
    assert_eq!(status, 200);
    let entries = audit["entries"].as_array().unwrap();
    let seen: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| {
            assert!(e["at"].as_str().unwrap().starts_with("20"), "{e}");
            (
                e["action"].as_str().unwrap(),
                e["actor"].as_str().unwrap(),
                e["target"].as_str().unwrap(),
            )
        })
        .collect();
    let (first_id, second_id) = (first_id.to_string(), second_id.to_string());
    assert_eq!(
        &seen[1..6],
        [
            ("submission.reject", "siti", second_id.as_str()),
            ("submission.create", "budi", second_id.as_str()),
            ("submission.approve", "siti", first_id.as_str()),
            ("submission.refused", "ayu", seen[4].2),
            ("submission.create", "ayu", first_id.as_str()),
        ]
    );
    assert_eq!(entries[1]["detail"]["reason"], why);
    assert_eq!(entries[1]["role"], "admin");
    assert_eq!(entries[2]["role"], "contributor");
    assert_eq!(entries[3]["detail"]["plugin"], "contoh-jumlah-kontrak");
    assert!(
        seen[6..]
            .iter()
            .all(|(action, actor, _)| *action == "token.create" && actor.starts_with("cli:"))
    );
    let (_, _, two) = send(
        "GET",
        server.url("/admin/audit?limit=2"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(two["entries"].as_array().unwrap().len(), 2);
    assert_eq!(two["entries"][0]["seq"], entries[0]["seq"]);
    let (status, _, _) = send(
        "GET",
        server.url("/admin/audit?limit=0"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, 400);

    // Tokens are never printed by `list`, never stored, and out of the SQL sandbox's reach.
    let listing = String::from_utf8(token_cli(&server.db, &["list"]).stdout).unwrap();
    for (name, token) in [("siti", &admin), ("ayu", &ayu), ("budi", &budi)] {
        assert!(listing.contains(name), "{listing}");
        assert!(!listing.contains(token.as_str()), "{listing}");
        assert!(!listing.contains(&token[6..20]), "{listing}");
    }
    let conn = support::sqlite(&server.db);
    let mut stmt = conn.prepare("SELECT * FROM _logam_tokens").unwrap();
    let columns = stmt.column_count();
    let cells: Vec<Vec<u8>> = stmt
        .query_map([], |r| {
            (0..columns)
                .map(|i| {
                    Ok(match r.get::<_, rusqlite::types::Value>(i)? {
                        rusqlite::types::Value::Text(t) => t.into_bytes(),
                        rusqlite::types::Value::Blob(b) => b,
                        other => format!("{other:?}").into_bytes(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap()
        .flat_map(|row| row.unwrap())
        .collect();
    assert_eq!(cells.len(), 3 * columns);
    let mut files = Vec::new();
    for suffix in ["", "-wal"] {
        let mut path = server.db.clone().into_os_string();
        path.push(suffix);
        files.push(std::fs::read(path).unwrap_or_default());
    }
    for token in [&admin, &ayu, &budi] {
        let secret = &token.as_bytes()[6..];
        for haystack in cells.iter().chain(&files) {
            assert!(!haystack.windows(secret.len()).any(|w| w == secret));
        }
    }
    let (status, body) =
        get_json(&server.url("/api/sql?sql=SELECT%20*%20FROM%20_logam_tokens")).await;
    assert!((400..500).contains(&status), "{status} {body}");
    assert!(!body.to_string().contains("salt"), "{body}");
}

#[tokio::test]
async fn the_open_endpoints_are_rate_limited_per_address_and_uploads_are_capped() {
    let server = Server::seeded_with(
        &["--rate-limit-per-minute", "5", "--max-plugin-mib", "1"],
        &[],
    );
    for _ in 0..5 {
        let (status, _) = get_json(&server.url("/api/datasets")).await;
        assert_eq!(status, 200);
    }
    let response = client()
        .get(server.url("/api/datasets"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=12).contains(&wait), "{wait}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");

    let token = create_token(&server, "ayu", "contributor");
    let (status, body) = submit(&server, &token, vec![0u8; 2 << 20]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("upload_too_large"))
    );
    let (status, body) = submit(&server, &token, Vec::new()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("empty_body"))
    );
}
