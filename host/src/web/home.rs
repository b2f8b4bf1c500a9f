//! `/`: what logam is, and every dataset with links to its data.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use maud::html;

use super::format::{date, integer};
use super::{Lang, layout};
use crate::http::{ApiError, AppState};

pub async fn home(
    lang: Lang,
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (datasets, revisions) = app
        .store
        .read(|session| Ok((session.datasets(true)?, session.revisions(None, 5)?)))
        .await?;
    let lang_query = lang.pick("", "?lang=en");
    let indicators: Vec<_> = app
        .plugins
        .indicators()
        .into_iter()
        .filter_map(|plugin| {
            let info = plugin.indicator_info()?;
            Some((
                plugin.id.clone(),
                lang.pick(&info.title.id, &info.title.en).to_string(),
                lang.pick(&info.description.id, &info.description.en)
                    .to_string(),
            ))
        })
        .collect();
    let body = html! {
        header {
            h1 { "logam" }
            p { (lang.pick(
                "Data terbuka tentang industri kecil logam Purbalingga: klaster knalpot, pemasok suku cadang, program Dinperindag dan UPT Logam. Setiap angka menyebut sumbernya.",
                "Open data on Purbalingga's small metal-working industry: the exhaust-pipe cluster, its suppliers, and the programmes of the industry office. Every figure names its source.",
            )) }
            p {
                a href="/api" { "API" }
                " · "
                a href=(lang.pick("/sql", "/sql?lang=en")) { (lang.pick("Tanya dengan SQL", "Query with SQL")) }
            }
        }
        section {
            h2 { (lang.pick("Dataset", "Datasets")) }
            ul {
                @for meta in &datasets {
                    li {
                        h3 { a href={ "/datasets/" (meta.id) (lang_query) } { (lang.pick(&meta.title.id, &meta.title.en)) } }
                        p { (lang.pick(&meta.description.id, &meta.description.en)) }
                        p {
                            (integer(meta.row_count, lang)) " " (lang.pick("baris", "rows"))
                            " · " (lang.pick("revisi", "revision")) " " (meta.revision) " · "
                            a href={ "/api/datasets/" (meta.id) } { (lang.pick("metadata dan sumber", "metadata and sources")) }
                            " · "
                            a href={ "/api/datasets/" (meta.id) "/rows" } { "JSON" }
                            " · "
                            a href={ "/api/datasets/" (meta.id) "/rows.csv?_bom=1" } { "CSV (Excel)" }
                        }
                    }
                }
            }
        }
        section {
            h2 { (lang.pick("Indikator", "Indicators")) }
            ul {
                @for (id, title, description) in &indicators {
                    li { a href={ "/indicators/" (id) (lang_query) } { (title) } ": " (description) }
                }
            }
        }
        section {
            h2 { (lang.pick("Revisi terbaru", "Latest revisions")) }
            ul {
                @for r in &revisions {
                    li {
                        (lang.pick("Revisi", "Revision")) " " (r.revision) " · "
                        a href={ "/datasets/" (r.dataset) (lang_query) } { (r.dataset) }
                        " · " (date(r.created_at.get(..10).unwrap_or(&r.created_at), lang))
                        " · " (r.message)
                        " (" (integer(r.rows_added, lang)) " " (lang.pick("baris ditambahkan", "rows added")) ")"
                    }
                }
            }
        }
    };
    Ok(layout(
        lang,
        lang.pick(
            "data terbuka IKM logam Purbalingga",
            "open data on Purbalingga's metal-working industry",
        ),
        "/",
        query.as_deref(),
        body,
    ))
}
