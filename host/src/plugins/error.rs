//! `PluginError`: everything that can go wrong with a plugin, each with its API code.

use thiserror::Error;

use crate::store::StoreError;

#[derive(Debug, Error)]
pub enum PluginError {
    #[error("the plugin engine failed: {0}")]
    Engine(String),
    /// Not installed; `code` says which check failed (`plugin_not_a_component`,
    /// `plugin_wrong_world`, `plugin_forbidden_import`, `plugin_invalid_manifest`).
    #[error("plugin `{plugin}` was refused: {reason}")]
    Refused {
        plugin: String,
        code: &'static str,
        reason: String,
    },
    #[error("there is no plugin `{0}`")]
    UnknownPlugin(String),
    #[error("there is no indicator `{0}`")]
    UnknownIndicator(String),
    #[error("plugin `{plugin}` is disabled by the office")]
    Disabled { plugin: String },
    #[error("plugin `{plugin}` has no earlier version to roll back to")]
    NothingToRollBack { plugin: String },
    #[error("`{parameter}`: {reason}")]
    InvalidParameter { parameter: String, reason: String },
    #[error("plugin `{plugin}` ran past its time limit of {limit_ms} ms")]
    Timeout { plugin: String, limit_ms: u128 },
    #[error(
        "plugin `{plugin}` used up this request's time budget of {limit_ms} ms over all its calls"
    )]
    RequestTimeout { plugin: String, limit_ms: u128 },
    #[error(
        "plugin `{plugin}` asked the host for {what}, past the host's limit of {limit_bytes} bytes"
    )]
    HostLimit {
        plugin: String,
        what: String,
        limit_bytes: usize,
    },
    /// Too many instances running at once; the request may be retried.
    #[error("plugin `{plugin}` is busy: {limit} instances {scope} are running")]
    Busy {
        plugin: String,
        limit: usize,
        scope: &'static str,
    },
    #[error("plugin `{plugin}` needed more memory than its limit of {limit_bytes} bytes")]
    MemoryLimit { plugin: String, limit_bytes: usize },
    #[error("plugin `{plugin}` returned more than its limit of {limit_bytes} bytes in one call")]
    OutputLimit { plugin: String, limit_bytes: usize },
    #[error("plugin `{plugin}` used up its fuel of {limit} units")]
    FuelLimit { plugin: String, limit: u64 },
    #[error("plugin `{plugin}` overflowed its stack (too deep a recursion)")]
    StackOverflow { plugin: String },
    #[error("plugin `{plugin}` crashed: {message}")]
    Crashed { plugin: String, message: String },
    #[error("plugin `{plugin}` returned a malformed result: {reason}")]
    InvalidOutput { plugin: String, reason: String },
    /// The plugin itself declined, with its own reason (the WIT `plugin-error`).
    #[error("plugin `{plugin}`: {message}")]
    Declined {
        plugin: String,
        kind: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A plugin exporter's failure travels through the export room boxed (see
/// [`crate::export::ExportError::Exporter`]).
impl From<PluginError> for crate::export::ExportError {
    fn from(err: PluginError) -> Self {
        crate::export::ExportError::Exporter(Box::new(err))
    }
}

impl PluginError {
    /// The plugin error inside an export error, or the export error as an engine failure.
    pub fn from_export(err: crate::export::ExportError) -> PluginError {
        match err {
            crate::export::ExportError::Exporter(inner) => match inner.downcast::<PluginError>() {
                Ok(plugin) => *plugin,
                Err(other) => PluginError::Engine(other.to_string()),
            },
            other => PluginError::Engine(other.to_string()),
        }
    }

    pub(super) fn engine(err: impl std::fmt::Display) -> Self {
        PluginError::Engine(err.to_string())
    }

    /// The error's code in the API's JSON errors (and in `logam plugin check`).
    pub fn code(&self) -> &'static str {
        match self {
            PluginError::Engine(_) => "plugin_engine_error",
            PluginError::Refused { code, .. } => code,
            PluginError::UnknownPlugin(_) => "unknown_plugin",
            PluginError::UnknownIndicator(_) => "unknown_indicator",
            PluginError::Disabled { .. } => "plugin_disabled",
            PluginError::NothingToRollBack { .. } => "nothing_to_roll_back",
            PluginError::InvalidParameter { .. } => "invalid_parameter",
            PluginError::Timeout { .. } | PluginError::RequestTimeout { .. } => "plugin_timeout",
            PluginError::HostLimit { .. } => "plugin_memory_limit",
            PluginError::Busy { .. } => "plugin_busy",
            PluginError::MemoryLimit { .. } => "plugin_memory_limit",
            PluginError::OutputLimit { .. } => "plugin_output_limit",
            PluginError::FuelLimit { .. } => "plugin_fuel_limit",
            PluginError::StackOverflow { .. } => "plugin_stack_overflow",
            PluginError::Crashed { .. } => "plugin_crashed",
            PluginError::InvalidOutput { .. } => "plugin_invalid_output",
            PluginError::Declined { kind, .. } => kind,
            PluginError::Store(_) => "store_error",
        }
    }

    /// Whether the plugin misbehaved (rather than the request being wrong).
    pub fn is_plugin_fault(&self) -> bool {
        matches!(
            self,
            PluginError::Timeout { .. }
                | PluginError::RequestTimeout { .. }
                | PluginError::HostLimit { .. }
                | PluginError::MemoryLimit { .. }
                | PluginError::OutputLimit { .. }
                | PluginError::FuelLimit { .. }
                | PluginError::StackOverflow { .. }
                | PluginError::Crashed { .. }
                | PluginError::InvalidOutput { .. }
                | PluginError::Declined { kind: "failed", .. }
        )
    }
}
