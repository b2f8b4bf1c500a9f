//! The office's data operations: `POST /admin/datasets/{id}/import`, `POST /admin/datasets`
//! (behind the admin token, like the plugin operations) and the open
//! `GET /api/datasets/{id}/changes`. The work is the store's (`store/import.rs`,
//! `store/changes.rs`); this file parses the request and shapes the answer.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::openapi::responses::LookupErrors;
use super::params::DatasetPath;
use super::schema::ChangesPage;
use crate::http::auth::Caller;
use crate::http::declared::Declared;
use crate::http::{ApiError, AppState, PathParams};
use crate::store::import::{ImportError, ImportFormat, ImportMode, ImportOptions};
use crate::store::{DEFAULT_CHANGES_PAGE, MAX_CHANGES_PAGE};

/// Who the revision names until the caller is known.
const AUTHOR: &str = "admin-token";

fn bad_parameter(message: String, hint: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", message, hint)
}

fn pairs(query: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if !seen.insert(key.to_string()) {
            return Err(bad_parameter(
                format!("`{key}` was given more than once"),
                "give it once",
            ));
        }
        out.push((key.into_owned(), value.into_owned()));
    }
    Ok(out)
}

fn flag(name: &str, value: &str) -> Result<bool, ApiError> {
    crate::store::parse_bool(value).ok_or_else(|| {
        bad_parameter(
            format!("`{name}`: {value:?} is not true, false, 1 or 0"),
            "send 1 or 0",
        )
    })
}

/// Reads the import options from the query string and the Content-Type.
fn options(query: Option<&str>, headers: &HeaderMap) -> Result<ImportOptions, ApiError> {
    let mut format = None;
    let mut options = ImportOptions {
        format: ImportFormat::Csv,
        mode: ImportMode::Append,
        dry_run: false,
        delimiter: None,
        decimal_comma: None,
        message: None,
        author: AUTHOR.into(),
    };
    for (key, value) in pairs(query)? {
        match key.as_str() {
            "format" => {
                format = Some(ImportFormat::parse(&value).ok_or_else(|| {
                    bad_parameter(format!("`format`: {value:?} is not csv or json"), "send format=csv or format=json")
                })?)
            }
            "mode" => {
                options.mode = ImportMode::parse(&value).ok_or_else(|| {
                    bad_parameter(
                        format!("`mode`: {value:?} is not append, replace or upsert"),
                        "append adds rows, upsert adds or changes them by key, replace makes the file the whole dataset",
                    )
                })?
            }
            "dry_run" => options.dry_run = flag("dry_run", &value)?,
            "delimiter" => {
                options.delimiter = Some(match value.as_str() {
                    "," => b',',
                    ";" => b';',
                    "\t" | "tab" => b'\t',
                    "|" => b'|',
                    _ => {
                        return Err(bad_parameter(
                            format!("`delimiter`: {value:?} is not one of , ; tab |"),
                            "send delimiter=%3B for a semicolon",
                        ));
                    }
                })
            }
            "decimal" => {
                options.decimal_comma = Some(match value.as_str() {
                    "comma" | "," => true,
                    "dot" | "." => false,
                    _ => {
                        return Err(bad_parameter(
                            format!("`decimal`: {value:?} is not comma or dot"),
                            "send decimal=comma for numbers such as 1.234,5",
                        ));
                    }
                })
            }
            "message" => {
                if value.len() > 1000 {
                    return Err(bad_parameter(
                        "`message` is longer than 1000 bytes".into(),
                        "shorten the message",
                    ));
                }
                options.message = Some(value)
            }
            other => {
                return Err(bad_parameter(
                    format!("`{other}` is not a parameter of the import"),
                    "the parameters are format, mode, dry_run, delimiter, decimal, message",
                ));
            }
        }
    }
    let from_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .and_then(|t| match t.as_str() {
            "text/csv" | "application/csv" => Some(ImportFormat::Csv),
            "application/json" => Some(ImportFormat::Json),
            _ => None,
        });
    options.format = format.or(from_type).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unknown_format",
            "the request does not say whether the file is CSV or JSON",
            "send Content-Type: text/csv or application/json, or ?format=csv|json",
        )
    })?;
    Ok(options)
}

fn body_error(rejection: BytesRejection, limit: usize) -> ApiError {
    super::upload::rejected_body(
        rejection,
        "upload_too_large",
        limit,
        "split the file, or start the server with a larger --max-import-mib",
    )
}

/// The one error shape, with the import's problem list beside code, message and hint.
fn import_error(err: ImportError) -> Response {
    let (code, hint) = match &err {
        ImportError::Empty => ("empty_file", "send a header line and at least one row"),
        ImportError::Encoding { .. } => (
            "invalid_encoding",
            "save the file as UTF-8 (in a spreadsheet: CSV UTF-8) and send it again",
        ),
        ImportError::Malformed { .. } => (
            "malformed_file",
            "check that the whole file was sent and that it is the format named",
        ),
        ImportError::Rejected { .. } => (
            "import_rejected",
            "fix every problem listed and send the whole file again; nothing was imported",
        ),
        ImportError::Store(_) => ("", ""),
    };
    match err {
        ImportError::Store(store) => ApiError::from(store).into_response(),
        ImportError::Rejected {
            count,
            ref problems,
            ref notes,
        } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": {
                    "code": code,
                    "message": err.to_string(),
                    "hint": hint,
                    "problem_count": count,
                    "problems": problems,
                    "notes": notes,
                }
            })),
        )
            .into_response(),
        other => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            other.to_string(),
            hint,
        )
        .into_response(),
    }
}

/// `POST /admin/datasets/{id}/import` with the file as the body.
pub async fn import(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(dataset): PathParams<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let mut options = options(query.as_deref(), &headers)?;
    // The revision names who imported it.
    options.author = caller.name.clone();
    let body = body.map_err(|r| body_error(r, app.max_import_bytes))?;
    let store = app.store.clone();
    let actor = caller.actor();
    // The audit row is written by the store in the import's own transaction.
    let result = tokio::task::spawn_blocking(move || {
        store.import_blocking(&dataset, &body, &options, &actor)
    })
    .await
    .map_err(|e| ApiError::from(crate::store::StoreError::Task(e.to_string())))?;
    match result {
        Ok(report) => Ok(Json(report).into_response()),
        Err(err) => Ok(import_error(err)),
    }
}

/// `POST /admin/datasets` with a dataset's TOML schema (data/FORMAT.md) as the body.
pub async fn create(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|r| body_error(r, app.max_import_bytes))?;
    let text = match crate::store::import::decode(&body) {
        Ok(text) => text.to_string(),
        Err(err) => return Ok(import_error(err)),
    };
    let store = app.store.clone();
    let actor = caller.actor();
    let meta = store
        .write(move |conn| crate::store::import::create_dataset(conn, &text, &actor))
        .await?;
    Ok((StatusCode::CREATED, Json(meta)).into_response())
}

/// The parameters of `/api/datasets/{id}/changes`; any other is refused.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // a declaration: `changes` reads the query string itself
pub struct ChangesParams {
    /// The earlier revision (0: before anything). Default: the revision before `to`.
    #[param(minimum = 0)]
    from: Option<i64>,
    /// The later revision. Default: the dataset's current revision.
    #[param(minimum = 0)]
    to: Option<i64>,
    /// Touched keys per page (default 1000).
    #[param(rename = "_size", minimum = 1, maximum = 10000)]
    size: Option<u32>,
    /// The `next` token of the previous page (same `from` and `to`).
    #[param(rename = "_next")]
    next: Option<String>,
}

static CHANGES_NAMES: Declared = Declared::new();

/// Perubahan antar revisi / changes between revisions
///
/// Rows added, removed and changed (before and after) from revision `from` to revision `to`
/// (global revision numbers), one page of touched keys at a time in key order: follow
/// `next_url` until it is null.
#[utoipa::path(get, path = "/api/datasets/{id}/changes", tag = "datasets", operation_id = "changes",
    params(DatasetPath, ChangesParams),
    responses(
        (status = 200, description = "The changes.", body = ChangesPage),
        LookupErrors,
    ))]
pub async fn changes(
    State(app): State<AppState>,
    PathParams(DatasetPath { id: dataset }): PathParams<DatasetPath>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let mut from = None;
    let mut to = None;
    let mut size = DEFAULT_CHANGES_PAGE;
    let mut next = None;
    for (key, value) in pairs(query.as_deref())? {
        if !CHANGES_NAMES.contains::<ChangesParams>(&key) {
            return Err(bad_parameter(
                format!(
                    "`{}` is not a parameter of changes",
                    key.chars().take(100).collect::<String>()
                ),
                &format!(
                    "the parameters are {}",
                    CHANGES_NAMES.names::<ChangesParams>().join(", ")
                ),
            ));
        }
        let number = || {
            value.parse::<i64>().map_err(|_| {
                bad_parameter(
                    format!("`{key}`: {value:?} is not a revision number"),
                    "GET /api/datasets/{id}/revisions lists the revisions",
                )
            })
        };
        match key.as_str() {
            "from" => from = Some(number()?),
            "to" => to = Some(number()?),
            "_size" => size = value
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_CHANGES_PAGE).contains(n))
                .ok_or_else(|| {
                    bad_parameter(
                        format!(
                            "`_size`: {value:?} is not a whole number from 1 to {MAX_CHANGES_PAGE}"
                        ),
                        "the page holds the changes of _size keys; follow next_url for more",
                    )
                })?,
            "_next" => next = Some(value.chars().take(2000).collect::<String>()),
            other => {
                // Declared in ChangesParams but not read here: refused, never ignored.
                return Err(bad_parameter(
                    format!("`{other}` is not read by changes"),
                    "tell the maintainers: it is documented but not implemented",
                ));
            }
        }
    }
    let changes = app
        .store
        .read(move |session| {
            let state = session.state(&dataset)?;
            let to = to.unwrap_or(state.revision);
            let from = match from {
                Some(from) => from,
                None => session.revision_before(&dataset, to)?,
            };
            session.changes(&dataset, from, to, size, next.as_deref())
        })
        .await?;
    let next_url = changes.next.as_ref().map(|token| {
        let kept: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
                    .filter(|(k, _)| k != "_next" && k != "from" && k != "to"),
            )
            .append_pair("from", &changes.from.to_string())
            .append_pair("to", &changes.to.to_string())
            .append_pair("_next", token)
            .finish();
        format!(
            "{}{}?{kept}",
            crate::http::public_base(&headers),
            uri.path()
        )
    });
    Ok(Json(ChangesPage { changes, next_url }).into_response())
}
