//! Bearer tokens: who is calling, the middlewares that let admins and token holders through,
//! and the audit log of what they did.
//!
//! A token is either the bootstrap admin token from the server's configuration or one made
//! with `logam token create`, looked up per request so tokens created or revoked by the CLI
//! count at once. The caller goes into the request's extensions for the handlers (and the
//! audit log). The token is checked before the body is read, so an anonymous upload costs the
//! server nothing.

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::{ApiError, AppState};
use crate::store::{Role, TokenCheck};

/// Who is calling, as the auth middleware found it.
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

/// The name the bootstrap token's actions are recorded under.
pub const BOOTSTRAP_NAME: &str = "admin-token";

/// Equal-time comparison of two secrets (of their digests, so lengths do not leak either).
fn same_secret(given: &str, expected: &str) -> bool {
    crate::store::same_bytes(
        &Sha256::digest(given.as_bytes()),
        &Sha256::digest(expected.as_bytes()),
    )
}

fn unauthorized(code: &'static str, message: &str, challenge: &'static str) -> Response {
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        code,
        message,
        "send `Authorization: Bearer <token>` with a token from `logam token create`; nothing was changed",
    )
    .into_response();
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    response
}

/// The caller a request's bearer token names, or the response refusing it.
async fn authenticate(app: &AppState, headers: &HeaderMap) -> Result<Caller, Response> {
    let given = headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 512);
    let Some(token) = given else {
        return Err(unauthorized(
            "unauthorized",
            "this endpoint needs a token",
            "Bearer",
        ));
    };
    if let Some(expected) = app.admin_token.as_deref()
        && same_secret(token, expected)
    {
        return Ok(Caller {
            name: BOOTSTRAP_NAME.into(),
            role: Role::Admin,
        });
    }
    let store = app.store.clone();
    let token = token.to_string();
    let found = tokio::task::spawn_blocking(move || store.check_token(&token))
        .await
        .map_err(|e| ApiError::from(crate::store::StoreError::Task(e.to_string())).into_response())?
        .map_err(|e| ApiError::from(e).into_response())?;
    match found {
        TokenCheck::Valid { name, role } => Ok(Caller { name, role }),
        TokenCheck::Revoked { .. } => Err(unauthorized(
            "invalid_token",
            "this token has been revoked",
            "Bearer error=\"invalid_token\"",
        )),
        TokenCheck::Unknown => Err(unauthorized(
            "invalid_token",
            "this token is not known to this server",
            "Bearer error=\"invalid_token\"",
        )),
    }
}

/// Lets the request through only with an admin's token.
pub async fn require_admin(
    State(app): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    match authenticate(&app, request.headers()).await {
        Ok(caller) if caller.role == Role::Admin => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Ok(caller) => ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "`{}` is a {} token; this endpoint is for admins",
                caller.name,
                caller.role.as_str()
            ),
            "ask the office; nothing was changed",
        )
        .into_response(),
        Err(refusal) => refusal,
    }
}

/// Lets the request through with any valid token (contributor or admin).
pub async fn require_account(
    State(app): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    match authenticate(&app, request.headers()).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(refusal) => refusal,
    }
}

/// Appends to the audit log. The action has happened by now, so a failure to record it is
/// logged loudly rather than turned into an error the client would read as "not done".
pub async fn audit(
    app: &AppState,
    caller: &Caller,
    action: &'static str,
    target: String,
    detail: serde_json::Value,
) {
    let store = app.store.clone();
    let (actor, role) = (caller.name.clone(), caller.role.as_str());
    let outcome =
        tokio::task::spawn_blocking(move || store.audit(&actor, role, action, &target, &detail))
            .await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, action, "the audit log could not be written"),
        Err(e) => tracing::error!(error = %e, action, "the audit log could not be written"),
    }
}
