//! What the open API (`api/`) and the pages (`web/`) share: the state every handler holds, the
//! one JSON error shape, the extractors, query-string parsing, ETags, the format a download
//! names, authentication, the page layout and the admission limits.
//!
//! It sits beneath both rooms so that neither imports the other: `api/` and `web/` each build
//! their routes from what is here, and `app.rs` composes them.

pub mod admission;
pub mod auth;
pub mod caching;
pub mod declared;
pub mod download;
pub mod edge_cache;
mod error;
mod extract;
pub mod metrics;
pub mod page;
pub mod params;
pub mod ratelimit;
mod state;

pub use admission::{ExportLimiter, ExportPermit, SqlLimiter, SqlPermit};
pub use download::all_formats;
pub use edge_cache::{EdgeCache, EdgeCacheConfig};
pub use error::{ApiError, ErrorBody, ErrorDetail, ErrorForPage};
pub use extract::{ClientAddr, Lang, PathParams, TrustedProxies};
pub use ratelimit::RateLimiter;
pub use state::{AppState, Services};

/// `scheme://host` as the client addressed this server, for links that are copied, stored
/// or followed later from elsewhere (next pages, catalogs, citations, embed snippets): the
/// Host header (and `X-Forwarded-Proto: https` behind a TLS proxy). A Host with unexpected
/// characters is ignored rather than echoed, and then links stay relative.
pub fn public_base(headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        });
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    host.map(|h| format!("{scheme}://{h}")).unwrap_or_default()
}
