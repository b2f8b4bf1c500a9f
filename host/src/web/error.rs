//! Errors as pages. A handler of a page fails with the same `ApiError` as the API does; a
//! reader's browser then gets a page in the reader's language saying what went wrong and
//! where to go next, with the same status (404 stays 404, 503 keeps its `Retry-After`),
//! instead of a JSON body. The API's routes keep JSON: this layer is only on the pages.

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use maud::html;

use super::{Lang, layout};
use crate::http::ErrorForPage;

/// Turns a page's JSON error into an HTML page; any other response passes untouched.
pub async fn html_errors(lang: Lang, request: Request, next: Next) -> Response {
    // A `Uri` clone shares its bytes: nothing is copied for the pages that succeed.
    let uri = request.uri().clone();
    let mut response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let Some(error) = response.extensions_mut().remove::<ErrorForPage>() else {
        return response;
    };
    let retry_after = response.headers().get(RETRY_AFTER).cloned();
    let mut page = page(lang, status, &error, uri.path(), uri.query());
    if let Some(retry_after) = retry_after {
        page.headers_mut().insert(RETRY_AFTER, retry_after);
    }
    page
}

/// The page for an error at `path`.
pub fn page(
    lang: Lang,
    status: StatusCode,
    error: &ErrorForPage,
    path: &str,
    query: Option<&str>,
) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => lang.pick("Halaman tidak ditemukan", "Page not found"),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => lang.pick(
            "Sedang sibuk: coba lagi sebentar lagi",
            "Busy: try again in a moment",
        ),
        StatusCode::GATEWAY_TIMEOUT => lang.pick("Waktu habis", "Timed out"),
        s if s.is_client_error() => lang.pick(
            "Permintaan ini tidak dapat dijawab",
            "This request cannot be answered",
        ),
        _ => lang.pick(
            "Terjadi kesalahan di server",
            "Something went wrong on the server",
        ),
    };
    let home = lang.pick("/", "/?lang=en");
    // A page asked with bad parameters is worth trying again without them.
    let plain_page = (query.is_some_and(|q| !q.is_empty()) && status.is_client_error())
        .then(|| format!("{path}{}", lang.pick("", "?lang=en")));
    let body = html! {
        div class="error" role="alert" {
            h1 { (title) }
            p { (error.message) }
            @if !error.hint.is_empty() { p { small { (error.hint) } } }
            p { small { (lang.pick("Kode galat", "Error code")) ": " code { (error.code) } " · HTTP " (status.as_u16()) } }
        }
        ul {
            @if let Some(plain_page) = &plain_page {
                li { a href=(plain_page) { (lang.pick("Buka halaman ini dengan nilai bawaan", "Open this page with the defaults")) } }
            }
            li { a href=(home) { (lang.pick("Kembali ke daftar dataset dan indikator", "Back to the datasets and indicators")) } }
        }
    };
    let mut response = layout(lang, title, path, query, body);
    *response.status_mut() = status;
    // An error is never kept by a shared cache: the next request may well succeed.
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
