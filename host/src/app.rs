//! The composition root: the open API, the pages and the token routes in one router, with the
//! middleware every request goes through. It sits above `api/` and `web/` so that neither of
//! them needs the other. Tests drive this same router on a real socket.

use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::header::{ETAG, HeaderName};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate as _};
use tower_http::cors::{Any, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::http::{ApiError, AppState, ErrorForPage, Lang, edge_cache, metrics, ratelimit};
use crate::{api, web};

/// How long an open request may take before it is answered 504.
pub const OPEN_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// All routes with their middleware.
pub fn app(state: AppState) -> Router {
    let open = api::open_routes()
        .merge(web::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            edge_cache::serve,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            api::MAX_SQL_BODY_BYTES,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ratelimit::limit,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            OPEN_REQUEST_TIMEOUT,
        ));
    let routes = open
        .merge(api::token_routes(&state))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::record,
        ))
        .with_state(state.clone());

    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::OPTIONS])
        .allow_headers(Any)
        .expose_headers([ETAG, HeaderName::from_static("content-disposition")]);

    let routed = routes.layer(
        CompressionLayer::new()
            .gzip(true)
            .br(true)
            .compress_when(DefaultPredicate::new().and(edge_cache::NotFromEdgeCache)),
    );
    // A router with nothing but a fallback: the layers above it see every request before
    // routing does, so a cached answer is given without matching a route.
    Router::new()
        .fallback_service(routed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            edge_cache::serve_hit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state,
            api::health_first,
        ))
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

/// Nothing at this address: a page for a browser outside `/api`, JSON for everyone else.
async fn not_found(lang: Lang, uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    let error = ApiError::not_found(format!(
        "nothing at {}",
        uri.path().chars().take(200).collect::<String>()
    ));
    let wants_page = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_page && !uri.path().starts_with("/api") {
        let status = error.status;
        return web::error::page(lang, status, &ErrorForPage::from(error), uri.path(), None);
    }
    error.into_response()
}

/// RFC 9110 wants `Allow` on a 405; the route's methods come from the OpenAPI route list.
async fn method_not_allowed(method: Method, route: Option<axum::extract::MatchedPath>) -> Response {
    let allow = route
        .and_then(|r| api::openapi::allowed_methods(r.as_str()))
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
