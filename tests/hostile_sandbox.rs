//! The second hostile zoo (issue 12) against the real binary: plugins that wait inside host
//! calls, starve the readers, flood the instance pool, spread their time over many calls, make
//! the host allocate, bomb the compiler or the manifest, flood the review queue, take another
//! plugin's id or reuse a version. Each case runs on its own server while ordinary requests
//! and `/healthz` keep arriving, and each must be answered with its typed error within its
//! limit plus a small margin.
//!
//! The cases run one at a time (a lock), since their timings are what they check.

mod support;
#[path = "support/zoo.rs"]
mod zoo;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{BIN, Server};

const TOKEN: &str = "zoo-token-for-the-second-hostile-test";
/// `--plugin-time-limit-ms` and `--plugin-request-time-limit-ms` of the test servers.
const CALL_LIMIT: Duration = Duration::from_millis(1000);
const REQUEST_LIMIT: Duration = Duration::from_millis(2500);
/// How long after its limit a stopped plugin's answer may arrive.
const MARGIN: Duration = Duration::from_secs(3);

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Answer {
    status: u16,
    body: Value,
    retry_after: Option<String>,
    elapsed: Duration,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
    fn shown(&self) -> String {
        let text: String = self.body.to_string().chars().take(1500).collect();
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
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = response.bytes().await.unwrap_or_default();
    Answer {
        status,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        retry_after,
        elapsed: started.elapsed(),
    }
}

async fn get(server: &Server, path: &str) -> Answer {
    answer(support::client().get(server.url(path))).await
}

async fn post(server: &Server, path: &str, token: &str, wasm: &[u8]) -> Answer {
    answer(
        support::client()
            .post(server.url(path))
            .bearer_auth(token)
            .header("Content-Type", "application/wasm")
            .body(wasm.to_vec()),
    )
    .await
}

async fn install(server: &Server, wasm: &[u8]) -> Answer {
    post(server, "/admin/plugins", TOKEN, wasm).await
}

fn expect(what: &str, answer: &Answer, status: u16, code: &str, within: Duration) {
    assert!(
        answer.status == status && answer.code() == code,
        "{what}: expected {status} {code}, got {}",
        answer.shown()
    );
    assert!(
        answer.elapsed <= within,
        "{what}: answered after {} ms, more than {} ms: {}",
        answer.elapsed.as_millis(),
        within.as_millis(),
        answer.shown()
    );
}

fn expect_installed(what: &str, answer: &Answer) {
    assert_eq!(answer.status, 201, "installing {what}: {}", answer.shown());
}

/// A server of its own (with an empty compiled-code cache) with the zoo member `name`
/// installed. The cache directory lives as long as the returned guard.
async fn serving(name: &str) -> (tempfile::TempDir, Server) {
    let wasm = zoo::component(name);
    let cache = tempfile::tempdir().expect("temp dir");
    let server = server(cache.path(), &[]);
    expect_installed(name, &install(&server, &wasm).await);
    (cache, server)
}

/// A server with the test's limits and a compiled-plugin cache of its own.
fn server(cache: &Path, extra: &[&str]) -> Server {
    let mut args = vec![
        "--admin-token",
        TOKEN,
        "--plugin-time-limit-ms",
        "1000",
        "--plugin-request-time-limit-ms",
        "2500",
        "--plugin-output-limit-mib",
        "1",
    ];
    args.extend_from_slice(extra);
    Server::seeded_with(
        &args,
        &[("LOGAM_CACHE_DIR", cache.to_str().expect("UTF-8"))],
    )
}

/// Ordinary requests and `/healthz`, one after the other until stopped; every one must be
/// answered 200 within the call limit plus the margin.
struct Load {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<(u64, Vec<String>)>,
}

const ORDINARY: [&str; 3] = [
    "/healthz",
    "/api/datasets/klaster_knalpot/rows",
    "/api/indicators/rupiah-per-unit",
];

impl Load {
    fn start(server: &Server) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let (base, flag) = (server.url.clone(), stop.clone());
        let task = tokio::spawn(async move {
            let client = support::client();
            let (mut answered, mut failures) = (0, Vec::new());
            while !flag.load(Ordering::Relaxed) {
                for path in ORDINARY {
                    let started = Instant::now();
                    let request = client
                        .get(format!("{base}{path}"))
                        .timeout(CALL_LIMIT + MARGIN)
                        .send()
                        .await;
                    match request {
                        Ok(r) => {
                            let status = r.status().as_u16();
                            match r.bytes().await {
                                Ok(_) if status == 200 => answered += 1,
                                _ => failures.push(format!("{path}: HTTP {status}")),
                            }
                        }
                        Err(e) => failures.push(format!(
                            "{path}: {e} after {} ms",
                            started.elapsed().as_millis()
                        )),
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (answered, failures)
        });
        Load { stop, task }
    }

    async fn finish(self, case: &str) {
        self.stop.store(true, Ordering::Relaxed);
        let (answered, failures) = self.task.await.expect("the load task");
        assert!(
            failures.is_empty(),
            "{case}: {} ordinary requests failed, e.g. {:?}",
            failures.len(),
            &failures[..failures.len().min(5)]
        );
        assert!(
            answered >= 3,
            "{case}: only {answered} ordinary requests answered"
        );
        eprintln!("{case}: {answered} ordinary requests answered during the case");
    }
}

fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() { files_under(&path) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn contributor(server: &Server, name: &str) -> String {
    let output = Command::new(BIN)
        .args([
            "token",
            "create",
            "--name",
            name,
            "--role",
            "contributor",
            "--db",
        ])
        .arg(&server.db)
        .output()
        .expect("run logam token create");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .trim()
        .to_string()
}

/// Defect 1: waiting in a host call (describe, constructor, push, finish, write) is stopped
/// at the deadline, in installs, submissions, requests and `logam plugin check` alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_waiting_in_a_host_call_is_stopped_at_its_deadline() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (sleep, describe, exporter) = (
        zoo::component("zoo_sleep"),
        zoo::component("zoo_sleep_describe"),
        zoo::component("zoo_sleep_exporter"),
    );
    let cache = tempfile::tempdir().expect("temp dir");
    let server = server(cache.path(), &[]);
    let load = Load::start(&server);

    expect_installed("zoo_sleep", &install(&server, &sleep).await);
    for at in ["constructor", "push", "finish"] {
        let path = format!("/api/indicators/zoo-sleep?at={at}");
        let answer = get(&server, &path).await;
        expect(&path, &answer, 504, "plugin_timeout", CALL_LIMIT + MARGIN);
    }
    expect_installed("zoo_sleep_exporter", &install(&server, &exporter).await);
    let path = "/api/datasets/kontrak_pasokan/rows.zoosleep";
    expect(
        path,
        &get(&server, path).await,
        504,
        "plugin_timeout",
        CALL_LIMIT + MARGIN,
    );

    // describe() at install, twice in a row (the second is not held behind the first), and
    // in a contributor's submission.
    for round in 0..2 {
        let answer = install(&server, &describe).await;
        let what = format!("install {round} of zoo_sleep_describe");
        expect(
            &what,
            &answer,
            422,
            "plugin_invalid_manifest",
            CALL_LIMIT + MARGIN,
        );
        assert!(
            answer.message().contains("time limit"),
            "{}",
            answer.shown()
        );
    }
    let ayu = contributor(&server, "ayu");
    let answer = post(&server, "/api/plugins/submissions", &ayu, &describe).await;
    expect(
        "the submission",
        &answer,
        422,
        "plugin_invalid_manifest",
        CALL_LIMIT + MARGIN,
    );
    load.finish("waiting in host calls").await;

    // `logam plugin check` is bounded too: no longer than checking a good plugin (which
    // pays for the engine, the bundled plugins and a fresh database) plus the limit.
    let file = cache.path().join("zoo_sleep_describe.wasm");
    std::fs::write(&file, &describe).expect("write the component");
    let good = cache.path().join("template_indicator.wasm");
    std::fs::write(&good, zoo::first_party("template_indicator")).expect("write the component");
    let check = |file: &Path| {
        let started = Instant::now();
        let output = Command::new(BIN)
            .args(["plugin", "check", "--plugin-time-limit-ms", "1000"])
            .arg(file)
            .env("LOGAM_CACHE_DIR", cache.path())
            .output()
            .expect("run logam plugin check");
        (output, started.elapsed())
    };
    let (output, baseline) = check(&good);
    assert!(
        output.status.success(),
        "plugin check refused the template: {output:?}"
    );
    let (output, elapsed) = check(&file);
    assert!(
        !output.status.success(),
        "plugin check accepted it: {output:?}"
    );
    assert!(
        elapsed <= baseline + CALL_LIMIT + MARGIN,
        "plugin check took {} ms, a good plugin's {} ms",
        elapsed.as_millis(),
        baseline.as_millis()
    );
}

/// Defect 2: five downloads through an exporter whose `write` blocks cannot take the readers
/// or `/healthz` away, and the readers come back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exporter_that_blocks_cannot_starve_the_readers() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (_cache, server) = serving("zoo_sleep_exporter").await;
    let load = Load::start(&server);
    let downloads: Vec<_> = (0..5)
        .map(|_| {
            let url = server.url("/api/datasets/kontrak_pasokan/rows.zoosleep");
            tokio::spawn(async move { answer(support::client().get(url)).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for path in ["/healthz", "/api/datasets/kontrak_pasokan/rows"] {
        let answer = get(&server, path).await;
        assert!(
            answer.status == 200 && answer.elapsed < Duration::from_secs(2),
            "{path} while the exports block: {}",
            answer.shown()
        );
    }
    for download in downloads {
        let answer = download.await.expect("the download");
        assert!(
            answer.elapsed <= REQUEST_LIMIT + MARGIN && answer.status != 200,
            "a blocking export: {}",
            answer.shown()
        );
    }
    for _ in 0..10 {
        let answer = get(&server, "/api/datasets/kontrak_pasokan/rows").await;
        assert_eq!(answer.status, 200, "after the exports: {}", answer.shown());
    }
    load.finish("reader-starving exporter").await;
}

/// Defect 3: 256 requests at once to a plugin that never finishes are refused past the
/// concurrency limits with 503 and Retry-After; no one gets a 502 and the bundled plugins
/// keep answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_slow_calls_is_refused_for_that_plugin_only() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (_cache, server) = serving("zoo_sleep").await;
    let load = Load::start(&server);
    let flood: Vec<_> = (0..256)
        .map(|_| {
            let url = server.url("/api/indicators/zoo-sleep?at=finish");
            tokio::spawn(async move { answer(support::client().get(url)).await })
        })
        .collect();
    let mut busy = 0;
    for request in flood {
        let answer = request.await.expect("a flood request");
        match (answer.status, answer.code()) {
            (504, "plugin_timeout") => {}
            (503, "plugin_busy") => {
                assert!(answer.retry_after.is_some(), "503 without Retry-After");
                busy += 1;
            }
            _ => panic!("a flood request: {}", answer.shown()),
        }
    }
    assert!(
        busy > 0,
        "no request was refused past the concurrency limit"
    );
    let answer = get(&server, "/api/indicators/cagr").await;
    assert_eq!(
        answer.status,
        200,
        "a bundled plugin after the flood: {}",
        answer.shown()
    );
    load.finish("pool exhaustion").await;
}

/// Defect 4: the time limit covers the whole request: many pushes, each under the per-call
/// limit, are stopped when their sum reaches the request's budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_slow_pushes_are_stopped_at_the_request_budget() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (_cache, server) = serving("zoo_budget").await;
    // Calibrate: 16 pushes of 5M rounds.
    let sample = get(&server, "/api/indicators/zoo-budget?spin=5000000").await;
    assert_eq!(sample.status, 200, "calibration: {}", sample.shown());
    let per_round = sample.elapsed.as_secs_f64() / (16.0 * 5_000_000.0);
    let spin = ((0.4 / per_round) as u64).clamp(5_000_000, 4_000_000_000);
    let load = Load::start(&server);
    let answer = get(&server, &format!("/api/indicators/zoo-budget?spin={spin}")).await;
    expect(
        "16 pushes of 0.4 s",
        &answer,
        504,
        "plugin_timeout",
        REQUEST_LIMIT + MARGIN,
    );
    assert!(answer.message().contains("budget"), "{}", answer.shown());
    load.finish("request budget").await;
}

/// Defect 5: what a plugin makes the host allocate is capped: eight 64 MiB random-bytes
/// calls at once are refused and leave the server's memory as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_from_the_host_are_capped() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (_cache, server) = serving("zoo_random").await;
    let before = server.rss_kib();
    let load = Load::start(&server);
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let url = server.url("/api/indicators/zoo-random");
            tokio::spawn(async move { answer(support::client().get(url)).await })
        })
        .collect();
    let mut peak = before;
    for _ in 0..40 {
        peak = peak.max(server.rss_kib());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for call in calls {
        let answer = call.await.expect("a random call");
        expect(
            "zoo-random",
            &answer,
            502,
            "plugin_memory_limit",
            CALL_LIMIT + MARGIN,
        );
    }
    let answer = get(&server, "/api/indicators/zoo-random").await;
    expect(
        "zoo-random",
        &answer,
        502,
        "plugin_memory_limit",
        CALL_LIMIT + MARGIN,
    );
    assert!(
        answer.message().contains("random bytes"),
        "{}",
        answer.shown()
    );
    assert!(
        peak <= before + 96 * 1024,
        "resident memory peaked at {} MiB from {} MiB",
        peak / 1024,
        before / 1024
    );
    load.finish("host allocation").await;
}

/// Installs each bomb (admin) and submits it (contributor `token`): both must be refused
/// `plugin_too_complex` within `within`, the message naming `naming` when given.
async fn refuse_bombs(
    server: &Server,
    token: &str,
    bombs: &[(&str, Vec<u8>)],
    within: Duration,
    naming: Option<&str>,
) {
    for (what, bomb) in bombs {
        for answer in [
            install(server, bomb).await,
            post(server, "/api/plugins/submissions", token, bomb).await,
        ] {
            expect(what, &answer, 422, "plugin_too_complex", within);
            eprintln!(
                "{what}: refused after {} ms: {}",
                answer.elapsed.as_millis(),
                answer.message()
            );
            if let Some(naming) = naming {
                assert!(
                    answer.message().contains(naming),
                    "{what}: the refusal does not name {naming:?}: {}",
                    answer.shown()
                );
            }
        }
    }
}

/// Refused components must leave the compiled-plugin cache as it was.
fn assert_no_new_artifacts(cache: &Path, before: usize) {
    assert_eq!(
        files_under(cache),
        before,
        "refused components left compiled artifacts in the cache"
    );
}

/// The server's resident memory within 64 MiB of `before` (KiB).
fn assert_memory_back(server: &Server, before: u64) {
    let after = server.rss_kib();
    assert!(
        after <= before + 64 * 1024,
        "resident memory went from {} MiB to {} MiB",
        before / 1024,
        after / 1024
    );
}

/// Defects 6 and 7: compile bombs (deep nesting, thousands of locals) inside an otherwise
/// working component are refused with `plugin_too_complex` in seconds, at install and on
/// submission; refused components leave nothing in the compiled-plugin cache; memory returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compile_bombs_are_refused_before_compiling_and_nothing_refused_is_cached() {
    let _one = ONE_AT_A_TIME.lock().await;
    let base = zoo::component("zoo_loop");
    let bombs = [
        (
            "100,000 nested blocks",
            zoo::with_module(&base, &zoo::bomb_module(100_000, 0)),
        ),
        (
            "40,000 locals",
            zoo::with_module(&base, &zoo::bomb_module(10, 40_000)),
        ),
    ];
    let refused = [
        zoo::component("zoo_filesystem"),
        zoo::component("zoo_unknown_dataset"),
    ];
    let cache = tempfile::tempdir().expect("temp dir");
    let server = server(cache.path(), &[]);
    let ayu = contributor(&server, "ayu");
    // Warm up, so the baseline has compiled once.
    expect_installed("zoo_loop", &install(&server, &base).await);
    let before = server.rss_kib();
    let cached = files_under(cache.path());
    let load = Load::start(&server);
    refuse_bombs(&server, &ayu, &bombs, Duration::from_secs(3), None).await;
    for component in &refused {
        let answer = install(&server, component).await;
        assert_eq!(answer.status, 422, "{}", answer.shown());
    }
    assert_no_new_artifacts(cache.path(), cached);
    load.finish("compile bombs").await;
    assert_memory_back(&server, before);
}

/// Defect 6, past the precheck: with the nesting limit raised out of the way, a bomb reaches
/// Cranelift, which runs in a child process under the compile budget. The child is stopped
/// at its CPU (or memory) limit, the install and the submission are refused in seconds, the
/// server's own memory does not grow, nothing is cached, and ordinary requests keep going.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compile_bomb_past_the_precheck_costs_only_its_compiler_process() {
    let _one = ONE_AT_A_TIME.lock().await;
    let base = zoo::component("zoo_loop");
    let bombs = [
        // Measured on this machine: over 10 s of CPU to compile.
        (
            "100,000 nested blocks",
            zoo::with_module(&base, &zoo::bomb_module(100_000, 0)),
        ),
        // Over 500 MiB within 10 s.
        (
            "1,000,000 nested blocks",
            zoo::with_module(&base, &zoo::bomb_module(1_000_000, 0)),
        ),
    ];
    let cache = tempfile::tempdir().expect("temp dir");
    let server = server(
        cache.path(),
        &[
            "--plugin-max-nesting",
            "2000000",
            "--plugin-max-instructions",
            "3000000",
            "--plugin-compile-cpu-limit-s",
            "2",
            "--plugin-compile-memory-limit-mib",
            "256",
        ],
    );
    let ayu = contributor(&server, "ayu");
    expect_installed("zoo_loop", &install(&server, &base).await);
    let before = server.rss_kib();
    let cached = files_under(cache.path());
    let load = Load::start(&server);
    refuse_bombs(
        &server,
        &ayu,
        &bombs,
        Duration::from_secs(8),
        Some("2 s of CPU and 256 MiB"),
    )
    .await;
    assert_no_new_artifacts(cache.path(), cached);
    // A good plugin still compiles (in its own child) after the bombs.
    let good = zoo::component("zoo_slow");
    expect_installed("zoo_slow", &install(&server, &good).await);
    load.finish("compile bombs past the precheck").await;
    assert_memory_back(&server, before);
}

/// Defect 8: manifests are bounded, in linear time, and each refusal names its limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifest_bombs_are_refused_naming_the_limit() {
    let _one = ONE_AT_A_TIME.lock().await;
    let cache = tempfile::tempdir().expect("temp dir");
    let server = server(cache.path(), &[]);
    let load = Load::start(&server);
    for (file, names) in [
        ("zoo_manifest_bomb", "description"),
        ("zoo_many_parameters", "parameters"),
    ] {
        let answer = install(&server, &zoo::component(file)).await;
        expect(
            file,
            &answer,
            422,
            "plugin_invalid_manifest",
            Duration::from_secs(5),
        );
        assert!(
            answer.message().contains(names) && answer.message().contains("limit"),
            "{file}: {}",
            answer.shown()
        );
    }
    let catalog = support::client()
        .get(server.url("/api/plugins"))
        .send()
        .await
        .expect("GET /api/plugins");
    let size = catalog.bytes().await.expect("the body").len();
    assert!(size < 1 << 20, "GET /api/plugins is {size} bytes");
    load.finish("manifest bombs").await;
}

/// Defect 9: a contributor's queue has a quota, and identical bytes are kept once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_flood_meets_the_quota_and_duplicates_are_kept_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let template = zoo::first_party("template_indicator");
    let cache = tempfile::tempdir().expect("temp dir");
    let server = server(cache.path(), &[]);
    let ayu = contributor(&server, "ayu");
    let load = Load::start(&server);
    let first = zoo::padded(&template, "0", 8 << 20);
    let answer = post(&server, "/api/plugins/submissions", &ayu, &first).await;
    assert_eq!(answer.status, 202, "{}", answer.shown());
    let id = answer.body["submission"]["id"].clone();
    let again = post(&server, "/api/plugins/submissions", &ayu, &first).await;
    assert!(
        again.status == 200 && again.body["submission"]["id"] == id,
        "the same bytes again: {}",
        again.shown()
    );
    let mut accepted = 1;
    let mut refused = None;
    for i in 1..30 {
        let bytes = zoo::padded(&template, &i.to_string(), 8 << 20);
        let answer = post(&server, "/api/plugins/submissions", &ayu, &bytes).await;
        match answer.status {
            202 => accepted += 1,
            _ => {
                refused = Some(answer);
                break;
            }
        }
    }
    let refused = refused.expect("30 submissions of 8 MiB were all accepted");
    expect(
        "past the quota",
        &refused,
        429,
        "submission_quota_exceeded",
        MARGIN,
    );
    assert_eq!(accepted, 5, "the default quota is 5 pending submissions");
    // Twelve at once from another contributor: every dry run starts before any is stored,
    // so only the check inside the storing transaction can hold the line at five.
    let budi = contributor(&server, "budi");
    let at_once: Vec<_> = (0..12)
        .map(|i| {
            let bytes = zoo::padded(&template, &format!("budi-{i}"), 1 << 20);
            let (server_url, token) = (server.url("/api/plugins/submissions"), budi.clone());
            tokio::spawn(async move {
                self::answer(
                    support::client()
                        .post(server_url)
                        .bearer_auth(token)
                        .header("Content-Type", "application/wasm")
                        .body(bytes),
                )
                .await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in at_once {
        statuses.push(task.await.expect("a submission task").status);
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        5,
        "concurrent submissions past the quota: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 202 || *s == 429),
        "{statuses:?}"
    );
    load.finish("submission flood").await;
}

/// Defects 10 and 11: a submission taking a bundled plugin's id says so and needs the
/// admin's explicit confirmation; versions are immutable and ordered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_cannot_be_hijacked_and_versions_cannot_be_reused_or_lowered() {
    let _one = ONE_AT_A_TIME.lock().await;
    let cache = tempfile::tempdir().expect("temp dir");
    let server = server(cache.path(), &[]);
    let ayu = contributor(&server, "ayu");
    let load = Load::start(&server);

    let hijack = zoo::component("zoo_hijack");
    let submitted = post(&server, "/api/plugins/submissions", &ayu, &hijack).await;
    assert_eq!(submitted.status, 202, "{}", submitted.shown());
    let report = &submitted.body["submission"]["report"];
    assert!(
        report["replaces"]["id"] == "cagr"
            && report["replaces"]["installed_source"] == "bundled"
            && report["replaces"]["change"] == "upgrade",
        "the report must say it replaces the bundled cagr: {report}"
    );
    let id = submitted.body["submission"]["id"].as_i64().expect("an id");
    let approve = |query: &'static str| {
        let url = server.url(&format!("/admin/plugins/submissions/{id}/approve{query}"));
        async move { answer(support::client().post(url).bearer_auth(TOKEN)).await }
    };
    let answer = approve("").await;
    expect(
        "unconfirmed",
        &answer,
        422,
        "replacement_not_confirmed",
        MARGIN,
    );
    let cagr = get(&server, "/api/plugins/cagr").await;
    assert_eq!(cagr.body["source"], "bundled", "{}", cagr.shown());
    let answer = approve("?replace=cagr").await;
    assert_eq!(answer.status, 200, "confirmed: {}", answer.shown());
    let cagr = get(&server, "/api/plugins/cagr").await;
    assert_eq!(cagr.body["version"], "9.9.9", "{}", cagr.shown());

    let (v1, v2) = (zoo::component("zoo_slow"), zoo::component("zoo_slow_v2"));
    expect_installed("zoo_slow_v2", &install(&server, &v2).await);
    let answer = install(&server, &v1).await;
    expect("a downgrade", &answer, 422, "plugin_downgrade", MARGIN);
    let answer = install(&server, &zoo::padded(&v2, "swap", 16)).await;
    expect(
        "other bytes as 2.0.0",
        &answer,
        422,
        "plugin_version_exists",
        MARGIN,
    );
    let slow = get(&server, "/api/plugins/zoo-slow").await;
    assert_eq!(slow.body["version"], "2.0.0", "{}", slow.shown());
    load.finish("id hijack and versions").await;
}

/// An exporter chooses its media type and its bytes, so a download must never run as a page
/// of this origin: a manifest declaring an HTML (or script, SVG, XML) type is refused, and
/// every exporter download tells the browser not to guess another type from the bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exporter_cannot_serve_a_page_that_runs_script() {
    let _one = ONE_AT_A_TIME.lock().await;
    let cache = tempfile::tempdir().expect("temp dir");
    let server = server(cache.path(), &[]);
    let answer = install(&server, &zoo::component("zoo_html_exporter")).await;
    expect(
        "zoo_html_exporter",
        &answer,
        422,
        "plugin_invalid_manifest",
        Duration::from_secs(5),
    );
    assert!(
        answer.message().contains("would run in a browser"),
        "{}",
        answer.shown()
    );
    let missing = get(&server, "/api/datasets/klaster_knalpot/rows.zoohtml").await;
    assert_eq!(missing.status, 404, "{}", missing.shown());
    // The bundled exporters (shown inline and saved alike), and the built-in formats.
    for path in [
        "/api/datasets/klaster_knalpot/rows.md",
        "/api/datasets/klaster_knalpot/rows.xlsx",
        "/api/datasets/wilayah/rows.geojson",
        "/api/datasets/klaster_knalpot/rows.csv",
    ] {
        let response = support::client()
            .get(server.url(path))
            .send()
            .await
            .expect("download");
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response
                .headers()
                .get("x-content-type-options")
                .and_then(|v| v.to_str().ok()),
            Some("nosniff"),
            "{path}: {:?}",
            response.headers()
        );
    }
}
