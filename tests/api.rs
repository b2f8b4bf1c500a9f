//! The open read API, over HTTP, against the real binary and real SQLite files.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use support::{Server, client, generate, get_json, get_text, raw_client, sqlite};

/// Every row of a dataset (or a filtered view) through the page API, following `next_url`.
async fn all_pages(server: &Server, path_and_query: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut url = server.url(path_and_query);
    for _ in 0..100_000 {
        let (status, page) = get_json(&url).await;
        assert_eq!(status, 200, "{url}: {page}");
        rows.extend(page["rows"].as_array().expect("rows").iter().cloned());
        match page["next_url"].as_str() {
            Some(next) => url = next.to_string(),
            None => return rows,
        }
    }
    panic!("pagination did not end");
}

fn ids(rows: &[Value], key: &str) -> Vec<String> {
    rows.iter().map(|r| r[key].to_string()).collect()
}

/// The primary keys SQLite itself returns for `where_sql`, as JSON text.
fn sqlite_keys(db: &std::path::Path, table: &str, key: &str, where_sql: &str) -> BTreeSet<String> {
    let conn = sqlite(db);
    let mut stmt = conn
        .prepare(&format!(
            "SELECT \"{key}\" FROM \"{table}\" WHERE {where_sql}"
        ))
        .expect("independent query");
    stmt.query_map([], |r| {
        Ok(match r.get_ref(0)? {
            rusqlite::types::ValueRef::Integer(i) => i.to_string(),
            rusqlite::types::ValueRef::Text(t) => {
                Value::String(String::from_utf8_lossy(t).into()).to_string()
            }
            other => panic!("unexpected key {other:?}"),
        })
    })
    .expect("rows")
    .collect::<Result<_, _>>()
    .expect("keys")
}

#[tokio::test]
async fn catalog_lists_every_seeded_dataset_with_bilingual_metadata_and_sources() {
    let server = Server::seeded();
    let (status, body) = get_json(&server.url("/api/datasets")).await;
    assert_eq!(status, 200);
    let datasets = body["datasets"].as_array().unwrap();
    let names: BTreeSet<&str> = datasets.iter().map(|d| d["id"].as_str().unwrap()).collect();
    for expected in [
        "sumber",
        "klaster_knalpot",
        "kontrak_pasokan",
        "program",
        "wilayah",
        "kbli",
    ] {
        assert!(
            names.contains(expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(
        !names.contains("synthetic_enterprises"),
        "synthetic data must not be seeded"
    );

    for dataset in datasets {
        let id = dataset["id"].as_str().unwrap();
        assert_eq!(dataset["synthetic"], json!(false));
        let (status, meta) = get_json(&server.url(&format!("/api/datasets/{id}"))).await;
        assert_eq!(status, 200);
        for lang in ["id", "en"] {
            assert!(
                !meta["title"][lang].as_str().unwrap().is_empty(),
                "{id} title.{lang}"
            );
            assert!(
                !meta["description"][lang].as_str().unwrap().is_empty(),
                "{id} description.{lang}"
            );
        }
        assert!(!meta["licence"].as_str().unwrap().is_empty());
        assert!(meta["row_count"].as_i64().unwrap() > 0, "{id} has rows");
        assert!(meta["revision"].as_i64().unwrap() >= 1);
        for column in meta["columns"].as_array().unwrap() {
            assert!(
                ["integer", "real", "text", "date", "boolean"]
                    .contains(&column["type"].as_str().unwrap())
            );
            for lang in ["id", "en"] {
                assert!(
                    !column["title"][lang].as_str().unwrap().is_empty(),
                    "{id}.{} title",
                    column["name"]
                );
                assert!(
                    !column["description"][lang].as_str().unwrap().is_empty(),
                    "{id}.{} description",
                    column["name"]
                );
            }
        }
        // Every dataset's figures resolve to sources (the sources dataset lists itself).
        assert!(
            !meta["sources"].as_array().unwrap().is_empty(),
            "{id} names no source"
        );
        let rows = all_pages(&server, &format!("/api/datasets/{id}/rows?_size=1000")).await;
        assert_eq!(
            rows.len() as i64,
            meta["row_count"].as_i64().unwrap(),
            "{id} row_count"
        );
        if let Some(source_column) = meta["source_column"].as_str() {
            let known: BTreeSet<String> = meta["sources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_string())
                .collect();
            for row in &rows {
                let source = row[source_column]
                    .as_str()
                    .unwrap_or_else(|| panic!("{id}: a row without source: {row}"));
                assert!(known.contains(source), "{id}: source {source} not listed");
            }
        }
    }
}

#[tokio::test]
async fn seeded_figures_match_the_facts_file_and_keep_conflicts_side_by_side() {
    let server = Server::seeded();
    let (_, page) =
        get_json(&server.url("/api/datasets/kontrak_pasokan/rows?_sort=unit_per_bulan")).await;
    let contracts: Vec<(i64, i64)> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["unit_per_bulan"].as_i64().unwrap(),
                r["nilai_per_bulan"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(contracts, vec![(3_500, 250_000_000), (12_500, 120_000_000)]);

    // 2010 production value: Rp35, 37 and 40 miliar from three sources, none overwritten.
    let (_, page) = get_json(
        &server
            .url("/api/datasets/klaster_knalpot/rows?tahun=2010&ukuran=nilai_produksi&_sort=nilai"),
    )
    .await;
    let rows = page["rows"].as_array().unwrap();
    let values: Vec<f64> = rows.iter().map(|r| r["nilai"].as_f64().unwrap()).collect();
    assert_eq!(values, vec![35e9, 37e9, 40e9]);
    let sources: BTreeSet<&str> = rows
        .iter()
        .map(|r| r["sumber_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources.len(),
        3,
        "each conflicting figure keeps its own source"
    );

    // 2020: 204 units, 1.326 workers, Rp138,7 miliar.
    for (measure, value) in [
        ("unit_usaha", 204.0),
        ("tenaga_kerja", 1326.0),
        ("nilai_produksi", 138.7e9),
    ] {
        let (_, page) = get_json(&server.url(&format!(
            "/api/datasets/klaster_knalpot/rows?tahun=2020&ukuran={measure}"
        )))
        .await;
        let found: Vec<f64> = page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["nilai"].as_f64().unwrap())
            .collect();
        assert_eq!(found, vec![value], "{measure} 2020");
    }

    // 18 kecamatan with their Kemendagri codes.
    let (_, page) =
        get_json(&server.url("/api/datasets/wilayah/rows?tingkat=kecamatan&_count=1")).await;
    assert_eq!(page["count"], json!(18));
    let (status, row) = get_json(&server.url("/api/datasets/wilayah/rows/33.03.09")).await;
    assert_eq!(status, 200);
    assert_eq!(row["row"]["nama"], json!("Bobotsari"));
}

#[tokio::test]
async fn every_filter_operator_agrees_with_sqlite() {
    let server = Server::generated(3000);
    let db = server.db.clone();

    // (query string, the same condition in SQL)
    let cases = [
        ("kecamatan=Bobotsari", "kecamatan = 'Bobotsari'"),
        ("kecamatan__exact=Mrebet", "kecamatan = 'Mrebet'"),
        (
            "kecamatan__not=Mrebet",
            "kecamatan IS NULL OR kecamatan != 'Mrebet'",
        ),
        ("workers__gt=50", "workers > 50"),
        ("workers__gte=50", "workers >= 50"),
        ("workers__lt=3", "workers < 3"),
        ("workers__lte=3", "workers <= 3"),
        ("lat__lt=-7.4", "lat < -7.4"),
        (
            "monthly_value_idr__gte=400000000",
            "monthly_value_idr >= 400000000",
        ),
        ("name__contains=00012", "name LIKE '%00012%'"),
        ("product__contains=DONG", "product LIKE '%dong%'"),
        (
            "name__startswith=Usaha Sintetis 00001",
            "name LIKE 'Usaha Sintetis 00001%'",
        ),
        (
            "kecamatan__in=Bobotsari,Rembang,Kejobong",
            "kecamatan IN ('Bobotsari','Rembang','Kejobong')",
        ),
        ("founded__in=1977,2024", "founded IN (1977, 2024)"),
        ("workers__isnull=1", "workers IS NULL"),
        ("workers__isnull=0", "workers IS NOT NULL"),
        (
            "founded__gte=2000&founded__lt=2010&product=knalpot",
            "founded >= 2000 AND founded < 2010 AND product = 'knalpot'",
        ),
        (
            "_q=Bobotsari knalpot",
            "kecamatan = 'Bobotsari' AND product = 'knalpot'",
        ),
    ];
    for (query, sql) in cases {
        let rows = all_pages(
            &server,
            &format!("/api/datasets/synthetic_enterprises/rows?_size=1000&{query}"),
        )
        .await;
        let got: Vec<String> = ids(&rows, "id");
        let unique: BTreeSet<String> = got.iter().cloned().collect();
        assert_eq!(unique.len(), got.len(), "{query}: a row came twice");
        let expected = sqlite_keys(&db, "synthetic_enterprises", "id", sql);
        assert_eq!(unique, expected, "{query} disagrees with SQL `{sql}`");
        assert!(
            !expected.is_empty() || query.contains("isnull=1"),
            "{query}: the case tests nothing"
        );
    }

    // Operators on a seeded dataset with NULLs, text keys and dates.
    drop(server);
    let seeded = Server::seeded();
    let cases = [
        ("tahun__isnull=1", "tahun IS NULL"),
        ("tahun__not=2010", "tahun IS NULL OR tahun != 2010"),
        ("tahun__in=2010,2020", "tahun IN (2010, 2020)"),
        ("nilai__gt=1000000000", "nilai > 1000000000"),
        ("ukuran__startswith=nilai", "ukuran LIKE 'nilai%'"),
    ];
    for (query, sql) in cases {
        let rows = all_pages(
            &seeded,
            &format!("/api/datasets/klaster_knalpot/rows?{query}"),
        )
        .await;
        let got: BTreeSet<String> = ids(&rows, "id").into_iter().collect();
        assert_eq!(
            got,
            sqlite_keys(&seeded.db, "klaster_knalpot", "id", sql),
            "{query}"
        );
        assert!(!got.is_empty(), "{query}: the case tests nothing");
    }
    let rows = all_pages(
        &seeded,
        "/api/datasets/wilayah/rows?kode__startswith=33.03.05.",
    )
    .await;
    assert_eq!(
        ids(&rows, "kode").into_iter().collect::<BTreeSet<_>>(),
        sqlite_keys(&seeded.db, "wilayah", "kode", "kode LIKE '33.03.05.%'")
    );
    let rows = all_pages(
        &seeded,
        "/api/datasets/program/rows?tanggal_mulai__gte=2021-01-01",
    )
    .await;
    assert_eq!(
        ids(&rows, "id").into_iter().collect::<BTreeSet<_>>(),
        sqlite_keys(&seeded.db, "program", "id", "tanggal_mulai >= '2021-01-01'")
    );
}

#[tokio::test]
async fn keyset_pages_visit_every_row_once_in_order_for_every_sort() {
    let server = Server::generated(2000);
    let db = server.db.clone();
    let total = 2000usize;
    for sort in [
        "",
        "_sort=kecamatan",
        "_sort_desc=workers",
        "_sort=lat",
        "_sort_desc=name",
        "_sort=founded",
    ] {
        let rows = all_pages(
            &server,
            &format!("/api/datasets/synthetic_enterprises/rows?_size=97&{sort}"),
        )
        .await;
        let keys = ids(&rows, "id");
        assert_eq!(keys.len(), total, "{sort}: rows visited");
        assert_eq!(
            keys.iter().collect::<BTreeSet<_>>().len(),
            total,
            "{sort}: a row came twice"
        );
        // Ordered by the sort column, ties by key, like SQLite's ORDER BY.
        if let Some((direction, column)) = sort.split_once('=') {
            let conn = sqlite(&db);
            let order = if direction == "_sort_desc" {
                "DESC"
            } else {
                "ASC"
            };
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT id FROM synthetic_enterprises ORDER BY \"{column}\" {order}, id {order}"
                ))
                .unwrap();
            let expected: Vec<String> = stmt
                .query_map([], |r| r.get::<_, i64>(0))
                .unwrap()
                .map(|r| r.unwrap().to_string())
                .collect();
            assert_eq!(keys, expected, "{sort}: order");
        }
    }

    // A sort column with NULLs, both directions, pages smaller than the NULL run.
    drop(server);
    let seeded = Server::seeded();
    let conn = sqlite(&seeded.db);
    let total = conn
        .query_row("SELECT count(*) FROM klaster_knalpot", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap() as usize;
    for sort in [
        "_sort=tahun",
        "_sort_desc=tahun",
        "_sort=catatan",
        "_sort_desc=catatan",
    ] {
        let rows = all_pages(
            &seeded,
            &format!("/api/datasets/klaster_knalpot/rows?_size=2&{sort}"),
        )
        .await;
        let keys = ids(&rows, "id");
        assert_eq!(keys.len(), total, "{sort}");
        assert_eq!(
            keys.iter().collect::<BTreeSet<_>>().len(),
            total,
            "{sort}: a row came twice"
        );
    }
}

#[tokio::test]
async fn keyset_pages_stay_correct_while_rows_are_inserted_between_requests() {
    let server = Server::generated(1000);
    let db = server.db.clone();
    // A second writer on the same file: the store's own append path, as an import would use.
    let store = logam::store::Store::open(
        &db,
        &logam::store::OpenOptions {
            seed_if_new: false,
            ..Default::default()
        },
    )
    .unwrap();

    for sort in ["", "_sort=kecamatan", "_sort_desc=workers"] {
        let before: BTreeSet<String> = sqlite_keys(&db, "synthetic_enterprises", "id", "1");
        let mut seen = Vec::new();
        let mut url = server.url(&format!(
            "/api/datasets/synthetic_enterprises/rows?_size=50&{sort}"
        ));
        let mut next_id: i64 = sqlite(&db)
            .query_row("SELECT max(id) + 1 FROM synthetic_enterprises", [], |r| {
                r.get(0)
            })
            .unwrap();
        let mut page_count = 0;
        loop {
            let (status, page) = get_json(&url).await;
            assert_eq!(status, 200);
            seen.extend(ids(page["rows"].as_array().unwrap(), "id"));
            page_count += 1;
            // Insert rows that sort before, among and after the cursor.
            let inserted: Vec<serde_json::Map<String, Value>> =
                ["Bobotsari", "Kemangkon", "Rembang"]
                    .iter()
                    .enumerate()
                    .map(|(i, kecamatan)| {
                        next_id += 1;
                        let workers = [1, 30, 60][i];
                        json!({
                        "id": next_id, "name": format!("Sisipan {next_id}"), "kecamatan": kecamatan,
                        "product": "knalpot", "workers": workers, "founded": 2020,
                        "monthly_value_idr": 1_000_000, "lat": -7.3, "lon": 109.3
                    })
                    .as_object()
                    .unwrap()
                    .clone()
                    })
                    .collect();
            store
                .append_rows_blocking(
                    "synthetic_enterprises",
                    &inserted,
                    "test",
                    "rows between pages",
                )
                .unwrap();
            match page["next_url"].as_str() {
                Some(next) => url = next.to_string(),
                None => break,
            }
        }
        assert!(page_count > 10);
        let unique: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "{sort}: a row came twice");
        assert!(
            before.is_subset(&unique),
            "{sort}: {} rows present before paging were skipped",
            before.difference(&unique).count()
        );
    }
}

#[tokio::test]
async fn facets_sum_to_the_filtered_count() {
    let server = Server::generated(3000);
    let db = server.db.clone();
    for filter in [
        "",
        "workers__gte=30",
        "product=knalpot&founded__lt=2000",
        "_q=Mrebet",
    ] {
        let (status, page) = get_json(&server.url(&format!(
            "/api/datasets/synthetic_enterprises/rows?_facet=kecamatan&_facet=product&_count=1&{filter}"
        )))
        .await;
        assert_eq!(status, 200, "{page}");
        let count = page["count"].as_i64().unwrap();
        let expected: i64 = sqlite(&db)
            .query_row(
                &format!(
                    "SELECT count(*) FROM synthetic_enterprises WHERE {}",
                    match filter {
                        "" => "1",
                        "workers__gte=30" => "workers >= 30",
                        "product=knalpot&founded__lt=2000" =>
                            "product = 'knalpot' AND founded < 2000",
                        _ => "kecamatan = 'Mrebet'",
                    }
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(count, expected, "{filter}: count");
        for facet in ["kecamatan", "product"] {
            let facet_body = &page["facets"][facet];
            assert_eq!(facet_body["truncated"], json!(false));
            let sum: i64 = facet_body["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["count"].as_i64().unwrap())
                .sum();
            assert_eq!(sum, count, "{filter}: facet {facet} sums to the count");
        }
    }
}

/// A CSV cell as the JSON value it should equal.
fn csv_matches(json: &Value, cell: &str) -> bool {
    match json {
        Value::Null => cell.is_empty(),
        Value::Bool(b) => cell == if *b { "true" } else { "false" },
        Value::Number(n) => cell.parse::<f64>().ok() == n.as_f64(),
        Value::String(s) => cell == s,
        _ => false,
    }
}

#[tokio::test]
async fn csv_ndjson_and_json_exports_hold_exactly_the_json_rows() {
    let server = Server::seeded();
    let (_, catalog) = get_json(&server.url("/api/datasets")).await;
    for dataset in catalog["datasets"].as_array().unwrap() {
        let id = dataset["id"].as_str().unwrap();
        let rows = all_pages(&server, &format!("/api/datasets/{id}/rows?_size=7")).await;
        let (_, meta) = get_json(&server.url(&format!("/api/datasets/{id}"))).await;
        let columns: Vec<String> = meta["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect();

        let response = client()
            .get(server.url(&format!("/api/datasets/{id}/rows.csv")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        let csv_text = response.text().await.unwrap();
        assert!(csv_text.contains("\r\n"), "RFC 4180 line ends");
        let mut reader = csv::ReaderBuilder::new().from_reader(csv_text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header, columns, "{id}: CSV header");
        let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(records.len(), rows.len(), "{id}: CSV rows");
        for (record, row) in records.iter().zip(&rows) {
            for (cell, column) in record.iter().zip(&columns) {
                assert!(
                    csv_matches(&row[column], cell),
                    "{id}.{column}: CSV {cell:?} vs JSON {}",
                    row[column]
                );
            }
        }

        let (status, array) = get_json(&server.url(&format!("/api/datasets/{id}/rows.json"))).await;
        assert_eq!(status, 200);
        assert_eq!(
            array.as_array().unwrap(),
            &rows,
            "{id}: .json export equals the pages"
        );

        let (status, ndjson) =
            get_text(&server.url(&format!("/api/datasets/{id}/rows.ndjson"))).await;
        assert_eq!(status, 200);
        let parsed: Vec<Value> = ndjson
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(parsed, rows, "{id}: .ndjson export equals the pages");
    }

    // Excel: a BOM on request, filters, column choice and sort apply to exports too.
    let (_, text) = get_text(&server.url(
        "/api/datasets/klaster_knalpot/rows.csv?_bom=1&tahun=2010&_col=ukuran,nilai&_sort_desc=nilai",
    ))
    .await;
    assert!(text.starts_with('\u{feff}'), "BOM first");
    let body = text.trim_start_matches('\u{feff}');
    let mut lines = body.lines();
    assert_eq!(lines.next(), Some("ukuran,nilai"));
    let values: Vec<f64> = lines
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(
        values.windows(2).all(|w| w[0] >= w[1]),
        "sorted descending: {values:?}"
    );
    let expected: i64 = sqlite(&server.db)
        .query_row(
            "SELECT count(*) FROM klaster_knalpot WHERE tahun = 2010",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(values.len() as i64, expected);
}

#[tokio::test]
async fn large_exports_stream_every_row() {
    let server = Server::generated(50_000);
    let db = server.db.clone();
    let response = client()
        .get(server.url("/api/datasets/synthetic_enterprises/rows.csv"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}\nserver log:\n{}", server.log()));
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().get("content-length").is_none(),
        "streamed, not buffered"
    );
    let body = match response.text().await {
        Ok(body) => body,
        Err(e) => panic!("body: {e:?}\nserver log:\n{}", server.log()),
    };
    assert_eq!(body.lines().count(), 50_001);
    // Every cell, in order, equals the table's: batches encoded on the export's second
    // thread arrive whole, in order, and none is encoded twice or from a reused buffer.
    let mut reader = csv::ReaderBuilder::new().from_reader(body.as_bytes());
    let conn = sqlite(&db);
    let mut stmt = conn
        .prepare(
            "SELECT id, name, kecamatan, product, workers, founded, monthly_value_idr, lat, lon \
             FROM synthetic_enterprises ORDER BY id",
        )
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    let mut compared = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let row = rows
            .next()
            .unwrap()
            .expect("as many table rows as CSV records");
        for i in 0..7 {
            let value: rusqlite::types::Value = row.get(i).unwrap();
            let expected = match value {
                rusqlite::types::Value::Integer(n) => n.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => panic!("column {i}: {other:?}"),
            };
            assert_eq!(&record[i], expected, "row {compared}, column {i}");
        }
        for i in 7..9 {
            let expected: f64 = row.get(i).unwrap();
            assert_eq!(
                record[i].parse::<f64>().unwrap(),
                expected,
                "row {compared}"
            );
        }
        compared += 1;
    }
    assert!(rows.next().unwrap().is_none(), "no table row left out");
    assert_eq!(compared, 50_000);
    let (_, ndjson) =
        get_text(&server.url("/api/datasets/synthetic_enterprises/rows.ndjson?product=knalpot"))
            .await;
    let expected = sqlite(&db)
        .query_row(
            "SELECT count(*) FROM synthetic_enterprises WHERE product='knalpot'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap() as usize;
    assert_eq!(ndjson.lines().count(), expected);
    // `_size` caps an export.
    let (_, capped) =
        get_text(&server.url("/api/datasets/synthetic_enterprises/rows.csv?_size=10")).await;
    assert_eq!(capped.lines().count(), 11);
}

#[tokio::test]
async fn etags_answer_304_until_the_dataset_changes() {
    let server = Server::seeded();
    let http = client();
    for path in [
        "/api/datasets/kbli/rows?_sort=kode",
        "/api/datasets/kbli/rows.csv",
        "/api/datasets/kbli",
        "/api/datasets/kbli/rows/30912",
        "/api/datasets",
    ] {
        let first = http.get(server.url(path)).send().await.unwrap();
        assert_eq!(first.status(), 200, "{path}");
        let etag = first.headers()["etag"].to_str().unwrap().to_string();
        assert!(
            first.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age")
        );
        let again = http
            .get(server.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"], etag.as_str());
        let other = http
            .get(server.url(path))
            .header("if-none-match", "W/\"1.1-0000000000000000\"")
            .send()
            .await
            .unwrap();
        assert_eq!(
            other.status(),
            200,
            "{path}: a different tag is not a match"
        );
    }
    // Another query is another representation with another tag.
    let a = http
        .get(server.url("/api/datasets/kbli/rows?_sort=kode"))
        .send()
        .await
        .unwrap();
    let b = http
        .get(server.url("/api/datasets/kbli/rows?_sort_desc=kode"))
        .send()
        .await
        .unwrap();
    assert_ne!(a.headers()["etag"], b.headers()["etag"]);

    // A new revision invalidates the copy.
    let etag = a.headers()["etag"].to_str().unwrap().to_string();
    let store = logam::store::Store::open(
        &server.db,
        &logam::store::OpenOptions {
            seed_if_new: false,
            ..Default::default()
        },
    )
    .unwrap();
    let row = json!({"kode": "99999", "versi": "KBLI 2020", "uraian_en": "test row", "uraian_id": "baris uji",
                     "catatan": null, "sumber_id": "bps-kbli-2020"});
    let row = row.as_object().unwrap().clone();
    store
        .append_rows_blocking("kbli", &[row], "test", "a new row")
        .unwrap();
    let after = http
        .get(server.url("/api/datasets/kbli/rows?_sort=kode"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
    assert_ne!(after.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn cors_and_compression_on_every_response() {
    let server = Server::seeded();
    let response = raw_client()
        .get(server.url("/api/datasets/klaster_knalpot/rows"))
        .header("origin", "https://newsroom.example")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let compressed = response.bytes().await.unwrap();
    let mut decoder = flate2::read::GzDecoder::new(&compressed[..]);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut decoder, &mut text).unwrap();
    let page: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(page["dataset"], json!("klaster_knalpot"));

    let response = raw_client()
        .get(server.url("/api/datasets/klaster_knalpot/rows.csv"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "br");

    let preflight = client()
        .request(reqwest::Method::OPTIONS, server.url("/api/datasets"))
        .header("origin", "https://newsroom.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");

    // Errors carry CORS too, so a browser script can read the reason.
    let error = client()
        .get(server.url("/api/datasets/nope"))
        .header("origin", "https://newsroom.example")
        .send()
        .await
        .unwrap();
    assert_eq!(error.status(), 404);
    assert_eq!(error.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn bad_input_gets_a_4xx_json_error_naming_the_problem() {
    let server = Server::seeded();
    let long = "x".repeat(10 * 1024);
    let many: String = (0..80).map(|i| format!("tahun__not={i}&")).collect();
    let token_for_other_sort = {
        let (_, page) =
            get_json(&server.url("/api/datasets/klaster_knalpot/rows?_size=2&_sort=tahun")).await;
        page["next"].as_str().unwrap().to_string()
    };
    let cases: Vec<(String, u16, &str)> = vec![
        ("/api/datasets/nope".into(), 404, "unknown_dataset"),
        ("/api/datasets/nope/rows".into(), 404, "unknown_dataset"),
        ("/api/datasets/nope/rows.csv".into(), 404, "unknown_dataset"),
        (
            "/api/datasets/klaster_knalpot/rows?warna=merah".into(),
            400,
            "unknown_column",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?tahun__like=2010".into(),
            400,
            "unknown_operator",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_sort=warna".into(),
            400,
            "unknown_column",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_col=id,warna".into(),
            400,
            "unknown_column",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_facet=warna".into(),
            400,
            "unknown_column",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_size=-1".into(),
            400,
            "invalid_value",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_size=0".into(),
            400,
            "invalid_value",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_size=1001".into(),
            400,
            "invalid_value",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_size=ten".into(),
            400,
            "invalid_value",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?tahun=dua ribu".into(),
            400,
            "invalid_value",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?tahun__gt=1e400".into(),
            400,
            "invalid_value",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?nilai__gt=NaN".into(),
            400,
            "invalid_value",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?tahun__in=2010,x".into(),
            400,
            "invalid_value",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?tahun__isnull=maybe".into(),
            400,
            "invalid_value",
        ),
        (
            "/api/datasets/program/rows?tanggal_mulai__gt=kemarin".into(),
            400,
            "invalid_value",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?tahun__contains=20".into(),
            400,
            "operator_not_for_type",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_next=%%%".into(),
            400,
            "invalid_next_token",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_next=bm90IGEgdG9rZW4".into(),
            400,
            "invalid_next_token",
        ),
        (
            format!("/api/datasets/klaster_knalpot/rows?_next={token_for_other_sort}"),
            400,
            "invalid_next_token",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_next=WyJpZCIsZmFsc2UsIngiLCJ5Il0".into(),
            400,
            "invalid_next_token",
        ),
        (
            format!("/api/datasets/klaster_knalpot/rows?catatan={long}"),
            400,
            "value_too_long",
        ),
        (
            format!("/api/datasets/klaster_knalpot/rows?{long}=1"),
            400,
            "value_too_long",
        ),
        (
            format!("/api/datasets/klaster_knalpot/rows?{many}"),
            400,
            "too_many_parameters",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_sort=tahun&_sort_desc=id".into(),
            400,
            "repeated_parameter",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_drop=1".into(),
            400,
            "unknown_parameter",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_q=%20%20".into(),
            400,
            "invalid_value",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_bom=1".into(),
            400,
            "parameter_not_applicable",
        ),
        (
            "/api/datasets/klaster_knalpot/rows.csv?_facet=tahun".into(),
            400,
            "parameter_not_applicable",
        ),
        (
            "/api/datasets/klaster_knalpot/rows.csv?_count=1".into(),
            400,
            "parameter_not_applicable",
        ),
        (
            "/api/datasets/klaster_knalpot/rows.docx".into(),
            404,
            "unknown_format",
        ),
        (
            "/api/datasets/klaster_knalpot/rowz".into(),
            404,
            "not_found",
        ),
        (
            "/api/datasets/klaster_knalpot/rows/999999".into(),
            404,
            "row_not_found",
        ),
        (
            "/api/datasets/klaster_knalpot/rows/abc".into(),
            404,
            "row_not_found",
        ),
        (
            "/api/datasets/wilayah/rows/%FF%FE".into(),
            400,
            "invalid_path",
        ),
        ("/api/nothing-here".into(), 404, "not_found"),
        // SQL in names and values: names are checked against the schema, values are bound.
        (
            "/api/datasets/klaster_knalpot/rows?tahun%3D1%20OR%201%3D1--=1".into(),
            400,
            "unknown_column",
        ),
        (
            "/api/datasets/klaster_knalpot;DROP TABLE sumber/rows".into(),
            404,
            "unknown_dataset",
        ),
        (
            "/api/datasets/klaster_knalpot/rows?_sort=tahun;DROP TABLE sumber".into(),
            400,
            "unknown_column",
        ),
        (
            "/api/datasets/sqlite_schema/rows".into(),
            404,
            "unknown_dataset",
        ),
        (
            "/api/datasets/_logam_datasets/rows".into(),
            404,
            "unknown_dataset",
        ),
    ];
    assert!(cases.len() >= 20);
    for (path, status, code) in &cases {
        let response = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), *status, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], json!(code), "{path}: {body}");
        assert!(
            !body["error"]["message"].as_str().unwrap().is_empty(),
            "{path}"
        );
        assert!(
            !body["error"]["hint"].as_str().unwrap().is_empty(),
            "{path}"
        );
    }
    let response = client()
        .post(server.url("/api/datasets"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], json!("method_not_allowed"));

    // A value that looks like SQL is only ever data.
    let (status, page) =
        get_json(&server.url("/api/datasets/klaster_knalpot/rows?catatan=x'%20OR%20'1'='1")).await;
    assert_eq!(status, 200);
    assert_eq!(page["rows"], json!([]));
    let count: i64 = sqlite(&server.db)
        .query_row("SELECT count(*) FROM sumber", [], |r| r.get(0))
        .unwrap();
    assert!(count > 0, "nothing was dropped");
    // The server is still up and nothing panicked.
    let (status, _) = get_json(&server.url("/healthz")).await;
    assert_eq!(status, 200);
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

#[tokio::test]
async fn search_selection_and_single_rows() {
    let server = Server::seeded();
    let (status, page) =
        get_json(&server.url("/api/datasets/program/rows?_q=bimtek&_col=id,nama")).await;
    assert_eq!(status, 200);
    let rows = page["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        assert_eq!(
            row.as_object().unwrap().keys().collect::<Vec<_>>(),
            vec!["id", "nama"]
        );
    }
    assert_eq!(page["columns"], json!(["id", "nama"]));
    let (status, body) = get_json(&server.url("/api/datasets/kontrak_pasokan/rows/1")).await;
    assert_eq!(status, 200);
    assert_eq!(body["row"]["nilai_per_bulan"], json!(250_000_000));
    assert!(body["revision"].as_i64().unwrap() >= 1);
    // Search text is never FTS syntax: quotes, operators and stars are plain words.
    for query in ["\"", "AND OR NOT", "knalpot*", "NEAR(a b)", "a:b", "^x"] {
        let url = server.url(&format!(
            "/api/datasets/program/rows?_q={}",
            urlencode(query)
        ));
        let (status, body) = get_json(&url).await;
        assert_eq!(status, 200, "{query}: {body}");
    }
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn index_health_formats_and_home_page() {
    let server = Server::seeded();
    let (status, index) = get_json(&server.url("/api")).await;
    assert_eq!(status, 200);
    assert_eq!(index["links"]["datasets"], json!("/api/datasets"));
    let (status, health) = get_json(&server.url("/healthz")).await;
    assert_eq!((status, &health["status"]), (200, &json!("ok")), "{health}");
    // How much capacity is in use: nothing, on an idle server, but the health check itself.
    assert_eq!(health["capacity"]["exports"]["running"], 0, "{health}");
    assert!(health["capacity"]["readers"]["size"].as_u64().unwrap() >= 1);
    let (_, formats) = get_json(&server.url("/api/formats")).await;
    let extensions: Vec<&str> = formats["formats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["extension"].as_str().unwrap())
        .collect();
    assert_eq!(
        extensions[..3],
        ["csv", "json", "ndjson"],
        "native formats first"
    );
    for plugin_format in ["geojson", "xlsx", "sdmx.csv", "md"] {
        assert!(extensions.contains(&plugin_format), "{extensions:?}");
    }
    // Responses with no dataset state carry a content ETag; the health check is never cached.
    for path in ["/api", "/api/formats"] {
        let first = client().get(server.url(path)).send().await.unwrap();
        let etag = first.headers()["etag"].to_str().unwrap().to_string();
        let again = client()
            .get(server.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
    }
    let health = client().get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.headers()["cache-control"], "no-store");
    let (status, html) = get_text(&server.url("/")).await;
    assert_eq!(status, 200);
    assert!(html.contains("lang=\"id\"") && html.contains("Statistik klaster knalpot"));
    let (_, html) = get_text(&server.url("/?lang=en")).await;
    assert!(html.contains("lang=\"en\""));
    let (_, revisions) = get_json(&server.url("/api/datasets/sumber/revisions")).await;
    assert_eq!(revisions["revisions"][0]["author"], json!("logam seed"));
}

#[tokio::test]
async fn one_log_line_per_request_and_a_clean_shutdown_on_sigterm() {
    let mut server = Server::seeded();
    for _ in 0..3 {
        get_json(&server.url("/api/datasets/kbli/rows")).await;
    }
    // The log line is written as the response is sent; give the drain thread a moment.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = server.log();
    let lines = log
        .lines()
        .filter(|l| l.contains("path=/api/datasets/kbli/rows") && l.contains("status=200"))
        .count();
    assert_eq!(lines, 3, "{log}");
    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn the_database_survives_a_restart_and_is_not_seeded_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logam.db");
    let first = {
        let server = Server::start(&db);
        get_json(&server.url("/api/datasets")).await.1
    };
    let server = Server::start(&db);
    let (_, second) = get_json(&server.url("/api/datasets")).await;
    assert_eq!(first, second);
    let revisions: i64 = sqlite(&db)
        .query_row("SELECT count(*) FROM _logam_revisions", [], |r| r.get(0))
        .unwrap();
    let datasets: i64 = sqlite(&db)
        .query_row("SELECT count(*) FROM _logam_datasets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(revisions, datasets, "one seed revision per dataset, once");
    let integrity: String = sqlite(&db)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
}

#[tokio::test]
async fn a_generated_database_is_labelled_synthetic_and_served_like_any_other() {
    let server = Server::generated(500);
    let db = server.db.clone();
    let (_, catalog) = get_json(&server.url("/api/datasets")).await;
    let datasets = catalog["datasets"].as_array().unwrap();
    assert_eq!(datasets.len(), 1, "gen does not seed the real data");
    assert_eq!(datasets[0]["synthetic"], json!(true));
    assert!(
        datasets[0]["title"]["id"]
            .as_str()
            .unwrap()
            .contains("SINTETIS")
    );
    let (_, meta) = get_json(&server.url("/api/datasets/synthetic_enterprises")).await;
    let columns: Vec<&str> = meta["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        columns,
        [
            "id",
            "name",
            "kecamatan",
            "product",
            "workers",
            "founded",
            "monthly_value_idr",
            "lat",
            "lon"
        ]
    );
    // 18 real kecamatan names, 5 products, an index on kecamatan.
    let conn = sqlite(&db);
    let kecamatan: i64 = conn
        .query_row(
            "SELECT count(DISTINCT kecamatan) FROM synthetic_enterprises",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kecamatan, 18);
    let products: i64 = conn
        .query_row(
            "SELECT count(DISTINCT product) FROM synthetic_enterprises",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(products, 5);
    let plan: String = conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT id FROM synthetic_enterprises WHERE kecamatan = 'Mrebet'",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("INDEX"), "{plan}");
    // The same command writes the same rows.
    let other = tempfile::tempdir().unwrap();
    let again = other.path().join("again.db");
    generate(&again, 500);
    let digest = |path: &std::path::Path| -> Vec<(i64, String, i64)> {
        let conn = sqlite(path);
        let mut stmt = conn
            .prepare("SELECT id, name, workers FROM synthetic_enterprises ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert_eq!(digest(&db), digest(&again));
    // Generating twice into one file is refused, not duplicated.
    let output = std::process::Command::new(support::BIN)
        .args(["gen", "--rows", "10", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("already exists"));
}

#[tokio::test]
async fn concurrent_readers_all_get_consistent_answers() {
    let server = Server::generated(5000);
    let db = server.db.clone();
    let expected: BTreeMap<String, i64> = {
        let conn = sqlite(&db);
        let mut stmt = conn
            .prepare("SELECT kecamatan, count(*) FROM synthetic_enterprises GROUP BY 1")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let mut tasks = Vec::new();
    for (kecamatan, count) in expected.clone() {
        let url = server.url(&format!(
            "/api/datasets/synthetic_enterprises/rows?kecamatan={kecamatan}&_count=1&_size=1"
        ));
        tasks.push(tokio::spawn(async move {
            let (status, page) = get_json(&url).await;
            assert_eq!(status, 200);
            assert_eq!(page["count"].as_i64().unwrap(), count, "{kecamatan}");
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn csv_exports_write_formula_like_text_as_text() {
    let server = Server::seeded();
    let store = logam::store::Store::open(
        &server.db,
        &logam::store::OpenOptions {
            seed_if_new: false,
            ..Default::default()
        },
    )
    .unwrap();
    let row = json!({"kode": "99998", "versi": "KBLI 2020",
                     "uraian_en": "=HYPERLINK(\"http://example.invalid\",\"klik\")",
                     "uraian_id": "-2+3", "catatan": "@SUM(A1)", "sumber_id": "bps-kbli-2020"});
    store
        .append_rows_blocking(
            "kbli",
            &[row.as_object().unwrap().clone()],
            "test",
            "formulas",
        )
        .unwrap();
    let (status, csv) = get_text(&server.url("/api/datasets/kbli/rows.csv?kode=99998")).await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let record = reader.records().next().unwrap().unwrap();
    let field = |name: &str| {
        record
            .get(headers.iter().position(|h| h == name).unwrap())
            .unwrap()
    };
    assert_eq!(
        field("uraian_en"),
        "'=HYPERLINK(\"http://example.invalid\",\"klik\")"
    );
    assert_eq!(field("uraian_id"), "'-2+3");
    assert_eq!(field("catatan"), "'@SUM(A1)");
    // JSON keeps the text exactly as stored.
    let (_, page) = get_json(&server.url("/api/datasets/kbli/rows?kode=99998")).await;
    assert_eq!(page["rows"][0]["uraian_id"], "-2+3");
}

/// A row cap past what SQLite's LIMIT holds was a 500 (found by schemathesis once `_size` on
/// exports was documented): up to i64::MAX it means "every row", past it a 400.
#[tokio::test]
async fn an_export_size_past_sqlites_integers_means_every_row() {
    let server = Server::seeded();
    let (_, everything) = get_text(&server.url("/api/datasets/sejarah/rows.csv")).await;
    for size in ["9223372036854775806", "9223372036854775807"] {
        let (status, body) =
            get_text(&server.url(&format!("/api/datasets/sejarah/rows.csv?_size={size}"))).await;
        assert_eq!(status, 200, "_size={size}: {body}");
        assert_eq!(body, everything, "_size={size}");
    }
    for size in ["9223372036854775808", "18446744073709551616"] {
        let (status, body) =
            get_json(&server.url(&format!("/api/datasets/sejarah/rows.csv?_size={size}"))).await;
        assert_eq!(status, 400, "_size={size}: {body}");
        assert_eq!(body["error"]["code"], "invalid_value");
    }
}
