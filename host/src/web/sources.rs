//! `/sources`: every source with the figures it supports, and the facts on which sources
//! disagree, side by side.
//!
//! Disagreements come from each dataset's canned query named `sumber_bertentangan` (see
//! data/FORMAT.md): its output columns that are also dataset columns (say `tahun`, `ukuran`)
//! identify a fact, and every row of the dataset with that fact is shown next to the others.

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use maud::html;

use super::format::{cell, date, figure, plain, row_unit};
use super::{Lang, layout};
use crate::http::{ApiError, AppState};
use crate::store::{
    ColumnMeta, DEFAULT_TIME_LIMIT, DatasetMeta, ReadPlan, RowRequest, SqlRequest, Store,
    StoreError,
};

/// Datasets up to this size are listed row by row under their sources; larger ones are linked.
const LISTED_ROWS: i64 = 5000;
const CONFLICT_QUERY: &str = "sumber_bertentangan";

/// A value of a row, as stored (for matching rows and linking) and as the page shows it.
#[derive(Debug, Clone)]
struct Field {
    column: String,
    plain: String,
    shown: String,
}

type Row = Vec<Field>;

/// Every row of a (small) dataset as (column, value) pairs.
fn rows_of(store: &Store, meta: &DatasetMeta, lang: Lang) -> Result<Vec<Row>, StoreError> {
    store.read_blocking(|session| {
        let state = session.state(&meta.id)?;
        let meta = session.meta(&meta.id, state)?;
        let plan = ReadPlan::new(meta, &RowRequest::default())?;
        let columns: Vec<&ColumnMeta> = plan.output_columns().collect();
        let mut rows = Vec::new();
        session.scan(&plan, 1024, |batch| {
            for r in 0..batch.len() {
                rows.push(
                    plan.output
                        .iter()
                        .zip(&columns)
                        .map(|(&p, c)| {
                            let value = batch.cell(p, r);
                            let unit = row_unit(c, &columns, &plan.output, batch, r);
                            Field {
                                column: c.name.clone(),
                                plain: plain(value),
                                shown: cell(value, c.column_type, unit.as_deref(), lang).text,
                            }
                        })
                        .collect(),
                );
            }
            ControlFlow::Continue(())
        })?;
        Ok(rows)
    })
}

struct Conflicts {
    dataset: DatasetMeta,
    keys: Vec<String>,
    facts: Vec<Row>,
}

/// Runs a dataset's `sumber_bertentangan` query in the SQL sandbox.
fn conflicts(
    store: &Store,
    meta: &DatasetMeta,
    sql: &str,
    lang: Lang,
) -> Result<Conflicts, StoreError> {
    let request = SqlRequest {
        sql: sql.to_string(),
        params: HashMap::new(),
        as_of: None,
        time_limit: DEFAULT_TIME_LIMIT,
        stream_limit: None,
        max_rows: Some(200),
        cancelled: None,
    };
    let names = std::cell::RefCell::new(Vec::<String>::new());
    let mut facts = Vec::new();
    store.sql_blocking(
        &request,
        |head| {
            *names.borrow_mut() = head.columns.iter().map(|c| c.name.clone()).collect();
            ControlFlow::Continue(())
        },
        |batch| {
            let names = names.borrow();
            for r in 0..batch.len() {
                facts.push(
                    names
                        .iter()
                        .enumerate()
                        .map(|(c, n)| {
                            let value = batch.cell(c, r);
                            let column = meta.column(n).map(|(_, column)| column);
                            let shown = match column {
                                Some(column) => {
                                    cell(value, column.column_type, column.unit.as_deref(), lang)
                                        .text
                                }
                                None => plain(value),
                            };
                            Field {
                                column: n.clone(),
                                plain: plain(value),
                                shown,
                            }
                        })
                        .collect(),
                );
            }
            ControlFlow::Continue(())
        },
    )?;
    let names = names.into_inner();
    let keys = names
        .iter()
        .filter(|n| meta.column(n).is_some() && Some(n.as_str()) != meta.source_column.as_deref())
        .cloned()
        .collect();
    Ok(Conflicts {
        dataset: meta.clone(),
        keys,
        facts,
    })
}

fn field<'a>(row: &'a Row, column: &str) -> Option<&'a Field> {
    row.iter().find(|f| f.column == column)
}

/// The value as stored, for matching and links.
fn value<'a>(row: &'a Row, column: &str) -> &'a str {
    field(row, column).map(|f| f.plain.as_str()).unwrap_or("")
}

/// The value as the page shows it (the one cell rule of `format`).
fn shown<'a>(row: &'a Row, column: &str) -> &'a str {
    field(row, column).map(|f| f.shown.as_str()).unwrap_or("")
}

pub async fn page(
    lang: Lang,
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let store = app.store.clone();
    let gathered = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
        let setting = store.read_blocking(|s| s.setting("sources_dataset"))?;
        let datasets = store.read_blocking(|s| s.datasets(false))?;
        // A database without a sources dataset (one made by `logam gen`, or one the office
        // has not filled yet) has a sources page that says so.
        let Some(sources_meta) =
            setting.and_then(|id| datasets.iter().find(|d| d.id == id).cloned())
        else {
            return Ok(None);
        };
        let sources = rows_of(&store, &sources_meta, lang)?;
        // source id → dataset id → rows citing it
        let mut by_source: BTreeMap<String, BTreeMap<String, Vec<Row>>> = BTreeMap::new();
        let mut all_rows: HashMap<String, Vec<Row>> = HashMap::new();
        let mut conflict_sets = Vec::new();
        for meta in &datasets {
            let Some(column) = &meta.source_column else {
                continue;
            };
            if meta.id == sources_meta.id || meta.row_count > LISTED_ROWS {
                continue;
            }
            let rows = rows_of(&store, meta, lang)?;
            for row in &rows {
                let id = value(row, column).to_string();
                by_source
                    .entry(id)
                    .or_default()
                    .entry(meta.id.clone())
                    .or_default()
                    .push(row.clone());
            }
            all_rows.insert(meta.id.clone(), rows);
            let queries = store.read_blocking(|s| s.queries(&meta.id))?;
            if let Some(q) = queries.iter().find(|q| q.name == CONFLICT_QUERY) {
                let rows = all_rows.get(&meta.id).cloned().unwrap_or_default();
                conflict_sets.push((conflicts(&store, meta, &q.sql, lang)?, rows));
            }
        }
        Ok(Some((
            sources_meta,
            sources,
            by_source,
            conflict_sets,
            datasets,
        )))
    })
    .await
    .map_err(|e| ApiError::from(StoreError::Task(e.to_string())))??;
    let Some((sources_meta, sources, by_source, conflict_sets, datasets)) = gathered else {
        let body = html! {
            h1 { (lang.pick("Sumber data", "Data sources")) }
            p { (lang.pick(
                "Basis data ini belum mencatat sumber: belum ada dataset sumber. Setiap angka yang diterbitkan di sini akan menautkan sumbernya begitu dataset sumber diisi.",
                "This database records no sources yet: it has no sources dataset. Every figure published here will link its source once the sources dataset is filled.")) }
            p { a href="/" { (lang.pick("Kembali ke daftar dataset", "Back to the datasets")) } }
        };
        return Ok(layout(
            lang,
            lang.pick("Sumber data", "Data sources"),
            "/sources",
            query.as_deref(),
            body,
        ));
    };

    let t = |b: &crate::store::Bilingual| lang.pick(&b.id, &b.en).to_string();
    let title_of = |id: &str| {
        datasets
            .iter()
            .find(|d| d.id == id)
            .map(|d| t(&d.title))
            .unwrap_or_else(|| id.to_string())
    };
    let column_title = |dataset: &str, column: &str| {
        datasets
            .iter()
            .find(|d| d.id == dataset)
            .and_then(|d| d.column(column))
            .map(|(_, c)| t(&c.title))
            .unwrap_or_else(|| column.to_string())
    };
    let body = html! {
        h1 { (lang.pick("Sumber data", "Data sources")) }
        p { (t(&sources_meta.description)) }
        @if !conflict_sets.is_empty() {
            h2 id="bertentangan" { (lang.pick("Sumber yang tidak sepakat", "Where sources disagree")) }
            p { (lang.pick(
                "Untuk fakta berikut, sumber yang berbeda mencetak angka yang berbeda. Semua angka dicatat berdampingan; tidak ada yang dipilih atau dirata-rata.",
                "For these facts, different sources print different figures. Every figure is kept side by side; none is chosen or averaged.")) }
            @for (set, rows) in &conflict_sets {
                h3 { (t(&set.dataset.title)) }
                @for fact in &set.facts {
                    @let matching: Vec<&Row> = rows.iter().filter(|r| set.keys.iter().all(|k| value(r, k) == value(fact, k))).collect();
                    table {
                        caption { @for (i, k) in set.keys.iter().enumerate() { @if i > 0 { ", " } (column_title(&set.dataset.id, k)) " " strong { (shown(fact, k)) } } }
                        thead { tr {
                            th scope="col" { (lang.pick("Angka tercetak", "Figure as printed")) }
                            th scope="col" { (lang.pick("Nilai", "Value")) }
                            th scope="col" { (lang.pick("Sumber", "Source")) }
                            th scope="col" { (lang.pick("Catatan", "Note")) }
                        } }
                        tbody { @for r in matching {
                            tr {
                                td { (value(r, "nilai_tercetak")) }
                                td class="num" { (figure(value(r, "nilai"), value(r, "satuan"), lang)) }
                                td { @let s = value(r, set.dataset.source_column.as_deref().unwrap_or("sumber_id")); a href=(format!("#{s}")) { (s) } }
                                td { (value(r, "catatan")) }
                            }
                        } }
                    }
                }
            }
        }
        h2 { (lang.pick("Semua sumber", "All sources")) }
        @for source in &sources {
            @let id = value(source, "id");
            section id=(id) {
                h3 { (value(source, "penerbit")) @let judul = value(source, "judul"); @if !judul.is_empty() { ": " (judul) } }
                p {
                    code { (id) }
                    @let tanggal = value(source, "tanggal"); @if !tanggal.is_empty() { " · " (date(tanggal, lang)) }
                    @let url = value(source, "url"); @if !url.is_empty() { " · " a href=(url) rel="noopener" { (url) } }
                    @let lisensi = value(source, "lisensi"); @if !lisensi.is_empty() { " · " (lang.pick("lisensi", "licence")) " " (lisensi) }
                }
                @let note = value(source, "catatan"); @if !note.is_empty() { p { (note) } }
                @if let Some(cited) = by_source.get(id) {
                    @for (dataset, rows) in cited {
                        details {
                            summary { (title_of(dataset)) ": " (rows.len()) " " (lang.pick("baris", "rows")) }
                            ul { @for r in rows {
                                li { @for (i, f) in r.iter().filter(|f| !f.shown.is_empty() && f.column != "catatan").take(7).enumerate() {
                                    @if i > 0 { " · " } (column_title(dataset, &f.column)) ": " (f.shown)
                                } }
                            } }
                            p { a href=(format!("/datasets/{dataset}?{}={id}", datasets.iter().find(|d| &d.id == dataset).and_then(|d| d.source_column.clone()).unwrap_or_default())) { (lang.pick("Buka sebagai tabel", "Open as a table")) } }
                        }
                    }
                } @else {
                    p { (lang.pick("Belum ada angka yang mengutip sumber ini.", "No figure cites this source yet.")) }
                }
            }
        }
    };
    Ok(layout(
        lang,
        lang.pick("Sumber data", "Data sources"),
        "/sources",
        query.as_deref(),
        body,
    ))
}
