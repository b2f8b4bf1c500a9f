//! Pages for people: home, datasets, indicators with their charts and embeds, sources, plugins,
//! the SQL page and canned-query forms. Server-rendered with maud, no JavaScript, Indonesian
//! first (`?lang=en` or `Accept-Language` for English). What the pages share with the API
//! comes from `http/`; this room never imports `api/`.

mod chart;
mod cite;
mod dataset;
pub mod error;
pub mod format;
mod home;
mod indicator;
mod plugins;
mod png;
mod sources;
mod sql;

use axum::Router;
use axum::routing::get;

use crate::http::AppState;
/// What every page uses from the shared HTTP room, under the names the pages know.
pub(crate) use crate::http::page::{escape, layout};
pub(crate) use crate::http::{Lang, public_base};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/sql", get(sql::sql_page))
        .route("/datasets/{id}", get(dataset::page))
        .route("/datasets/{id}/queries/{name}", get(sql::canned_page))
        .route("/indicators/{id}", get(indicator::page))
        .route("/embed/indicators/{id}", get(indicator::embed))
        .route("/sources", get(sources::page))
        .route("/plugins", get(plugins::page))
        .layer(axum::middleware::from_fn(error::html_errors))
}
