//! Request bodies refused by their limit, and reading an upload body (a `.wasm` file), with
//! errors that say what the limit is.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;

use crate::http::{ApiError, AppState};

/// A body axum refused (too large, or unreadable) as the one error shape: `code` when it was
/// too large, `invalid_body` otherwise, the limit in the message and `hint` on what to do.
pub fn rejected_body(
    rejection: BytesRejection,
    code: &'static str,
    limit_bytes: usize,
    hint: &str,
) -> ApiError {
    let status = rejection.status();
    let limit = if limit_bytes >= 1 << 20 {
        format!("{} MiB", limit_bytes >> 20)
    } else {
        format!("{limit_bytes} bytes")
    };
    ApiError::new(
        status,
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            code
        } else {
            "invalid_body"
        },
        format!("{} (the limit is {limit})", rejection.body_text()),
        hint,
    )
}

pub fn upload_body(app: &AppState, body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    let body = body.map_err(|rejection| {
        rejected_body(
            rejection,
            "upload_too_large",
            app.max_plugin_bytes,
            "send the .wasm file as the raw request body",
        )
    })?;
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty_body",
            "the request has no body",
            "send the .wasm file as the raw request body (curl --data-binary @file.wasm)",
        ));
    }
    Ok(body)
}
