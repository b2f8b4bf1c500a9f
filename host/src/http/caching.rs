//! Conditional GETs. An ETag names the dataset state (revision and schema version) and a hash
//! of what was asked for, so a client's copy stays valid exactly as long as the data it was
//! computed from; a matching If-None-Match is answered 304 before any row is read.

use axum::http::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::store::DatasetState;

/// Short enough for a browser to keep, long enough that a journalist refreshing a chart sees
/// a new revision within a minute.
pub const CACHE_CONTROL_VALUE: &str = "public, max-age=60";

/// Identifies one representation: the path, the query string and the format.
pub fn request_key(path: &str, query: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(query.unwrap_or("").as_bytes());
    let digest = hasher.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Weak, because compression may change the bytes while the content stays the same.
pub fn etag(state: DatasetState, key: &str) -> String {
    format!("W/\"{}.{}-{key}\"", state.revision, state.schema_version)
}

/// The dataset state the client says it holds for this representation, if any.
pub fn client_state(headers: &HeaderMap, key: &str) -> Option<DatasetState> {
    let header = headers.get(IF_NONE_MATCH)?.to_str().ok()?;
    header.split(',').find_map(|candidate| {
        let tag = candidate.trim().trim_start_matches("W/").trim_matches('"');
        let (version, tag_key) = tag.split_once('-')?;
        if tag_key != key {
            return None;
        }
        let (revision, schema) = version.split_once('.')?;
        Some(DatasetState {
            revision: revision.parse().ok()?,
            schema_version: schema.parse().ok()?,
        })
    })
}

/// Adds the caching headers to a response for `state`.
pub fn with_cache_headers(mut response: Response, state: DatasetState, key: &str) -> Response {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag(state, key)) {
        headers.insert(ETAG, value);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL_VALUE));
    response
}

pub fn not_modified(state: DatasetState, key: &str) -> Response {
    with_cache_headers(StatusCode::NOT_MODIFIED.into_response(), state, key)
}

/// Caching for a response computed in memory with no dataset state of its own (the API index,
/// the format list, an indicator's result): a weak ETag from the bytes themselves, and a 304
/// when the client already holds them.
pub fn content_tagged(
    request_headers: &HeaderMap,
    mut response: Response,
    body: &[u8],
) -> Response {
    let etag = content_etag(body);
    let matches = request_headers
        .get(IF_NONE_MATCH)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.split(',').any(|c| c.trim() == etag || c.trim() == "*"));
    if matches {
        response = StatusCode::NOT_MODIFIED.into_response();
    }
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, value);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL_VALUE));
    response
}

/// What a revision-pinned answer may be kept for: a year, unchanged.
pub const IMMUTABLE_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// A page or download pinned with `_as_of=` to a revision can never change (one not reached
/// yet is refused before this): browsers, proxies and CDNs may keep it for good. The check
/// against the current revision stays, so that the rule holds if that refusal ever goes.
pub fn pinned(mut response: Response, as_of: Option<i64>, state: DatasetState) -> Response {
    if as_of.is_some_and(|revision| revision <= state.revision) {
        response.headers_mut().insert(
            CACHE_CONTROL,
            HeaderValue::from_static(IMMUTABLE_CACHE_CONTROL),
        );
    }
    response
}

/// Marks an answer that shows live figures (call counts, latencies): browsers and the edge
/// cache must ask again every time (the ETag still saves the bytes when nothing changed).
pub fn live(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The weak ETag of an answer with no dataset state of its own: a hash of its bytes.
pub fn content_etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let tag: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("W/\"c-{tag}\"")
}

/// A JSON value as a response with a content ETag.
pub fn json_tagged<T: serde::Serialize + ?Sized>(
    request_headers: &HeaderMap,
    value: &T,
) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let response = (
        [(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.clone(),
    )
        .into_response();
    content_tagged(request_headers, response, &body)
}
