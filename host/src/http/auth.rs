//! Bearer tokens: who is calling, the middlewares that let admins and token holders through,
//! and the audit log of what they did.
//!
//! A token is either the bootstrap admin token from the server's configuration or one made
//! with `logam token create`, looked up per request so tokens created or revoked by the CLI
//! count at once, on a read-only connection (never the writer, so a wrong token is refused at
//! once even while an import commits). The caller goes into the request's extensions for the
//! handlers (and the audit log). The token is checked before the body is read, so an
//! anonymous upload costs the server nothing.
//!
//! In front of the check, in this order: a per-address rate limit (429 `rate_limited`), and a
//! per-address budget of failed authentications (429 `too_many_failed_logins`: once an
//! address has used it up, its tokens are not even looked at until it refills). Behind it, a
//! per-token rate limit (429 `rate_limited`), so one leaked or looping token cannot hold the
//! office's endpoints for everyone.

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::ratelimit::too_many;
use super::{ApiError, AppState, ClientAddr};
use crate::store::{Actor, Role, TokenCheck};

/// Who is calling, as the auth middleware found it.
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

impl Caller {
    /// The caller as the audit log records it.
    pub fn actor(&self) -> Actor {
        Actor::new(self.name.clone(), self.role.as_str())
    }
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

/// The rate limits and the failed-login budget around [`authenticate`].
async fn admit(
    app: &AppState,
    client: ClientAddr,
    headers: &HeaderMap,
) -> Result<Caller, Response> {
    let address = client.bucket();
    if let Err(wait) = app.office_by_address.take(address) {
        return Err(too_many(
            wait,
            "rate_limited",
            "too many requests from this address to the office's endpoints",
            "space the requests out",
        ));
    }
    if let Err(wait) = app.auth_failures.check(address) {
        return Err(too_many(
            wait,
            "too_many_failed_logins",
            "too many requests with a missing or wrong token came from this address",
            "check the token; nothing was changed",
        ));
    }
    let caller = match authenticate(app, headers).await {
        Ok(caller) => caller,
        Err(refusal) => {
            if refusal.status() == StatusCode::UNAUTHORIZED {
                let _ = app.auth_failures.take(address);
            }
            return Err(refusal);
        }
    };
    if let Err(wait) = app.office_by_token.take(caller.name.clone()) {
        return Err(too_many(
            wait,
            "rate_limited",
            &format!("too many requests with the token `{}`", caller.name),
            "space the requests out",
        ));
    }
    Ok(caller)
}

/// Lets the request through only with an admin's token.
pub async fn require_admin(
    State(app): State<AppState>,
    client: ClientAddr,
    mut request: Request,
    next: Next,
) -> Response {
    match admit(&app, client, request.headers()).await {
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
    client: ClientAddr,
    mut request: Request,
    next: Next,
) -> Response {
    match admit(&app, client, request.headers()).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(refusal) => refusal,
    }
}
