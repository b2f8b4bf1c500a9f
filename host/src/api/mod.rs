//! The open read API and the office's endpoints: axum routes, one file per resource.
//!
//! Architecture invariant: only `api/` and `web/` know HTTP. Handlers parse the request,
//! call the store or an exporter, and shape the response; they never write SQL. What they
//! share with the pages (state, errors, extractors) lives in [`crate::http`]; the router with
//! its middleware is composed above both, in [`crate::app`].

mod admin;
mod api_docs;
mod catalog;
mod datasets;
mod import;
mod indicators;
pub mod openapi;
mod params;
mod plugins;
mod rows;
mod schema;
mod sql;
mod submissions;
mod upload;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, extract::State};

pub use sql::MAX_BODY_BYTES as MAX_SQL_BODY_BYTES;

use crate::http::auth::{require_account, require_admin};
use crate::http::{ApiError, AppState, caching, download};

/// The open routes: no token, rate-limited and cut off at the request timeout by `app()`.
/// Every route here is described in `/openapi.json`; a debug build refuses to start when the
/// two disagree.
pub fn open_routes() -> Router<AppState> {
    openapi::Recorder::new()
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
        .route("/metrics", get(crate::http::metrics::metrics))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/api/docs", get(api_docs::page))
        .finish()
}

/// The routes behind a token: the office's plugin and data operations (admins) and plugin
/// submissions (any token holder). Each group has its own body limit; none is cut off by the
/// open routes' timeout, since an import or install that outlived it would still commit after
/// the client had been told 504.
pub fn token_routes(state: &AppState) -> Router<AppState> {
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
            require_admin,
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
            require_account,
        ));
    let data_admin = Router::new()
        .route("/admin/datasets", post(import::create))
        .route("/admin/datasets/{id}/import", post(import::import))
        .layer(axum::extract::DefaultBodyLimit::max(state.max_import_bytes))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_admin,
        ));
    admin.merge(accounts).merge(data_admin)
}

/// Kesehatan / health check
///
/// 200 when the database answers, with how much capacity is in use (readers for pages,
/// readers and slots for downloads). The database is read on a connection of its own, so it
/// never waits for a busy pool, at most once every 100 ms (a check within that answers for
/// it); the capacity figures are always current. Never cached (`Cache-Control: no-store`).
#[utoipa::path(get, path = "/healthz", tag = "meta", operation_id = "health",
    responses(
        (status = 200, description = "The service and its database answer.", body = schema::Health),
        openapi::responses::ServerErrors,
    ))]
async fn healthz(State(app): State<AppState>) -> Result<Response, ApiError> {
    let healthy = match app.store.recent_health() {
        Some(healthy) => healthy,
        None => {
            let store = app.store.clone();
            tokio::task::spawn_blocking(move || store.health_blocking())
                .await
                .map_err(|e| ApiError::from(crate::store::StoreError::Task(e.to_string())))?
        }
    };
    health(&app, healthy)
}

/// The health answer: 200 with what capacity is in use, or 503 when the database cannot be
/// read.
fn health(app: &AppState, healthy: bool) -> Result<Response, ApiError> {
    if !healthy {
        return Err(ApiError::unavailable(
            "database_unavailable",
            "the database cannot be read",
            5,
        ));
    }
    let capacity = app.store.capacity();
    let (exports, export_slots) = app.export_limiter.usage();
    let body = schema::Health {
        status: "ok",
        capacity: schema::Capacity {
            readers: schema::Usage {
                in_use: capacity.readers_in_use,
                size: capacity.readers,
            },
            export_readers: schema::Usage {
                in_use: capacity.export_readers_in_use,
                size: capacity.export_readers,
            },
            exports: schema::ExportUsage {
                running: exports,
                limit: export_slots,
            },
        },
    };
    // A health check must reach the server every time.
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response())
}

/// `GET /healthz` answered before routing and the layers a health check does not need (the
/// timeout, compression, the route table), like a cached answer: monitors and load
/// balancers poll it all the time, and it cost half again as much as a cached answer. It
/// keeps the per-address limit and is counted under its route in `/metrics`. When the
/// store's last check is too old to reuse, the routed handler asks the database.
pub async fn health_first(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != axum::http::Method::GET || request.uri().path() != "/healthz" {
        return next.run(request).await;
    }
    let started = std::time::Instant::now();
    // Asked first, so a request handed on is limited and counted once, by the routed stack.
    let Some(healthy) = app.store.recent_health() else {
        return next.run(request).await;
    };
    if let Some(refusal) = crate::http::ratelimit::refusal_before_routing(&app, &request) {
        app.health_meters
            .count(&app.metrics, refusal.status().as_u16(), started);
        return refusal;
    }
    let response = health(&app, healthy).unwrap_or_else(IntoResponse::into_response);
    app.health_meters
        .count(&app.metrics, response.status().as_u16(), started);
    response
}

/// Indeks API / API index
///
/// Name, description, version, links to every endpoint and the row parameters.
#[utoipa::path(get, path = "/api", tag = "meta", operation_id = "index",
    params(params::Conditional),
    responses(
        (status = 200, description = "The index.", body = schema::Index),
        (status = 304, response = openapi::responses::NotModified),
    ))]
async fn index(headers: axum::http::HeaderMap) -> Response {
    caching::json_tagged(
        &headers,
        &schema::Index {
            name: "logam",
            description: crate::store::Bilingual {
                id: "Data terbuka IKM logam Purbalingga: klaster knalpot, pemasok suku cadang dan handle dongkrak, program Dinperindag dan UPT Logam.".into(),
                en: "Open data on Purbalingga's small metal-working industry: the exhaust-pipe cluster, its spare-part and jack-handle suppliers, and the programmes of the regency's industry office.".into(),
            },
            version: env!("CARGO_PKG_VERSION"),
            links: INDEX_LINKS.iter().copied().collect(),
            parameters: crate::http::params::described_row_parameters(),
        },
    )
}

const INDEX_LINKS: &[(&str, &str)] = &[
    ("datasets", "/api/datasets"),
    ("dataset", "/api/datasets/{id}"),
    ("rows", "/api/datasets/{id}/rows"),
    ("row", "/api/datasets/{id}/rows/{key}"),
    (
        "export",
        "/api/datasets/{id}/rows.{ext} (every format in /api/formats)",
    ),
    ("revisions", "/api/datasets/{id}/revisions"),
    ("changes", "/api/datasets/{id}/changes"),
    ("formats", "/api/formats"),
    ("sql", "/api/sql?sql=SELECT ..."),
    ("indicators", "/api/indicators"),
    ("indicator", "/api/indicators/{id}[.ext]"),
    ("plugins", "/api/plugins"),
    ("queries", "/api/datasets/{id}/queries"),
    ("health", "/healthz"),
    (
        "metrics",
        "/metrics (OpenMetrics: requests, latency, edge cache, readers, plugins)",
    ),
    ("dcat", "/catalog.jsonld (DCAT-AP 3, JSON-LD)"),
    ("data_json", "/data.json (Project Open Data v1.1)"),
    (
        "datapackage",
        "/datapackage.json (Frictionless Data Package, every dataset)",
    ),
    ("dataset_datapackage", "/datasets/{id}/datapackage.json"),
    ("openapi", "/openapi.json"),
    ("docs", "/api/docs"),
];

/// Which formats to list.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // a declaration: `formats` reads the query itself
pub struct FormatsQuery {
    /// Only the formats that can export this dataset's rows (GeoJSON only where there are
    /// coordinates): the ones its links and its page offer.
    dataset: Option<String>,
}

/// Format unduhan / download formats
///
/// The native formats (csv, json, ndjson) and those of the exporter plugins installed now,
/// with what each fits (datasets, indicators); with `dataset`, those that fit its columns.
#[utoipa::path(get, path = "/api/formats", tag = "meta", operation_id = "formats",
    params(FormatsQuery, params::Conditional),
    responses(
        (status = 200, description = "The formats.", body = schema::Formats),
        (status = 304, response = openapi::responses::NotModified),
        openapi::responses::LookupErrors,
    ))]
async fn formats(
    State(app): State<AppState>,
    headers: axum::http::HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, ApiError> {
    let dataset = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "dataset")
        .map(|(_, value)| value.into_owned());
    let formats = match dataset {
        None => download::all_formats(&app.plugins),
        Some(dataset) => {
            let meta = app.store.read(move |s| s.dataset(&dataset)).await?;
            download::asking_exporters(&app.plugins, move |plugins| {
                download::formats_for_dataset(plugins, &meta)
            })
            .await?
        }
    };
    Ok(caching::json_tagged(&headers, &schema::Formats { formats }))
}
