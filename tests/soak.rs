//! The soak (issue 11): mixed public load on a large generated database for a fixed time,
//! with the office working at the same time, against the real binary on loopback.
//!
//! Pages, single rows, exports (some drained slowly, above the minimum rate),
//! SQL, indicators, facets (cheap ones and bombs the read budget refuses), bad requests, an
//! import every 30 s and a plugin upgrade every 20 s; clients come from 64 addresses through
//! a trusted proxy (loopback), so each has its own limits. It counts requests by status and
//! route, latency per route, and samples the server's resident memory.
//!
//! `cargo test --test soak` is the 60-second version on 100,000 rows; `bench/soak.sh` runs
//! the same driver for 10 minutes on 1,000,000 rows against a release build (SOAK_SECONDS,
//! SOAK_ROWS, SOAK_DB, SOAK_REPORT, LOGAM_BIN) and puts the report in BENCHMARKS.md.
//!
//! What counts as unexpected: any 5xx other than a 503 with `Retry-After` and one of the
//! capacity codes, any request that did not finish, a connection error. A download cut off
//! for draining too slowly is expected (and counted) only for the workers that drain slowly.

mod support;
#[path = "support/zoo.rs"]
mod zoo;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::Server;

const ADMIN: &str = "a-soak-admin-token-0123456789abcdef";
const ROWS: &str = "/api/datasets/synthetic_enterprises/rows";
const CAPACITY_CODES: [&str; 4] = ["exports_busy", "over_capacity", "busy", "cancelled"];

/// One outcome: route, status (0 for a transport error), whether it is unexpected.
#[derive(Default)]
struct Tally {
    by_status: BTreeMap<(String, u16), u64>,
    latencies: BTreeMap<String, Vec<Duration>>,
    unexpected: Vec<String>,
    cut_off: u64,
}

type Shared = Arc<Mutex<Tally>>;

fn record(tally: &Shared, route: &str, status: u16, took: Duration, unexpected: Option<String>) {
    let mut t = tally.lock().unwrap();
    *t.by_status.entry((route.to_string(), status)).or_default() += 1;
    t.latencies.entry(route.to_string()).or_default().push(took);
    if let Some(why) = unexpected
        && t.unexpected.len() < 50
    {
        t.unexpected.push(why);
    }
}

/// A small deterministic generator (xorshift), so a run's mix is repeatable.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(8)
        .build()
        .unwrap()
}

/// Sends one GET as `address`, reads the body, and records the outcome. Returns the status.
async fn hit(
    http: &reqwest::Client,
    base: &str,
    route: &str,
    path: &str,
    address: &str,
    tally: &Shared,
) -> u16 {
    let started = Instant::now();
    let sent = http
        .get(format!("{base}{path}"))
        .header("x-forwarded-for", address)
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            record(
                tally,
                route,
                0,
                started.elapsed(),
                Some(format!("{route} {path}: {e}")),
            );
            return 0;
        }
    };
    let status = response.status().as_u16();
    let retry = response.headers().contains_key("retry-after");
    let body = response.bytes().await;
    let took = started.elapsed();
    let unexpected = match &body {
        Err(e) => Some(format!("{route} {path}: body: {e}")),
        Ok(bytes) if status >= 500 => {
            let text = String::from_utf8_lossy(bytes);
            let capacity = status == 503
                && retry
                && CAPACITY_CODES
                    .iter()
                    .any(|c| text.contains(&format!("\"{c}\"")));
            (!capacity)
                .then(|| format!("{route} {path}: {status} {}", &text[..text.len().min(300)]))
        }
        Ok(_) => None,
    };
    record(tally, route, status, took, unexpected);
    status
}

/// A download read at `bytes_per_second` (unlimited when 0). A cut-off is expected only when
/// the rate is below the server's minimum.
async fn download(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    address: &str,
    bytes_per_second: u64,
    tally: &Shared,
) {
    let route = if bytes_per_second == 0 {
        "export"
    } else if bytes_per_second < 64 * 1024 {
        "export (slow, below the minimum)"
    } else {
        "export (slow, above the minimum)"
    };
    let started = Instant::now();
    let response = match http
        .get(format!("{base}{path}"))
        .header("x-forwarded-for", address)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            record(
                tally,
                route,
                0,
                started.elapsed(),
                Some(format!("{route}: {e}")),
            );
            return;
        }
    };
    let status = response.status().as_u16();
    if status != 200 {
        let retry = response.headers().contains_key("retry-after");
        let text = response.text().await.unwrap_or_default();
        let expected = matches!(status, 429 | 503) && retry;
        record(
            tally,
            route,
            status,
            started.elapsed(),
            (!expected).then(|| format!("{route}: {status} {text}")),
        );
        return;
    }
    let mut response = response;
    let mut received = 0u64;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                received += chunk.len() as u64;
                if bytes_per_second > 0 {
                    let due = Duration::from_secs_f64(received as f64 / bytes_per_second as f64);
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        tokio::time::sleep(wait).await;
                    }
                }
            }
            Ok(None) => {
                record(tally, route, 200, started.elapsed(), None);
                return;
            }
            Err(e) => {
                // The server cuts a download off as too slow; the client's own timeout is
                // not that.
                let expected =
                    bytes_per_second > 0 && bytes_per_second < 64 * 1024 && !e.is_timeout();
                if expected {
                    tally.lock().unwrap().cut_off += 1;
                }
                record(
                    tally,
                    route,
                    200,
                    started.elapsed(),
                    (!expected).then(|| format!("{route}: cut short after {received} bytes: {e}")),
                );
                return;
            }
        }
    }
}

/// Builds the benchmark's plugins (two versions of `bench-trivial`, and `bench-sum`).
fn bench_components() -> PathBuf {
    zoo::build_components("bench/plugins")
}

async fn install(http: &reqwest::Client, base: &str, bytes: Vec<u8>, tally: &Shared) {
    let started = Instant::now();
    let response = http
        .post(format!("{base}/admin/plugins"))
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(bytes)
        .send()
        .await;
    let (status, text) = match response {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(e) => (0, e.to_string()),
    };
    let bad = !matches!(status, 200 | 201);
    record(
        tally,
        "plugin upgrade",
        status,
        started.elapsed(),
        bad.then(|| format!("upgrade: {status} {text}")),
    );
}

async fn rollback(http: &reqwest::Client, base: &str, id: &str, tally: &Shared) {
    let started = Instant::now();
    let response = http
        .post(format!("{base}/admin/plugins/{id}/rollback"))
        .header("authorization", format!("Bearer {ADMIN}"))
        .send()
        .await;
    let (status, text) = match response {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(e) => (0, e.to_string()),
    };
    record(
        tally,
        "plugin upgrade",
        status,
        started.elapsed(),
        (status != 200).then(|| format!("rollback: {status} {text}")),
    );
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

/// The report, in Markdown.
fn report(tally: &Tally, seconds: u64, rows: u64, rss: &[(u64, u64)], cpu: (f64, f64)) -> String {
    let mut out = String::new();
    let total: u64 = tally.by_status.values().sum();
    out.push_str(&format!(
        "{total} requests in {seconds} s on {rows} rows; unexpected: {}; downloads cut off for draining too slowly: {}\n\n",
        tally.unexpected.len(),
        tally.cut_off
    ));
    out.push_str(&format!(
        "CPU time during the load: server {:.1} s, load generator (the test process) {:.1} s, in {} s of wall time\n\n",
        cpu.0, cpu.1, seconds
    ));
    out.push_str("| route | requests by status | p50 ms | p99 ms |\n|---|---|---:|---:|\n");
    for (route, latencies) in &tally.latencies {
        let mut sorted = latencies.clone();
        sorted.sort();
        let statuses: Vec<String> = tally
            .by_status
            .iter()
            .filter(|((r, _), _)| r == route)
            .map(|((_, s), n)| format!("{s}: {n}"))
            .collect();
        out.push_str(&format!(
            "| {route} | {} | {:.1} | {:.1} |\n",
            statuses.join(", "),
            percentile(&sorted, 0.50),
            percentile(&sorted, 0.99)
        ));
    }
    let mut by_status: BTreeMap<u16, u64> = BTreeMap::new();
    for ((_, status), n) in &tally.by_status {
        *by_status.entry(*status).or_default() += n;
    }
    out.push_str("\nAll routes by status: ");
    out.push_str(
        &by_status
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str("\n\nResident memory (s: MiB): ");
    out.push_str(
        &rss.iter()
            .map(|(t, kib)| format!("{t}: {:.1}", *kib as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push('\n');
    for why in &tally.unexpected {
        out.push_str(&format!("\n- unexpected: {why}"));
    }
    out
}

/// User plus system CPU seconds a process has used (`/proc/PID/stat`, in the kernel's
/// USER_HZ ticks of 1/100 s).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line: the 12th and 13th after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Mean RSS over the samples taken in `[from, to)` seconds.
fn mean_rss(rss: &[(u64, u64)], from: u64, to: u64) -> f64 {
    let window: Vec<f64> = rss
        .iter()
        .filter(|(t, _)| (from..to).contains(t))
        .map(|(_, kib)| *kib as f64)
        .collect();
    window.iter().sum::<f64>() / window.len().max(1) as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_hostile_load_leaves_no_unexpected_5xx_and_flat_memory() {
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let rows: u64 = std::env::var("SOAK_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let components = bench_components();
    // A small edge cache, full within the first minute: memory measured after that is the
    // server's own, not the cache filling to its bound.
    let flags = [
        "--admin-token",
        ADMIN,
        "--trusted-proxy",
        "127.0.0.1",
        "--edge-cache-mib",
        "8",
    ];
    let scratch = tempfile::tempdir().expect("temp dir");
    let db = match std::env::var("SOAK_DB") {
        Ok(db) => PathBuf::from(db),
        Err(_) => {
            let db = scratch.path().join("soak.db");
            support::seeded_and_generated(&db, rows);
            db
        }
    };
    let server = Server::start_with(&db, &flags, &[]);
    let base = server.url.clone();
    let http = client();
    let tally: Shared = Arc::default();
    install(
        &http,
        &base,
        std::fs::read(components.join("bench_sum.wasm")).unwrap(),
        &tally,
    )
    .await;
    install(
        &http,
        &base,
        std::fs::read(components.join("bench_trivial.wasm")).unwrap(),
        &tally,
    )
    .await;
    let trivial = [
        std::fs::read(components.join("bench_trivial.wasm")).unwrap(),
        std::fs::read(components.join("bench_trivial_v2.wasm")).unwrap(),
    ];

    let pid = server.pid();
    let cpu_before = (cpu_seconds(&pid.to_string()), cpu_seconds("self"));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    // The public: (name, workers).
    let kinds: [(&str, u64); 9] = [
        ("page", 6),
        ("row", 3),
        ("export", 1),
        ("slow export", 2),
        ("sql", 1),
        ("indicator", 1),
        ("facet", 1),
        ("facet bomb", 1),
        ("bad request", 1),
    ];
    let mut worker = 0u64;
    for (kind, count) in kinds {
        for _ in 0..count {
            worker += 1;
            let (http, base, tally) = (http.clone(), base.clone(), tally.clone());
            let seed = 0x9E37_79B9_7F4A_7C15u64 ^ (worker * 0x1000_0001);
            tasks.push(tokio::spawn(async move {
                let mut dice = Dice(seed);
                while Instant::now() < deadline {
                    let address = format!("198.51.100.{}", dice.below(64) + 1);
                    let id = dice.below(rows) + 1;
                    match kind {
                        "page" => {
                            let path = match dice.below(4) {
                                0 => format!("{ROWS}?_size=100"),
                                1 => format!("{ROWS}?kecamatan=Bobotsari&_size=50"),
                                2 => format!("{ROWS}?_sort_desc=monthly_value_idr&_size=20&_count=1&kecamatan=Mrebet"),
                                _ => format!("{ROWS}?_q=knalpot&_size=20"),
                            };
                            hit(&http, &base, "page", &path, &address, &tally).await;
                        }
                        "row" => {
                            hit(&http, &base, "row", &format!("{ROWS}/{id}"), &address, &tally).await;
                        }
                        "export" => {
                            let path = format!("{ROWS}.csv?_size=20000&_next={}", encode_after(id));
                            download(&http, &base, &path, &address, 0, &tally).await;
                        }
                        "slow export" => {
                            // Slow, but above the minimum rate: never cut off. A download
                            // below it is not soaked here: on loopback the kernel's socket
                            // buffers can hold a whole 50,000-row export, so whether the
                            // server is still writing when the drain rule looks depends on
                            // the machine's load, and the outcome would be a race. The cut-off
                            // itself is tested deterministically in tests/traffic.rs.
                            let rate = 256 * 1024;
                            let path = format!("{ROWS}.csv?_size=50000");
                            download(&http, &base, &path, &address, rate, &tally).await;
                        }
                        "sql" => {
                            let sql = match dice.below(3) {
                                0 => "SELECT kecamatan, count(*) AS n FROM synthetic_enterprises WHERE kecamatan = 'Bobotsari' GROUP BY 1",
                                1 => "SELECT product, avg(workers) FROM synthetic_enterprises GROUP BY 1",
                                _ => "SELECT id, name FROM synthetic_enterprises WHERE id > 500 ORDER BY id LIMIT 50",
                            };
                            let path = format!("/api/sql?sql={}", urlencode(sql));
                            hit(&http, &base, "sql", &path, &address, &tally).await;
                        }
                        "indicator" => {
                            let path = if dice.below(2) == 0 {
                                "/api/indicators/bench-sum"
                            } else {
                                "/api/indicators/bench-trivial"
                            };
                            hit(&http, &base, "indicator", path, &address, &tally).await;
                        }
                        "facet" => {
                            hit(&http, &base, "facet", &format!("{ROWS}?_facet=kecamatan&_facet=product&_size=1&kecamatan=Kalimanah"), &address, &tally).await;
                        }
                        "facet bomb" => {
                            hit(&http, &base, "facet bomb", &format!("{ROWS}?_facet=name&_facet=lat&_facet=lon&_facet=monthly_value_idr"), &address, &tally).await;
                        }
                        _ => {
                            let path = match dice.below(5) {
                                0 => format!("{ROWS}?warna=merah"),
                                1 => format!("{ROWS}?_next=not-a-token"),
                                2 => "/api/sql?sql=DROP%20TABLE%20x".to_string(),
                                3 => "/no/such/page".to_string(),
                                _ => format!("{ROWS}?_size=100000"),
                            };
                            hit(&http, &base, "bad request", &path, &address, &tally).await;
                        }
                    }
                }
            }));
        }
    }
    // The office: an import every 30 s, a plugin upgrade every 20 s.
    {
        let (http, base, tally) = (http.clone(), base.clone(), tally.clone());
        tasks.push(tokio::spawn(async move {
            let mut round = 0u64;
            loop {
                tokio::time::sleep(
                    Duration::from_secs(30).min(deadline.saturating_duration_since(Instant::now())),
                )
                .await;
                if Instant::now() >= deadline {
                    break;
                }
                round += 1;
                let mut file = String::from(
                    "id,name,kecamatan,product,workers,founded,monthly_value_idr,lat,lon\n",
                );
                for id in 1..=500u64 {
                    file.push_str(&format!(
                        "{id},Usaha soak {id},Bobotsari,knalpot,{},2001,{},-7.3,109.3\n",
                        round % 50 + 1,
                        1_000_000 + round * 1000 + id
                    ));
                }
                let started = Instant::now();
                let response = http
                    .post(format!(
                        "{base}/admin/datasets/synthetic_enterprises/import?mode=upsert"
                    ))
                    .header("authorization", format!("Bearer {ADMIN}"))
                    .header("content-type", "text/csv")
                    .body(file)
                    .send()
                    .await;
                let (status, text) = match response {
                    Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
                    Err(e) => (0, e.to_string()),
                };
                record(
                    &tally,
                    "import",
                    status,
                    started.elapsed(),
                    (status != 200).then(|| format!("import: {status} {text}")),
                );
            }
        }));
    }
    {
        let (http, base, tally) = (http.clone(), base.clone(), tally.clone());
        tasks.push(tokio::spawn(async move {
            let mut round = 0usize;
            loop {
                tokio::time::sleep(
                    Duration::from_secs(20).min(deadline.saturating_duration_since(Instant::now())),
                )
                .await;
                if Instant::now() >= deadline {
                    break;
                }
                round += 1;
                // Versions only go up: 2.0.0 is installed again after each rollback to 1.0.0.
                if round % 2 == 1 {
                    install(&http, &base, trivial[1].clone(), &tally).await;
                } else {
                    rollback(&http, &base, "bench-trivial", &tally).await;
                }
            }
        }));
    }
    // Resident memory, sampled.
    let interval = if seconds >= 300 { 10 } else { 2 };
    let mut rss = Vec::new();
    while Instant::now() < deadline {
        rss.push((started.elapsed().as_secs(), support::rss_kib(pid)));
        tokio::time::sleep(Duration::from_secs(interval)).await;
    }
    for task in tasks {
        // Every worker stops by itself at the deadline; its last request has the client's
        // 120 s timeout.
        tokio::time::timeout(Duration::from_secs(180), task)
            .await
            .expect("a worker did not stop")
            .expect("a worker panicked");
    }
    let cpu = (
        cpu_seconds(&pid.to_string()) - cpu_before.0,
        cpu_seconds("self") - cpu_before.1,
    );
    let tally = Arc::try_unwrap(tally).ok().unwrap().into_inner().unwrap();
    let text = report(&tally, seconds, rows, &rss, cpu);
    println!("{text}");
    if let Ok(path) = std::env::var("SOAK_REPORT") {
        std::fs::write(&path, &text).expect("write the report");
    }

    assert!(tally.unexpected.is_empty(), "unexpected outcomes:\n{text}");
    for route in [
        "page",
        "row",
        "export",
        "sql",
        "indicator",
        "facet",
        "facet bomb",
        "bad request",
        "plugin upgrade",
    ] {
        assert!(
            tally.by_status.keys().any(|(r, s)| r == route && *s != 0),
            "no request on {route} finished:\n{text}"
        );
    }
    if seconds >= 60 {
        assert!(
            tally.by_status.keys().any(|(r, _)| r == "import"),
            "no import ran"
        );
    }
    // Memory: the last tenth of the run against a tenth once warm, within 10 %. Warm is after
    // the second tenth began and after the first import (30 s) and plugin upgrade (20 s)
    // have loaded what they load once: in the 10-minute run the second minute against the
    // last, as the issue asks; in the 60-second run [35 s, 41 s) against [54 s, 60 s].
    let tenth = (seconds / 10).max(1);
    let warm = tenth.max(35).min(seconds.saturating_sub(2 * tenth));
    let second = mean_rss(&rss, warm, warm + tenth);
    let last = mean_rss(&rss, seconds - tenth, seconds + 1);
    let allowed = 0.10;
    assert!(
        (last - second).abs() <= allowed * second,
        "resident memory went from {second:.0} KiB to {last:.0} KiB:\n{text}"
    );
}

/// A `_next` token that starts the rows after key `id` (the rows API's keyset token for the
/// default order: `[sort column, descending, value, key]`).
fn encode_after(id: u64) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("[\"id\",false,{id},{id}]"))
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
