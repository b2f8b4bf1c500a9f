//! The one error shape every endpoint answers with:
//! `{"error": {"code": "...", "message": "...", "hint": "..."}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::{QueryError, StoreError};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub hint: String,
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
        }
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
            ),
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "hint": self.hint,
            }
        });
        (self.status, Json(body)).into_response()
    }
}
