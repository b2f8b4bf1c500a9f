//! The open read API: axum routes, one file per resource.
//!
//! Architecture invariant: only `api/` and `web/` know HTTP. Handlers parse the request,
//! call the store or an exporter, and shape the response; they never write SQL.

mod admin;
mod api_docs;
pub(crate) mod caching;
mod catalog;
mod datasets;
mod download;
mod error;
mod import;
mod indicators;
pub mod openapi;
pub(crate) mod params;
mod plugins;
mod ratelimit;
mod rows;
mod sql;
mod submissions;

use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::header::{ETAG, HeaderName};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, extract::State};
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use download::all_formats;
pub use error::ApiError;
pub use ratelimit::RateLimiter;
pub use sql::{ClientAddr, SqlLimiter, parameter_names};

use crate::store::Store;

/// `axum::extract::Path` whose rejection is our JSON error rather than plain text.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct PathParams<T>(pub T);

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub sql_limiter: SqlLimiter,
    pub plugins: std::sync::Arc<crate::plugins::PluginHost>,
    /// The bearer token that opens `/admin/*`; `None` keeps it closed.
    pub admin_token: Option<std::sync::Arc<str>>,
    /// Largest plugin upload, in bytes.
    pub max_plugin_bytes: usize,
    /// Per-address limit on the open endpoints (off unless the server sets one).
    pub rate_limiter: RateLimiter,
    /// Serialises review decisions (approve, reject).
    pub review_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Largest import (or schema) upload, in bytes.
    pub max_import_bytes: usize,
}

impl AppState {
    pub fn new(store: Store, plugins: std::sync::Arc<crate::plugins::PluginHost>) -> Self {
        AppState {
            store,
            sql_limiter: SqlLimiter::new(2),
            plugins,
            admin_token: None,
            max_plugin_bytes: 32 << 20,
            rate_limiter: RateLimiter::default(),
            review_lock: Default::default(),
            max_import_bytes: 64 << 20,
        }
    }
}

/// All routes with their middleware. Tests drive this same router on a real socket.
pub fn app(state: AppState) -> Router {
    let admin = Router::new()
        .route("/admin/plugins", post(admin::install))
        .route("/admin/plugins/{id}/{action}", post(admin::act))
        .route(
            "/admin/plugins/submissions/{id}/approve",
            post(submissions::approve),
        )
        .route(
            "/admin/plugins/submissions/{id}/reject",
            post(submissions::reject),
        )
        .route("/admin/audit", get(admin::audit_log))
        .layer(axum::extract::DefaultBodyLimit::max(state.max_plugin_bytes))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin::require_admin,
        ));
    // For any token holder: contributors send plugins for review here.
    let accounts = Router::new()
        .route(
            "/api/plugins/submissions",
            get(submissions::list).post(submissions::submit),
        )
        .route("/api/plugins/submissions/{id}", get(submissions::show))
        .layer(axum::extract::DefaultBodyLimit::max(state.max_plugin_bytes))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin::require_account,
        ));
    let data_admin = Router::new()
        .route("/admin/datasets", post(import::create))
        .route("/admin/datasets/{id}/import", post(import::import))
        .layer(axum::extract::DefaultBodyLimit::max(state.max_import_bytes))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin::require_admin,
        ));
    // Open routes go through the recorder, which checks them against the OpenAPI route list.
    let api = openapi::Recorder::new()
        .route("/healthz", get(healthz))
        .route("/api", get(index))
        .route("/api/formats", get(formats))
        .route("/catalog.jsonld", get(catalog::dcat))
        .route("/data.json", get(catalog::pod))
        .route("/datapackage.json", get(catalog::package))
        .route(
            "/datasets/{id}/datapackage.json",
            get(catalog::dataset_package),
        )
        .route("/api/datasets", get(datasets::list))
        .route("/api/datasets/{id}", get(datasets::show))
        .route("/api/datasets/{id}/revisions", get(datasets::revisions))
        .route("/api/datasets/{id}/changes", get(import::changes))
        .route("/api/datasets/{id}/{resource}", get(rows::rows))
        .route("/api/datasets/{id}/rows/{key}", get(rows::row))
        .route("/api/datasets/{id}/queries", get(sql::canned_list))
        .route("/api/datasets/{id}/queries/{name}", get(sql::canned_run))
        .route("/api/indicators", get(indicators::list))
        .route("/api/indicators/{id}", get(indicators::show))
        .route("/api/plugins", get(plugins::list))
        .route("/api/plugins/{id}", get(plugins::show))
        .route("/api/sql", get(sql::sql_get).post(sql::sql_post))
        .route(
            "/api/sql.csv",
            get(sql::sql_csv_get).post(sql::sql_csv_post),
        )
        .route(
            "/api/sql.json",
            get(sql::sql_json_get).post(sql::sql_json_post),
        )
        .route(
            "/api/sql.ndjson",
            get(sql::sql_ndjson_get).post(sql::sql_ndjson_post),
        )
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/api/docs", get(api_docs::page))
        .merge(crate::web::routes())
        .layer(axum::extract::DefaultBodyLimit::max(sql::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ratelimit::limit,
        ))
        // Open requests answer within 30 s. The admin routes merged below are not cut off:
        // an import or install that outlived a timeout would still commit after the client
        // had been told 504.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(30),
        ))
        .merge(admin)
        .merge(accounts)
        .merge(data_admin)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);

    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::OPTIONS])
        .allow_headers(Any)
        .expose_headers([ETAG, HeaderName::from_static("content-disposition")]);

    api.layer(CompressionLayer::new().gzip(true).br(true))
        .layer(cors)
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the server failed to answer this request",
                "try again; if it keeps failing, tell the maintainers the time of the request",
            )
            .into_response()
        }))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                    )
                })
                .on_request(())
                .on_response(
                    |response: &Response, latency: Duration, _span: &tracing::Span| {
                        tracing::info!(
                            status = response.status().as_u16(),
                            micros = latency.as_micros() as u64,
                            "response"
                        );
                    },
                )
                .on_failure(()),
        )
}

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

async fn healthz(State(app): State<AppState>) -> Result<Response, ApiError> {
    app.store.read(|session| session.catalog_version()).await?;
    // A health check must reach the server every time.
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(json!({"status": "ok"})),
    )
        .into_response())
}

async fn index(headers: axum::http::HeaderMap) -> Response {
    caching::json_tagged(
        &headers,
        &json!({
            "name": "logam",
            "description": {
                "id": "Data terbuka IKM logam Purbalingga: klaster knalpot, pemasok suku cadang dan handle dongkrak, program Dinperindag dan UPT Logam.",
                "en": "Open data on Purbalingga's small metal-working industry: the exhaust-pipe cluster, its spare-part and jack-handle suppliers, and the programmes of the regency's industry office."
            },
            "version": env!("CARGO_PKG_VERSION"),
            "links": {
                "datasets": "/api/datasets",
                "dataset": "/api/datasets/{id}",
                "rows": "/api/datasets/{id}/rows",
                "row": "/api/datasets/{id}/rows/{key}",
                "export": "/api/datasets/{id}/rows.{ext} (every format in /api/formats)",
                "revisions": "/api/datasets/{id}/revisions",
                "formats": "/api/formats",
                "sql": "/api/sql?sql=SELECT ...",
                "indicators": "/api/indicators",
                "indicator": "/api/indicators/{id}[.ext]",
                "plugins": "/api/plugins",
                "queries": "/api/datasets/{id}/queries",
                "health": "/healthz",
                "dcat": "/catalog.jsonld (DCAT-AP 3, JSON-LD)",
                "data_json": "/data.json (Project Open Data v1.1)",
                "datapackage": "/datapackage.json (Frictionless Data Package, every dataset)",
                "dataset_datapackage": "/datasets/{id}/datapackage.json",
                "openapi": "/openapi.json",
                "docs": "/api/docs"
            },
            "parameters": {
                "col=value": "exact match on a column",
                "col__OP=value": "OP: exact, not, gt, gte, lt, lte, contains, startswith, in (comma list), isnull (1/0)",
                "_sort / _sort_desc": "sort by a column",
                "_size": "rows per page, 1 to 1000 (default 100)",
                "_next": "the `next` token of the previous page",
                "_col": "comma list of columns to return",
                "_facet": "count the values of a column in the filtered rows (repeatable)",
                "_q": "full-text search in the text columns",
                "_count": "1 to include the total count of the filtered rows",
                "_bom": "1 to start a CSV with a byte-order mark for Excel",
                "_as_of": "a revision number: the data as it was then (citable forever)"
            }
        }),
    )
}

async fn formats(State(app): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    caching::json_tagged(
        &headers,
        &json!({ "formats": download::all_formats(&app.plugins) }),
    )
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!(
        "nothing at {}",
        uri.path().chars().take(200).collect::<String>()
    ))
}

/// RFC 9110 wants `Allow` on a 405; the route's methods come from the OpenAPI route list.
async fn method_not_allowed(method: Method, route: Option<axum::extract::MatchedPath>) -> Response {
    let allow = route
        .and_then(|r| openapi::allowed_methods(r.as_str()))
        .unwrap_or_else(|| "GET, HEAD".to_string());
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed here"),
        format!("this resource answers {allow}"),
    )
    .into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&allow) {
        response
            .headers_mut()
            .insert(axum::http::header::ALLOW, value);
    }
    response
}
