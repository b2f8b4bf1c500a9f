//! `/admin/*`: the office's plugin operations, behind a bearer token. The token is checked
//! before the body is read, so an anonymous upload costs the server nothing.
//!
//! (The full account system with roles and audit is a separate piece of work; until then one
//! token from the server's configuration opens these endpoints.)

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::plugins::plugin_json;
use super::{ApiError, AppState, PathParams};
use crate::plugins::Source;

/// Equal-time comparison of two secrets (of their digests, so lengths do not leak either).
fn same_secret(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Lets the request through only with `Authorization: Bearer <admin token>`.
pub async fn require_admin(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let Some(expected) = app.admin_token.as_deref() else {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "admin_disabled",
            "this server has no admin token, so its admin endpoints are closed",
            "start the server with --admin-token or LOGAM_ADMIN_TOKEN",
        )
        .into_response();
    };
    let given = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        None => {
            let mut response = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this endpoint needs the admin token",
                "send `Authorization: Bearer <token>`",
            )
            .into_response();
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
        Some(token) if !same_secret(token, expected) => ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the token is not the admin token",
            "check the token; nothing was changed",
        )
        .into_response(),
        Some(_) => next.run(request).await,
    }
}

fn who(headers: &HeaderMap) -> String {
    // One shared token for now: record that it was the admin token, and the client's
    // user agent for the office's own bookkeeping.
    let agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(80)
        .collect::<String>();
    if agent.is_empty() {
        "admin-token".into()
    } else {
        format!("admin-token ({agent})")
    }
}

/// `POST /admin/plugins` with the component as the body: installs or upgrades.
pub async fn install(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
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
    let plugins = app.plugins.clone();
    let by = who(&headers);
    let installed =
        tokio::task::spawn_blocking(move || plugins.install("upload", &body, Source::Admin, &by))
            .await
            .map_err(|e| ApiError::from(crate::store::StoreError::Task(e.to_string())))??;
    let status = if installed.changed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        axum::Json(json!({
            "plugin": plugin_json(&installed.plugin, &app.plugins),
            "changed": installed.changed,
        })),
    )
        .into_response())
}

/// `POST /admin/plugins/{id}/disable|enable|rollback`.
pub async fn act(
    State(app): State<AppState>,
    PathParams((id, action)): PathParams<(String, String)>,
) -> Result<Response, ApiError> {
    let plugins = app.plugins.clone();
    let action_name = action.clone();
    let plugin = tokio::task::spawn_blocking(move || match action_name.as_str() {
        "disable" => Ok(Some(plugins.set_enabled(&id, false)?)),
        "enable" => Ok(Some(plugins.set_enabled(&id, true)?)),
        "rollback" => Ok(Some(plugins.rollback(&id)?)),
        _ => Ok::<_, crate::plugins::PluginError>(None),
    })
    .await
    .map_err(|e| ApiError::from(crate::store::StoreError::Task(e.to_string())))??;
    let Some(plugin) = plugin else {
        return Err(ApiError::not_found(format!(
            "no action `{}`: use disable, enable or rollback",
            action.chars().take(40).collect::<String>()
        )));
    };
    Ok(axum::Json(json!({ "plugin": plugin_json(&plugin, &app.plugins) })).into_response())
}
