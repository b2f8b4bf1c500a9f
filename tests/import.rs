//! Imports over HTTP (and the CLI) against the real binary: a corpus of bad files that must
//! each be refused whole with a report and leave the database byte-for-byte the same rows,
//! good imports in every mode, history (`_as_of`, changes) after replace and upsert, and an
//! import killed mid-way.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{BIN, Server, client, get_json, get_text, sqlite};

const TOKEN: &str = "import-test-token-0123456789";
const HEADER: &str = "id,tahun,ukuran,nilai,satuan,nilai_tercetak,sumber_id";
const SOURCE: &str = "radarbanyumas-disway-pangsa-industri";

/// Every row of every table, hashed in a stable order: "unchanged" means these rows.
fn checksum(db: &Path) -> String {
    let conn = sqlite(db);
    let mut tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table'
             AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables.sort();
    let mut hasher = Sha256::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let mut line = String::new();
                for i in 0..n {
                    line.push_str(&format!("{:?}|", r.get::<_, rusqlite::types::Value>(i)?));
                }
                Ok(line)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        hasher.update(table.as_bytes());
        for row in rows {
            hasher.update(row.as_bytes());
        }
    }
    format!("{:x}", hasher.finalize())
}

async fn post(
    server: &Server,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
    token: Option<&str>,
) -> (u16, Value) {
    let mut request = client().post(server.url(path)).body(body);
    if let Some(t) = content_type {
        request = request.header("content-type", t);
    }
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.expect("POST");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"));
    (status, value)
}

async fn import(
    server: &Server,
    dataset: &str,
    query: &str,
    ct: &str,
    body: &[u8],
) -> (u16, Value) {
    post(
        server,
        &format!("/admin/datasets/{dataset}/import{query}"),
        Some(ct),
        body.to_vec(),
        Some(TOKEN),
    )
    .await
}

fn csv(rows: &[&str]) -> Vec<u8> {
    let mut text = String::from(HEADER);
    text.push('\n');
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    text.into_bytes()
}

fn row(id: i64, nilai: &str) -> String {
    format!("{id},2024,ukuran_uji,{nilai},persen,{nilai} %,{SOURCE}")
}

fn revisions(db: &Path) -> i64 {
    sqlite(db)
        .query_row("SELECT count(*) FROM _logam_revisions", [], |r| r.get(0))
        .unwrap()
}

struct Bad {
    name: &'static str,
    dataset: &'static str,
    query: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    token: Option<&'static str>,
    status: u16,
    code: &'static str,
    /// Text expected somewhere in the error (message, problems).
    mentions: &'static str,
}

fn bad(name: &'static str, body: Vec<u8>, code: &'static str, mentions: &'static str) -> Bad {
    Bad {
        name,
        dataset: "konteks_kabupaten",
        query: "",
        content_type: Some("text/csv"),
        body,
        token: Some(TOKEN),
        status: 422,
        code,
        mentions,
    }
}

fn corpus() -> Vec<Bad> {
    let json_ok = |id: i64| {
        json!({"id": id, "tahun": 2024, "ukuran": "u", "nilai": 1.5, "satuan": "persen",
               "nilai_tercetak": "1,5", "sumber_id": SOURCE})
    };
    let jbody = |v: Value| serde_json::to_vec(&v).unwrap();
    let json_bad = |name, v: Value, mentions| Bad {
        content_type: Some("application/json"),
        ..bad(name, jbody(v), "import_rejected", mentions)
    };
    let with = |mut b: Bad, f: &dyn Fn(&mut Bad)| {
        f(&mut b);
        b
    };
    let mut many_bad = vec![];
    for i in 0..1500 {
        many_bad.push(format!("{},x,u,1,p,1,{SOURCE}", 100 + i));
    }
    let many_bad: Vec<&str> = many_bad.iter().map(String::as_str).collect();
    let big = {
        let mut text = String::from(HEADER);
        text.push('\n');
        let mut i = 0;
        while text.len() < (1 << 20) + 1000 {
            text.push_str(&row(1000 + i, "1.5"));
            text.push('\n');
            i += 1;
        }
        text.into_bytes()
    };
    vec![
        bad("integer is text", csv(&[&format!("10,dua ribu,u,1,p,1,{SOURCE}")]), "import_rejected", "whole number"),
        bad("real is text", csv(&[&row(10, "abc")]), "import_rejected", "is not a number"),
        bad("real NaN", csv(&[&row(10, "NaN")]), "import_rejected", "NaN"),
        bad("real inf", csv(&[&row(10, "inf")]), "import_rejected", "inf"),
        bad("key is a fraction", csv(&[&format!("1.5,2024,u,1,p,1,{SOURCE}")]), "import_rejected", "whole number"),
        bad("key is empty", csv(&[&format!(",2024,u,1,p,1,{SOURCE}")]), "import_rejected", "primary key is empty"),
        bad("integer overflow", csv(&[&format!("99999999999999999999,2024,u,1,p,1,{SOURCE}")]), "import_rejected", "whole number"),
        bad(
            "missing column",
            b"id,tahun,ukuran,nilai,nilai_tercetak,sumber_id\n10,2024,u,1,1,x\n".to_vec(),
            "import_rejected",
            "missing from the header",
        ),
        bad(
            "extra column",
            format!("{HEADER},unit\n10,2024,u,1,p,1,{SOURCE},kg\n").into_bytes(),
            "import_rejected",
            "`unit` is not a column",
        ),
        bad(
            "column twice",
            format!("{HEADER},nilai\n10,2024,u,1,p,1,{SOURCE},2\n").into_bytes(),
            "import_rejected",
            "appears twice",
        ),
        bad("duplicate keys in the file", csv(&[&row(10, "1"), &row(11, "1"), &row(10, "2")]), "import_rejected", "appears again"),
        bad("key already in the dataset", csv(&[&row(1, "1")]), "import_rejected", "already in the dataset"),
        bad(
            "latin-1 text",
            [csv(&[])[..].to_vec(), b"10,2024,Jos\xe9,1,p,1,x\n".to_vec()].concat(),
            "invalid_encoding",
            "byte offset",
        ),
        bad("utf-16", b"\xff\xfei\x00d\x00".to_vec(), "invalid_encoding", "0xff"),
        bad("binary", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(), "invalid_encoding", "byte offset 0"),
        with(bad("wrong delimiter given", csv(&[&row(10, "1")]), "import_rejected", "is not a column"), &|b| b.query = "?delimiter=%3B"),
        bad(
            "pipe-separated without saying so",
            format!("{}\n10|2024|u|1|p|1|{SOURCE}\n", HEADER.replace(',', "|")).into_bytes(),
            "import_rejected",
            "is not a column",
        ),
        bad("empty file", vec![], "empty_file", "empty"),
        bad("whitespace only", b"  \n\n".to_vec(), "empty_file", "empty"),
        bad("header only", csv(&[]), "import_rejected", "no rows"),
        bad(
            "unterminated quote",
            format!("{HEADER}\n10,2024,u,1,p,\"41,35 %,{SOURCE}\n11,2024,u,1,p,1,{SOURCE}\n").into_bytes(),
            "malformed_file",
            "line 2",
        ),
        bad("too many fields", csv(&[&format!("{},extra", row(10, "1"))]), "import_rejected", "fields"),
        bad("too few fields", csv(&["10,2024,u"]), "import_rejected", "fields"),
        bad("unknown source", csv(&["10,2024,u,1,p,1,no-such-source"]), "import_rejected", "does not exist"),
        bad("empty source", csv(&["10,2024,u,1,p,1,"]), "import_rejected", "needs a source"),
        bad("decimal comma without saying so", csv(&[&format!("10,2024,u,\"41,35\",p,1,{SOURCE}")]), "import_rejected", "is not a number"),
        bad("1000+ problems", csv(&many_bad), "import_rejected", "whole number"),
        with(bad("dry run of a bad file", csv(&[&row(10, "x")]), "import_rejected", "not a number"), &|b| b.query = "?dry_run=1"),
        with(bad("upsert with duplicate keys", csv(&[&row(1, "1"), &row(1, "2")]), "import_rejected", "appears again"), &|b| b.query = "?mode=upsert"),
        with(bad("replace with a bad row", csv(&[&row(1, "1"), &row(2, "x")]), "import_rejected", "not a number"), &|b| b.query = "?mode=replace"),
        with(bad("over the size limit", big, "upload_too_large", "limit"), &|b| b.status = 413),
        Bad {
            dataset: "program",
            ..bad(
                "bad month",
                format!("id,jenis,nama,tanggal_mulai,tanggal_selesai,penyelenggara,lokasi,peserta,nilai,nilai_tercetak,keterangan,sumber_id,catatan\n99,x,y,2021-13-01,,,,,,,,{},\n", "kemenperin-bimtek-2017").into_bytes(),
                "import_rejected",
                "date",
            )
        },
        Bad {
            dataset: "program",
            ..bad(
                "slashed date",
                format!("id,jenis,nama,tanggal_mulai,tanggal_selesai,penyelenggara,lokasi,peserta,nilai,nilai_tercetak,keterangan,sumber_id,catatan\n99,x,y,2021/06/02,,,,,,,,{},\n", "kemenperin-bimtek-2017").into_bytes(),
                "import_rejected",
                "date",
            )
        },
        Bad {
            dataset: "program",
            ..bad(
                "no 29 February",
                format!("id,jenis,nama,tanggal_mulai,tanggal_selesai,penyelenggara,lokasi,peserta,nilai,nilai_tercetak,keterangan,sumber_id,catatan\n99,x,y,2023-02-29,,,,,,,,{},\n", "kemenperin-bimtek-2017").into_bytes(),
                "import_rejected",
                "date",
            )
        },
        Bad {
            dataset: "wilayah",
            ..bad(
                "bad boolean",
                b"kode,nama,tingkat,kode_induk,lat,lon,centroid_perkiraan,klaster_logam,catatan,sumber_id\n99.99,x,desa,,,,mungkin,0,,kemendagri-wilayah\n".to_vec(),
                "import_rejected",
                "true, false",
            )
        },
        Bad {
            dataset: "sumber",
            query: "?mode=replace",
            ..bad(
                "replace drops cited sources",
                b"id,penerbit,judul,situs,url,tanggal,penulis,lisensi,catatan\nsatu-satunya,x,,,,,,,\n".to_vec(),
                "import_rejected",
                "needs a source that exists",
            )
        },
        json_bad("json string for integer", json!([{"id": 10, "tahun": "2024", "ukuran": "u", "nilai": 1, "satuan": "p", "nilai_tercetak": "1", "sumber_id": SOURCE}]), "whole number"),
        json_bad("json fraction for integer", json!([{"id": 10.5, "tahun": 2024, "ukuran": "u", "nilai": 1, "satuan": "p", "nilai_tercetak": "1", "sumber_id": SOURCE}]), "whole number"),
        json_bad("json boolean for integer", json!([{"id": 10, "tahun": true, "ukuran": "u", "nilai": 1, "satuan": "p", "nilai_tercetak": "1", "sumber_id": SOURCE}]), "whole number"),
        json_bad("json number for text", json!([{"id": 10, "tahun": 2024, "ukuran": 5, "nilai": 1, "satuan": "p", "nilai_tercetak": "1", "sumber_id": SOURCE}]), "text"),
        json_bad("json null key", json!([{"id": null, "tahun": 2024, "ukuran": "u", "nilai": 1, "satuan": "p", "nilai_tercetak": "1", "sumber_id": SOURCE}]), "primary key is empty"),
        json_bad("json missing key", json!([{"id": 10, "tahun": 2024, "ukuran": "u", "nilai": 1, "satuan": "p", "sumber_id": SOURCE}]), "missing"),
        json_bad("json extra key", json!([{"id": 10, "tahun": 2024, "ukuran": "u", "nilai": 1, "satuan": "p", "nilai_tercetak": "1", "sumber_id": SOURCE, "unit": "kg"}]), "`unit` is not a column"),
        json_bad("json duplicate ids", json!([json_ok(10), json_ok(10)]), "appears again"),
        json_bad("json array of numbers", json!([1, 2]), "must be an object"),
        json_bad("json unknown source", json!([{"id": 10, "tahun": 2024, "ukuran": "u", "nilai": 1, "satuan": "p", "nilai_tercetak": "1", "sumber_id": "nope"}]), "does not exist"),
        Bad {
            content_type: Some("application/json"),
            ..bad("json cut in half", {
                let full = jbody(json!([json_ok(10), json_ok(11), json_ok(12)]));
                full[..full.len() / 2].to_vec()
            }, "malformed_file", "cut short")
        },
        Bad {
            content_type: Some("application/json"),
            ..bad("json object, not array", jbody(json_ok(10)), "malformed_file", "array")
        },
        Bad {
            content_type: Some("application/json"),
            ..bad("json trailing garbage", [jbody(json!([json_ok(10)])), b" x".to_vec()].concat(), "malformed_file", "trailing")
        },
        with(bad("unknown dataset", csv(&[&row(10, "1")]), "unknown_dataset", "does not exist"), &|b| {
            b.dataset = "tidak_ada";
            b.status = 404;
        }),
        with(bad("unknown mode", csv(&[&row(10, "1")]), "invalid_parameter", "mode"), &|b| {
            b.query = "?mode=merge";
            b.status = 400;
        }),
        with(bad("unknown parameter", csv(&[&row(10, "1")]), "invalid_parameter", "sheet"), &|b| {
            b.query = "?sheet=1";
            b.status = 400;
        }),
        with(bad("bad delimiter parameter", csv(&[&row(10, "1")]), "invalid_parameter", "delimiter"), &|b| {
            b.query = "?delimiter=xx";
            b.status = 400;
        }),
        with(bad("no format", csv(&[&row(10, "1")]), "unknown_format", "CSV or JSON"), &|b| {
            b.content_type = Some("application/octet-stream");
            b.status = 415;
        }),
        with(bad("no token", csv(&[&row(10, "1")]), "unauthorized", "needs a token"), &|b| {
            b.token = None;
            b.status = 401;
        }),
        with(bad("wrong token", csv(&[&row(10, "1")]), "invalid_token", "token"), &|b| {
            b.token = Some("not-the-token-at-all-000");
            b.status = 401;
        }),
        Bad {
            name: "new dataset: broken schema",
            dataset: "",
            ..bad("-", b"id = \"x\"\n".to_vec(), "invalid_data", "schema")
        },
    ]
}

#[tokio::test]
async fn every_bad_file_is_refused_whole_and_changes_nothing() {
    let server = Server::seeded_with(&["--admin-token", TOKEN, "--max-import-mib", "1"], &[]);
    let before = checksum(&server.db);
    let cases = corpus();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    eprintln!("{} bad imports", cases.len());
    for case in cases {
        let path = if case.dataset.is_empty() {
            "/admin/datasets".to_string()
        } else {
            format!("/admin/datasets/{}/import{}", case.dataset, case.query)
        };
        let (status, body) = post(&server, &path, case.content_type, case.body, case.token).await;
        assert_eq!(status, case.status, "{}: {body}", case.name);
        assert_eq!(body["error"]["code"], case.code, "{}: {body}", case.name);
        let text = body.to_string();
        assert!(
            text.contains(case.mentions),
            "{}: expected {:?} in {body}",
            case.name,
            case.mentions
        );
        if case.code == "import_rejected" {
            let problems = body["error"]["problems"].as_array().expect("problems");
            assert!(!problems.is_empty(), "{}", case.name);
            assert!(problems.len() <= 1000, "{}", case.name);
            assert!(body["error"]["problem_count"].as_u64().unwrap() >= problems.len() as u64);
        }
        assert_eq!(
            checksum(&server.db),
            before,
            "{} changed the database",
            case.name
        );
    }
}

#[tokio::test]
async fn reports_list_the_first_thousand_problems_and_count_them_all() {
    let server = Server::seeded_with(&["--admin-token", TOKEN], &[]);
    let rows: Vec<String> = (0..1500).map(|i| row(100 + i, "x")).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let (status, body) = import(&server, "konteks_kabupaten", "", "text/csv", &csv(&rows)).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["problem_count"], 1500);
    assert_eq!(body["error"]["problems"].as_array().unwrap().len(), 1000);
    assert_eq!(body["error"]["problems"][0]["line"], 2);
    assert_eq!(body["error"]["problems"][0]["column"], "nilai");
}

async fn rows_as_of(server: &Server, dataset: &str, rev: Option<i64>) -> Vec<Value> {
    let query = rev.map(|r| format!("&_as_of={r}")).unwrap_or_default();
    let (status, page) =
        get_json(&server.url(&format!("/api/datasets/{dataset}/rows?_size=1000{query}"))).await;
    assert_eq!(status, 200, "{page}");
    page["rows"].as_array().unwrap().clone()
}

fn nilai_by_id(rows: &[Value]) -> Vec<(i64, f64)> {
    let mut out: Vec<(i64, f64)> = rows
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["nilai"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect();
    out.sort_by_key(|p| p.0);
    out
}

#[tokio::test]
async fn each_mode_makes_one_revision_and_history_keeps_old_numbers() {
    let server = Server::seeded_with(&["--admin-token", TOKEN], &[]);
    let db = server.db.clone();
    let seeded = rows_as_of(&server, "konteks_kabupaten", None).await;
    let seed_rev = get_json(&server.url("/api/datasets/konteks_kabupaten"))
        .await
        .1["revision"]
        .as_i64()
        .unwrap();
    assert_eq!(nilai_by_id(&seeded), vec![(1, 41.35), (2, 37.43)]);

    // Dry run: exact counts, nothing written.
    let before = checksum(&db);
    let (status, report) = import(
        &server,
        "konteks_kabupaten",
        "?mode=upsert&dry_run=1",
        "text/csv",
        &csv(&[&row(1, "50"), &row(3, "3")]),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["added"].as_u64(), report["changed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(report["revision"], Value::Null);
    assert_eq!(checksum(&db), before);

    // Append.
    let revs = revisions(&db);
    let (status, report) = import(
        &server,
        "konteks_kabupaten",
        "?message=dua%20baris",
        "text/csv",
        &csv(&[&row(3, "3.5"), &row(4, "4.5")]),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["added"], 2);
    let r_append = report["revision"].as_i64().unwrap();
    assert_eq!(revisions(&db), revs + 1);
    let (author, message, added): (String, String, i64) = sqlite(&db)
        .query_row(
            "SELECT author, message, rows_added FROM _logam_revisions WHERE rev = ?1",
            [r_append],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (author.as_str(), message.as_str(), added),
        ("admin-token", "dua baris", 2)
    );

    // Upsert: one changed, one added, one unchanged.
    let (status, report) = import(
        &server,
        "konteks_kabupaten",
        "?mode=upsert",
        "text/csv",
        &csv(&[&row(1, "50"), &row(3, "3.5"), &row(5, "5.5")]),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (
            report["added"].as_u64(),
            report["changed"].as_u64(),
            report["unchanged"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let r_upsert = report["revision"].as_i64().unwrap();
    assert_eq!(revisions(&db), revs + 2);

    // Replace: keep 1 (changed again) and 5, remove 2, 3, 4.
    let (status, report) = import(
        &server,
        "konteks_kabupaten",
        "?mode=replace",
        "text/csv",
        &csv(&[&row(1, "60"), &row(5, "5.5")]),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (
            report["added"].as_u64(),
            report["changed"].as_u64(),
            report["removed"].as_u64()
        ),
        (Some(0), Some(1), Some(3))
    );
    let r_replace = report["revision"].as_i64().unwrap();
    let (a, c, rm): (i64, i64, i64) = sqlite(&db)
        .query_row(
            "SELECT rows_added, rows_changed, rows_removed FROM _logam_revisions WHERE rev = ?1",
            [r_replace],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((a, c, rm), (0, 1, 3));
    assert_eq!(revisions(&db), revs + 3);

    // Every revision still answers with its own numbers.
    let live = nilai_by_id(&rows_as_of(&server, "konteks_kabupaten", None).await);
    assert_eq!(live, vec![(1, 60.0), (5, 5.5)]);
    let (_, meta) = get_json(&server.url("/api/datasets/konteks_kabupaten")).await;
    assert_eq!(meta["row_count"], 2);
    for (rev, expected) in [
        (seed_rev, vec![(1, 41.35), (2, 37.43)]),
        (r_append, vec![(1, 41.35), (2, 37.43), (3, 3.5), (4, 4.5)]),
        (
            r_upsert,
            vec![(1, 50.0), (2, 37.43), (3, 3.5), (4, 4.5), (5, 5.5)],
        ),
        (r_replace, vec![(1, 60.0), (5, 5.5)]),
    ] {
        let rows = rows_as_of(&server, "konteks_kabupaten", Some(rev)).await;
        assert_eq!(nilai_by_id(&rows), expected, "as of {rev}");
    }
    // The SQL sandbox's `_as_of` reads the same history.
    let url = server.url(&format!(
        "/api/sql.json?sql={}&_as_of={r_upsert}",
        "SELECT%20id%2C%20nilai%20FROM%20konteks_kabupaten%20ORDER%20BY%20id"
    ));
    let (status, body) = get_json(&url).await;
    assert_eq!(status, 200, "{body}");
    let pairs: Vec<(i64, f64)> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_i64().unwrap(), r["nilai"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        pairs,
        vec![(1, 50.0), (2, 37.43), (3, 3.5), (4, 4.5), (5, 5.5)]
    );
    // History is not reachable directly.
    let url = server.url("/api/sql?sql=SELECT%20*%20FROM%20_logam_hist_konteks_kabupaten");
    assert_eq!(get_json(&url).await.0, 400);

    // Changes between revisions.
    let (status, changes) = get_json(&server.url(&format!(
        "/api/datasets/konteks_kabupaten/changes?from={r_append}&to={r_replace}"
    )))
    .await;
    assert_eq!(status, 200, "{changes}");
    let ids = |list: &Value| -> Vec<i64> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids(&changes["added"]), vec![5]);
    assert_eq!(ids(&changes["removed"]), vec![2, 3, 4]);
    assert_eq!(changes["changed"][0]["key"], 1);
    assert_eq!(changes["changed"][0]["before"]["nilai"], 41.35);
    assert_eq!(changes["changed"][0]["after"]["nilai"], 60.0);
    assert_eq!(
        changes["changed"][0]["columns"],
        json!(["tahun", "ukuran", "nilai", "nilai_tercetak"])
    );
    // Default: the last change.
    let (_, last) = get_json(&server.url("/api/datasets/konteks_kabupaten/changes")).await;
    assert_eq!(
        (last["from"].as_i64(), last["to"].as_i64()),
        (Some(r_upsert), Some(r_replace))
    );
    assert_eq!(ids(&last["removed"]), vec![2, 3, 4]);
    let (status, _) =
        get_json(&server.url("/api/datasets/konteks_kabupaten/changes?from=999999")).await;
    assert_eq!(status, 400);

    // Re-sending the same file changes nothing and makes no revision.
    let (status, report) = import(
        &server,
        "konteks_kabupaten",
        "?mode=replace",
        "text/csv",
        &csv(&[&row(1, "60"), &row(5, "5.5")]),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["revision"], Value::Null);
    assert_eq!(revisions(&db), revs + 3);
}

#[tokio::test]
async fn semicolons_decimal_commas_bom_json_and_formulas() {
    let server = Server::seeded_with(&["--admin-token", TOKEN], &[]);
    let semi = |rows: &[(i64, &str)]| {
        let mut text = HEADER.replace(',', ";");
        text.push('\n');
        for (id, n) in rows {
            text.push_str(&format!("{id};2024;u;{n};persen;{n} %;{SOURCE}\n"));
        }
        text.into_bytes()
    };
    // Said so.
    let (status, report) = import(
        &server,
        "konteks_kabupaten",
        "?delimiter=%3B&decimal=comma",
        "text/csv",
        &semi(&[(10, "1.234,5")]),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["delimiter"], ";");
    assert_eq!(report["delimiter_detected"], false);
    assert_eq!(report["decimal_comma_detected"], false);
    // Detected, and the report says so.
    let (status, report) = import(
        &server,
        "konteks_kabupaten",
        "",
        "text/csv",
        &semi(&[(11, "41,35"), (12, "1.000")]),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["delimiter_detected"], true);
    assert_eq!(report["decimal_comma_detected"], true);
    assert!(
        report["notes"]
            .to_string()
            .contains("decimal comma detected"),
        "{report}"
    );
    let rows = nilai_by_id(&rows_as_of(&server, "konteks_kabupaten", None).await);
    assert!(
        rows.contains(&(10, 1234.5)) && rows.contains(&(11, 41.35)) && rows.contains(&(12, 1000.0)),
        "{rows:?}"
    );

    // BOM.
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend(csv(&[&row(13, "1.5")]));
    let (status, report) = import(
        &server,
        "konteks_kabupaten",
        "",
        "text/csv; charset=utf-8",
        &body,
    )
    .await;
    assert_eq!(status, 200, "{report}");

    // JSON.
    let body = serde_json::to_vec(&json!([{"id": 14, "tahun": 2024, "ukuran": "u", "nilai": 2,
        "satuan": "persen", "nilai_tercetak": null, "sumber_id": SOURCE}]))
    .unwrap();
    let (status, report) =
        import(&server, "konteks_kabupaten", "", "application/json", &body).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["format"], "json");

    // A formula is text like any other; the CSV export neutralises it.
    let formula = "=HYPERLINK(\"http://evil.invalid\",\"klik\")";
    let body = format!(
        "{HEADER}\n15,2024,\"{}\",1,persen,1,{SOURCE}\n",
        formula.replace('"', "\"\"")
    );
    let (status, report) = import(
        &server,
        "konteks_kabupaten",
        "",
        "text/csv",
        body.as_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let (_, row) = get_json(&server.url("/api/datasets/konteks_kabupaten/rows/15")).await;
    assert!(row.to_string().contains("=HYPERLINK"), "{row}");
    let (status, export) =
        get_text(&server.url("/api/datasets/konteks_kabupaten/rows.csv?id=15")).await;
    assert_eq!(status, 200);
    assert!(export.contains("'=HYPERLINK"), "{export}");
}

#[tokio::test]
async fn a_new_dataset_appears_at_once_and_takes_imports() {
    let server = Server::seeded_with(&["--admin-token", TOKEN], &[]);
    let schema = r#"
id = "harga_baja"
primary_key = "id"
source_column = "sumber_id"
licence = "CC-BY-4.0"
[title]
id = "Harga baja"
en = "Steel prices"
[description]
id = "Uji."
en = "Test."
[[columns]]
name = "id"
type = "integer"
title = { id = "ID", en = "ID" }
description = { id = "ID", en = "ID" }
[[columns]]
name = "harga"
type = "real"
unit = "rupiah per kg"
title = { id = "Harga", en = "Price" }
description = { id = "Harga", en = "Price" }
[[columns]]
name = "wilayah"
type = "text"
codes = "wilayah:kode"
title = { id = "Wilayah", en = "Area" }
description = { id = "Kode wilayah", en = "Area code" }
[[columns]]
name = "sumber_id"
type = "text"
title = { id = "Sumber", en = "Source" }
description = { id = "Sumber", en = "Source" }
"#;
    let (status, body) = post(
        &server,
        "/admin/datasets",
        Some("application/toml"),
        schema.into(),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, meta) = get_json(&server.url("/api/datasets/harga_baja")).await;
    assert_eq!(status, 200, "{meta}");
    let (status, body) = post(
        &server,
        "/admin/datasets",
        Some("application/toml"),
        schema.into(),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, report) = import(
        &server,
        "harga_baja",
        "",
        "text/csv",
        format!("id,harga,wilayah,sumber_id\n1,15000,33.03.05,{SOURCE}\n2,16000,,{SOURCE}\n")
            .as_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let (_, meta) = get_json(&server.url("/api/datasets/harga_baja")).await;
    assert_eq!(meta["columns"][2]["codes"], "wilayah:kode");
    let before = checksum(&server.db);
    let (status, report) = import(
        &server,
        "harga_baja",
        "",
        "text/csv",
        format!("id,harga,wilayah,sumber_id\n3,15000,99.99,{SOURCE}\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{report}");
    assert!(
        report.to_string().contains("not in the code list"),
        "{report}"
    );
    assert_eq!(checksum(&server.db), before);
    let (_, page) = get_json(&server.url("/api/datasets/harga_baja/rows")).await;
    assert_eq!(page["rows"][0]["harga"], 15000.0);
}

#[test]
fn the_command_line_shares_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logam.db");
    let file = dir.path().join("baru.csv");
    std::fs::write(&file, csv(&[&row(20, "2.5")])).unwrap();
    let run = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .arg("--db")
            .arg(&db)
            .output()
            .unwrap()
    };
    let out = run(&[
        "import",
        "konteks_kabupaten",
        file.to_str().unwrap(),
        "--dry-run",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["added"], 1);
    let out = run(&[
        "import",
        "konteks_kabupaten",
        file.to_str().unwrap(),
        "--message",
        "cli",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let count: i64 = sqlite(&db)
        .query_row(
            "SELECT count(*) FROM konteks_kabupaten WHERE id = 20",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(count, 1);
    // The same file again is refused: the key is taken.
    let out = run(&["import", "konteks_kabupaten", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already in the dataset"));
}

/// Old databases (store format 1) gain history tables when opened.
#[test]
fn a_format_one_database_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logam.db");
    let file = dir.path().join("x.csv");
    std::fs::write(&file, csv(&[&row(21, "1")])).unwrap();
    let out = Command::new(BIN)
        .args(["import", "konteks_kabupaten"])
        .arg(&file)
        .args(["--dry-run", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success());
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP TABLE _logam_hist_konteks_kabupaten;
             ALTER TABLE _logam_columns DROP COLUMN codes;
             UPDATE _logam_meta SET value = '1' WHERE key = 'store_format';",
        )
        .unwrap();
    }
    let out = Command::new(BIN)
        .args(["import", "konteks_kabupaten"])
        .arg(&file)
        .args(["--mode", "replace", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = sqlite(&db);
    let format: String = conn
        .query_row(
            "SELECT value FROM _logam_meta WHERE key = 'store_format'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(format, "2");
    let kept: i64 = conn
        .query_row(
            "SELECT count(*) FROM _logam_hist_konteks_kabupaten",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, 2);
}

/// A large import killed mid-way leaves all of it or none, and a sound file.
#[tokio::test]
async fn an_import_killed_midway_lands_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logam.db");
    let server = Server::start_with(&db, &["--admin-token", TOKEN], &[]);
    let n = 300_000i64;
    let mut body = String::from(HEADER);
    body.push('\n');
    for i in 0..n {
        body.push_str(&row(1000 + i, "1.5"));
        body.push('\n');
    }
    let wal = format!("{}-wal", db.display());
    let wal_before = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let url = server.url("/admin/datasets/konteks_kabupaten/import");
    let request = tokio::spawn(async move {
        client()
            .post(url)
            .bearer_auth(TOKEN)
            .header("content-type", "text/csv")
            .body(body)
            .send()
            .await
    });
    // Kill once the writer is at work (the WAL grows), or after a while regardless.
    let started = std::time::Instant::now();
    loop {
        let now = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if now > wal_before + (1 << 20) || started.elapsed().as_secs() > 20 || request.is_finished()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let finished_first = request.is_finished();
    let wal_at_kill = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    Command::new("kill")
        .args(["-KILL", &server.pid().to_string()])
        .status()
        .unwrap();
    let _ = request.await;
    drop(server);

    let restarted = Server::start_with(&db, &["--admin-token", TOKEN], &[]);
    let (status, _) = get_json(&restarted.url("/healthz")).await;
    assert_eq!(status, 200);
    let conn = sqlite(&db);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let count: i64 = conn
        .query_row("SELECT count(*) FROM konteks_kabupaten", [], |r| r.get(0))
        .unwrap();
    assert!(count == 2 || count == 2 + n, "partial import: {count} rows");
    let recorded: i64 = conn
        .query_row(
            "SELECT row_count FROM _logam_datasets WHERE id = 'konteks_kabupaten'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(recorded, count);
    eprintln!(
        "WAL {wal_before} -> {wal_at_kill} bytes at the kill; killed {} the import finished; rows after restart: {count}",
        if finished_first { "after" } else { "before" }
    );
}

#[test]
fn a_parent_area_code_must_be_in_the_wilayah_code_list() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logam.db");
    let file = dir.path().join("wilayah.csv");
    let header =
        "kode,nama,tingkat,kode_induk,lat,lon,centroid_perkiraan,klaster_logam,catatan,sumber_id";
    let run = |row: &str| {
        std::fs::write(&file, format!("{header}\n{row}\n")).unwrap();
        std::process::Command::new(support::BIN)
            .args(["import", "wilayah"])
            .arg(&file)
            .args(["--dry-run", "--db"])
            .arg(&db)
            .output()
            .unwrap()
    };
    let source: String = {
        let _ = run("33.03.99,Uji,desa,33.03.01,,,,,,x");
        support::sqlite(&db)
            .query_row(
                "SELECT sumber_id FROM wilayah WHERE sumber_id IS NOT NULL LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    let known = run(&format!("33.03.99,Uji,desa,33.03.01,,,,,,{source}"));
    assert!(
        known.status.success(),
        "{}",
        String::from_utf8_lossy(&known.stderr)
    );
    let unknown = run(&format!("33.03.98,Uji,desa,99.99,,,,,,{source}"));
    assert!(!unknown.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&unknown.stdout),
        String::from_utf8_lossy(&unknown.stderr)
    );
    assert!(said.contains("99.99"), "{said}");
}

#[test]
fn a_figure_written_with_its_unit_is_refused_naming_the_unit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logam.db");
    let file = dir.path().join("kontrak.csv");
    std::fs::write(
        &file,
        "id,tahun,pemasok,usaha,pembeli,produk,kategori,unit_per_bulan,nilai_per_bulan,nilai_tercetak,sumber_id,catatan\n\
         9,2022,Uji,,Uji,knalpot,knalpot,10,Rp250 juta,Rp250 juta,radarbanyumas-2021-06-02,\n",
    )
    .unwrap();
    let output = std::process::Command::new(support::BIN)
        .args(["import", "kontrak_pasokan"])
        .arg(&file)
        .args(["--dry-run", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        said.contains("Rp250 juta") && said.contains("a bare number in rupiah"),
        "{said}"
    );
}
