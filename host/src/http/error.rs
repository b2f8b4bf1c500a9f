//! The one error shape every endpoint answers with:
//! `{"error": {"code": "...", "message": "...", "hint": "..."}}`.
//!
//! Capacity running out is never an internal error: every 503 and 429 carries `Retry-After`,
//! and a connection pool that had nothing free within its wait is a 503, like a busy database.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::export::ExportError;
use crate::plugins::PluginError;
use crate::store::{QueryError, StoreError};

/// The body of every error answer.
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    pub error: ErrorDetail<'a>,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail<'a> {
    /// Stable and machine-readable, e.g. `unknown_column`.
    pub code: &'a str,
    /// What was wrong.
    pub message: &'a str,
    /// How to fix it.
    pub hint: &'a str,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub hint: String,
    /// Seconds for `Retry-After` (429 and 503 only).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            hint: hint.into(),
            retry_after: None,
        }
    }

    /// Sets `Retry-After`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// The server is at capacity for `what`: come back in `seconds`.
    pub fn unavailable(code: &'static str, message: impl Into<String>, seconds: u64) -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            message,
            format!("the server is at capacity; retry after {seconds} s (see Retry-After)"),
        )
        .retry_after(seconds)
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            what,
            "see /api for the endpoints and /api/datasets for the datasets",
        )
    }

    fn internal() -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server failed to answer this request",
            "try again; if it keeps failing, tell the maintainers the time of the request",
        )
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            rejection.body_text(),
            "path segments must be valid UTF-8 once percent-decoded",
        )
    }
}

impl From<QueryError> for ApiError {
    fn from(err: QueryError) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            err.code(),
            err.to_string(),
            err.hint(),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Query(q) => q.into(),
            StoreError::Sql(sql) => ApiError::new(
                StatusCode::BAD_REQUEST,
                sql.code(),
                sql.to_string(),
                sql.hint(),
            ),
            StoreError::UnknownDataset(_) => ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_dataset",
                err.to_string(),
                "GET /api/datasets lists the datasets",
            ),
            StoreError::RowNotFound { .. } => ApiError::new(
                StatusCode::NOT_FOUND,
                "row_not_found",
                err.to_string(),
                "check the key; GET the dataset's rows to see which keys exist",
            ),
            StoreError::Busy => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                err.to_string(),
                "retry in a moment",
            )
            .retry_after(1),
            StoreError::Unavailable {
                retry_after_secs, ..
            } => ApiError::unavailable("over_capacity", err.to_string(), retry_after_secs),
            StoreError::Pool(_) => {
                ApiError::unavailable("over_capacity", "no database connection came free", 1)
            }
            StoreError::BudgetExceeded { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "read_budget_exceeded",
                err.to_string(),
                "ask for less work: _facet on fewer columns (or on columns with fewer distinct values), add a filter (an indexed column such as kecamatan on synthetic data), drop _count, or download the rows (.csv) and compute locally",
            ),
            StoreError::Cancelled => {
                ApiError::unavailable("cancelled", "the request was stopped before it finished", 1)
            }
            StoreError::InvalidData { .. } | StoreError::DatasetExists(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_data",
                err.to_string(),
                "fix the data and send it again",
            ),
            other => {
                // Server-side details stay in the log.
                tracing::error!(error = %other, "request failed");
                ApiError::internal()
            }
        }
    }
}

/// An error's words, kept on its JSON response so a page can show the same error as HTML
/// (`web::error`) without parsing the body back.
#[derive(Debug, Clone)]
pub struct ErrorForPage {
    pub code: &'static str,
    pub message: String,
    pub hint: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: &self.message,
                hint: &self.hint,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        let retry = self.retry_after.or(match self.status {
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => Some(1),
            _ => None,
        });
        if let Some(seconds) = retry {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        // The body is written; the words move on for the pages' error middleware, which
        // renders the same error as HTML (no copy for the API's own errors).
        response.extensions_mut().insert(ErrorForPage::from(self));
        response
    }
}

impl From<ApiError> for ErrorForPage {
    fn from(error: ApiError) -> Self {
        ErrorForPage {
            code: error.code,
            message: error.message,
            hint: error.hint,
        }
    }
}
impl From<PluginError> for ApiError {
    fn from(err: PluginError) -> Self {
        let code = err.code();
        let message = err.to_string();
        let (status, hint) = match &err {
            PluginError::UnknownIndicator(_) => (
                StatusCode::NOT_FOUND,
                "GET /api/indicators lists the indicators",
            ),
            PluginError::UnknownPlugin(_) => {
                (StatusCode::NOT_FOUND, "GET /api/plugins lists the plugins")
            }
            PluginError::Disabled { .. } => (
                StatusCode::NOT_FOUND,
                "the office has switched this plugin off; GET /api/plugins shows its status",
            ),
            PluginError::NothingToRollBack { .. } => (
                StatusCode::CONFLICT,
                "GET /api/plugins/{id} shows the versions installed",
            ),
            PluginError::Refused { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "the running version, if any, stays; docs/plugins.md explains the contract, and `logam plugin check FILE.wasm` shows the same reason locally",
            ),
            PluginError::InvalidParameter { .. } => (
                StatusCode::BAD_REQUEST,
                "GET /api/indicators/{id} or /api/formats lists the parameters",
            ),
            PluginError::Declined { kind, .. } => (
                match *kind {
                    "invalid_parameter" => StatusCode::BAD_REQUEST,
                    "failed" => StatusCode::BAD_GATEWAY,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                },
                "the plugin's message says what it needs",
            ),
            PluginError::Timeout { .. } | PluginError::RequestTimeout { .. } => (
                StatusCode::GATEWAY_TIMEOUT,
                "the plugin is too slow for this request; report it to the office",
            ),
            PluginError::MemoryLimit { .. }
            | PluginError::HostLimit { .. }
            | PluginError::OutputLimit { .. }
            | PluginError::FuelLimit { .. }
            | PluginError::StackOverflow { .. } => (
                StatusCode::BAD_GATEWAY,
                "the plugin overran a limit of the sandbox; report it to the office",
            ),
            PluginError::Crashed { .. } | PluginError::InvalidOutput { .. } => (
                StatusCode::BAD_GATEWAY,
                "the plugin failed; report it to the office",
            ),
            PluginError::Busy { .. } => {
                return ApiError::unavailable(code, message, 1);
            }
            PluginError::Store(_) | PluginError::Engine(_) => {
                return match err {
                    PluginError::Store(store) => store.into(),
                    other => {
                        tracing::error!(error = %other, "plugin engine failed");
                        ApiError::new(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "internal_error",
                            "the server failed to answer this request",
                            "try again later",
                        )
                    }
                };
            }
        };
        ApiError::new(status, code, message, hint)
    }
}

impl From<ExportError> for ApiError {
    fn from(err: ExportError) -> Self {
        match err {
            ExportError::Exporter(inner) => match inner.downcast::<PluginError>() {
                Ok(plugin) => (*plugin).into(),
                Err(other) => {
                    tracing::error!(error = %other, "export failed");
                    ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal_error",
                        "the server failed to write this export",
                        "try again later",
                    )
                }
            },
            ExportError::Store(store) => store.into(),
            other => {
                tracing::error!(error = %other, "export failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "the server failed to write this export",
                    "try again later",
                )
            }
        }
    }
}
