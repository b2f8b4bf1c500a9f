//! The newsroom pages over HTTP against the real binary: what a journalist reads, in
//! Indonesian by default and in English, with the figures formatted as readers expect.

mod support;
#[path = "support/zoo.rs"]
mod zoo;

use serde_json::Value;
use support::{Server, client, get_text};

const TOKEN: &str = "a-test-admin-token-0123456789";

/// The text of the element after `marker`, up to the next `<`.
fn unescape(html: &str) -> String {
    html.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The contents of every `<pre>` block, unescaped.
fn pre_blocks(html: &str) -> Vec<String> {
    html.split("<pre>")
        .skip(1)
        .filter_map(|rest| {
            rest.split_once("</pre>")
                .map(|(inside, _)| unescape(inside))
        })
        .collect()
}

#[tokio::test]
async fn home_lists_datasets_indicators_and_revisions_in_under_100_kb() {
    let server = Server::seeded();
    let (status, html) = get_text(&server.url("/")).await;
    assert_eq!(status, 200);
    assert!(html.len() < 100_000, "home is {} bytes", html.len());
    assert!(html.contains("<html lang=\"id\">"));
    for link in [
        "/datasets/klaster_knalpot",
        "/indicators/rupiah-per-unit",
        "/sources",
        "/plugins",
        "?lang=en",
    ] {
        assert!(html.contains(link), "{link} missing from the home page");
    }
    assert!(html.contains("Revisi terbaru"));
    let (_, english) = get_text(&server.url("/?lang=en")).await;
    assert!(english.contains("<html lang=\"en\">") && english.contains("Latest revisions"));

    // Accept-Language picks English when the reader ranks it first; the switch back to
    // Indonesian says so explicitly, and the page varies by the header.
    let response = client()
        .get(server.url("/"))
        .header("accept-language", "en-GB,en;q=0.9,id;q=0.5")
        .send()
        .await
        .unwrap();
    let varies = response.headers().get_all("vary").iter().any(|v| {
        v.to_str()
            .unwrap_or("")
            .to_lowercase()
            .contains("accept-language")
    });
    assert!(varies, "{:?}", response.headers());
    let negotiated = response.text().await.unwrap();
    assert!(negotiated.contains("<html lang=\"en\">"));
    assert!(
        negotiated.contains("href=\"/?lang=id\""),
        "a visible switch to Indonesian"
    );
    let response = client()
        .get(server.url("/?lang=id"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<html lang=\"id\">"),
        "?lang wins"
    );
}

#[tokio::test]
async fn a_dataset_page_filters_sorts_pages_and_offers_every_format() {
    let server = Server::seeded_with(&["--admin-token", TOKEN], &[]);
    let (status, html) = get_text(
        &server.url("/datasets/klaster_knalpot?tahun=2010&ukuran=nilai_produksi&_sort_desc=nilai"),
    )
    .await;
    assert_eq!(status, 200);
    // Three sources, three 2010 production values, largest first.
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(
        at("40.000.000.000") < at("37.000.000.000") && at("37.000.000.000") < at("35.000.000.000")
    );
    assert!(html.contains("dari 3 baris"), "the count is shown");
    assert!(
        html.contains("href=\"/sources#kemenperin-2022-08-30\""),
        "rows link to their source"
    );
    for ext in ["csv", "json", "ndjson", "xlsx", "md"] {
        assert!(
            html.contains(&format!("/api/datasets/klaster_knalpot/rows.{ext}?tahun=2010&amp;ukuran=nilai_produksi&amp;_sort_desc=nilai")),
            ".{ext} download with the filters missing"
        );
    }
    // No coordinates, so no GeoJSON (issue 15, defect 4).
    assert!(
        !html.contains("rows.geojson"),
        "GeoJSON offered without coordinates"
    );
    assert!(
        !html.contains("rows.sdmx.csv"),
        "SDMX-CSV fits indicators only"
    );

    // Paging with the API's own tokens.
    let (_, first) = get_text(&server.url("/datasets/klaster_knalpot?_size=2&_sort=id")).await;
    let next = first
        .split("rel=\"next\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(unescape)
        .expect("a next link");
    let (status, second) = get_text(&server.url(&next)).await;
    assert_eq!(status, 200);
    assert_ne!(first, second);

    // The filter form sends every field; empty ones are no filter.
    let (status, html) = get_text(&server.url(
        "/datasets/klaster_knalpot?id=&tahun=2010&periode=&ukuran=nilai_produksi&_q=&_sort=&_size=",
    ))
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("dari 3 baris"), "{html}");

    // A bad filter: the page says what was wrong, with a 400.
    let (status, html) = get_text(&server.url("/datasets/klaster_knalpot?warna=biru")).await;
    assert_eq!(status, 400);
    assert!(html.contains("role=\"alert\"") && html.contains("warna"));

    // The office switching an exporter off and on changes the page at once, no restart.
    let act = |action: &'static str| {
        client()
            .post(server.url(&format!("/admin/plugins/markdown/{action}")))
            .bearer_auth(TOKEN)
            .send()
    };
    assert_eq!(act("disable").await.unwrap().status(), 200);
    let (_, html) = get_text(&server.url("/datasets/kontrak_pasokan")).await;
    assert!(
        !html.contains("/api/datasets/kontrak_pasokan/rows.md"),
        "a disabled format"
    );
    assert_eq!(act("enable").await.unwrap().status(), 200);
    let (_, html) = get_text(&server.url("/datasets/kontrak_pasokan")).await;
    assert!(
        html.contains("/api/datasets/kontrak_pasokan/rows.md"),
        "enabled again"
    );

    // A newly installed exporter is asked whether it fits before it is offered: this one
    // never finishes an export, so its link could only time out, and it is not offered.
    let response = client()
        .post(server.url("/admin/plugins"))
        .bearer_auth(TOKEN)
        .body(zoo::component("zoo_stuck_exporter"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let (status, html) = get_text(&server.url("/datasets/kontrak_pasokan")).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("rows.zoostuck"),
        "a format whose downloads cannot finish"
    );
    assert!(html.contains("/api/datasets/kontrak_pasokan/rows.xlsx"));
}

#[tokio::test]
async fn an_indicator_page_has_its_definition_chart_figures_citations_and_embed() {
    let server = Server::seeded();
    let (status, html) = get_text(&server.url("/indicators/rupiah-per-unit")).await;
    assert_eq!(status, 200);
    for field in ["Konsep", "Definisi", "Rumus", "Satuan", "Interpretasi"] {
        assert!(html.contains(&format!("<dt>{field}</dt>")), "{field}");
    }
    assert!(html.contains("<svg") && html.contains("role=\"img\""));
    // Rp250 juta / 3.500 units and Rp120 juta / 12.500 units (Radar Banyumas, 2 June 2021).
    assert!(
        html.contains("Rp71.428,57") && html.contains("Rp9.600"),
        "{html}"
    );
    assert!(html.contains("Sumber: Radar Banyumas, diolah logam"));

    let (_, api) = support::get_json(&server.url("/api/indicators/rupiah-per-unit")).await;
    let revision = api["revision"].as_i64().unwrap();
    let blocks = pre_blocks(&html);
    assert_eq!(blocks.len(), 3, "plain text, BibTeX, CSL-JSON");
    assert!(
        blocks[0].contains(&format!("revisi data {revision}")),
        "{}",
        blocks[0]
    );
    assert!(
        blocks[1].starts_with(&format!("@misc{{logam-rupiah-per-unit-r{revision},")),
        "{}",
        blocks[1]
    );
    let csl: Value = serde_json::from_str(&blocks[2]).expect("CSL-JSON parses");
    assert_eq!(csl[0]["type"], "dataset");
    assert!(
        csl[0]["version"]
            .as_str()
            .unwrap()
            .contains(&revision.to_string())
    );

    // The embed snippet points at a page that holds the chart.
    let snippet = unescape(
        html.split("<textarea")
            .nth(1)
            .and_then(|r| r.split_once('>'))
            .and_then(|(_, r)| r.split_once("</textarea>"))
            .map(|(inside, _)| inside)
            .expect("an embed snippet"),
    );
    assert!(
        snippet.starts_with("<iframe src=\"http://127.0.0.1:"),
        "{snippet}"
    );
    let src = snippet.split('"').nth(1).unwrap();
    let (status, embed) = get_text(src).await;
    assert_eq!(status, 200);
    assert!(embed.contains("<svg") && embed.contains("/indicators/rupiah-per-unit"));

    // The chart alone, as well-formed SVG with a title and a description.
    let response = client()
        .get(server.url("/indicators/workers-per-unit.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "image/svg+xml; charset=utf-8"
    );
    let svg = response.text().await.unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert!(root.children().any(|n| n.has_tag_name("title")));
    assert!(root.children().any(|n| n.has_tag_name("desc")));
    // One point per observation: 2010, 2015, 2019 twice (two sources), 2020.
    assert_eq!(
        root.descendants()
            .filter(|n| n.has_tag_name("circle"))
            .count(),
        5
    );

    // And as PNG, rasterised from the same SVG at twice its size.
    let response = client()
        .get(server.url("/indicators/workers-per-unit.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    let png = response.bytes().await.unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1440, 840));

    // Parameters drive the page like the API.
    let (status, html) = get_text(
        &server.url("/indicators/cagr?ukuran=volume_produksi&from-year=2019&to-year=2020"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("6,08"), "852.650 / 803.750 − 1 ≈ 6,08 %");
}

#[tokio::test]
async fn english_pages_use_english_notation() {
    let server = Server::seeded();
    let (_, html) = get_text(&server.url("/indicators/rupiah-per-unit?lang=en")).await;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Rp71,428.57") && html.contains("Rp9,600"));
    assert!(html.contains("Source: Radar Banyumas, processed by logam"));
    let (_, html) = get_text(&server.url("/datasets/klaster_knalpot?tahun=2020&lang=en")).await;
    assert!(html.contains("138,700,000,000"), "English thousands");
}

#[tokio::test]
async fn sources_are_listed_with_their_figures_and_disagreements_side_by_side() {
    let server = Server::seeded();
    let (status, html) = get_text(&server.url("/sources")).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"radarbanyumas-2021-06-02\""));
    assert!(html.contains("2 Juni 2021"), "dates in words");
    let disagreements = html
        .split("id=\"bertentangan\"")
        .nth(1)
        .and_then(|rest| rest.split("Semua sumber").next())
        .expect("a section on disagreements");
    // 2010 production value: Rp37 miliar (Kemenperin), Rp40 miliar (Pemkab), Rp35 miliar
    // (sampaijauh.com), in one table.
    let table = disagreements
        .split("<table>")
        .find(|t| t.contains("Rp37 miliar"))
        .expect("the 2010 production value table");
    for printed in ["Rp37 miliar", "Rp40 miliar", "Rp35 miliar"] {
        assert!(table.contains(printed), "{printed} missing from {table}");
    }
    for source in [
        "kemenperin-2022-08-30",
        "pemkab-2015",
        "sampaijauh-com-nilai-produksi-2010",
    ] {
        assert!(table.contains(source), "{source}");
    }
}

#[tokio::test]
async fn the_plugins_page_lists_what_runs() {
    let server = Server::seeded();
    let (status, html) = get_text(&server.url("/plugins")).await;
    assert_eq!(status, 200);
    for id in [
        "cagr",
        "rupiah-per-unit",
        "geojson",
        "xlsx",
        "sdmx-csv",
        "markdown",
    ] {
        assert!(html.contains(&format!(">{id}<")), "{id}");
    }
    assert!(html.contains("bawaan") && html.contains("2.000 ms"));
    // Authors and licence come from the components' own metadata sections.
    assert!(html.contains("logam contributors") && html.contains("Apache-2.0"));
}

/// Issue 15, defect 1: an indicator query with no result (no source gives both 2014 and
/// 2019 volumes) is a page, a chart and an embed that say so, never a 500.
#[tokio::test]
async fn defect_15_1_an_empty_indicator_result_is_a_page_that_says_so() {
    let server = Server::seeded();
    let query = "ukuran=volume_produksi&from-year=2014&to-year=2019";
    let (status, api) =
        support::get_json(&server.url(&format!("/api/indicators/cagr?{query}"))).await;
    assert_eq!(status, 200, "{api}");
    assert_eq!(api["rows"].as_array().map(Vec::len), Some(0), "{api}");

    let (status, html) = get_text(&server.url(&format!("/indicators/cagr?{query}"))).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Tidak ada angka untuk parameter ini"),
        "{html}"
    );
    assert!(
        html.contains("Tidak ada angka untuk digambar"),
        "the chart says so too"
    );
    let (status, html) = get_text(&server.url(&format!("/indicators/cagr?{query}&lang=en"))).await;
    assert_eq!(status, 200);
    assert!(html.contains("No figures for these parameters"), "{html}");

    for (path, kind) in [
        (format!("/indicators/cagr.svg?{query}"), "image/svg+xml"),
        (format!("/indicators/cagr.png?{query}"), "image/png"),
        (format!("/embed/indicators/cagr?{query}"), "text/html"),
    ] {
        let response = client().get(server.url(&path)).send().await.expect("GET");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        assert!(!response.bytes().await.expect("body").is_empty(), "{path}");
    }
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

/// Issue 15, defect 2: the form a browser sends has every field, blank or not; blank means
/// the default, and the form shows the defaults and human names instead of API names.
#[tokio::test]
async fn defect_15_2_the_indicator_form_treats_blank_fields_as_defaults_and_shows_them() {
    let server = Server::seeded();
    let (status, defaults) = get_text(&server.url("/indicators/cagr")).await;
    assert_eq!(status, 200);
    let (status, blank) =
        get_text(&server.url("/indicators/cagr?ukuran=&from-year=&to-year=&sumber=")).await;
    assert_eq!(status, 200, "{blank}");
    assert!(
        blank.contains("14,13 %"),
        "Kemenperin 2010 → 2020 with the defaults: {blank}"
    );
    let figures = |html: &str| {
        html.split("<tbody>")
            .nth(1)
            .and_then(|t| t.split("</tbody>").next())
            .map(str::to_string)
    };
    assert_eq!(
        figures(&blank),
        figures(&defaults),
        "blank fields give the defaults"
    );
    assert!(
        blank.contains("placeholder=\"2010\"") && blank.contains("placeholder=\"2020\""),
        "defaults shown: {blank}"
    );
    assert!(blank.contains("bawaan: nilai_produksi"), "{blank}");
    assert!(
        !blank.contains("placeholder=\"from-year\""),
        "API names are not placeholders"
    );
    // The API, which a program calls, still refuses a blank value, by name.
    let (status, api) = support::get_json(&server.url("/api/indicators/cagr?from-year=")).await;
    assert_eq!(status, 400, "{api}");
    assert!(
        api["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("from-year"),
        "{api}"
    );
}

/// Issue 15, defect 3: a page that cannot be answered is an HTML page in the reader's
/// language with the same status; the API keeps its JSON errors.
#[tokio::test]
async fn defect_15_3_pages_answer_html_errors_in_their_language_and_the_api_keeps_json() {
    let server = Server::seeded();
    let browser = |path: &str| {
        client()
            .get(server.url(path))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
    };
    for (path, status, words) in [
        ("/datasets/tidak_ada", 404, "Halaman tidak ditemukan"),
        ("/indicators/tidak-ada", 404, "Halaman tidak ditemukan"),
        ("/datasets/tidak_ada?lang=en", 404, "Page not found"),
        (
            "/indicators/cagr?from-year=dua-ribu",
            400,
            "Permintaan ini tidak dapat dijawab",
        ),
        (
            "/embed/indicators/tidak-ada",
            404,
            "Halaman tidak ditemukan",
        ),
        ("/halaman/yang/tidak/ada", 404, "Halaman tidak ditemukan"),
    ] {
        let response = browser(path).await.expect("GET");
        assert_eq!(response.status().as_u16(), status, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        let html = response.text().await.expect("body");
        assert!(html.contains(words), "{path}: {html}");
        assert!(html.starts_with("<!DOCTYPE html>"), "{path}");
    }
    let html = browser("/indicators/cagr?from-year=dua-ribu")
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(
        html.contains("from-year"),
        "the error names the parameter: {html}"
    );
    assert!(
        html.contains("href=\"/indicators/cagr\""),
        "a way back with the defaults"
    );

    for path in ["/api/datasets/tidak_ada", "/api/tidak-ada"] {
        let response = browser(path).await.expect("GET");
        assert_eq!(response.status().as_u16(), 404, "{path}");
        let body: Value = response.json().await.expect("the API answers JSON");
        assert!(body["error"]["code"].is_string(), "{path}: {body}");
    }
    // A program that does not ask for HTML gets JSON from an unknown address.
    let (status, body) = support::get_json(&server.url("/tidak-ada")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
}

/// Issue 15, defect 8: one rule for numbers on every page: Rupiah in full with Indonesian
/// separators, measured numbers grouped, years as written, numbers right-aligned.
#[tokio::test]
async fn defect_15_8_numbers_read_the_same_on_every_page() {
    let server = Server::seeded();
    let (_, dataset) =
        get_text(&server.url("/datasets/klaster_knalpot?tahun=2010&ukuran=nilai_produksi")).await;
    assert!(dataset.contains("Rp37.000.000.000"), "{dataset}");
    let (_, sources) = get_text(&server.url("/sources")).await;
    assert!(sources.contains("Rp37.000.000.000"), "sources");
    assert!(
        !sources.contains("37000000000"),
        "no raw numbers on /sources"
    );
    let sql = "select tahun, nilai, satuan from klaster_knalpot where ukuran = 'nilai_produksi' and tahun = 2010";
    let url = format!(
        "/sql?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("sql", sql)
            .finish()
    );
    let (status, page) = get_text(&server.url(&url)).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        !page.contains(">37000000000<"),
        "no raw numbers on /sql: {page}"
    );
    assert!(
        page.contains("<td class=\"num\">2010</td>"),
        "years as written, right-aligned"
    );
    let (_, english) = get_text(&server.url("/sources?lang=en")).await;
    assert!(english.contains("Rp37,000,000,000"), "English separators");
}

/// The `href`s of a page that download dataset rows.
fn download_links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with("/api/datasets/") && href.contains("/rows."))
        .map(unescape)
        .collect()
}

/// Issue 15, defect 4: every download a page or the API offers works; an exporter is offered
/// only for tables it fits (GeoJSON only where there are coordinates).
#[tokio::test]
async fn defect_15_4_every_advertised_download_link_works() {
    let server = Server::seeded();
    let (status, list) = support::get_json(&server.url("/api/datasets")).await;
    assert_eq!(status, 200);
    let datasets = list["datasets"].as_array().expect("datasets");
    let mut checked = 0;
    let mut geojson_offered = Vec::new();
    for dataset in datasets {
        let id = dataset["id"].as_str().expect("id");
        let mut links: Vec<String> = dataset["links"]
            .as_object()
            .expect("links")
            .iter()
            .filter(|(name, _)| !["rows", "revisions", "self"].contains(&name.as_str()))
            .filter_map(|(_, href)| href.as_str().map(str::to_string))
            .collect();
        let (_, one) = support::get_json(&server.url(&format!("/api/datasets/{id}"))).await;
        assert_eq!(
            one["links"], dataset["links"],
            "{id}: the list and the dataset agree"
        );
        let (status, page) = get_text(&server.url(&format!("/datasets/{id}"))).await;
        assert_eq!(status, 200, "{id}");
        links.extend(download_links(&page));
        for link in &links {
            let response = client().get(server.url(link)).send().await.expect("GET");
            let status = response.status().as_u16();
            let body = response.bytes().await.expect("body");
            assert_eq!(status, 200, "{link}: {}", String::from_utf8_lossy(&body));
            checked += 1;
        }
        if links.iter().any(|l| l.contains("rows.geojson")) {
            geojson_offered.push(id.to_string());
        }
    }
    assert!(checked > 50, "only {checked} links checked");
    assert_eq!(
        geojson_offered,
        ["wilayah"],
        "GeoJSON exactly where there are coordinates"
    );
    // `/api/formats?dataset=` says the same; without it, every format installed.
    let extensions = |body: &Value| -> Vec<String> {
        body["formats"]
            .as_array()
            .expect("formats")
            .iter()
            .filter_map(|f| f["extension"].as_str().map(str::to_string))
            .collect()
    };
    for (dataset, has_geojson) in [("wilayah", true), ("klaster_knalpot", false)] {
        let (status, body) =
            support::get_json(&server.url(&format!("/api/formats?dataset={dataset}"))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            extensions(&body).contains(&"geojson".into()),
            has_geojson,
            "{dataset}"
        );
    }
    let (_, all) = support::get_json(&server.url("/api/formats")).await;
    assert!(extensions(&all).contains(&"geojson".into()));
    let (status, _) = support::get_json(&server.url("/api/formats?dataset=tidak_ada")).await;
    assert_eq!(status, 404);
    // The probe is not a call: the plugins' statistics count only downloads.
    let (_, plugins) = support::get_json(&server.url("/api/plugins")).await;
    let geojson = plugins["plugins"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["id"] == "geojson"))
        .cloned()
        .expect("the geojson plugin");
    assert!(!server.log().contains("panicked"));
    // Every dataset was probed, but only wilayah's two GeoJSON links were downloaded (the
    // second may come from the edge cache).
    let calls = geojson["calls"].as_u64().expect("calls");
    assert!((1..=2).contains(&calls), "{calls} calls: {geojson}");
    assert!(
        datasets.len() > 5,
        "the probe ran for {} datasets",
        datasets.len()
    );
}

/// The texts of an SVG document's `<text>` elements.
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("the chart is XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

/// Issue 15, defect 9: the legend names sources, equal figures stay visible, the source line
/// names only the sources the figures come from, and a single bar says what it is.
#[tokio::test]
async fn defect_15_9_charts_name_their_sources_and_hide_no_figure() {
    let server = Server::seeded();
    let (_, api) = support::get_json(&server.url("/api/indicators/workers-per-unit")).await;
    let cited: Vec<String> = api["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["sumber_id"].as_str().map(str::to_string))
        .collect();
    let (status, svg) = get_text(&server.url("/indicators/workers-per-unit.svg")).await;
    assert_eq!(status, 200);
    let texts = svg_texts(&svg);
    for slug in &cited {
        assert!(
            !texts.contains(slug),
            "the legend shows the slug {slug}: {texts:?}"
        );
    }
    assert!(texts.iter().any(|t| t == "Republika"), "{texts:?}");
    // purbalinggakab.go.id published two of them: told apart by year.
    assert!(
        texts.iter().any(|t| t == "purbalinggakab.go.id 2019"),
        "{texts:?}"
    );
    // 2019: purbalinggakab.go.id and Republika print the same figure; both markers show.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let mut places: Vec<(String, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .map(|n| {
            (
                n.attribute("cx").unwrap().into(),
                n.attribute("cy").unwrap().into(),
            )
        })
        .collect();
    let markers = places.len();
    places.sort();
    places.dedup();
    assert_eq!(places.len(), markers, "two markers at one place");
    // The klaster's other sources (sampaijauh.com, tempo.co, purwokertokita.com) give none
    // of these figures and are not named.
    let source_line = texts
        .iter()
        .find(|t| t.starts_with("Sumber:"))
        .expect("a source line");
    for uncited in [
        "sampaijauh.com",
        "tempo.co",
        "purwokertokita.com",
        "Pemkab,",
    ] {
        assert!(!source_line.contains(uncited), "{uncited} in {source_line}");
    }
    for publisher in [
        "Kemenperin (Ditjen IKMA)",
        "purbalinggakab.go.id",
        "Republika",
    ] {
        assert!(
            source_line.contains(publisher),
            "{publisher} missing: {source_line}"
        );
    }
    let (_, page) = get_text(&server.url("/indicators/workers-per-unit")).await;
    assert!(
        !page.contains("sampaijauh.com"),
        "the page's citation names the same sources"
    );

    // CAGR is one figure: its bar carries its value, its source and its period.
    let (_, svg) = get_text(&server.url("/indicators/cagr.svg")).await;
    let texts = svg_texts(&svg);
    assert!(texts.iter().any(|t| t == "14,13 %"), "{texts:?}");
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Kemenperin") && t.contains("2010–2020")),
        "{texts:?}"
    );
    // On a phone the page shows a chart drawn for its width (checked in a browser by
    // tests/browser.rs); both are on the page, with distinct ids.
    assert!(page.contains("chart-title-wide") && page.contains("chart-title-narrow"));
}

/// Every same-site `href` and `src` in a page, resolved against `base` (the page's path).
fn same_site_links(html: &str, page_path: &str) -> Vec<String> {
    let mut links = Vec::new();
    for attribute in ["href=\"", "src=\""] {
        for rest in html.split(attribute).skip(1) {
            let Some(raw) = rest.split('"').next() else {
                continue;
            };
            let link = unescape(raw);
            let link = link.split('#').next().unwrap_or("").to_string();
            if link.is_empty() {
                continue;
            }
            if link.starts_with('/') && !link.starts_with("//") {
                links.push(link);
            } else if let Some(query) = link.strip_prefix('?') {
                let path = page_path.split('?').next().unwrap_or("/");
                links.push(format!("{path}?{query}"));
            }
        }
    }
    links
}

/// The link checker of issue 15: from the home page, in both languages, every page reached
/// by following links (three clicks deep) and every link and download on it answers 2xx.
#[tokio::test]
async fn every_link_on_every_page_answers_2xx() {
    let server = Server::seeded();
    let mut seen = std::collections::HashSet::new();
    let mut frontier: Vec<String> = vec!["/".into(), "/?lang=en".into()];
    let mut broken = Vec::new();
    let mut pages = 0;
    for depth in 0..=3 {
        let mut next = Vec::new();
        for path in frontier {
            if !seen.insert(path.clone()) || seen.len() > 4000 {
                continue;
            }
            let response = client().get(server.url(&path)).send().await.expect("GET");
            let status = response.status().as_u16();
            let is_page = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.starts_with("text/html"));
            let body = response.text().await.unwrap_or_default();
            if !(200..300).contains(&status) {
                broken.push(format!("{status} {path}"));
                continue;
            }
            if is_page && depth < 3 {
                pages += 1;
                next.extend(same_site_links(&body, &path));
            }
        }
        frontier = next;
    }
    assert!(
        broken.is_empty(),
        "{} broken of {}: {broken:#?}",
        broken.len(),
        seen.len()
    );
    assert!(
        pages > 50 && seen.len() > 300,
        "only {pages} pages and {} links",
        seen.len()
    );
    assert!(!server.log().contains("panicked"));
}

/// Issue 15: a dataset page has what an indicator page has: downloads near the top, and
/// "cite this" pinned to the revision, for the rows shown (filters kept, paging not).
#[tokio::test]
async fn a_dataset_page_is_cited_at_its_revision_with_the_downloads_first() {
    let server = Server::seeded();
    let (status, html) =
        get_text(&server.url("/datasets/klaster_knalpot?tahun=2010&_size=2")).await;
    assert_eq!(status, 200);
    let downloads = html.find(">Unduh<").expect("a download section");
    let filters = html.find("role=\"search\"").expect("the filter form");
    assert!(downloads < filters, "the downloads come before the filters");

    let (_, meta) = support::get_json(&server.url("/api/datasets/klaster_knalpot")).await;
    let revision = meta["revision"].as_i64().expect("revision");
    let blocks = pre_blocks(&html);
    assert_eq!(blocks.len(), 3, "plain text, BibTeX, CSL-JSON");
    let pinned = format!("/api/datasets/klaster_knalpot/rows?tahun=2010&_as_of={revision}");
    assert!(
        blocks[0].contains(&format!("revisi data {revision}")),
        "{}",
        blocks[0]
    );
    assert!(blocks[0].contains(&pinned), "{}", blocks[0]);
    assert!(
        blocks[0].contains("Kemenperin (Ditjen IKMA)"),
        "its sources: {}",
        blocks[0]
    );
    assert!(
        blocks[1].starts_with(&format!("@misc{{logam-klaster_knalpot-r{revision},")),
        "{}",
        blocks[1]
    );
    let csl: Value = serde_json::from_str(&blocks[2]).expect("CSL-JSON parses");
    assert_eq!(csl[0]["type"], "dataset");
    // The cited address gives the rows shown, all of them (not the page of two).
    let (status, rows) = support::get_json(&server.url(&pinned)).await;
    assert_eq!(status, 200, "{rows}");
    let rows = rows["rows"].as_array().expect("rows");
    assert!(
        rows.len() > 2 && rows.iter().all(|r| r["tahun"] == 2010),
        "{rows:?}"
    );
}
