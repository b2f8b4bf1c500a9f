//! What every download shares, whatever produced it (dataset rows, SQL, an indicator): finding
//! the format an extension names, and the headers that make a browser save the file.

use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

use super::ApiError;
use crate::export::{FormatInfo, native_formats};

/// The format served for `.{extension}`, or a 404 naming it.
pub fn find_format(extension: &str) -> Result<FormatInfo, ApiError> {
    native_formats()
        .into_iter()
        .find(|f| f.extension == extension)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_format",
                format!(
                    "there is no format `.{}`",
                    extension.chars().take(20).collect::<String>()
                ),
                "GET /api/formats lists the formats",
            )
        })
}

/// Sets the media type, and for formats meant to be saved, `attachment` with `filename.ext`.
pub fn set_download_headers(response: &mut Response, format: &FormatInfo, filename: &str) {
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(format.media_type));
    if format.attachment
        && let Ok(value) = HeaderValue::from_str(&format!(
            "attachment; filename=\"{filename}.{}\"",
            format.extension
        ))
    {
        headers.insert(CONTENT_DISPOSITION, value);
    }
}
