//! `/`: what logam is, and every dataset with links to its data.

use axum::extract::{RawQuery, State};
use axum::response::Response;

use super::{Lang, escape, group_thousands, layout};
use crate::api::{ApiError, AppState};

pub async fn home(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let lang = Lang::from_query(query.as_deref());
    let datasets = app.store.read(|session| session.datasets(true)).await?;
    let english = lang == Lang::En;

    let mut items = String::new();
    for meta in &datasets {
        let id = escape(&meta.id);
        items.push_str(&format!(
            "<li><h3>{title}</h3><p>{description}</p><p>{rows} {rows_word} · {rev_word} {rev} · \
             <a href=\"/api/datasets/{id}\">{meta_word}</a> · <a href=\"/api/datasets/{id}/rows\">JSON</a> · \
             <a href=\"/api/datasets/{id}/rows.csv?_bom=1\">CSV (Excel)</a></p></li>\n",
            title = escape(lang.pick(&meta.title.id, &meta.title.en)),
            description = escape(lang.pick(&meta.description.id, &meta.description.en)),
            rows = group_thousands(meta.row_count, english),
            rows_word = lang.pick("baris", "rows"),
            rev_word = lang.pick("revisi", "revision"),
            rev = meta.revision,
            meta_word = lang.pick("metadata dan sumber", "metadata and sources"),
        ));
    }
    let body = format!(
        "<header><h1>logam</h1><p>{tagline}</p><p><a href=\"/api\">API</a> · \
         <a href=\"{sql_href}\">{sql_word}</a></p></header>\
         <section><h2>{datasets_word}</h2><ul>\n{items}</ul></section>",
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
