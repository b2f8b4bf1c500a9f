//! The edge cache (issue 13) against the real binary over HTTP: a cached answer is the
//! uncached one byte for byte; a write (an import over HTTP, `logam import` from another
//! process), a plugin change and a language switch each change the answer at once;
//! concurrent misses compute once (counted on `/metrics`); every cached route answers 304 to
//! its own tag; encodings never mix; streams pass through.

mod support;

use std::io::Read as _;
use std::process::Command;

use serde_json::Value;
use support::{BIN, Server, raw_client, seeded_and_generated};

const ADMIN: &str = "an-edge-cache-admin-token-0123456789";

/// Routes whose answers the cache keeps: pages, charts, catalogs, the API document, rows.
const CACHED: [&str; 14] = [
    "/",
    "/sources",
    "/datasets/klaster_knalpot",
    "/indicators/workers-per-unit",
    "/indicators/workers-per-unit.svg",
    "/indicators/workers-per-unit.png",
    "/api/datasets",
    "/api/datasets/klaster_knalpot",
    "/api/datasets/synthetic_enterprises/rows?kecamatan=Mrebet&_size=100",
    "/api/datasets/synthetic_enterprises/rows/7",
    "/api/indicators/workers-per-unit",
    "/catalog.jsonld",
    "/openapi.json",
    "/api",
];

struct Fetched {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Fetched {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The Host both servers are asked under: pages and catalogs write absolute links from it.
const HOST: &str = "data.example";

async fn fetch(server: &Server, path: &str, headers: &[(&str, &str)]) -> Fetched {
    let mut request = raw_client().get(server.url(path)).header("host", HOST);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("GET");
    Fetched {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

fn decoded(fetched: &Fetched) -> Vec<u8> {
    let mut out = Vec::new();
    match fetched.header("content-encoding") {
        Some("gzip") => {
            flate2::read::GzDecoder::new(&fetched.body[..])
                .read_to_end(&mut out)
                .expect("gzip");
        }
        Some("br") => {
            brotli::Decompressor::new(&fetched.body[..], 4096)
                .read_to_end(&mut out)
                .expect("brotli");
        }
        None => out = fetched.body.clone(),
        Some(other) => panic!("unexpected Content-Encoding {other}"),
    }
    out
}

/// A counter or gauge from `/metrics`, which must be there.
async fn metric(server: &Server, name: &str) -> f64 {
    let text = scrape(server).await;
    assert!(
        text.lines()
            .any(|line| line.rsplit_once(' ').is_some_and(|(m, _)| m == name)),
        "{name} not in /metrics:\n{text}"
    );
    counted(&text, name)
}

/// `POST /admin/plugins/{id}/{action}`, which must answer 200.
async fn plugin_action(server: &Server, id: &str, action: &str) {
    let response = support::client()
        .post(server.url(&format!("/admin/plugins/{id}/{action}")))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect(action);
    assert_eq!(response.status(), 200, "{action} {id}");
}

/// Two servers on one database file: one with the cache, one without.
fn pair() -> (tempfile::TempDir, Server, Server) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("edge.db");
    seeded_and_generated(&db, 20_000);
    let cached = Server::start_with(&db, &["--admin-token", ADMIN], &[]);
    let uncached = Server::start_with(&db, &["--edge-cache-mib", "0"], &[]);
    (dir, cached, uncached)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_answer_is_the_uncached_one_byte_for_byte_in_every_encoding() {
    let (_dir, cached, uncached) = pair();
    for path in CACHED {
        let plain = fetch(&uncached, path, &[("accept-encoding", "identity")]).await;
        assert_eq!(plain.status, 200, "{path} uncached");
        let misses = metric(&cached, "logam_edge_cache_misses_total").await;
        let first = fetch(&cached, path, &[("accept-encoding", "identity")]).await;
        let hits = metric(&cached, "logam_edge_cache_hits_total").await;
        let second = fetch(&cached, path, &[("accept-encoding", "identity")]).await;
        assert_eq!(first.status, 200, "{path}");
        assert_eq!(
            metric(&cached, "logam_edge_cache_misses_total").await,
            misses + 1.0,
            "{path}: the first request is the miss"
        );
        assert_eq!(
            metric(&cached, "logam_edge_cache_hits_total").await,
            hits + 1.0,
            "{path}: the second is a hit"
        );
        for (what, answer) in [("miss", &first), ("hit", &second)] {
            assert!(
                answer.body == plain.body,
                "{path}: the {what} differs from the uncached answer ({} vs {} bytes)",
                answer.body.len(),
                plain.body.len()
            );
            assert_eq!(
                answer.header("content-type"),
                plain.header("content-type"),
                "{path}"
            );
            assert_eq!(answer.header("content-encoding"), None, "{path}");
        }
        // Each encoding decodes to the same bytes, and says which it is.
        for accept in ["gzip", "br", "gzip, deflate, br"] {
            let answer = fetch(&cached, path, &[("accept-encoding", accept)]).await;
            assert_eq!(answer.status, 200, "{path} {accept}");
            let coding = answer.header("content-encoding");
            assert!(
                coding.is_none() || accept.contains(coding.unwrap_or("")),
                "{path}: asked {accept}, got {coding:?}"
            );
            assert!(
                decoded(&answer) == plain.body,
                "{path}: the {coding:?} body does not decode to the uncached bytes"
            );
            assert!(
                answer
                    .header("vary")
                    .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
                "{path}: no Vary: Accept-Encoding"
            );
        }
        // HEAD: the entry's headers, its length, no body.
        let head = raw_client()
            .head(cached.url(path))
            .header("host", HOST)
            .header("accept-encoding", "identity")
            .send()
            .await
            .expect("HEAD");
        assert_eq!(head.status(), 200, "HEAD {path}");
        assert_eq!(
            head.headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok()),
            Some(plain.body.len().to_string().as_str()),
            "HEAD {path}"
        );
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} with a body"
        );
        // A 304 for its own tag, with no body.
        let tag = second
            .header("etag")
            .unwrap_or_else(|| panic!("{path}: no ETag"))
            .to_string();
        let again = fetch(&cached, path, &[("if-none-match", &tag)]).await;
        assert_eq!(again.status, 304, "{path}: If-None-Match {tag}");
        assert!(again.body.is_empty(), "{path}: a 304 with a body");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_plugin_changes_and_languages_change_the_answer_at_once() {
    let (dir, cached, _uncached) = pair();
    let row = "/api/datasets/synthetic_enterprises/rows/7";
    let before = fetch(&cached, row, &[]).await;
    assert_eq!(fetch(&cached, row, &[]).await.body, before.body);

    // An import over HTTP.
    let file = "id,name,kecamatan,product,workers,founded,monthly_value_idr,lat,lon\n\
                7,Usaha diganti,Bobotsari,knalpot,3,2001,1234567,-7.3,109.3\n";
    let imported = support::client()
        .post(cached.url("/admin/datasets/synthetic_enterprises/import?mode=upsert"))
        .bearer_auth(ADMIN)
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .expect("import");
    assert_eq!(imported.status(), 200, "{}", imported.text().await.unwrap());
    let after: Value = serde_json::from_slice(&fetch(&cached, row, &[]).await.body).unwrap();
    assert_eq!(after["row"]["name"], "Usaha diganti", "{after}");

    // `logam import` from another process, writing the same file.
    let csv = dir.path().join("again.csv");
    std::fs::write(
        &csv,
        "id,name,kecamatan,product,workers,founded,monthly_value_idr,lat,lon\n\
         7,Usaha dari baris perintah,Bobotsari,knalpot,3,2001,1234567,-7.3,109.3\n",
    )
    .unwrap();
    let output = Command::new(BIN)
        .args(["import", "synthetic_enterprises"])
        .arg(&csv)
        .args(["--mode", "upsert", "--db"])
        .arg(&cached.db)
        .output()
        .expect("logam import");
    assert!(output.status.success(), "{output:?}");
    let after: Value = serde_json::from_slice(&fetch(&cached, row, &[]).await.body).unwrap();
    assert_eq!(after["row"]["name"], "Usaha dari baris perintah", "{after}");

    // A plugin disabled, then enabled: the indicator's answer follows at once.
    let indicator = "/api/indicators/workers-per-unit";
    assert_eq!(fetch(&cached, indicator, &[]).await.status, 200);
    plugin_action(&cached, "workers-per-unit", "disable").await;
    let gone = fetch(&cached, indicator, &[]).await;
    assert_ne!(
        gone.status, 200,
        "a disabled indicator was served from the cache"
    );
    plugin_action(&cached, "workers-per-unit", "enable").await;
    assert_eq!(fetch(&cached, indicator, &[]).await.status, 200);

    // A page or download pinned to a revision never changes (a revision not reached yet is
    // refused); without `_as_of` the ordinary minute.
    let meta: Value = serde_json::from_slice(
        &fetch(&cached, "/api/datasets/synthetic_enterprises", &[])
            .await
            .body,
    )
    .unwrap();
    let revision = meta["revision"].as_i64().expect("a revision");
    for (query, expected) in [
        (
            format!("?_as_of={revision}&_size=5"),
            "public, max-age=31536000, immutable",
        ),
        ("?_size=5".to_string(), "public, max-age=60"),
    ] {
        for resource in ["rows", "rows.csv"] {
            let path = format!("/api/datasets/synthetic_enterprises/{resource}{query}");
            let answer = fetch(&cached, &path, &[]).await;
            assert_eq!(answer.status, 200, "{path}");
            assert_eq!(answer.header("cache-control"), Some(expected), "{path}");
        }
    }
    let future = fetch(
        &cached,
        &format!(
            "/api/datasets/synthetic_enterprises/rows?_as_of={}",
            revision + 1000
        ),
        &[],
    )
    .await;
    assert_eq!(future.status, 400, "a revision not reached yet");

    // The same page in both languages, each cached, never mixed.
    let id = fetch(&cached, "/sources", &[("accept-language", "id")]).await;
    let en = fetch(&cached, "/sources", &[("accept-language", "en")]).await;
    let en_by_query = fetch(&cached, "/sources?lang=en", &[]).await;
    assert_ne!(id.body, en.body);
    assert_eq!(en.body, en_by_query.body);
    assert_eq!(
        fetch(&cached, "/sources", &[("accept-language", "id")])
            .await
            .body,
        id.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_compute_once_and_streams_pass_through() {
    let (_dir, cached, _uncached) = pair();
    let chart = "/indicators/workers-per-unit.png";
    let misses = metric(&cached, "logam_edge_cache_misses_total").await;
    let hits = metric(&cached, "logam_edge_cache_hits_total").await;
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let url = cached.url(chart);
            tokio::spawn(async move {
                let response = support::client().get(url).send().await.expect("GET");
                (response.status().as_u16(), response.bytes().await.unwrap())
            })
        })
        .collect();
    let mut bodies = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, 200);
        bodies.push(body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(
        metric(&cached, "logam_edge_cache_misses_total").await - misses,
        1.0,
        "16 concurrent requests for one new chart rasterised it more than once"
    );
    assert_eq!(
        metric(&cached, "logam_edge_cache_hits_total").await - hits,
        15.0
    );

    // A download is a stream: it is answered, and not kept.
    let uncacheable = metric(&cached, "logam_edge_cache_uncacheable_total").await;
    let csv = fetch(&cached, "/api/datasets/synthetic_enterprises/rows.csv", &[]).await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.len() > 1 << 20, "{} bytes", csv.body.len());
    assert_eq!(
        metric(&cached, "logam_edge_cache_uncacheable_total").await - uncacheable,
        1.0
    );
    // Live figures are never kept: /healthz and plugin statistics.
    for live in ["/healthz", "/api/plugins", "/plugins"] {
        let answer = fetch(&cached, live, &[]).await;
        assert_eq!(answer.status, 200, "{live}");
        let control = answer.header("cache-control").unwrap_or("");
        assert!(
            control.contains("no-store") || control.contains("no-cache"),
            "{live}: Cache-Control {control:?}"
        );
    }
    assert!(metric(&cached, "logam_edge_cache_bytes").await > 0.0);
}

/// One scrape of `/metrics`, read by [`counted`].
async fn scrape(server: &Server) -> String {
    support::client()
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text")
}

/// A series from a scrape; 0 for one not created yet.
fn counted(scrape: &str, name: &str) -> f64 {
    scrape
        .lines()
        .find_map(|line| {
            let (metric, value) = line.rsplit_once(' ')?;
            (metric == name).then(|| value.parse().ok())?
        })
        .unwrap_or(0.0)
}

/// A hit is answered before routing, but not before the per-client limit: a client over its
/// limit gets the same 429 from the cache as from a handler, other clients carry on, and
/// every hit and refusal is counted under its route on `/metrics`.
#[tokio::test]
async fn hits_are_rate_limited_per_client_and_counted_under_their_route() {
    let server = Server::seeded_with(
        &[
            "--rate-limit-per-minute",
            "6",
            "--trusted-proxy",
            "127.0.0.0/8",
        ],
        &[],
    );
    // A cached page, and the health check, which is answered before routing too.
    limited_and_counted(&server, "/sources", ["192.0.2.1", "192.0.2.2"], true).await;
    limited_and_counted(&server, "/healthz", ["192.0.2.3", "192.0.2.4"], false).await;
}

/// Answers of `path` that skip the routed stack still take from the client's bucket (six a
/// minute here), answer 429 with `Retry-After` past it, and are counted under their route.
async fn limited_and_counted(
    server: &Server,
    path: &str,
    clients: [&'static str; 2],
    cached: bool,
) {
    let ok = format!("logam_http_requests_total{{route=\"{path}\",status=\"200\"}}");
    let limited = format!("logam_http_requests_total{{route=\"{path}\",status=\"429\"}}");
    let get_as = |client: &'static str| {
        let url = server.url(path);
        async move {
            let response = support::client()
                .get(url)
                .header("x-forwarded-for", client)
                .send()
                .await
                .expect("GET");
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").is_some();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, retry_after, body)
        }
    };
    // The first request (a miss, for the page) takes one of the client's six.
    assert_eq!(get_as(clients[0]).await.0, 200);
    let hits = "logam_edge_cache_hits_total";
    let before = scrape(server).await;

    let mut answered = 0;
    let mut refused = 0;
    for _ in 0..12 {
        let (status, retry_after, body) = get_as(clients[0]).await;
        match status {
            200 => answered += 1,
            429 => {
                assert!(retry_after, "{path}: a 429 names when to come back");
                assert_eq!(body["error"]["code"], "rate_limited", "{body}");
                refused += 1;
            }
            other => panic!("{path} answered {other}"),
        }
    }
    // Five left in the bucket; one more may have been refilled (one every ten seconds).
    assert!(
        (5..=6).contains(&answered),
        "{path}: {answered} answered of 12"
    );
    assert_eq!(answered + refused, 12);
    // Another client behind the same proxy has its own bucket.
    assert_eq!(get_as(clients[1]).await.0, 200);

    let after = scrape(server).await;
    let grew = |name: &str| counted(&after, name) - counted(&before, name);
    if cached {
        assert!(after.contains(hits), "no {hits} on /metrics:\n{after}");
        assert_eq!(
            grew(hits),
            f64::from(answered + 1),
            "every 200 after the first was a hit"
        );
    }
    assert_eq!(
        grew(&ok),
        f64::from(answered + 1),
        "{path}: answers are counted under their route"
    );
    assert_eq!(
        grew(&limited),
        f64::from(refused),
        "{path}: refusals are counted under their route"
    );
}
