//! `/api/sql[.ext]` (ad-hoc read-only SQL) and `/api/datasets/{id}/queries[/{name}[.ext]]`
//! (the office's canned queries). Both run in the store's SQL sandbox; this file only reads
//! requests, limits each client's concurrent statements and shapes responses.

use std::collections::{BTreeMap, HashMap};
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
use serde_json::Value;

use super::openapi::responses::{
    LookupErrors, NotModified, PayloadTooLarge, TooManyRequests, UnsupportedMediaType,
};
use super::params::{Conditional, DatasetPath, ExtensionPath, QueryPath};
use super::schema::{CannedQueries, CannedQuerySummary, SqlResult};
use crate::export::{self, ExportOptions, ExportSchema, ObjectKeys};
use crate::http::caching::{client_state, not_modified, request_key, with_cache_headers};
use crate::http::declared::{Declared, Flag};
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

/// The statement of an ad-hoc query.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // a declaration: `read_request` reads the pairs itself
pub struct SqlStatement {
    /// One SELECT statement (or WITH ... SELECT) over the published datasets.
    #[param(min_length = 1)]
    sql: String,
}

/// What every SQL request may carry besides its statement.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // a declaration: `read_request` reads the pairs itself
pub struct SqlOptions {
    /// Values of the statement's named parameters (`:name`), each as `name=value` in the
    /// query string (a form-exploded object: the name `statement_parameters` itself is
    /// never sent). Names starting with `_` are reserved. Not called `params`, which
    /// generated clients use for their own variables.
    #[param(style = Form, explode)]
    statement_parameters: Option<BTreeMap<String, String>>,
    /// Deadline in milliseconds (at most 1000, the default).
    #[param(rename = "_timelimit", minimum = 1, maximum = 1000)]
    timelimit: Option<u32>,
    /// Read every table as it was at this revision.
    #[param(rename = "_as_of", minimum = 1)]
    as_of: Option<i64>,
    /// Ignored: the web forms send it with the page's language.
    lang: Option<String>,
}

/// The row cap of a JSON answer.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // a declaration: `read_request` reads the pairs itself
pub struct SqlJsonSize {
    /// At most this many rows (default and maximum 1000); `truncated` says if there were more.
    #[param(rename = "_size", minimum = 1, maximum = 1000)]
    size: Option<u32>,
}

/// The CSV byte-order mark.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // a declaration: `read_request` reads the pairs itself
pub struct CsvBom {
    /// `.csv` only: start with a UTF-8 byte-order mark for Excel (400 on other formats).
    #[param(rename = "_bom", inline)]
    bom: Option<Flag>,
}

static STATEMENT: Declared = Declared::new();
static OPTIONS: Declared = Declared::new();
static JSON_SIZE: Declared = Declared::new();
static BOM: Declared = Declared::new();

/// Whether `key` is a parameter of this request (rather than unknown, or a named parameter).
fn declared(key: &str, output: Output, adhoc: bool) -> bool {
    (adhoc && STATEMENT.contains::<SqlStatement>(key))
        || OPTIONS.contains::<SqlOptions>(key)
        || (output == Output::Json && JSON_SIZE.contains::<SqlJsonSize>(key))
        || (output == Output::Export("csv") && BOM.contains::<CsvBom>(key))
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
        let reserved = key.starts_with('_') || key == "sql" || key == "lang";
        if reserved && !declared(&key, output, canned_sql.is_none()) {
            return Err(QueryError::UnknownParameter {
                parameter: key.chars().take(100).collect(),
            }
            .into());
        }
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
            _ if reserved => {
                // Declared above but not read here: refused, never ignored.
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
    super::upload::rejected_body(
        rejection,
        "body_rejected",
        MAX_BODY_BYTES,
        "send a shorter statement, or use GET with the statement in the query string",
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

/// A statement POSTed as JSON: `{"sql": "...", "params": {"name": "value"}}`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // a declaration: `body_pairs` reads the body itself
pub struct SqlJson {
    #[schema(min_length = 1)]
    sql: String,
    /// Named parameters (`:name`), by name. Numbers and booleans are read as their text,
    /// null is left out.
    #[schema(value_type = Option<HashMap<String, String>>)]
    params: Option<Value>,
    /// Deadline in milliseconds (at most 1000); text holding a number is read too.
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    _timelimit: Option<Value>,
    /// Read every table as it was at this revision; text holding a number is read too.
    #[schema(value_type = Option<i64>, minimum = 1)]
    _as_of: Option<Value>,
}

/// The ad-hoc SQL endpoints, one GET and one POST per answer shape. `$what` says what the
/// answer is; `$params` and `$ok` are the operation's own parameters and 200 answer.
macro_rules! sql_route {
    ($get:ident, $post:ident, $ext:expr, $path:literal, $get_id:literal, $post_id:literal,
     $what:literal, [$($param:path),*], ($($ok:tt)*)) => {
        #[utoipa::path(get, path = $path, tag = "sql", operation_id = $get_id,
            summary = "SQL hanya-baca / read-only SQL",
            description = concat!("One read-only SELECT over the published datasets, ", $what,
                ", within a deadline of 1 s. SQLite itself enforces read-only; named parameters \
                (`:name`) come from the query string. Each client may have two statements \
                running (429 beyond)."),
            params(SqlStatement, SqlOptions, $($param,)* Conditional),
            responses(
                $($ok)*,
                (status = 304, response = NotModified),
                LookupErrors,
                (status = 429, response = TooManyRequests),
            ))]
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

        #[utoipa::path(post, path = $path, tag = "sql", operation_id = $post_id,
            summary = "SQL hanya-baca (POST) / read-only SQL (POST)",
            description = concat!("One read-only SELECT over the published datasets, ", $what,
                ", within a deadline of 1 s. The statement and parameters come in the body (a \
                form, or JSON), and may also be in the query string. Not cached."),
            request_body(description = "The statement and its parameters as JSON. A form \
                (`application/x-www-form-urlencoded`: `sql=...&name=value`, the fields of the \
                GET) is read as well; only JSON is declared, because generated clients \
                (openapi-python-client 0.29) produce code that does not run for an operation \
                with two body types.",
                content(
                    (SqlJson = "application/json"),
                )),
            responses(
                $($ok)*,
                LookupErrors,
                (status = 413, response = PayloadTooLarge),
                (status = 415, response = UnsupportedMediaType),
                (status = 429, response = TooManyRequests),
            ))]
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

sql_route!(
    sql_get,
    sql_post,
    None,
    "/api/sql",
    "sql",
    "sql_post",
    "as a JSON object of at most 1000 rows",
    [SqlJsonSize],
    ((
        status = 200,
        description = "The result: at most `_size` rows (1000).",
        body = SqlResult
    ))
);
sql_route!(
    sql_csv_get,
    sql_csv_post,
    Some("csv"),
    "/api/sql.csv",
    "sql_csv",
    "sql_csv_post",
    "as a streamed `.csv` file of every row",
    [CsvBom],
    ((status = 200, description = "The file."))
);
sql_route!(
    sql_json_get,
    sql_json_post,
    Some("json"),
    "/api/sql.json",
    "sql_json",
    "sql_json_post",
    "as a streamed `.json` file of every row",
    [],
    ((status = 200, description = "The file."))
);
sql_route!(
    sql_ndjson_get,
    sql_ndjson_post,
    Some("ndjson"),
    "/api/sql.ndjson",
    "sql_ndjson",
    "sql_ndjson_post",
    "as a streamed `.ndjson` file of every row",
    [],
    ((status = 200, description = "The file."))
);

fn canned_summary(dataset: &str, query: &CannedQuery) -> CannedQuerySummary {
    let base = format!("/api/datasets/{dataset}/queries/{}", query.name);
    let links = [
        ("csv", format!("{base}.csv")),
        ("ndjson", format!("{base}.ndjson")),
        (
            "form",
            format!("/datasets/{dataset}/queries/{}", query.name),
        ),
        ("json", base),
    ];
    CannedQuerySummary {
        name: query.name.clone(),
        title: query.title.clone(),
        description: query.description.clone(),
        sql: query.sql.clone(),
        parameters: parameter_names(&query.sql),
        links: links.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    }
}

/// Kueri siap pakai / canned queries
///
/// The office's ready-made SQL questions on this dataset, with their parameters.
#[utoipa::path(get, path = "/api/datasets/{id}/queries", tag = "sql", operation_id = "queries",
    params(DatasetPath),
    responses(
        (status = 200, description = "The queries.", body = CannedQueries),
        LookupErrors,
    ))]
pub async fn canned_list(
    State(app): State<AppState>,
    PathParams(DatasetPath { id: dataset }): PathParams<DatasetPath>,
) -> Result<Response, ApiError> {
    let id = dataset.clone();
    let queries = app.store.read(move |session| session.queries(&id)).await?;
    Ok(axum::Json(CannedQueries {
        queries: queries
            .iter()
            .map(|q| canned_summary(&dataset, q))
            .collect(),
    })
    .into_response())
}

/// Jalankan kueri / run a canned query
///
/// Runs the query with its named parameters from the query string; JSON, at most `_size`
/// (1000) rows.
#[utoipa::path(get, path = "/api/datasets/{id}/queries/{name}", tag = "sql", operation_id = "query_run",
    params(QueryPath, SqlOptions, SqlJsonSize, Conditional),
    responses(
        (status = 200, description = "The result.", body = SqlResult),
        (status = 304, response = NotModified),
        LookupErrors,
        (status = 429, response = TooManyRequests),
    ))]
#[allow(dead_code)] // the operation `canned_run` serves without an extension
fn canned_run_json() {}

/// Unduh hasil kueri / download a canned query's result
///
/// Every row of the result, streamed (`_bom` on `.csv`).
#[utoipa::path(get, path = "/api/datasets/{id}/queries/{name}.{ext}", tag = "sql", operation_id = "query_export",
    params(QueryPath, ExtensionPath, SqlOptions, CsvBom, Conditional),
    responses(
        (status = 200, description = "The file."),
        (status = 304, response = NotModified),
        LookupErrors,
        (status = 429, response = TooManyRequests),
    ),
    extensions(("x-logam-route" = json!("/api/datasets/{id}/queries/{name}"))))]
#[allow(dead_code)] // the operation `canned_run` serves with an extension
fn canned_run_export() {}

/// Runs a canned query: `{name}` as JSON ([`canned_run_json`]), `{name}.{ext}` as a file
/// ([`canned_run_export`]); one axum route, since its router cannot match a suffix within a
/// segment.
pub async fn canned_run(
    State(app): State<AppState>,
    client: ClientAddr,
    PathParams(QueryPath { id: dataset, name }): PathParams<QueryPath>,
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
