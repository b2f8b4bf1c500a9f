//! `/admin/*`: the office's plugin operations and review, behind bearer tokens. The token is
//! checked before the body is read, so an anonymous upload costs the server nothing.
//!
//! A token is either the bootstrap admin token from the server's configuration or one made
//! with `logam token create`, looked up per request so tokens created or revoked by the CLI
//! count at once. The caller goes into the request's extensions for the handlers (and the
//! audit log).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::plugins::plugin_json;
use crate::http::auth::Caller;
use crate::http::{ApiError, AppState, PathParams};
use crate::plugins::Source;

/// `GET /admin/audit?limit=N`: the newest entries first (default 100, at most 10000).
pub async fn audit_log(
    State(app): State<AppState>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, ApiError> {
    let mut limit = 100u32;
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if key == "limit" {
            limit = value
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_parameter",
                        format!(
                            "limit {:?} is not a number from 1 to 10000",
                            value.chars().take(40).collect::<String>()
                        ),
                        "use ?limit=100",
                    )
                })?;
        }
    }
    let store = app.store.clone();
    let entries = tokio::task::spawn_blocking(move || store.audit_log(limit))
        .await
        .map_err(|e| ApiError::from(crate::store::StoreError::Task(e.to_string())))??;
    Ok(axum::Json(json!({ "entries": entries })).into_response())
}

/// `POST /admin/plugins` with the component as the body: installs or upgrades.
pub async fn install(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = super::upload::upload_body(&app, body)?;
    let plugins = app.plugins.clone();
    let (by, actor) = (caller.name.clone(), caller.actor());
    // The audit row is written in the install's own transaction.
    let installed = tokio::task::spawn_blocking(move || {
        plugins.install(
            "upload",
            &body,
            Source::Admin,
            &by,
            None,
            &|plugin, changed| {
                actor.audit(
                    "plugin.install",
                    plugin.id.clone(),
                    json!({
                        "version": plugin.version,
                        "sha256": plugin.sha256,
                        "changed": changed,
                    }),
                )
            },
        )
    })
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
    Extension(caller): Extension<Caller>,
    PathParams((id, action)): PathParams<(String, String)>,
) -> Result<Response, ApiError> {
    let plugins = app.plugins.clone();
    let action_name = action.clone();
    let actor = caller.actor();
    // Each action writes its audit row in its own transaction, naming the version that is
    // current afterwards.
    let plugin = tokio::task::spawn_blocking(move || {
        let toggled = |enabled: bool| {
            let action = if enabled {
                "plugin.enable"
            } else {
                "plugin.disable"
            };
            let actor = &actor;
            move |plugin: &crate::plugins::Plugin| {
                actor.audit(
                    action,
                    plugin.id.clone(),
                    json!({ "version": plugin.version, "sha256": plugin.sha256 }),
                )
            }
        };
        match action_name.as_str() {
            "disable" => Ok(Some(plugins.set_enabled(&id, false, &toggled(false))?)),
            "enable" => Ok(Some(plugins.set_enabled(&id, true, &toggled(true))?)),
            "rollback" => Ok(Some(plugins.rollback(&id, &|version, sha256| {
                actor.audit(
                    "plugin.rollback",
                    id.clone(),
                    json!({ "version": version, "sha256": sha256 }),
                )
            })?)),
            _ => Ok::<_, crate::plugins::PluginError>(None),
        }
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
