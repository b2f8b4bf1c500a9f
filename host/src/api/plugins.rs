//! `/api/plugins`: what is installed, with limits and usage; and how plugin and export errors
//! become the API's one JSON error shape.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::openapi::responses::{LookupErrors, NotModified};
use super::params::{Conditional, PluginPath};
use super::schema;
use crate::http::caching::{self, json_tagged};
use crate::http::download::plugin_format_info;
use crate::http::{ApiError, AppState, PathParams};
use crate::plugins::{Plugin, PluginHost};

/// One plugin as the API shows it.
pub fn plugin_json(plugin: &Plugin, plugins: &PluginHost) -> Value {
    let manifest = plugin.manifest_json();
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

/// Plugin terpasang / installed plugins
///
/// Versions, sha256, status, limits, calls, errors and latency of every plugin.
#[utoipa::path(get, path = "/api/plugins", tag = "plugins", operation_id = "plugins",
    params(Conditional),
    responses(
        (status = 200, description = "The plugins.", body = schema::PluginList),
        (status = 304, response = NotModified),
    ))]
pub async fn list(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let plugins: Vec<Value> = app
        .plugins
        .plugins()
        .iter()
        .map(|p| plugin_json(p, &app.plugins))
        .collect();
    caching::live(json_tagged(&headers, &json!({ "plugins": plugins })))
}

/// Satu plugin / one plugin
///
/// One plugin with every version recorded for it (what a rollback would return to).
#[utoipa::path(get, path = "/api/plugins/{id}", tag = "plugins", operation_id = "plugin",
    params(PluginPath, Conditional),
    responses(
        (status = 200, description = "The plugin.", body = schema::Plugin),
        (status = 304, response = NotModified),
        LookupErrors,
    ))]
pub async fn show(
    State(app): State<AppState>,
    PathParams(PluginPath { id }): PathParams<PluginPath>,
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
    Ok(caching::live(json_tagged(&headers, &body)))
}
