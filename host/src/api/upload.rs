//! Reading an upload body (a `.wasm` file) with errors that say what the limit is.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;

use crate::http::{ApiError, AppState};

pub fn upload_body(app: &AppState, body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    let body = body.map_err(|rejection| {
        let status = rejection.status();
        ApiError::new(
            status,
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                "upload_too_large"
            } else {
                "invalid_body"
            },
            format!(
                "{} (the limit is {} MiB)",
                rejection.body_text(),
                app.max_plugin_bytes >> 20
            ),
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
