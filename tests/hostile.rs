//! Hostile plugins against the real binary: every component of the zoo (`tests/zoo`, built
//! from source) is installed over `POST /admin/plugins` and called, while ordinary requests
//! keep arriving. Each must be refused at install or stopped at its limit with its own error
//! code, within its time limit, without disturbing anyone else, and without leaving memory
//! behind.

mod support;
#[path = "support/zoo.rs"]
mod zoo;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::Server;

/// The admin token (the server wants at least 16 characters).
const TOKEN: &str = "zoo-token-for-the-hostile-test";
/// `--plugin-time-limit-ms` of the test server.
const TIME_LIMIT: Duration = Duration::from_millis(1000);
/// How long after its limit a stopped plugin's answer may arrive.
const MARGIN: Duration = Duration::from_secs(3);
/// How much the server's resident memory may grow over the whole zoo. Eight more components
/// stay installed (their compiled code is kept), so some growth is expected; a memory bomb's
/// 64 MiB kept resident, or a leaked instance per call, would exceed it.
const RSS_MARGIN_KIB: u64 = 48 * 1024;
/// The requests that keep arriving while the zoo runs; each must answer 200 with rows.
const ORDINARY: [&str; 2] = [
    "/api/datasets/klaster_knalpot/rows",
    "/api/indicators/rupiah-per-unit",
];
/// At least this many ordinary requests must have been answered during the zoo.
const MIN_ORDINARY: u64 = 40;

/// One HTTP answer: status, body (JSON, or `Value::Null` when it is not JSON), the raw text
/// for messages, and how long it took.
struct Answer {
    status: u16,
    body: Value,
    text: String,
    elapsed: Duration,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }

    /// The body for an assertion message, cut short if huge.
    fn shown(&self) -> String {
        let mut text: String = self.text.chars().take(2000).collect();
        if text.len() < self.text.len() {
            text.push_str(&format!(" … ({} bytes in all)", self.text.len()));
        }
        format!(
            "HTTP {} after {} ms: {text}",
            self.status,
            self.elapsed.as_millis()
        )
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let started = Instant::now();
    let response = request.send().await.expect("send the request");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("read the body");
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        body,
        text,
        elapsed,
    }
}

async fn get(server: &Server, path: &str) -> Answer {
    answer(support::client().get(server.url(path))).await
}

async fn install(server: &Server, wasm: &[u8]) -> Answer {
    answer(
        support::client()
            .post(server.url("/admin/plugins"))
            .header("Authorization", format!("Bearer {TOKEN}"))
            .header("Content-Type", "application/wasm")
            .body(wasm.to_vec()),
    )
    .await
}

/// Asserts an error answer: its status, its code, and the `{"error": {code, message, hint}}`
/// shape.
fn expect_error(what: &str, answer: &Answer, status: u16, code: &str) {
    assert!(
        answer.status == status && answer.code() == code,
        "{what}: expected {status} {code}, got {}",
        answer.shown()
    );
    assert!(
        !answer.message().is_empty() && answer.body["error"]["hint"].is_string(),
        "{what}: the error needs a message and a hint: {}",
        answer.shown()
    );
}

/// `GET /api/plugins` as a map from plugin id to its entry.
async fn plugins(server: &Server) -> BTreeMap<String, Value> {
    let answer = get(server, "/api/plugins").await;
    assert_eq!(answer.status, 200, "GET /api/plugins: {}", answer.shown());
    answer.body["plugins"]
        .as_array()
        .unwrap_or_else(|| panic!("GET /api/plugins has no plugins list: {}", answer.shown()))
        .iter()
        .map(|p| {
            let id = p["id"]
                .as_str()
                .unwrap_or_else(|| panic!("a plugin without an id: {p}"));
            (id.to_string(), p.clone())
        })
        .collect()
}

/// What an install may change in `GET /api/plugins`: which plugins there are, and their
/// version, kind, hash and status. (The call counters move with the ordinary requests.)
async fn roster(server: &Server) -> Vec<String> {
    plugins(server)
        .await
        .into_iter()
        .map(|(id, p)| {
            format!(
                "{id} {} {} {} {}",
                p["version"], p["kind"], p["sha256"], p["status"]
            )
        })
        .collect()
}

/// A counter of one plugin's entry in `GET /api/plugins`.
async fn counter(server: &Server, id: &str, name: &str) -> u64 {
    let all = plugins(server).await;
    let entry = all
        .get(id)
        .unwrap_or_else(|| panic!("{id} is not in GET /api/plugins: {all:?}"));
    entry[name]
        .as_u64()
        .unwrap_or_else(|| panic!("{id} has no counter {name:?} in GET /api/plugins: {entry}"))
}

/// The server's resident memory, in KiB (`VmRSS` of `/proc/{pid}/status`).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("read /proc/{pid}/status: {e}"));
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in /proc/{pid}/status:\n{status}"))
}

/// The smallest of a few samples of the resident memory, a little apart, so that a request
/// still being freed does not count.
async fn settled_rss_kib(pid: u32) -> u64 {
    let mut smallest = u64::MAX;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        smallest = smallest.min(rss_kib(pid));
    }
    smallest
}

/// What the background load saw.
#[derive(Default)]
struct Load {
    answered: u64,
    failures: Vec<String>,
    slowest: Duration,
}

/// Whether a body is a JSON table with at least one row.
fn has_rows(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .is_ok_and(|v| v["rows"].as_array().is_some_and(|rows| !rows.is_empty()))
}

/// Sends the [`ORDINARY`] requests one after the other, with a short pause between rounds,
/// until `stop` is set.
fn spawn_load(base: String, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<Load> {
    tokio::spawn(async move {
        let client = support::client();
        let mut load = Load::default();
        while !stop.load(Ordering::Relaxed) {
            for path in ORDINARY {
                let started = Instant::now();
                let outcome = match client.get(format!("{base}{path}")).send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        match response.bytes().await {
                            Ok(body) if status == 200 && has_rows(&body) => Ok(()),
                            Ok(body) => Err(format!(
                                "{path}: HTTP {status}: {}",
                                String::from_utf8_lossy(&body[..body.len().min(500)])
                            )),
                            Err(e) => Err(format!("{path}: body cut off: {e}")),
                        }
                    }
                    Err(e) => Err(format!("{path}: {e}")),
                };
                load.slowest = load.slowest.max(started.elapsed());
                match outcome {
                    Ok(()) => load.answered += 1,
                    Err(failure) => load.failures.push(failure),
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        load
    })
}

/// A component the host must refuse at install, and why.
struct Refusal {
    what: &'static str,
    wasm: Vec<u8>,
    code: &'static str,
    /// Text the error message must contain (what is wrong), if any.
    names: Option<&'static str>,
}

/// A component the host installs, and calls that must each fail in a given way.
struct Misbehaver {
    file: &'static str,
    id: &'static str,
    kind: &'static str,
    calls: Vec<Call>,
}

struct Call {
    path: &'static str,
    status: u16,
    code: &'static str,
    /// Text the error message must contain, if any.
    says: Option<&'static str>,
}

fn call(path: &'static str, status: u16, code: &'static str) -> Call {
    Call {
        path,
        status,
        code,
        says: None,
    }
}

fn refusals() -> Vec<Refusal> {
    let refusal = |what, wasm, code, names| Refusal {
        what,
        wasm,
        code,
        names,
    };
    let real = zoo::component("zoo_loop");
    let mut truncated = real.clone();
    truncated.truncate(real.len() / 2);
    vec![
        refusal(
            "zoo_filesystem",
            zoo::component("zoo_filesystem"),
            "plugin_forbidden_import",
            Some("wasi:filesystem"),
        ),
        refusal(
            "zoo_sockets",
            zoo::component("zoo_sockets"),
            "plugin_forbidden_import",
            Some("wasi:sockets"),
        ),
        refusal(
            "zoo-command (a wasi:cli command, which also imports wasi:filesystem)",
            zoo::component("zoo-command"),
            "plugin_wrong_world",
            None,
        ),
        refusal(
            "zoo_imposter (exports zoo:imposter/indicator-plugin)",
            zoo::component("zoo_imposter"),
            "plugin_wrong_world",
            None,
        ),
        refusal(
            "zoo_unknown_dataset",
            zoo::component("zoo_unknown_dataset"),
            "plugin_invalid_manifest",
            Some("tidak_ada"),
        ),
        refusal(
            "a component header followed by garbage",
            b"\0asm\x0d\0\x01\0garbage".to_vec(),
            "plugin_not_a_component",
            None,
        ),
        refusal(
            "the first half of zoo_loop.wasm",
            truncated,
            "plugin_not_a_component",
            None,
        ),
        refusal(
            "an empty core module (not a component)",
            b"\0asm\x01\0\0\0".to_vec(),
            "plugin_not_a_component",
            None,
        ),
        refusal(
            "bytes that are not WebAssembly at all",
            b"MZ\x90\0\x03\0\0\0 this is not a plugin".to_vec(),
            "plugin_not_a_component",
            None,
        ),
    ]
}

fn misbehavers() -> Vec<Misbehaver> {
    let indicator = |file, id, calls| Misbehaver {
        file,
        id,
        kind: "indicator",
        calls,
    };
    let malformed = |path| call(path, 502, "plugin_invalid_output");
    vec![
        indicator(
            "zoo_loop",
            "zoo-loop",
            vec![call("/api/indicators/zoo-loop", 504, "plugin_timeout")],
        ),
        indicator(
            "zoo_memory_bomb",
            "zoo-memory-bomb",
            vec![call(
                "/api/indicators/zoo-memory-bomb",
                502,
                "plugin_memory_limit",
            )],
        ),
        indicator(
            "zoo_recursion",
            "zoo-recursion",
            vec![call(
                "/api/indicators/zoo-recursion",
                502,
                "plugin_stack_overflow",
            )],
        ),
        indicator(
            "zoo_flood",
            "zoo-flood",
            vec![call(
                "/api/indicators/zoo-flood",
                502,
                "plugin_output_limit",
            )],
        ),
        indicator(
            "zoo_panic",
            "zoo-panic",
            vec![Call {
                says: Some("zoo: the plugin gave up"),
                ..call("/api/indicators/zoo-panic", 502, "plugin_crashed")
            }],
        ),
        indicator(
            "zoo_malformed",
            "zoo-malformed",
            vec![
                malformed("/api/indicators/zoo-malformed?fault=ends"),
                malformed("/api/indicators/zoo-malformed?fault=columns"),
                malformed("/api/indicators/zoo-malformed?fault=rows"),
                malformed("/api/indicators/zoo-malformed?fault=measures"),
                malformed("/api/indicators/zoo-malformed?fault=type"),
                // The plugin's own `invalid-parameter` error: the client's mistake, a 400.
                Call {
                    says: Some("nonsense"),
                    ..call(
                        "/api/indicators/zoo-malformed?fault=nonsense",
                        400,
                        "invalid_parameter",
                    )
                },
            ],
        ),
        Misbehaver {
            file: "zoo_stuck_exporter",
            id: "zoo-stuck",
            kind: "exporter",
            calls: vec![call(
                "/api/datasets/kontrak_pasokan/rows.zoostuck",
                504,
                "plugin_timeout",
            )],
        },
        Misbehaver {
            file: "zoo_flood_exporter",
            id: "zoo-flood-exporter",
            kind: "exporter",
            calls: vec![call(
                "/api/datasets/kontrak_pasokan/rows.zooflood",
                502,
                "plugin_output_limit",
            )],
        },
    ]
}

/// `contoh-jumlah-kontrak` (the template plugin) answers 2 contracts in 2021.
async fn expect_template_works(server: &Server, when: &str) {
    let answer = get(server, "/api/indicators/contoh-jumlah-kontrak").await;
    assert_eq!(
        answer.status,
        200,
        "{when}: the template indicator: {}",
        answer.shown()
    );
    let rows = answer.body["rows"].as_array().cloned().unwrap_or_default();
    assert!(
        rows.len() == 1
            && rows[0]["tahun"] == json!(2021)
            && rows[0]["nilai"].as_f64() == Some(2.0),
        "{when}: the template indicator should count 2 contracts in 2021: {}",
        answer.shown()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_zoo_is_refused_or_contained_while_ordinary_requests_carry_on() {
    // Build the zoo before the clock starts (the first build takes a while).
    let refusals = refusals();
    let misbehavers = misbehavers();
    let binaries: Vec<Vec<u8>> = misbehavers.iter().map(|m| zoo::component(m.file)).collect();
    let template = zoo::first_party("template_indicator");

    // Compiled components go to a folder of this test's own, not the user's cache, so every
    // run compiles the zoo afresh (and leaves nothing behind).
    let cache = tempfile::tempdir().expect("temp dir");
    let cache_dir = cache.path().to_str().expect("a UTF-8 temp path");
    let server = Server::seeded_with(
        &[
            "--admin-token",
            TOKEN,
            "--plugin-time-limit-ms",
            "1000",
            "--plugin-output-limit-mib",
            "1",
        ],
        &[("LOGAM_CACHE_DIR", cache_dir)],
    );

    // Warm-up: the ordinary requests, and one well-behaved third-party plugin installed and
    // called, so the compiler and the instance pool have run once before the baseline.
    for _ in 0..10 {
        for path in ORDINARY {
            let answer = get(&server, path).await;
            assert_eq!(answer.status, 200, "warm-up {path}: {}", answer.shown());
        }
    }
    let installed = install(&server, &template).await;
    assert_eq!(
        installed.status,
        201,
        "installing the template indicator: {}",
        installed.shown()
    );
    assert_eq!(
        installed.body["plugin"]["id"],
        json!("contoh-jumlah-kontrak"),
        "{}",
        installed.shown()
    );
    for _ in 0..3 {
        expect_template_works(&server, "warm-up").await;
    }
    let rss_before = settled_rss_kib(server.pid()).await;

    let stop = Arc::new(AtomicBool::new(false));
    let load = spawn_load(server.url.clone(), stop.clone());

    // Refused at install: nothing changes.
    for refusal in &refusals {
        let before = roster(&server).await;
        let answer = install(&server, &refusal.wasm).await;
        expect_error(refusal.what, &answer, 422, refusal.code);
        if let Some(name) = refusal.names {
            assert!(
                answer.message().contains(name),
                "{}: the message should name {name}: {}",
                refusal.what,
                answer.shown()
            );
        }
        let after = roster(&server).await;
        assert_eq!(
            before, after,
            "{}: a refused install changed GET /api/plugins",
            refusal.what
        );
    }
    let refused = get(&server, "/api/indicators/zoo-filesystem").await;
    assert_eq!(
        refused.status,
        404,
        "a refused indicator must not be served: {}",
        refused.shown()
    );

    // Installed, then stopped at their limits.
    let mut errors_before = BTreeMap::new();
    let mut failed_calls: BTreeMap<&str, u64> = BTreeMap::new();
    for (misbehaver, wasm) in misbehavers.iter().zip(&binaries) {
        let installed = install(&server, wasm).await;
        assert_eq!(
            installed.status,
            201,
            "installing {}: {}",
            misbehaver.file,
            installed.shown()
        );
        let plugin = &installed.body["plugin"];
        assert!(
            plugin["id"] == json!(misbehaver.id)
                && plugin["kind"] == json!(misbehaver.kind)
                && plugin["sha256"]
                    .as_str()
                    .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())),
            "installing {}: expected {} {} with its sha256: {}",
            misbehaver.file,
            misbehaver.kind,
            misbehaver.id,
            installed.shown()
        );
        errors_before.insert(
            misbehaver.id,
            counter(&server, misbehaver.id, "errors").await,
        );
        for call in &misbehaver.calls {
            let answer = get(&server, call.path).await;
            expect_error(call.path, &answer, call.status, call.code);
            if let Some(text) = call.says {
                assert!(
                    answer.message().contains(text),
                    "{}: the message should contain {text:?}: {}",
                    call.path,
                    answer.shown()
                );
            }
            assert!(
                answer.elapsed <= TIME_LIMIT + MARGIN,
                "{}: answered after {} ms, past the {} ms limit plus {} s: {}",
                call.path,
                answer.elapsed.as_millis(),
                TIME_LIMIT.as_millis(),
                MARGIN.as_secs(),
                answer.shown()
            );
            if call.code == "plugin_timeout" {
                assert!(
                    answer.elapsed >= TIME_LIMIT * 9 / 10,
                    "{}: a timeout after only {} ms, before the {} ms limit: {}",
                    call.path,
                    answer.elapsed.as_millis(),
                    TIME_LIMIT.as_millis(),
                    answer.shown()
                );
            }
            if call.status >= 500 {
                *failed_calls.entry(misbehaver.id).or_default() += 1;
            }
        }
    }

    // Everyone else was served throughout, and still is.
    expect_template_works(&server, "after the zoo").await;
    stop.store(true, Ordering::Relaxed);
    let load = load.await.expect("the load task");
    assert!(
        load.failures.is_empty(),
        "{} of {} ordinary requests failed during the zoo, e.g. {:?}",
        load.failures.len(),
        load.failures.len() as u64 + load.answered,
        &load.failures[..load.failures.len().min(5)]
    );
    assert!(
        load.answered >= MIN_ORDINARY,
        "only {} ordinary requests were answered during the zoo (at least {MIN_ORDINARY} \
         expected)",
        load.answered
    );
    assert!(
        load.slowest <= TIME_LIMIT + MARGIN,
        "an ordinary request took {} ms while the zoo ran",
        load.slowest.as_millis()
    );

    // The failures were counted against the plugins that failed, and only them.
    for (id, failed) in &failed_calls {
        let before = errors_before[id];
        let after = counter(&server, id, "errors").await;
        assert!(
            after >= before + failed,
            "{id}: {failed} failed calls, but its errors counter went from {before} to {after}"
        );
    }
    assert_eq!(
        counter(&server, "contoh-jumlah-kontrak", "errors").await,
        0,
        "the well-behaved template plugin has errors counted against it"
    );

    // And nothing stayed behind in memory.
    let rss_after = settled_rss_kib(server.pid()).await;
    assert!(
        rss_after <= rss_before + RSS_MARGIN_KIB,
        "resident memory grew from {} MiB to {} MiB over the zoo (at most {} MiB allowed)",
        rss_before / 1024,
        rss_after / 1024,
        RSS_MARGIN_KIB / 1024
    );
    eprintln!(
        "hostile: {} ordinary requests answered during the zoo, slowest {} ms; RSS {} → {} MiB",
        load.answered,
        load.slowest.as_millis(),
        rss_before / 1024,
        rss_after / 1024
    );
}
