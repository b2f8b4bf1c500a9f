//! `/indicators/{id}`: an indicator for a reader: its definition (BPS MS-Ind), a chart drawn
//! on the server, the observations, downloads, "cite this" and an embed snippet.
//! `/indicators/{id}.svg` is the chart alone; `/embed/indicators/{id}` is the chart in a
//! page made for an iframe.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use maud::{Markup, PreEscaped, html};

use super::chart::{self, Chart, Point};
use super::cite::{self, source_line};
use super::format::{cell, date};
use super::{Lang, layout, public_base};
use crate::export::{Citation, ColumnRole, TableDescription};
use crate::http::{ApiError, AppState, PathParams, all_formats};
use crate::plugins::{IndicatorOutcome, IndicatorResult};
use crate::store::{Cell, StoreError};

/// The request's indicator parameters (everything but `lang`). A blank field means "the
/// default" to a reader filling in the form (a browser sends every field, blank or not), so
/// blank values are dropped here; the API, which a program calls, keeps them and refuses them.
fn parameters(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .filter(|(k, v)| k != "lang" && !v.trim().is_empty())
        .collect()
}

/// A parameter's default as the form shows it ("2010", "nilai_produksi").
fn default_text(default: &crate::plugins::ParameterValue) -> String {
    use crate::plugins::ParameterValue as V;
    match default {
        V::Integer(i) => i.to_string(),
        V::Real(r) => r.to_string(),
        V::Text(t) => t.clone(),
        V::Boolean(b) => b.to_string(),
    }
}

fn query_string(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// Runs the indicator and reads its sources, off the async runtime.
async fn compute(
    app: &AppState,
    id: String,
    params: Vec<(String, String)>,
) -> Result<(Arc<IndicatorResult>, TableDescription), ApiError> {
    let plugins = app.plugins.clone();
    tokio::task::spawn_blocking(move || {
        let outcome = plugins.run_indicator(&id, &params, None, "page", None)?;
        let IndicatorOutcome::Computed { result, .. } = outcome else {
            return Err(crate::plugins::PluginError::Engine("unexpected 304".into()));
        };
        let table = plugins.describe_result(&result)?;
        Ok((result, table))
    })
    .await
    .map_err(|e| ApiError::from(StoreError::Task(e.to_string())))?
    .map_err(ApiError::from)
}

/// A result's period, when it has one: dimensions `tahun_awal` and `tahun_akhir` (a growth
/// rate between two years), shown as "2010–2020" instead of as two categories.
fn period_columns(result: &IndicatorResult) -> Option<(usize, usize)> {
    let position = |name: &str| {
        result
            .columns
            .iter()
            .position(|c| c.name == name && c.role == ColumnRole::Dimension)
    };
    Some((position("tahun_awal")?, position("tahun_akhir")?))
}

/// How a chart names each source its figures cite: the publisher ("Radar Banyumas"), and
/// where two cited sources share a publisher, the publisher with the source's date, then
/// with its id, so a legend never shows a slug unless nothing else tells two apart.
fn source_names(sources: &[Citation]) -> std::collections::HashMap<String, String> {
    let publisher = |s: &Citation| {
        if s.publisher.is_empty() {
            s.id.clone()
        } else {
            s.publisher.clone()
        }
    };
    let dated = |s: &Citation| match &s.date {
        Some(date) if !date.is_empty() => {
            format!("{} {}", publisher(s), date.get(..4).unwrap_or(date))
        }
        _ => publisher(s),
    };
    // How many cited sources each name would stand for.
    let tally = |name: &dyn Fn(&Citation) -> String| {
        let mut counts = std::collections::HashMap::<String, usize>::new();
        for source in sources {
            *counts.entry(name(source)).or_default() += 1;
        }
        counts
    };
    let (by_publisher, by_date) = (tally(&publisher), tally(&dated));
    let unique = |counts: &std::collections::HashMap<String, usize>, name: &str| {
        counts.get(name) == Some(&1)
    };
    sources
        .iter()
        .map(|s| {
            let (plain, with_date) = (publisher(s), dated(s));
            let name = if unique(&by_publisher, &plain) {
                plain
            } else if unique(&by_date, &with_date) {
                with_date
            } else {
                format!("{plain} ({})", s.id)
            };
            (s.id.clone(), name)
        })
        .collect()
}

/// The chart of a result: a line per series over `tahun` when the result has that
/// dimension, bars otherwise. The series are the other dimensions (often the source).
fn chart_of(result: &IndicatorResult, table: &TableDescription, lang: Lang) -> Chart {
    let columns = &result.columns;
    let measure = columns
        .iter()
        .position(|c| c.role == ColumnRole::Measure)
        .unwrap_or(0);
    let year = columns
        .iter()
        .position(|c| c.name == "tahun" && c.role == ColumnRole::Dimension);
    let batch = &result.batch;
    // Series are told apart by the dimensions whose values vary (often the source); a
    // dimension with one value throughout says nothing on a legend.
    let varies = |i: usize| {
        let first = format!("{:?}", batch.cell(i, 0));
        (1..batch.len()).any(|r| format!("{:?}", batch.cell(i, r)) != first)
    };
    let names = source_names(&table.sources);
    let source_name = |cell: Cell<'_>| match cell {
        Cell::Text(id) => names.get(id).cloned(),
        _ => None,
    };
    let period = period_columns(result);
    let candidates = || {
        columns.iter().enumerate().filter(|(i, c)| {
            c.role == ColumnRole::Dimension
                && Some(*i) != year
                && !period.is_some_and(|(from, to)| *i == from || *i == to)
        })
    };
    let mut dimensions: Vec<usize> = candidates()
        .filter(|(i, _)| varies(*i))
        .map(|(i, _)| i)
        .collect();
    // One figure (or figures that differ in nothing but the measure) still needs a label:
    // then it is named by its source, or by every dimension it has.
    if dimensions.is_empty() && year.is_none() {
        let sourced: Vec<usize> = candidates()
            .filter(|(i, _)| (0..batch.len()).any(|r| source_name(batch.cell(*i, r)).is_some()))
            .map(|(i, _)| i)
            .collect();
        dimensions = if sourced.is_empty() {
            candidates().map(|(i, _)| i).collect()
        } else {
            sourced
        };
    }
    let mut points = Vec::new();
    for row in 0..batch.len() {
        let value = match batch.cell(measure, row) {
            Cell::Integer(i) => i as f64,
            Cell::Real(r) => r,
            _ => continue,
        };
        let label_of = |i: usize| match batch.cell(i, row) {
            cell @ Cell::Text(t) => source_name(cell).unwrap_or_else(|| t.to_string()),
            Cell::Integer(v) => v.to_string(),
            Cell::Real(v) => v.to_string(),
            Cell::Boolean(b) => b.to_string(),
            Cell::Null => "–".into(),
        };
        let mut series = dimensions
            .iter()
            .map(|&i| label_of(i))
            .collect::<Vec<_>>()
            .join(" · ");
        if let Some((from, to)) = period {
            let span = format!("{}–{}", label_of(from), label_of(to));
            series = if series.is_empty() {
                span
            } else {
                format!("{series}, {span}")
            };
        }
        let year_value = year.and_then(|y| match batch.cell(y, row) {
            Cell::Integer(v) => Some(v as f64),
            _ => None,
        });
        points.push(Point {
            x_label: match year_value {
                Some(y) if series.is_empty() => format!("{y}"),
                Some(y) => format!("{y} ({series})"),
                None => series.clone(),
            },
            year: if year.is_some() { year_value } else { None },
            series: if year.is_some() {
                series
            } else {
                String::from("nilai")
            },
            value,
        });
    }
    let info = result.plugin.indicator_info();
    let title = lang.pick(&table.title.id, &table.title.en).to_string();
    let unit = info.map(|i| lang.pick(&i.satuan.id, &i.satuan.en).to_string());
    let description = format!(
        "{} {} {}",
        lang.pick(&table.description.id, &table.description.en),
        lang.pick("Jumlah titik:", "Points:"),
        points.len()
    );
    Chart {
        title,
        description,
        unit: unit.or_else(|| columns.get(measure).and_then(|c| c.unit.clone())),
        source_line: source_line(table, lang),
        points,
    }
}

/// The chart drawn twice, wide and for a phone, with the rule that shows the one that fits
/// the screen (or the embedding iframe).
fn both_sizes(drawn: &Chart, lang: Lang) -> Markup {
    html! {
        style { (PreEscaped(chart::SIZE_RULES)) }
        div class="chart-wide" { (PreEscaped(chart::svg_sized(drawn, lang, chart::WIDE))) }
        div class="chart-narrow" { (PreEscaped(chart::svg_sized(drawn, lang, chart::NARROW))) }
    }
}

fn svg_response(svg: String) -> Response {
    (
        [
            (CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=60"),
        ],
        svg,
    )
        .into_response()
}

/// `/indicators/{id}` and `/indicators/{id}.svg`.
pub async fn page(
    lang: Lang,
    State(app): State<AppState>,
    PathParams(resource): PathParams<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = parameters(query.as_deref());
    if let Some(id) = resource.strip_suffix(".svg") {
        let (result, table) = compute(&app, id.to_string(), params).await?;
        return Ok(svg_response(chart::svg(
            &chart_of(&result, &table, lang),
            lang,
        )));
    }
    if let Some(id) = resource.strip_suffix(".png") {
        let (result, table) = compute(&app, id.to_string(), params).await?;
        let svg = chart::svg(&chart_of(&result, &table, lang), lang);
        let png = tokio::task::spawn_blocking(move || super::png::render(&svg, 2.0))
            .await
            .map_err(|e| ApiError::from(StoreError::Task(e.to_string())))?
            .map_err(|e| {
                tracing::error!(error = %e, "PNG chart failed");
                ApiError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "the chart could not be drawn as PNG",
                    "the SVG version is at the same address with .svg",
                )
            })?;
        return Ok((
            [
                (CONTENT_TYPE, "image/png"),
                (CACHE_CONTROL, "public, max-age=60"),
            ],
            png,
        )
            .into_response());
    }
    let id = resource;
    let (result, table) = compute(&app, id.clone(), params.clone()).await?;
    let Some(info) = result.plugin.indicator_info() else {
        return Err(ApiError::not_found(format!("no indicator {id}")));
    };
    let t = |b: &crate::store::Bilingual| lang.pick(&b.id, &b.en).to_string();
    let chart = both_sizes(&chart_of(&result, &table, lang), lang);
    let qs = query_string(&params);
    let with_lang = |path: String| -> String {
        let mut pairs = params.clone();
        if lang == Lang::En {
            pairs.push(("lang".into(), "en".into()));
        }
        let q = query_string(&pairs);
        if q.is_empty() {
            path
        } else {
            format!("{path}?{q}")
        }
    };
    let base = public_base(&headers);
    let address = match qs.as_str() {
        "" => format!("{base}/api/indicators/{id}"),
        query => format!("{base}/api/indicators/{id}?{query}"),
    };
    let embed_url = format!("{base}{}", with_lang(format!("/embed/indicators/{id}")));
    let snippet = format!(
        "<iframe src=\"{embed_url}\" width=\"{w}\" height=\"{h}\" style=\"border:0;max-width:100%\" title=\"{title}\" loading=\"lazy\"></iframe>",
        w = chart::WIDE.width + 20.0,
        h = chart::WIDE.height.max(chart::NARROW.height) + 40.0,
        title = super::escape(&t(&info.title)),
    );
    let title = t(&info.title);
    let cite = cite::section(
        lang,
        &cite::Citable {
            key: &id,
            title: &title,
            table: &table,
            revision: result.revision,
            address: &address,
        },
    );
    let citation = source_line(&table, lang);
    let formats: Vec<_> = all_formats(&app.plugins)
        .into_iter()
        .filter(|f| f.indicators)
        .collect();
    let columns = &result.columns;
    let body: Markup = html! {
        article {
            h1 { (t(&info.title)) }
            p { (t(&info.description)) }
            figure {
                (chart)
                figcaption { (citation) " " a href=(with_lang(format!("/indicators/{id}.svg"))) { "SVG" } " · " a href=(with_lang(format!("/indicators/{id}.png"))) { "PNG" } }
            }
            @if !info.parameters.is_empty() {
                form method="get" action=(format!("/indicators/{id}")) {
                    fieldset {
                        legend { (lang.pick("Parameter", "Parameters")) }
                        @for p in &info.parameters {
                            @let current = params.iter().find(|(k, _)| k == &p.name).map(|(_, v)| v.clone()).unwrap_or_default();
                            @let default = p.default.as_ref().map(default_text);
                            @let placeholder = default.clone().unwrap_or_else(|| lang.pick("semua", "all").to_string());
                            label title=(t(&p.description)) {
                                (t(&p.title))
                                " "
                                input name=(p.name) value=(current) placeholder=(placeholder);
                                " "
                                small { @match &default {
                                    Some(d) => { "(" (lang.pick("bawaan", "default")) ": " (d) ")" },
                                    None => { "(" (lang.pick("opsional", "optional")) ")" },
                                } }
                            }
                            " "
                        }
                        @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                        button type="submit" { (lang.pick("Hitung", "Compute")) }
                    }
                }
            }
            h2 { (lang.pick("Definisi", "Definition")) }
            dl {
                dt { "Konsep" } dd { (t(&info.konsep)) }
                dt { "Definisi" } dd { (t(&info.definisi)) }
                dt { "Rumus" } dd { code { (t(&info.rumus)) } }
                dt { "Ukuran" } dd { (t(&info.ukuran)) }
                dt { "Satuan" } dd { (t(&info.satuan)) }
                dt { "Interpretasi" } dd { (t(&info.interpretasi)) }
                dt { "Frekuensi" } dd { (t(&info.frekuensi)) }
                dt { (lang.pick("Data yang dibaca", "Data read")) }
                dd { @for input in &info.inputs {
                    a href=(format!("/datasets/{}", input.dataset)) { (input.dataset) } " (" (input.columns.join(", ")) ") "
                } }
            }
            h2 { (lang.pick("Angka", "Figures")) }
            @if result.batch.is_empty() {
                p class="empty" role="status" { (lang.pick(
                    "Tidak ada angka untuk parameter ini. Coba nilai lain, atau kosongkan isian untuk memakai nilai bawaan.",
                    "No figures for these parameters. Try other values, or leave the fields blank for the defaults.")) }
            }
            table {
                caption { (format!("{} {} · {} {}", result.batch.len(), lang.pick("baris", "rows"), lang.pick("revisi data", "data revision"), result.revision)) }
                thead { tr { @for c in columns { th scope="col" { (lang.pick(&c.title.id, &c.title.en)) } } } }
                tbody {
                    @for row in 0..result.batch.len() {
                        tr { @for (i, c) in columns.iter().enumerate() {
                            @let shown = cell(result.batch.cell(i, row), c.column_type, c.unit.as_deref(), lang);
                            td class=[shown.numeric.then_some("num")] { (shown.text) }
                        } }
                    }
                }
            }
            h2 { (lang.pick("Unduh", "Download")) }
            ul class="downloads" {
                @for f in &formats {
                    li { a href=(format!("/api/indicators/{id}.{}{}", f.extension, if qs.is_empty() { String::new() } else { format!("?{qs}") })) download { (lang.pick(&f.title.id, &f.title.en)) " (." (f.extension) ")" } }
                }
            }
            (cite)
            h2 { (lang.pick("Sematkan grafik", "Embed the chart")) }
            p { (lang.pick("Salin kode ini ke halaman Anda:", "Copy this code into your page:")) }
            textarea readonly rows="3" aria-label=(lang.pick("Kode sematan", "Embed code")) { (snippet) }
            p { a href=(embed_url) { (lang.pick("Lihat grafik sematan", "Open the embedded chart")) } }
            h2 { (lang.pick("Sumber", "Sources")) }
            ul { @for s in &table.sources {
                li { a href=(format!("/sources#{}", s.id)) { (s.publisher) } @if let Some(title) = &s.title { ": " (title) } @if let Some(d) = &s.date { " (" (date(d, lang)) ")" } }
            } }
        }
    };
    Ok(layout(
        lang,
        &t(&info.title),
        &format!("/indicators/{id}"),
        query.as_deref(),
        body,
    ))
}

/// Today's date (UTC): when the reader looked the figure up, for the citation's access date.
/// `/embed/indicators/{id}`: the chart alone, for an iframe, with a link back.
pub async fn embed(
    lang: Lang,
    State(app): State<AppState>,
    PathParams(id): PathParams<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = parameters(query.as_deref());
    let (result, table) = compute(&app, id.clone(), params).await?;
    let chart = both_sizes(&chart_of(&result, &table, lang), lang);
    let back = format!(
        "/indicators/{id}{}",
        if lang == Lang::En { "?lang=en" } else { "" }
    );
    let html = html! {
        (maud::DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                title { (lang.pick(&table.title.id, &table.title.en)) " — logam" }
                style { "body{margin:0;font-family:system-ui,sans-serif}svg{max-width:100%;height:auto}p{margin:.2rem .5rem;font-size:12px}" }
            }
            body {
                (chart)
                p { a href=(back) target="_blank" rel="noopener" { (lang.pick("Data dan definisi di logam", "Data and definition at logam")) } }
            }
        }
    };
    Ok((
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=60"),
        ],
        html.into_string(),
    )
        .into_response())
}
