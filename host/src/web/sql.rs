//! `/sql` (a box for a SELECT, the result as a table, download links) and
//! `/datasets/{id}/queries/{name}` (a form for one canned query). Both run in the store's SQL
//! sandbox with the same per-client limit as the API.

use std::collections::HashMap;
use std::ops::ControlFlow;

use axum::extract::{RawQuery, State};
use axum::response::Response;

use super::format::plain;
use super::{Lang, escape, layout};
use crate::api::{ApiError, AppState, ClientAddr, PathParams, parameter_names};
use crate::store::{DEFAULT_TIME_LIMIT, SqlRequest, StoreError};

/// Rows shown on a page; the downloads hold everything.
const PAGE_ROWS: usize = 1000;

/// A finished statement, ready to render.
struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    revision: i64,
    truncated: bool,
}

async fn run(
    app: &AppState,
    client: std::net::IpAddr,
    sql: String,
    params: HashMap<String, String>,
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
        let summary = store.sql_blocking(
            &request,
            |head| {
                columns = head.columns.iter().map(|c| c.name.clone()).collect();
                revision = head.revision;
                ControlFlow::Continue(())
            },
            |batch| {
                for row in 0..batch.len() {
                    rows.push(
                        (0..batch.columns.len())
                            .map(|c| plain(batch.cell(c, row)))
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

fn render_table(lang: Lang, table: &Table) -> String {
    let mut html = format!(
        "<table><caption>{count} {rows_word}{more} · {rev_word} {rev}</caption><thead><tr>",
        count = table.rows.len(),
        rows_word = lang.pick("baris", "rows"),
        more = if table.truncated {
            lang.pick(
                " pertama (unduh untuk semuanya)",
                " shown (download for all)",
            )
        } else {
            ""
        },
        rev_word = lang.pick("data revisi", "data revision"),
        rev = table.revision,
    );
    for column in &table.columns {
        html.push_str(&format!("<th scope=\"col\">{}</th>", escape(column)));
    }
    html.push_str("</tr></thead><tbody>\n");
    for row in &table.rows {
        html.push_str("<tr>");
        for cell in row {
            html.push_str(&format!("<td>{}</td>", escape(cell)));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody></table>");
    html
}

fn render_error(error: &ApiError) -> String {
    format!(
        "<div class=\"error\" role=\"alert\"><p><strong>{}</strong>: {}</p><p>{}</p></div>",
        escape(error.code),
        escape(&error.message),
        escape(&error.hint)
    )
}

fn downloads(lang: Lang, base: &str, query: &str) -> String {
    let href = |ext: &str, extra: &str| escape(&format!("{base}.{ext}?{query}{extra}"));
    format!(
        "<p>{label}: <a href=\"{csv}\">CSV (Excel)</a> · <a href=\"{json}\">JSON</a> · <a href=\"{ndjson}\">NDJSON</a></p>",
        label = lang.pick("Unduh semua baris", "Download all rows"),
        csv = href("csv", "&_bom=1"),
        json = href("json", ""),
        ndjson = href("ndjson", ""),
    )
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
    let tables: Vec<String> = datasets
        .iter()
        .map(|d| format!("<code>{}</code>", escape(&d.id)))
        .collect();
    let example = "SELECT tahun, ukuran, nilai, sumber_id FROM klaster_knalpot WHERE tahun = 2010";
    let mut body = format!(
        "<h1>{title}</h1><p>{intro}</p><p>{tables_word}: {tables}</p>\
         <form method=\"get\" action=\"/sql\"><label for=\"sql\">{label}</label>\
         <textarea id=\"sql\" name=\"sql\" rows=\"8\">{sql}</textarea>{lang_field}\
         <p><button type=\"submit\">{run}</button></p></form>",
        title = lang.pick("Tanya data dengan SQL", "Query the data with SQL"),
        intro = lang.pick(
            "Hanya membaca: pernyataan SELECT atas dataset yang terbit, paling lama 1 detik, 1.000 baris di halaman ini (unduhan memuat semuanya). Parameter bernama seperti :tahun diisi dari alamat (…&tahun=2020).",
            "Read only: SELECT statements over the published datasets, at most 1 second, 1,000 rows on this page (downloads hold everything). Named parameters such as :tahun come from the address (…&tahun=2020)."
        ),
        tables_word = lang.pick("Tabel", "Tables"),
        tables = tables.join(", "),
        label = lang.pick("Pernyataan SQL", "SQL statement"),
        sql = escape(sql.as_deref().unwrap_or(example)),
        lang_field = if lang == Lang::En { "<input type=\"hidden\" name=\"lang\" value=\"en\">" } else { "" },
        run = lang.pick("Jalankan", "Run"),
    );
    if let Some(sql) = sql {
        let encoded: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().filter(|(k, _)| k != "lang"))
            .finish();
        match run(&app, client, sql, params).await {
            Ok(table) => {
                body.push_str(&downloads(lang, "/api/sql", &encoded));
                body.push_str(&render_table(lang, &table));
            }
            Err(error) => body.push_str(&render_error(&error)),
        }
    }
    Ok(layout(lang, "SQL", "/sql", query.as_deref(), &body))
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
    let mut fields = String::new();
    for param in &names {
        fields.push_str(&format!(
            "<p><label for=\"p-{p}\">{p}</label> <input id=\"p-{p}\" name=\"{p}\" value=\"{v}\"></p>",
            p = escape(param),
            v = escape(given.get(param).map(String::as_str).unwrap_or("")),
        ));
    }
    let mut body = format!(
        "<h1>{title}</h1><p>{description}</p><pre><code>{sql}</code></pre>\
         <form method=\"get\" action=\"{action}\">{fields}{lang_field}<p><button type=\"submit\">{run}</button></p></form>",
        title = escape(lang.pick(&canned.title.id, &canned.title.en)),
        description = escape(lang.pick(&canned.description.id, &canned.description.en)),
        sql = escape(canned.sql.trim()),
        action = escape(&path),
        lang_field = if lang == Lang::En {
            "<input type=\"hidden\" name=\"lang\" value=\"en\">"
        } else {
            ""
        },
        run = lang.pick("Jalankan", "Run"),
    );
    let complete = names.iter().all(|n| given.contains_key(n));
    if complete {
        let encoded: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().filter(|(k, _)| k != "lang"))
            .finish();
        match run(&app, client, canned.sql.clone(), given).await {
            Ok(table) => {
                body.push_str(&downloads(
                    lang,
                    &format!("/api/datasets/{dataset}/queries/{}", canned.name),
                    &encoded,
                ));
                body.push_str(&render_table(lang, &table));
            }
            Err(error) => body.push_str(&render_error(&error)),
        }
    }
    let title = lang.pick(&canned.title.id, &canned.title.en).to_string();
    Ok(layout(lang, &title, &path, query.as_deref(), &body))
}
