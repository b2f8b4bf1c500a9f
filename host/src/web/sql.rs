//! `/sql` (a box for a SELECT, the result as a table, download links) and
//! `/datasets/{id}/queries/{name}` (a form for one canned query). Both run in the store's SQL
//! sandbox with the same per-client limit as the API.

use std::collections::HashMap;
use std::ops::ControlFlow;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use maud::{Markup, html};

use super::format::{Shown, cell};
use super::{Lang, layout};
use crate::http::{ApiError, AppState, ClientAddr, PathParams};
use crate::store::{
    ColumnType, DEFAULT_TIME_LIMIT, DatasetMeta, SqlRequest, StoreError, parameter_names,
};

/// Rows shown on a page; the downloads hold everything.
const PAGE_ROWS: usize = 1000;

/// A finished statement, ready to render.
struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<Shown>>,
    revision: i64,
    truncated: bool,
}

/// A result column's type and unit, known when every dataset column of that name agrees (a
/// statement's columns carry no units; `SELECT nilai` from the sources' facts may be Rupiah
/// or units, so a name the datasets disagree on is shown as stored).
type KnownColumn = Option<(ColumnType, Option<String>)>;

fn columns_by_name(datasets: &[DatasetMeta]) -> HashMap<String, KnownColumn> {
    let mut known: HashMap<String, KnownColumn> = HashMap::new();
    for column in datasets.iter().flat_map(|d| &d.columns) {
        let this = Some((column.column_type, column.unit.clone()));
        known
            .entry(column.name.clone())
            .and_modify(|seen| {
                if *seen != this {
                    *seen = None;
                }
            })
            .or_insert(this);
    }
    known
}

async fn run(
    app: &AppState,
    client: std::net::IpAddr,
    sql: String,
    params: HashMap<String, String>,
    lang: Lang,
) -> Result<Table, ApiError> {
    let permit = app.sql_limiter.acquire(client)?;
    let store = app.store.clone();
    let request = SqlRequest {
        sql,
        params,
        as_of: None,
        time_limit: DEFAULT_TIME_LIMIT,
        stream_limit: None,
        max_rows: Some(PAGE_ROWS),
        cancelled: None,
    };
    let table = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut columns = Vec::new();
        let mut revision = 0;
        let mut rows = Vec::new();
        let known = columns_by_name(&store.read_blocking(|s| s.datasets(true))?);
        let described = std::cell::RefCell::new(Vec::<KnownColumn>::new());
        let summary = store.sql_blocking(
            &request,
            |head| {
                columns = head.columns.iter().map(|c| c.name.clone()).collect();
                *described.borrow_mut() = head
                    .columns
                    .iter()
                    .map(|c| known.get(&c.name).cloned().flatten())
                    .collect();
                revision = head.revision;
                ControlFlow::Continue(())
            },
            |batch| {
                let described = described.borrow();
                for row in 0..batch.len() {
                    rows.push(
                        (0..batch.columns.len())
                            .map(|c| {
                                let (column_type, unit) = match described.get(c) {
                                    Some(Some((column_type, unit))) => {
                                        (*column_type, unit.as_deref())
                                    }
                                    _ => (ColumnType::Text, None),
                                };
                                cell(batch.cell(c, row), column_type, unit, lang)
                            })
                            .collect(),
                    );
                }
                ControlFlow::Continue(())
            },
        )?;
        Ok::<_, StoreError>(Table {
            columns,
            rows,
            revision,
            truncated: summary.truncated,
        })
    })
    .await
    .map_err(|e| StoreError::Task(e.to_string()))??;
    Ok(table)
}

fn render_table(lang: Lang, table: &Table) -> Markup {
    html! {
        table {
            caption {
                (table.rows.len()) " " (lang.pick("baris", "rows"))
                @if table.truncated {
                    (lang.pick(" pertama (unduh untuk semuanya)", " shown (download for all)"))
                }
                " · " (lang.pick("data revisi", "data revision")) " " (table.revision)
            }
            thead { tr { @for column in &table.columns { th scope="col" { (column) } } } }
            tbody {
                @for row in &table.rows {
                    tr { @for shown in row { td class=[shown.numeric.then_some("num")] { (shown.text) } } }
                }
            }
        }
    }
}

fn render_error(error: &ApiError) -> Markup {
    html! {
        div class="error" role="alert" {
            p { strong { (error.code) } ": " (error.message) }
            p { (error.hint) }
        }
    }
}

fn downloads(lang: Lang, base: &str, query: &str) -> Markup {
    let href = |ext: &str, extra: &str| format!("{base}.{ext}?{query}{extra}");
    html! {
        p {
            (lang.pick("Unduh semua baris", "Download all rows")) ": "
            a href=(href("csv", "&_bom=1")) { "CSV (Excel)" } " · "
            a href=(href("json", "")) { "JSON" } " · "
            a href=(href("ndjson", "")) { "NDJSON" }
        }
    }
}

/// Keeps an English reader in English when the form is sent.
fn language_field(lang: Lang) -> Markup {
    html! { @if lang == Lang::En { input type="hidden" name="lang" value="en"; } }
}

/// The result of running the statement, or why it did not run.
async fn outcome(
    app: &AppState,
    client: std::net::IpAddr,
    sql: String,
    params: HashMap<String, String>,
    lang: Lang,
    download_base: &str,
    pairs: &[(String, String)],
) -> Markup {
    let encoded: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(k, _)| k != "lang"))
        .finish();
    match run(app, client, sql, params, lang).await {
        Ok(table) => html! {
            (downloads(lang, download_base, &encoded))
            (render_table(lang, &table))
        },
        Err(error) => render_error(&error),
    }
}

fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

pub async fn sql_page(
    lang: Lang,
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = pairs(query.as_deref());
    let sql = pairs
        .iter()
        .find(|(k, _)| k == "sql")
        .map(|(_, v)| v.clone());
    let params: HashMap<String, String> = pairs
        .iter()
        .filter(|(k, _)| k != "sql" && k != "lang" && !k.starts_with('_'))
        .cloned()
        .collect();
    let datasets = app.store.read(|session| session.datasets(true)).await?;
    let example = "SELECT tahun, ukuran, nilai, sumber_id FROM klaster_knalpot WHERE tahun = 2010";
    let result = match sql.clone() {
        Some(sql) => Some(outcome(&app, client, sql, params, lang, "/api/sql", &pairs).await),
        None => None,
    };
    let body = html! {
        h1 { (lang.pick("Tanya data dengan SQL", "Query the data with SQL")) }
        p { (lang.pick(
            "Hanya membaca: pernyataan SELECT atas dataset yang terbit, paling lama 1 detik, 1.000 baris di halaman ini (unduhan memuat semuanya). Parameter bernama seperti :tahun diisi dari alamat (…&tahun=2020).",
            "Read only: SELECT statements over the published datasets, at most 1 second, 1,000 rows on this page (downloads hold everything). Named parameters such as :tahun come from the address (…&tahun=2020).",
        )) }
        p {
            (lang.pick("Tabel", "Tables")) ": "
            @for (i, d) in datasets.iter().enumerate() {
                @if i > 0 { ", " }
                code { (d.id) }
            }
        }
        form method="get" action="/sql" {
            label for="sql" { (lang.pick("Pernyataan SQL", "SQL statement")) }
            textarea id="sql" name="sql" rows="8" { (sql.as_deref().unwrap_or(example)) }
            (language_field(lang))
            p { button type="submit" { (lang.pick("Jalankan", "Run")) } }
        }
        @if let Some(result) = result { (result) }
    };
    Ok(layout(lang, "SQL", "/sql", query.as_deref(), body))
}
pub async fn canned_page(
    lang: Lang,
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    PathParams((dataset, name)): PathParams<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let id = dataset.clone();
    let queries = app.store.read(move |session| session.queries(&id)).await?;
    let canned = queries
        .into_iter()
        .find(|q| q.name == name)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "dataset `{dataset}` has no query `{}`",
                name.chars().take(100).collect::<String>()
            ))
        })?;
    let pairs = pairs(query.as_deref());
    let given: HashMap<String, String> =
        pairs.iter().filter(|(k, _)| k != "lang").cloned().collect();
    let names = parameter_names(&canned.sql);
    let path = format!("/datasets/{dataset}/queries/{}", canned.name);
    let complete = names.iter().all(|n| given.contains_key(n));
    let result = if complete {
        let base = format!("/api/datasets/{dataset}/queries/{}", canned.name);
        Some(
            outcome(
                &app,
                client,
                canned.sql.clone(),
                given.clone(),
                lang,
                &base,
                &pairs,
            )
            .await,
        )
    } else {
        None
    };
    let body = html! {
        h1 { (lang.pick(&canned.title.id, &canned.title.en)) }
        p { (lang.pick(&canned.description.id, &canned.description.en)) }
        pre { code { (canned.sql.trim()) } }
        form method="get" action=(path) {
            @for param in &names {
                p {
                    label for={ "p-" (param) } { (param) } " "
                    input id={ "p-" (param) } name=(param) value=(given.get(param).map(String::as_str).unwrap_or(""));
                }
            }
            (language_field(lang))
            p { button type="submit" { (lang.pick("Jalankan", "Run")) } }
        }
        @if let Some(result) = result { (result) }
    };
    let title = lang.pick(&canned.title.id, &canned.title.en).to_string();
    Ok(layout(lang, &title, &path, query.as_deref(), body))
}
