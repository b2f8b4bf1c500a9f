//! The path and header parameters of the open API, as the types the handlers extract: each is
//! also the `IntoParams` that `/openapi.json` lists for the operation.

use serde::Deserialize;
use utoipa::IntoParams;

/// `{id}` of a dataset's paths.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DatasetPath {
    /// Dataset id (see /api/datasets).
    #[param(pattern = "^[a-z][a-z0-9_]*$")]
    pub id: String,
}

/// `/api/datasets/{id}/{resource}`: `rows`, or `rows.{ext}` for a download.
#[derive(Deserialize)]
pub struct DatasetResourcePath {
    pub id: String,
    pub resource: String,
}

/// `{ext}` of a download's path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // split from the served segment by the handler
pub struct ExtensionPath {
    /// A format's extension: csv, json, ndjson, or an exporter plugin's (GET /api/formats).
    ext: String,
}

/// `/api/datasets/{id}/rows/{key}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RowPath {
    /// Dataset id (see /api/datasets).
    #[param(pattern = "^[a-z][a-z0-9_]*$")]
    pub id: String,
    /// The row's primary key value, as text (e.g. `33.03.05`).
    pub key: String,
}

/// `/api/datasets/{id}/queries/{name}`, where `name` may end in `.{ext}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct QueryPath {
    /// Dataset id (see /api/datasets).
    #[param(pattern = "^[a-z][a-z0-9_]*$")]
    pub id: String,
    /// The query's name (GET /api/datasets/{id}/queries).
    #[param(pattern = "^[^.]+$")]
    pub name: String,
}

/// `/api/indicators/{id}`, where `id` may end in `.{ext}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IndicatorPath {
    /// Indicator id (see /api/indicators).
    #[param(pattern = "^[^.]+$")]
    pub id: String,
}

/// `/api/plugins/{id}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PluginPath {
    /// Plugin id (see /api/plugins).
    pub id: String,
}

/// A conditional GET.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // read by `http::caching`
pub struct Conditional {
    /// An ETag from an earlier response: 304 without a body while the data is unchanged.
    #[param(rename = "If-None-Match")]
    if_none_match: Option<String>,
}
