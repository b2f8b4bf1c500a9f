//! `/`: what logam is, and every dataset with links to its data.

use axum::extract::{RawQuery, State};
use axum::response::Response;

use super::format::integer;
use super::{Lang, escape, layout};
use crate::api::{ApiError, AppState};

pub async fn home(
    lang: Lang,
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (datasets, revisions) = app
        .store
        .read(|session| Ok((session.datasets(true)?, session.revisions(None, 5)?)))
        .await?;

    let mut items = String::new();
    for meta in &datasets {
        let id = escape(&meta.id);
        items.push_str(&format!(
            "<li><h3><a href=\"/datasets/{id}{lang_q}\">{title}</a></h3><p>{description}</p><p>{rows} {rows_word} · {rev_word} {rev} · \
             <a href=\"/api/datasets/{id}\">{meta_word}</a> · <a href=\"/api/datasets/{id}/rows\">JSON</a> · \
             <a href=\"/api/datasets/{id}/rows.csv?_bom=1\">CSV (Excel)</a></p></li>\n",
            title = escape(lang.pick(&meta.title.id, &meta.title.en)),
            description = escape(lang.pick(&meta.description.id, &meta.description.en)),
            rows = integer(meta.row_count, lang),
            rows_word = lang.pick("baris", "rows"),
            rev_word = lang.pick("revisi", "revision"),
            rev = meta.revision,
            meta_word = lang.pick("metadata dan sumber", "metadata and sources"),
            lang_q = lang.pick("", "?lang=en"),
        ));
    }
    let mut indicators = String::new();
    for plugin in app.plugins.indicators() {
        if let Some(info) = plugin.indicator_info() {
            indicators.push_str(&format!(
                "<li><a href=\"/indicators/{id}{lang_q}\">{title}</a>: {description}</li>\n",
                id = escape(&plugin.id),
                title = escape(lang.pick(&info.title.id, &info.title.en)),
                description = escape(lang.pick(&info.description.id, &info.description.en)),
                lang_q = lang.pick("", "?lang=en"),
            ));
        }
    }
    let mut latest = String::new();
    for r in &revisions {
        latest.push_str(&format!(
            "<li>{rev_word} {rev} · <a href=\"/datasets/{id}{lang_q}\">{id}</a> · {when} · {message} ({added} {added_word})</li>\n",
            rev_word = lang.pick("Revisi", "Revision"),
            rev = r.revision,
            id = escape(&r.dataset),
            when = escape(&super::format::date(r.created_at.get(..10).unwrap_or(&r.created_at), lang)),
            message = escape(&r.message),
            added = integer(r.rows_added, lang),
            added_word = lang.pick("baris ditambahkan", "rows added"),
            lang_q = lang.pick("", "?lang=en"),
        ));
    }
    let body = format!(
        "<header><h1>logam</h1><p>{tagline}</p><p><a href=\"/api\">API</a> · \
         <a href=\"{sql_href}\">{sql_word}</a></p></header>\
         <section><h2>{datasets_word}</h2><ul>\n{items}</ul></section>\
         <section><h2>{indicators_word}</h2><ul>\n{indicators}</ul></section>\
         <section><h2>{latest_word}</h2><ul>\n{latest}</ul></section>",
        indicators_word = lang.pick("Indikator", "Indicators"),
        latest_word = lang.pick("Revisi terbaru", "Latest revisions"),
        tagline = lang.pick(
            "Data terbuka tentang industri kecil logam Purbalingga: klaster knalpot, pemasok suku cadang, program Dinperindag dan UPT Logam. Setiap angka menyebut sumbernya.",
            "Open data on Purbalingga's small metal-working industry: the exhaust-pipe cluster, its suppliers, and the programmes of the industry office. Every figure names its source."
        ),
        sql_href = lang.pick("/sql", "/sql?lang=en"),
        sql_word = lang.pick("Tanya dengan SQL", "Query with SQL"),
        datasets_word = lang.pick("Dataset", "Datasets"),
    );
    Ok(layout(
        lang,
        lang.pick(
            "data terbuka IKM logam Purbalingga",
            "open data on Purbalingga's metal-working industry",
        ),
        "/",
        query.as_deref(),
        &body,
    ))
}
