//! `/api/plugins`: what is installed, with limits and usage; and how plugin and export errors
//! become the API's one JSON error shape.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::caching::json_tagged;
use super::download::plugin_format_info;
use super::{ApiError, AppState, PathParams};
use crate::export::ExportError;
use crate::plugins::{Plugin, PluginError, PluginHost, exporter_info_json, indicator_info_json};

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
            PluginError::Timeout { .. } => (
                StatusCode::GATEWAY_TIMEOUT,
                "the plugin is too slow for this request; report it to the office",
            ),
            PluginError::MemoryLimit { .. }
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
            ExportError::Plugin(plugin) => plugin.into(),
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

/// One plugin as the API shows it.
pub fn plugin_json(plugin: &Plugin, plugins: &PluginHost) -> Value {
    let manifest = match (plugin.indicator_info(), plugin.exporter_info()) {
        (Some(info), _) => indicator_info_json(info),
        (_, Some(info)) => exporter_info_json(info),
        _ => Value::Null,
    };
    let stats = plugin.stats.snapshot();
    let mut links = serde_json::Map::new();
    links.insert("self".into(), json!(format!("/api/plugins/{}", plugin.id)));
    if plugin.indicator_info().is_some() {
        links.insert(
            "indicator".into(),
            json!(format!("/api/indicators/{}", plugin.id)),
        );
    }
    json!({
        "id": plugin.id,
        "version": plugin.version,
        "kind": plugin.kind(),
        "title": manifest["title"],
        "sha256": plugin.sha256,
        "size_bytes": plugin.size,
        "status": if plugin.enabled { "active" } else { "disabled" },
        "source": plugin.source.kind(),
        "installed_at": plugin.installed_at,
        "authors": plugin.metadata.authors,
        "licence": plugin.metadata.licence,
        "source_url": plugin.metadata.source,
        "homepage": plugin.metadata.homepage,
        "format": plugin_format_info(plugin),
        "limits": plugins.limits(),
        "calls": stats.calls,
        "errors": stats.errors,
        "cache_hits": stats.cache_hits,
        "p50_ms": stats.p50_ms,
        "p99_ms": stats.p99_ms,
        "manifest": manifest,
        "links": links,
    })
}

pub async fn list(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let plugins: Vec<Value> = app
        .plugins
        .plugins()
        .iter()
        .map(|p| plugin_json(p, &app.plugins))
        .collect();
    json_tagged(&headers, &json!({ "plugins": plugins }))
}

/// One plugin, with every version recorded for it (what a rollback would return to).
pub async fn show(
    State(app): State<AppState>,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let plugin = app.plugins.plugin(&id)?;
    let plugins = app.plugins.clone();
    let plugin_id = plugin.id.clone();
    let history = tokio::task::spawn_blocking(move || plugins.history(&plugin_id))
        .await
        .map_err(|e| ApiError::from(crate::store::StoreError::Task(e.to_string())))??;
    let mut body = plugin_json(&plugin, &app.plugins);
    body["versions"] = history
        .iter()
        .map(|i| {
            json!({
                "version": i.version,
                "sha256": i.sha256,
                "source": if i.source.starts_with("dir:") { "folder" } else { "admin" },
                "installed_at": i.installed_at,
                "installed_by": i.installed_by,
                "current": i.seq == plugin.seq.unwrap_or(-1),
                "retired": i.retired,
            })
        })
        .collect();
    body["bundled_version_available"] = json!(app.plugins.has_bundled(&plugin.id));
    Ok(json_tagged(&headers, &body))
}
