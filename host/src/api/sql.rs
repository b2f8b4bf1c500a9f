//! `/api/sql[.ext]` (ad-hoc read-only SQL) and `/api/datasets/{id}/queries[/{name}[.ext]]`
//! (the office's canned queries). Both run in the store's SQL sandbox; this file only reads
//! requests, limits each client's concurrent statements and shapes responses.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::export::{self, ExportOptions, ExportSchema, ObjectKeys};
use crate::http::caching::{client_state, not_modified, request_key, with_cache_headers};
use crate::http::download::{native_format, set_download_headers};
use crate::http::{ApiError, AppState, ClientAddr, PathParams};
use crate::store::{
    CannedQuery, ColumnType, DEFAULT_STREAM_LIMIT, DEFAULT_TIME_LIMIT, Fresh, QueryError, SqlError,
    SqlHead, SqlRequest, parameter_names,
};

/// Most rows in a JSON result.
pub const MAX_JSON_ROWS: usize = 1000;
/// Largest POST body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Most bytes of rows in a JSON result: 1000 rows of values built up to SQLite's 1 MB value
/// limit would otherwise be a gigabyte held in memory. Past it the result is `truncated`.
pub const MAX_JSON_BYTES: usize = 8 << 20;

/// Sets its flag when dropped unless disarmed. The handler's future is dropped when nobody
/// waits for it any more (an HTTP/2 stream reset, a server shutting down; hyper does not always
/// notice an HTTP/1 disconnect before the response is ready), and the running statement then
/// stops at its next progress check instead of holding its connection until the deadline.
struct CancelOnDrop {
    flag: Arc<AtomicBool>,
    armed: bool,
}

impl CancelOnDrop {
    fn new() -> Self {
        CancelOnDrop {
            flag: Arc::default(),
            armed: true,
        }
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.flag.store(true, Ordering::Relaxed);
        }
    }
}

/// How the result is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    Json,
    Export(&'static str),
}

fn output_for(extension: Option<&str>) -> Result<Output, ApiError> {
    match extension {
        None => Ok(Output::Json),
        Some(ext) => {
            native_format(ext)?;
            ["csv", "json", "ndjson"]
                .into_iter()
                .find(|native| *native == ext)
                .map(Output::Export)
                .ok_or_else(|| ApiError::not_found(format!("no SQL format .{ext}")))
        }
    }
}

fn invalid(parameter: &str, value: &str, expected: &str) -> ApiError {
    QueryError::InvalidValue {
        parameter: parameter.into(),
        value: value.chars().take(100).collect(),
        expected: expected.into(),
    }
    .into()
}

/// Reads `sql`, `_timelimit`, `_size`, `_as_of`, `_bom` and named parameters from pairs.
fn read_request(
    pairs: Vec<(String, String)>,
    output: Output,
    canned_sql: Option<&str>,
) -> Result<(SqlRequest, bool), ApiError> {
    if pairs.len() > crate::http::params::MAX_PARAMETERS {
        return Err(QueryError::TooManyParameters {
            count: pairs.len(),
            limit: crate::http::params::MAX_PARAMETERS,
        }
        .into());
    }
    let mut sql = canned_sql.map(str::to_string);
    let mut params = HashMap::new();
    let mut time_limit = DEFAULT_TIME_LIMIT;
    let mut max_rows = MAX_JSON_ROWS;
    let mut as_of = None;
    let mut bom = false;
    for (key, value) in pairs {
        match key.as_str() {
            "sql" if canned_sql.is_none() => sql = Some(value),
            "_timelimit" => {
                let ms: u64 = value
                    .parse()
                    .ok()
                    .filter(|ms| (1..=DEFAULT_TIME_LIMIT.as_millis() as u64).contains(ms))
                    .ok_or_else(|| invalid(&key, &value, "milliseconds from 1 to 1000"))?;
                time_limit = Duration::from_millis(ms);
            }
            "_size" if output == Output::Json => {
                max_rows = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_JSON_ROWS).contains(n))
                    .ok_or_else(|| invalid(&key, &value, "a whole number from 1 to 1000"))?;
            }
            "_as_of" => {
                as_of = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| invalid(&key, &value, "a revision number"))?,
                )
            }
            "_bom" if output == Output::Export("csv") => {
                bom = crate::http::params::flag(&key, &value)?
            }
            "lang" => {}
            _ if key.starts_with('_') || key == "sql" => {
                return Err(QueryError::UnknownParameter {
                    parameter: key.chars().take(100).collect(),
                }
                .into());
            }
            _ => {
                if value.len() > crate::http::params::MAX_VALUE_BYTES {
                    return Err(QueryError::ValueTooLong {
                        parameter: key,
                        length: value.len(),
                        limit: crate::http::params::MAX_VALUE_BYTES,
                    }
                    .into());
                }
                params.insert(key, value);
            }
        }
    }
    let sql = sql.ok_or_else(|| ApiError::from(crate::store::StoreError::Sql(SqlError::Empty)))?;
    Ok((
        SqlRequest {
            sql,
            params,
            as_of,
            time_limit,
            stream_limit: matches!(output, Output::Export(_)).then_some(DEFAULT_STREAM_LIMIT),
            max_rows: (output == Output::Json).then_some(max_rows),
            cancelled: None,
        },
        bom,
    ))
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// Pairs from a POST body: a form (`sql=...&name=value`) or JSON
/// (`{"sql": "...", "params": {"name": "value"}}`).
fn body_pairs(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("the body is not JSON: {e}"),
                "send {\"sql\": \"SELECT ...\", \"params\": {\"name\": \"value\"}}",
            )
        })?;
        let mut pairs = Vec::new();
        let object = value.as_object().ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                "the body must be a JSON object",
                "send {\"sql\": \"SELECT ...\"}",
            )
        })?;
        for (key, value) in object {
            match (key.as_str(), value) {
                ("params", Value::Object(params)) => {
                    for (name, value) in params {
                        let text = match value {
                            Value::String(s) => s.clone(),
                            Value::Null => continue,
                            other => other.to_string(),
                        };
                        pairs.push((name.clone(), text));
                    }
                }
                (_, Value::String(s)) => pairs.push((key.clone(), s.clone())),
                (_, Value::Number(n)) => pairs.push((key.clone(), n.to_string())),
                _ => {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_json",
                        format!("`{key}` must be a string (or `params` an object)"),
                        "send {\"sql\": \"SELECT ...\", \"params\": {\"name\": \"value\"}}",
                    ));
                }
            }
        }
        Ok(pairs)
    } else if content_type.starts_with("application/x-www-form-urlencoded")
        || content_type.is_empty()
    {
        Ok(form_urlencoded::parse(body).into_owned().collect())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("cannot read a body of type {content_type}"),
            "send application/x-www-form-urlencoded or application/json",
        ))
    }
}

fn body_too_large(rejection: BytesRejection) -> ApiError {
    ApiError::new(
        rejection.status(),
        "body_rejected",
        rejection.body_text(),
        format!("send at most {MAX_BODY_BYTES} bytes"),
    )
}

fn schema_of(head: &SqlHead) -> ExportSchema {
    ExportSchema::plain(
        head.columns.iter().map(|c| c.name.clone()).collect(),
        vec![ColumnType::Text; head.columns.len()],
    )
}

/// Runs the statement and answers in the wanted form.
/// How a result goes back: in which form, and under which cache key and file name.
struct Delivery {
    output: Output,
    bom: bool,
    cache_key: String,
    filename: String,
}

async fn respond(
    app: AppState,
    client: ClientAddr,
    request: SqlRequest,
    delivery: Delivery,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let Delivery {
        output,
        bom,
        cache_key,
        filename,
    } = delivery;
    let permit = app.sql_limiter.acquire(client.bucket())?;
    let known = client_state(headers, &cache_key);
    match output {
        Output::Json => {
            let store = app.store.clone();
            let gone = CancelOnDrop::new();
            let mut request = request;
            let flag = gone.flag.clone();
            request.cancelled = Some(Arc::new(move || flag.load(Ordering::Relaxed)));
            let outcome = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                let mut out = Vec::with_capacity(4096);
                let keys = std::cell::OnceCell::new();
                let mut head_seen = None;
                let mut rows = 0usize;
                let mut cut = false;
                let summary = store.sql_blocking(
                    &request,
                    |head| {
                        head_seen = Some(head.clone());
                        if known == Some(head.state) {
                            return ControlFlow::Break(());
                        }
                        let _ = keys.set(ObjectKeys::new(&schema_of(head)));
                        ControlFlow::Continue(())
                    },
                    |batch| {
                        if let Some(keys) = keys.get() {
                            for row in 0..batch.len() {
                                if out.len() > MAX_JSON_BYTES {
                                    cut = true;
                                    return ControlFlow::Break(());
                                }
                                if rows > 0 {
                                    out.push(b',');
                                }
                                export::write_row_object(&mut out, keys, batch, row);
                                rows += 1;
                            }
                        }
                        ControlFlow::Continue(())
                    },
                )?;
                let summary = crate::store::SqlSummary {
                    rows: rows as u64,
                    truncated: summary.truncated || cut,
                };
                Ok::<_, crate::store::StoreError>((head_seen, keys.get().is_some(), out, summary))
            })
            .await
            .map_err(|e| crate::store::StoreError::Task(e.to_string()))??;
            gone.disarm();
            let (head, ran, rows_json, summary) = outcome;
            let head = head.ok_or_else(|| {
                ApiError::from(crate::store::StoreError::Task("no result".into()))
            })?;
            if !ran {
                return Ok(not_modified(head.state, &cache_key));
            }
            let mut body = Vec::with_capacity(rows_json.len() + 256);
            body.extend_from_slice(b"{\"revision\":");
            body.extend_from_slice(head.revision.to_string().as_bytes());
            body.extend_from_slice(b",\"columns\":");
            let _ = serde_json::to_writer(&mut body, &head.columns);
            body.extend_from_slice(b",\"rows\":[");
            body.extend_from_slice(&rows_json);
            body.extend_from_slice(
                format!(
                    "],\"row_count\":{},\"truncated\":{}}}",
                    summary.rows, summary.truncated
                )
                .as_bytes(),
            );
            let response = (
                [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                body,
            )
                .into_response();
            Ok(cacheable(response, head.state, &cache_key))
        }
        Output::Export(extension) => {
            let format = native_format(extension)?;
            let exporter = export::native_exporter(
                extension,
                ExportOptions {
                    byte_order_mark: bom,
                },
            )
            .ok_or_else(|| ApiError::not_found(format!("no exporter for .{extension}")))?;
            let store = app.store.clone();
            let fresh = export::run_export(
                exporter,
                app.drain,
                move |emitter: &mut export::Emitter<SqlHead>| {
                    let _permit = permit;
                    let emitter = std::cell::RefCell::new(emitter);
                    store
                        .sql_blocking(
                            &request,
                            |head| {
                                let mut emitter = emitter.borrow_mut();
                                if known == Some(head.state) {
                                    emitter.not_modified(head.state);
                                    return ControlFlow::Break(());
                                }
                                emitter.start(head.clone(), &schema_of(head))
                            },
                            |batch| emitter.borrow_mut().batch(batch),
                        )
                        .map(|_| ())
                        .map_err(export::ExportError::from)
                },
            )
            .await?;
            match fresh {
                Fresh::NotModified(state) => Ok(not_modified(state, &cache_key)),
                Fresh::Modified((head, body)) => {
                    let mut response = Body::from_stream(body).into_response();
                    set_download_headers(&mut response, &format, &filename);
                    Ok(cacheable(response, head.state, &cache_key))
                }
            }
        }
    }
}

/// Caching headers, except for a POST (empty key), whose result depends on its body.
fn cacheable(response: Response, state: crate::store::DatasetState, cache_key: &str) -> Response {
    if cache_key.is_empty() {
        response
    } else {
        with_cache_headers(response, state, cache_key)
    }
}

fn with_retry_after(mut response: Response) -> Response {
    if (response.status() == StatusCode::TOO_MANY_REQUESTS
        || response.status() == StatusCode::SERVICE_UNAVAILABLE)
        && !response.headers().contains_key(RETRY_AFTER)
    {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

macro_rules! sql_route {
    ($get:ident, $post:ident, $ext:expr) => {
        pub async fn $get(
            State(app): State<AppState>,
            client: ClientAddr,
            RawQuery(query): RawQuery,
            headers: HeaderMap,
            uri: Uri,
        ) -> Response {
            let result = async {
                let output = output_for($ext)?;
                let (request, bom) = read_request(query_pairs(query.as_deref()), output, None)?;
                let key = request_key(uri.path(), query.as_deref());
                let delivery = Delivery {
                    output,
                    bom,
                    cache_key: key,
                    filename: "sql".into(),
                };
                respond(app, client, request, delivery, &headers).await
            }
            .await;
            with_retry_after(result.unwrap_or_else(IntoResponse::into_response))
        }

        pub async fn $post(
            State(app): State<AppState>,
            client: ClientAddr,
            RawQuery(query): RawQuery,
            headers: HeaderMap,
            body: Result<Bytes, BytesRejection>,
        ) -> Response {
            let result = async {
                let output = output_for($ext)?;
                let body = body.map_err(body_too_large)?;
                let mut pairs = query_pairs(query.as_deref());
                pairs.extend(body_pairs(&headers, &body)?);
                let (request, bom) = read_request(pairs, output, None)?;
                // A POST is not cached: its key would have to include the body.
                let delivery = Delivery {
                    output,
                    bom,
                    cache_key: String::new(),
                    filename: "sql".into(),
                };
                respond(app, client, request, delivery, &HeaderMap::new()).await
            }
            .await;
            with_retry_after(result.unwrap_or_else(IntoResponse::into_response))
        }
    };
}

sql_route!(sql_get, sql_post, None);
sql_route!(sql_csv_get, sql_csv_post, Some("csv"));
sql_route!(sql_json_get, sql_json_post, Some("json"));
sql_route!(sql_ndjson_get, sql_ndjson_post, Some("ndjson"));

fn canned_json(dataset: &str, query: &CannedQuery) -> Value {
    json!({
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "sql": query.sql,
        "parameters": parameter_names(&query.sql),
        "links": {
            "json": format!("/api/datasets/{dataset}/queries/{}", query.name),
            "csv": format!("/api/datasets/{dataset}/queries/{}.csv", query.name),
            "ndjson": format!("/api/datasets/{dataset}/queries/{}.ndjson", query.name),
            "form": format!("/datasets/{dataset}/queries/{}", query.name),
        }
    })
}

pub async fn canned_list(
    State(app): State<AppState>,
    PathParams(dataset): PathParams<String>,
) -> Result<Response, ApiError> {
    let id = dataset.clone();
    let queries = app.store.read(move |session| session.queries(&id)).await?;
    Ok(axum::Json(json!({
        "queries": queries.iter().map(|q| canned_json(&dataset, q)).collect::<Vec<_>>()
    }))
    .into_response())
}

pub async fn canned_run(
    State(app): State<AppState>,
    client: ClientAddr,
    PathParams((dataset, name)): PathParams<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let result = async {
        let (name, extension) = match name.split_once('.') {
            Some((name, ext)) => (name.to_string(), Some(ext.to_string())),
            None => (name, None),
        };
        let output = output_for(extension.as_deref())?;
        let id = dataset.clone();
        let queries = app.store.read(move |session| session.queries(&id)).await?;
        let canned = queries
            .into_iter()
            .find(|q| q.name == name)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_query",
                    format!(
                        "dataset `{dataset}` has no query `{}`",
                        name.chars().take(100).collect::<String>()
                    ),
                    format!("GET /api/datasets/{dataset}/queries lists them"),
                )
            })?;
        let (request, bom) =
            read_request(query_pairs(query.as_deref()), output, Some(&canned.sql))?;
        let key = request_key(uri.path(), query.as_deref());
        let delivery = Delivery {
            output,
            bom,
            cache_key: key,
            filename: format!("{dataset}-{name}"),
        };
        respond(app, client, request, delivery, &headers).await
    }
    .await;
    with_retry_after(result.unwrap_or_else(IntoResponse::into_response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_found_outside_quotes_only() {
        assert_eq!(
            parameter_names(
                "SELECT * FROM t WHERE a = :tahun AND b = ':not' AND c = :ukuran AND d = :tahun"
            ),
            vec!["tahun", "ukuran"]
        );
        assert!(parameter_names("SELECT '12:30'").is_empty());
    }
}
