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
    for ext in ["csv", "json", "ndjson", "geojson", "xlsx", "md"] {
        assert!(
            html.contains(&format!("/api/datasets/klaster_knalpot/rows.{ext}?tahun=2010&amp;ukuran=nilai_produksi&amp;_sort_desc=nilai")),
            ".{ext} download with the filters missing"
        );
    }
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

    // A newly installed exporter is offered at once, without a restart.
    let response = client()
        .post(server.url("/admin/plugins"))
        .bearer_auth(TOKEN)
        .body(zoo::component("zoo_stuck_exporter"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let (_, html) = get_text(&server.url("/datasets/kontrak_pasokan")).await;
    assert!(html.contains("/api/datasets/kontrak_pasokan/rows.zoostuck"));
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
    assert_eq!((width, height), (1440, 800));

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
