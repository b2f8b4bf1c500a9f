//! `/datasets/{id}`: a dataset for a reader: what it is, a table driven by the same query
//! parameters as the API (filters, sort, paging, facets, search), the source of each row, and
//! a download link for every format installed now.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::format::{cell, date, number, plain, row_unit};
use super::{Lang, cite, layout, public_base};
use crate::export::ExportSchema;
use crate::http::download::{asking_exporters, dataset_formats, formats_for_dataset};
use crate::http::params::{Mode, parse};
use crate::http::{ApiError, AppState, PathParams};
use crate::store::{ColumnMeta, DatasetMeta, Page, StoreError};

/// The query without `lang` and without empty fields (the filter form sends every field;
/// an empty one means "no filter" to a reader, not "equals the empty string").
/// How many rows a page counts unless asked for the exact count: past it the page says
/// "more than 10,000" and links the exact count.
const PAGE_COUNT_BOUND: u64 = 10_001;

fn data_query(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .filter(|(k, v)| k != "lang" && !v.is_empty())
        .collect()
}

fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// This page's URL with `changes` applied to the query (a `None` value removes the key).
fn link(
    id: &str,
    pairs: &[(String, String)],
    lang: Lang,
    changes: &[(&str, Option<&str>)],
) -> String {
    let mut kept: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k) && k != "_next")
        .cloned()
        .collect();
    for (key, value) in changes {
        if let Some(value) = value {
            kept.push((key.to_string(), value.to_string()));
        }
    }
    if lang == Lang::En {
        kept.push(("lang".into(), "en".into()));
    }
    let q = encode(&kept);
    if q.is_empty() {
        format!("/datasets/{id}")
    } else {
        format!("/datasets/{id}?{q}")
    }
}

pub async fn page(
    lang: Lang,
    State(app): State<AppState>,
    PathParams(id): PathParams<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pairs = data_query(query.as_deref());
    let data_qs = encode(&pairs);
    let parsed = parse(Some(&data_qs), Mode::Page).map_err(ApiError::from);
    let dataset = id.clone();
    let meta = app
        .store
        .read(move |session| session.dataset(&dataset))
        .await?;
    let (page, problem) = match parsed {
        Ok((mut request, _)) => {
            // The page always counts, but a large filtered set only up to a bound (counting
            // half a million matches of ten million rows took 35 ms); `_count` asks for all.
            if !request.count {
                request.count_bound = Some(PAGE_COUNT_BOUND);
            }
            request.count = true;
            let dataset = id.clone();
            let outcome = app
                .store
                .read(
                    move |session| match session.plan(&dataset, &request, None)? {
                        crate::store::Fresh::Modified((state, plan)) => session.page(state, plan),
                        crate::store::Fresh::NotModified(_) => {
                            Err(StoreError::Task("no state was given".into()))
                        }
                    },
                )
                .await;
            match outcome {
                Ok(page) => (Some(page), None),
                Err(e) => (None, Some(ApiError::from(e))),
            }
        }
        Err(e) => (None, Some(e)),
    };
    // The formats that fit the columns the download would hold (the page's `_col` selection,
    // or every column): no link that would answer 422.
    let shown = page.as_ref().map(|page| ExportSchema::for_plan(&page.plan));
    let whole = meta.clone();
    let formats = asking_exporters(&app.plugins, move |plugins| match shown {
        Some(schema) => dataset_formats(plugins, &schema),
        None => formats_for_dataset(plugins, &whole),
    })
    .await?;
    // Exports take the filters and sort, not paging or facets.
    let export_qs = encode(
        &pairs
            .iter()
            .filter(|(k, _)| !["_size", "_next", "_facet", "_count"].contains(&k.as_str()))
            .cloned()
            .collect::<Vec<_>>(),
    );
    // "Cite this" pins the rows shown (the filters and sort, not the paging) to the revision.
    let described = meta.clone();
    let table = app
        .store
        .read(move |session| crate::export::table_description(session, &described))
        .await?;
    let base = public_base(&headers);
    let address = match export_qs.as_str() {
        "" => format!("{base}/api/datasets/{id}/rows"),
        query => format!("{base}/api/datasets/{id}/rows?{query}"),
    };
    let title = lang.pick(&meta.title.id, &meta.title.en).to_string();
    let cite = cite::section(
        lang,
        &cite::Citable {
            key: &id,
            title: &title,
            table: &table,
            revision: meta.revision,
            address: &address,
        },
    );
    let body = render(
        &meta,
        page.as_ref(),
        problem.as_ref(),
        &pairs,
        Downloads {
            formats: &formats,
            query: &export_qs,
        },
        cite,
        lang,
    );
    let mut response = layout(
        lang,
        &title,
        &format!("/datasets/{id}"),
        query.as_deref(),
        body,
    );
    if let Some(problem) = problem {
        *response.status_mut() = problem.status;
    }
    Ok(response.into_response())
}

/// What the page offers to download: the formats that fit, and the query they keep.
struct Downloads<'a> {
    formats: &'a [crate::export::FormatInfo],
    query: &'a str,
}

fn render(
    meta: &DatasetMeta,
    page: Option<&Page>,
    problem: Option<&ApiError>,
    pairs: &[(String, String)],
    downloads: Downloads<'_>,
    cite: Markup,
    lang: Lang,
) -> Markup {
    let Downloads {
        formats,
        query: export_qs,
    } = downloads;
    let id = &meta.id;
    let t = |b: &crate::store::Bilingual| lang.pick(&b.id, &b.en).to_string();
    let current = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let source_column = meta.source_column.clone();
    html! {
        article {
            h1 { (t(&meta.title)) }
            @if meta.synthetic { p class="error" { (lang.pick("Data sintetis untuk uji beban: bukan data sungguhan.", "Synthetic data for load tests: not real data.")) } }
            p { (t(&meta.description)) }
            p {
                (number(meta.row_count as f64, 0, lang)) " " (lang.pick("baris", "rows")) " · "
                (lang.pick("lisensi", "licence")) " " (meta.licence) " · "
                (lang.pick("revisi", "revision")) " " (meta.revision) " · "
                (lang.pick("diperbarui", "updated")) " " (date(meta.updated_at.get(..10).unwrap_or(&meta.updated_at), lang))
            }
            h2 { (lang.pick("Unduh", "Download")) }
            p { (lang.pick("Unduhan memuat semua baris yang cocok dengan saringan.", "Downloads hold every row matching the filters.")) }
            ul class="downloads" {
                @for f in formats {
                    li { a href=(format!("/api/datasets/{id}/rows.{}{}", f.extension, if export_qs.is_empty() { String::new() } else { format!("?{export_qs}") })) download { (lang.pick(&f.title.id, &f.title.en)) " (." (f.extension) ")" } }
                }
                li { a href=(format!("/api/datasets/{id}/rows.csv?_bom=1{}", if export_qs.is_empty() { String::new() } else { format!("&{export_qs}") })) download { "CSV (Excel)" } }
            }
            form method="get" action=(format!("/datasets/{id}")) role="search" {
                fieldset {
                    legend { (lang.pick("Saring", "Filter")) }
                    @if meta.searchable {
                        label { (lang.pick("Cari", "Search")) " " input type="search" name="_q" value=(current("_q")); } " "
                    }
                    @for c in &meta.columns {
                        @let v = current(&c.name);
                        label { (t(&c.title)) " " input name=(c.name) value=(v) size="10"; } " "
                    }
                    label { (lang.pick("Urutkan", "Sort by")) " "
                        select name="_sort" {
                            option value="" { "—" }
                            @for c in &meta.columns {
                                option value=(c.name) selected[current("_sort") == c.name] { (t(&c.title)) }
                            }
                        }
                    } " "
                    label { (lang.pick("Baris per halaman", "Rows per page")) " " input type="number" name="_size" min="1" max="1000" value=(current("_size")) placeholder="100"; }
                    @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                    " " button type="submit" { (lang.pick("Terapkan", "Apply")) }
                    " " a href=(link(id, &[], lang, &[])) { (lang.pick("Hapus saringan", "Clear filters")) }
                }
            }
            @if let Some(problem) = problem {
                div class="error" role="alert" { p { strong { (problem.code) } ": " (problem.message) } p { (problem.hint) } }
            }
            @if let Some(page) = page {
                @let columns: Vec<&ColumnMeta> = page.plan.output_columns().collect();
                @let positions = page.plan.output.clone();
                table {
                    caption {
                        (lang.pick("Menampilkan", "Showing")) " " (number(page.batch.len() as f64, 0, lang))
                        @if let Some(count) = page.count {
                            " " (lang.pick("dari", "of")) " "
                            @if page.count_is_lower_bound {
                                (lang.pick("lebih dari", "more than")) " " (number(count as f64 - 1.0, 0, lang))
                            } @else {
                                (number(count as f64, 0, lang))
                            }
                        }
                        " " (lang.pick("baris", "rows"))
                        @if page.count_is_lower_bound {
                            " (" a href=(link(id, pairs, lang, &[("_count", Some("1"))])) { (lang.pick("hitung semua", "count all")) } ")"
                        }
                        " · " (lang.pick("revisi data", "data revision")) " " (page.state.revision)
                    }
                    thead { tr {
                        @for c in &columns {
                            th scope="col" {
                                a href=(link(id, pairs, lang, &[("_sort", Some(&c.name)), ("_sort_desc", None)])) title=(lang.pick("urutkan naik", "sort ascending")) { (t(&c.title)) }
                                " "
                                a href=(link(id, pairs, lang, &[("_sort_desc", Some(&c.name)), ("_sort", None)])) title=(lang.pick("urutkan turun", "sort descending")) aria-label=(lang.pick("urutkan turun", "sort descending")) { "↓" }
                                @if let Some(unit) = &c.unit { br; small { "(" (unit) ")" } }
                            }
                        }
                    } }
                    tbody {
                        @for row in 0..page.batch.len() {
                            tr { @for (c, &position) in columns.iter().zip(&positions) {
                                @let value = page.batch.cell(position, row);
                                @let unit = row_unit(c, &columns, &positions, &page.batch, row);
                                @let shown = cell(value, c.column_type, unit.as_deref(), lang);
                                td class=[shown.numeric.then_some("num")] {
                                    @if source_column.as_deref() == Some(c.name.as_str()) && !plain(value).is_empty() {
                                        a href=(format!("/sources{}#{}", if lang == Lang::En { "?lang=en" } else { "" }, plain(value))) { (plain(value)) }
                                    } @else {
                                        (shown.text)
                                    }
                                }
                            } }
                        }
                    }
                }
                @if let Some(next) = &page.next {
                    p { a rel="next" href=(link(id, pairs, lang, &[("_next", Some(next))])) { (lang.pick("Halaman berikutnya →", "Next page →")) } }
                }
                @if !page.facets.is_empty() {
                    h2 { (lang.pick("Rincian nilai", "Facets")) }
                    @for facet in &page.facets {
                        section {
                            h3 { (facet.column) }
                            ul { @for v in &facet.values {
                                @let text = match &v.value { serde_json::Value::String(s) => s.clone(), other => other.to_string() };
                                li { a href=(link(id, pairs, lang, &[(facet.column.as_str(), Some(&text))])) { (text) } " (" (number(v.count as f64, 0, lang)) ")" }
                            } }
                        }
                    }
                }
            }
            h2 { (lang.pick("Kolom", "Columns")) }
            table {
                thead { tr { th scope="col" { (lang.pick("Nama", "Name")) } th scope="col" { (lang.pick("Jenis", "Type")) } th scope="col" { (lang.pick("Satuan", "Unit")) } th scope="col" { (lang.pick("Keterangan", "Description")) } } }
                tbody { @for c in &meta.columns {
                    tr { td { code { (c.name) } } td { (c.column_type.as_str()) } td { (c.unit.clone().unwrap_or_default()) } td { (t(&c.title)) ". " (t(&c.description)) } }
                } }
            }
            (cite)
            p { a href=(format!("/api/datasets/{id}")) { "API" } " · " a href=(format!("/api/datasets/{id}/revisions")) { (lang.pick("Riwayat revisi", "Revision history")) } }
        }
    }
}
