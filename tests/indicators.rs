//! Indicators computed by the bundled WebAssembly plugins, over HTTP against the real binary,
//! each checked against a hand computation from the sourced facts.

mod support;

use serde_json::{Value, json};
use support::{Server, get_json, get_text};

fn rows(body: &Value) -> &Vec<Value> {
    body["rows"].as_array().expect("rows")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[tokio::test]
async fn the_bundled_indicators_are_listed_with_their_ms_ind_metadata() {
    let server = Server::seeded();
    let (status, body) = get_json(&server.url("/api/indicators")).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = body["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    for expected in [
        "cagr",
        "non-knalpot-share",
        "rupiah-per-unit",
        "value-per-worker",
        "workers-per-unit",
    ] {
        assert!(ids.contains(&expected), "{expected} missing from {ids:?}");
    }
    for indicator in body["indicators"].as_array().unwrap() {
        for field in ["konsep", "definisi", "rumus", "satuan", "interpretasi"] {
            for lang in ["id", "en"] {
                assert!(
                    !indicator[field][lang].as_str().unwrap().is_empty(),
                    "{} {field}.{lang}",
                    indicator["id"]
                );
            }
        }
        assert_eq!(indicator["plugin"]["sha256"].as_str().unwrap().len(), 64);
        assert!(!indicator["inputs"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn rupiah_per_unit_matches_the_contracts() {
    let server = Server::seeded();
    let (status, body) = get_json(&server.url("/api/indicators/rupiah-per-unit")).await;
    assert_eq!(status, 200, "{body}");
    let values: Vec<(String, f64)> = rows(&body)
        .iter()
        .map(|r| {
            (
                r["pemasok"].as_str().unwrap().to_string(),
                r["nilai"].as_f64().unwrap(),
            )
        })
        .collect();
    // Rp250 juta / 3.500 unit ≈ Rp71.428,57; Rp120 juta / 12.500 = Rp9.600.
    assert_eq!(values.len(), 2);
    assert_eq!(values[0].0, "Muhammad Ali Imron");
    assert!(close(values[0].1, 250_000_000.0 / 3_500.0), "{values:?}");
    assert_eq!(values[1].0, "Ria Ayu Wardani");
    assert!(close(values[1].1, 9_600.0), "{values:?}");
    let measure = body["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["role"] == json!("measure"))
        .unwrap();
    assert_eq!(measure["name"], json!("nilai"));
    assert!(body["revision"].as_i64().unwrap() >= 1);
}

#[tokio::test]
async fn cluster_ratios_pair_figures_from_the_same_source_and_year() {
    let server = Server::seeded();
    let (status, body) = get_json(&server.url("/api/indicators/workers-per-unit")).await;
    assert_eq!(status, 200, "{body}");
    let by_year = |year: i64| -> Vec<f64> {
        rows(&body)
            .iter()
            .filter(|r| r["tahun"] == json!(year))
            .map(|r| r["nilai"].as_f64().unwrap())
            .collect()
    };
    assert_eq!(by_year(2010), vec![483.0 / 112.0]);
    assert_eq!(by_year(2020), vec![1_326.0 / 204.0]);
    assert!(close(by_year(2015)[0], 837.0 / 173.0));

    let (status, body) = get_json(&server.url("/api/indicators/value-per-worker")).await;
    assert_eq!(status, 200, "{body}");
    let values: Vec<(i64, f64)> = rows(&body)
        .iter()
        .map(|r| (r["tahun"].as_i64().unwrap(), r["nilai"].as_f64().unwrap()))
        .collect();
    // Rp138,7 miliar / 1.326 workers (Kemenperin, 2020): the only year with both from one source.
    assert_eq!(values.len(), 1, "{values:?}");
    assert_eq!(values[0].0, 2020);
    assert!(close(values[0].1, 138_700_000_000.0 / 1_326.0));
}

#[tokio::test]
async fn cagr_takes_parameters_and_refuses_bad_ones() {
    let server = Server::seeded();
    let (status, body) = get_json(&server.url("/api/indicators/cagr")).await;
    assert_eq!(status, 200, "{body}");
    // Production value 2010 → 2020, Kemenperin: (138,7 / 37)^(1/10) − 1 ≈ 14,13 % a year.
    let value = rows(&body)[0]["nilai"].as_f64().unwrap();
    assert!(
        close(value, ((138.7_f64 / 37.0).powf(0.1) - 1.0) * 100.0),
        "{value}"
    );

    let (status, body) = get_json(
        &server.url("/api/indicators/cagr?ukuran=volume_produksi&from-year=2019&to-year=2020"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let value = rows(&body)[0]["nilai"].as_f64().unwrap();
    assert!(
        close(value, (852_650.0 / 803_750.0 - 1.0) * 100.0),
        "{value}"
    );

    for (query, code) in [
        ("from-year=dua", "invalid_parameter"),
        ("warna=merah", "invalid_parameter"),
        ("from-year=2020&to-year=2010", "invalid_parameter"),
        ("_drop=1", "unknown_parameter"),
    ] {
        let (status, body) = get_json(&server.url(&format!("/api/indicators/cagr?{query}"))).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], json!(code), "{query}: {body}");
    }
    let (status, body) = get_json(&server.url("/api/indicators/nope")).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (404, json!("unknown_indicator"))
    );
}

#[tokio::test]
async fn non_knalpot_share_and_exports_of_a_result() {
    let server = Server::seeded();
    let (status, body) = get_json(&server.url("/api/indicators/non-knalpot-share")).await;
    assert_eq!(status, 200, "{body}");
    // Both 2021 contracts are non-knalpot: (250 + 120) / 370 juta = 100 %.
    let row = &rows(&body)[0];
    assert_eq!(row["tahun"], json!(2021));
    assert!(close(row["nilai"].as_f64().unwrap(), 100.0));

    let (status, csv_text) = get_text(&server.url("/api/indicators/rupiah-per-unit.csv")).await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let nilai = header.iter().position(|h| h == "nilai").unwrap();
    let values: Vec<f64> = reader
        .records()
        .map(|r| r.unwrap()[nilai].parse().unwrap())
        .collect();
    assert_eq!(values.len(), 2);
    assert!(close(values[1], 9_600.0));
    let (status, ndjson) = get_text(&server.url("/api/indicators/rupiah-per-unit.ndjson")).await;
    assert_eq!(status, 200);
    assert_eq!(ndjson.lines().count(), 2);
    for path in [
        "/api/indicators/rupiah-per-unit",
        "/api/indicators/rupiah-per-unit.csv",
        "/api/indicators",
    ] {
        let first = support::client()
            .get(server.url(path))
            .send()
            .await
            .unwrap();
        let etag = first.headers()["etag"].to_str().unwrap().to_string();
        let again = support::client()
            .get(server.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
    }
    let (status, body) = get_json(&server.url("/api/indicators/rupiah-per-unit.docx")).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (404, json!("unknown_format"))
    );
}
