//! What every download shares, whatever produced it (dataset rows, SQL, an indicator): finding
//! the format an extension names (native, or an installed exporter plugin), and the headers
//! that make a browser save the file.

use std::sync::Arc;

use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

use super::ApiError;
use crate::export::{ExportSchema, FormatInfo, native_formats};
use crate::plugins::{Plugin, PluginHost};
use crate::store::{DatasetMeta, ReadPlan, RowRequest};

/// What a download is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Datasets,
    Indicators,
}

/// A format that serves `.{extension}`.
pub enum Format {
    Native(FormatInfo),
    Plugin(FormatInfo, Arc<Plugin>),
}

impl Format {
    pub fn info(&self) -> &FormatInfo {
        match self {
            Format::Native(info) | Format::Plugin(info, _) => info,
        }
    }
}

fn unknown(extension: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_format",
        format!(
            "there is no format `.{}`",
            extension.chars().take(40).collect::<String>()
        ),
        "GET /api/formats lists the formats",
    )
}

/// A native format (the only kind SQL results come in).
pub fn native_format(extension: &str) -> Result<FormatInfo, ApiError> {
    native_formats()
        .into_iter()
        .find(|f| f.extension == extension)
        .ok_or_else(|| unknown(extension))
}

/// How an exporter plugin presents itself in `/api/formats`.
pub fn plugin_format_info(plugin: &Plugin) -> Option<FormatInfo> {
    let info = plugin.exporter_info()?;
    Some(FormatInfo {
        extension: info.extension.clone(),
        media_type: info.media_type.clone(),
        title: info.title.clone(),
        native: false,
        datasets: info.fits_datasets(),
        indicators: info.fits_indicators(),
        plugin: Some(plugin.id.clone()),
        // A plugin format is a file to save (its media type may be anything).
        attachment: true,
    })
}

/// Every format served now: the native ones, then each enabled exporter plugin's.
pub fn all_formats(plugins: &PluginHost) -> Vec<FormatInfo> {
    let mut formats = native_formats();
    formats.extend(
        plugins
            .exporters()
            .iter()
            .filter_map(|p| plugin_format_info(p)),
    );
    formats
}

/// The formats that can export a dataset table of `schema`'s columns: every native one, and
/// each enabled exporter that fits datasets and does not refuse these columns (GeoJSON is
/// offered only where there are coordinates). Blocking (see `PluginHost::exporter_fits`).
pub fn dataset_formats(plugins: &PluginHost, schema: &ExportSchema) -> Vec<FormatInfo> {
    let mut formats = native_formats();
    formats.extend(plugins.exporters().iter().filter_map(|plugin| {
        let info = plugin_format_info(plugin)?;
        (info.datasets && plugins.exporter_fits(plugin, schema)).then_some(info)
    }));
    formats
}

/// Runs `ask` (which calls [`dataset_formats`] or [`formats_for_dataset`]) off the async
/// runtime: asking an exporter whether it fits may run it once.
pub async fn asking_exporters<T: Send + 'static>(
    plugins: &Arc<PluginHost>,
    ask: impl FnOnce(&PluginHost) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let plugins = plugins.clone();
    tokio::task::spawn_blocking(move || ask(&plugins))
        .await
        .map_err(|e| ApiError::from(crate::store::StoreError::Task(e.to_string())))
}

/// [`dataset_formats`] for a dataset's full table (every column), as its links offer it.
pub fn formats_for_dataset(plugins: &PluginHost, meta: &DatasetMeta) -> Vec<FormatInfo> {
    match ReadPlan::new(Arc::new(meta.clone()), &RowRequest::default()) {
        Ok(plan) => dataset_formats(plugins, &ExportSchema::for_plan(&plan)),
        Err(_) => native_formats(),
    }
}

/// The format served for `.{extension}` on `target`, or a 404 naming it (a disabled plugin's,
/// or one that does not fit the target, says so).
pub fn find_format(
    plugins: &PluginHost,
    extension: &str,
    target: Target,
) -> Result<Format, ApiError> {
    if let Ok(native) = native_format(extension) {
        return Ok(Format::Native(native));
    }
    let plugin = plugins
        .exporter(extension)
        .ok_or_else(|| unknown(extension))??;
    let info = plugin_format_info(&plugin).ok_or_else(|| unknown(extension))?;
    let fits = match target {
        Target::Datasets => info.datasets,
        Target::Indicators => info.indicators,
    };
    if !fits {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "format_not_applicable",
            format!(
                "format `.{extension}` (plugin `{}`) exports {} only",
                plugin.id,
                if info.datasets {
                    "datasets"
                } else {
                    "indicators"
                }
            ),
            "GET /api/formats says which formats fit datasets and which fit indicators",
        ));
    }
    Ok(Format::Plugin(info, plugin))
}

/// Query pairs, decoded, in request order.
pub type QueryPairs = Vec<(String, String)>;

/// Splits a query into the exporter plugin's declared parameters and everything else.
pub fn split_exporter_params(plugin: &Plugin, pairs: QueryPairs) -> (QueryPairs, QueryPairs) {
    let declared: Vec<&str> = plugin
        .exporter_info()
        .map(|i| i.parameters.iter().map(|p| p.name.as_str()).collect())
        .unwrap_or_default();
    pairs
        .into_iter()
        .partition(|(k, _)| declared.contains(&k.as_str()))
}

/// Sets the media type, and for formats meant to be saved, `attachment` with `filename.ext`.
pub fn set_download_headers(response: &mut Response, format: &FormatInfo, filename: &str) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&format.media_type) {
        headers.insert(CONTENT_TYPE, value);
    }
    // A browser must take the media type as given, never guess a runnable one from the
    // bytes (a plugin exporter chooses both).
    headers.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if format.attachment
        && let Ok(value) = HeaderValue::from_str(&format!(
            "attachment; filename=\"{filename}.{}\"",
            format.extension
        ))
    {
        headers.insert(CONTENT_DISPOSITION, value);
    }
}
