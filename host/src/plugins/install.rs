//! Preparing a component for the registry: compile, check its world and imports, ask for its
//! manifest under the production limits, and check the manifest against the catalog.

use std::sync::Arc;

use super::bindings::exporter::ExporterPre;
use super::bindings::exporter::exports::logam::plugin::exporter_plugin::{ExporterInfo, Targets};
use super::bindings::indicator::IndicatorPre;
use super::bindings::indicator::exports::logam::plugin::indicator_plugin::IndicatorInfo;
use super::bindings::types;
use super::manifest::{ExporterManifest, IndicatorManifest};
use super::registry::{Code, Plugin, Registry, Source};
use super::{PluginError, PluginHost, fault, sha256_hex};
use crate::store::PluginInstall;

/// The slot key every install's, submission's and check's `describe()` shares, so that they
/// take at most one plugin's share of the running instances.
const INSTALL_SLOTS: &str = "(install)";

/// Extensions the host serves itself; an exporter may not take them over.
const NATIVE_EXTENSIONS: &[&str] = &["csv", "json", "ndjson"];

fn invalid(plugin: &str, reason: String) -> PluginError {
    PluginError::Refused {
        plugin: plugin.to_string(),
        code: "plugin_invalid_manifest",
        reason,
    }
}

fn is_plugin_id(id: &str) -> bool {
    id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `MAJOR.MINOR.PATCH`, optionally with `-pre` and `+build` parts (semver 2.0).
fn is_semver(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    version.len() <= 64
        && parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars().all(|c| c.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        })
        && version[core.len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c))
}

fn is_extension(extension: &str) -> bool {
    extension.len() <= 32
        && extension.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// Manifest limits: every string a plugin says about itself is shown to every client of
/// `/api/plugins` and `/api/indicators`, so each has a bound, and so has every list.
pub const TITLE_BYTES: usize = 500;
pub const TEXT_BYTES: usize = 16 << 10;
pub const MAX_PARAMETERS: usize = 32;
pub const MAX_INPUTS: usize = 16;
pub const MAX_INPUT_COLUMNS: usize = 128;

fn check_text(
    plugin: &str,
    what: &str,
    text: &types::Bilingual,
    limit: usize,
) -> Result<(), PluginError> {
    for (language, half) in [("id", &text.id), ("en", &text.en)] {
        if half.len() > limit {
            return Err(invalid(
                plugin,
                format!(
                    "the {what} ({language}) is {} bytes; the limit is {limit}",
                    half.len()
                ),
            ));
        }
    }
    Ok(())
}

fn check_count(plugin: &str, what: &str, count: usize, limit: usize) -> Result<(), PluginError> {
    if count > limit {
        return Err(invalid(
            plugin,
            format!("it declares {count} {what}; the limit is {limit}"),
        ));
    }
    Ok(())
}

fn check_parameters(plugin: &str, parameters: &[types::Parameter]) -> Result<(), PluginError> {
    check_count(plugin, "parameters", parameters.len(), MAX_PARAMETERS)?;
    let mut seen = std::collections::HashSet::new();
    for p in parameters {
        check_text(plugin, "title of a parameter", &p.title, TITLE_BYTES)?;
        check_text(
            plugin,
            "description of a parameter",
            &p.description,
            TEXT_BYTES,
        )?;
        if let Some(types::Scalar::Text(default)) = &p.default
            && default.len() > TITLE_BYTES
        {
            return Err(invalid(
                plugin,
                format!(
                    "the default of a parameter is {} bytes; the limit is {TITLE_BYTES}",
                    default.len()
                ),
            ));
        }
        let valid_name = p.name.len() <= 64
            && p.name.starts_with(|c: char| c.is_ascii_lowercase())
            && p.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !valid_name {
            return Err(invalid(
                plugin,
                format!(
                    "parameter name {:?} must match [a-z][a-z0-9_-]* (names starting with _ are the host's)",
                    p.name.chars().take(80).collect::<String>()
                ),
            ));
        }
        if !seen.insert(p.name.as_str()) {
            return Err(invalid(
                plugin,
                format!("parameter `{}` is declared twice", p.name),
            ));
        }
        if p.required && p.default.is_some() {
            return Err(invalid(
                plugin,
                format!(
                    "parameter `{}` is required and so cannot have a default",
                    p.name
                ),
            ));
        }
        if let Some(default) = &p.default {
            let fits = matches!(
                (p.type_, default),
                (types::ColumnType::Integer, types::Scalar::Integer(_))
                    | (types::ColumnType::Real, types::Scalar::Real(_))
                    | (types::ColumnType::Boolean, types::Scalar::Boolean(_))
                    | (
                        types::ColumnType::Text | types::ColumnType::Date,
                        types::Scalar::Text(_)
                    )
            );
            if !fits {
                return Err(invalid(
                    plugin,
                    format!("the default of parameter `{}` is not of its type", p.name),
                ));
            }
        }
    }
    Ok(())
}

fn check_common(
    id: &str,
    version: &str,
    title: &types::Bilingual,
    description: &types::Bilingual,
) -> Result<(), PluginError> {
    if !is_plugin_id(id) {
        return Err(invalid(
            id,
            format!(
                "id {:?} must match [a-z][a-z0-9-]* and be at most 64 characters",
                id.chars().take(80).collect::<String>()
            ),
        ));
    }
    if !is_semver(version) {
        return Err(invalid(
            id,
            format!(
                "version {:?} is not semver (MAJOR.MINOR.PATCH)",
                version.chars().take(80).collect::<String>()
            ),
        ));
    }
    check_text(id, "title", title, TITLE_BYTES)?;
    check_text(id, "description", description, TEXT_BYTES)?;
    if title.id.trim().is_empty() {
        return Err(invalid(id, "the Indonesian title is empty".into()));
    }
    Ok(())
}

impl PluginHost {
    /// Compiles and checks a component, and returns it ready for the registry (not yet in
    /// it). With `installing_into`, also refuses a manifest that clashes with another
    /// installed plugin.
    pub(super) fn prepare(
        &self,
        name: &str,
        bytes: &[u8],
        source: Source,
        install: Option<&PluginInstall>,
        installing_into: Option<&Registry>,
    ) -> Result<Plugin, PluginError> {
        let sha256 = sha256_hex(bytes);
        let (component, is_indicator) = self.runtime.compile(name, bytes, &sha256)?;
        let instance_pre = self
            .runtime
            .linker
            .instantiate_pre(&component)
            .map_err(|e| PluginError::Refused {
                plugin: name.to_string(),
                code: "plugin_forbidden_import",
                reason: format!("it cannot be linked against what the host grants: {e:#}"),
            })?;
        let describe_failed = |e: PluginError| invalid(name, format!("describe() failed: {e}"));
        let code = if is_indicator {
            let pre = IndicatorPre::new(instance_pre).map_err(|e| PluginError::Refused {
                plugin: name.to_string(),
                code: "plugin_wrong_world",
                reason: format!("it does not fit world `indicator`: {e:#}"),
            })?;
            let mut store = self.runtime.store(INSTALL_SLOTS)?;
            let info = pre
                .instantiate(&mut store)
                .and_then(|i| i.logam_plugin_indicator_plugin().call_describe(&mut store))
                .map_err(|e| {
                    describe_failed(fault::classify(name, &self.runtime.limits, e, &store))
                })?;
            // Inputs are checked against the catalog at install; a bundled or recorded plugin
            // whose dataset is missing from this database stays listed and answers 404 when
            // run, rather than stopping the server.
            self.check_indicator(&info, installing_into.is_some())?;
            Code::Indicator {
                manifest: Arc::new(IndicatorManifest::from(&info)),
                info: Box::new(info),
                pre,
            }
        } else {
            let pre = ExporterPre::new(instance_pre).map_err(|e| PluginError::Refused {
                plugin: name.to_string(),
                code: "plugin_wrong_world",
                reason: format!("it does not fit world `exporter`: {e:#}"),
            })?;
            let mut store = self.runtime.store(INSTALL_SLOTS)?;
            let info = pre
                .instantiate(&mut store)
                .and_then(|i| i.logam_plugin_exporter_plugin().call_describe(&mut store))
                .map_err(|e| {
                    describe_failed(fault::classify(name, &self.runtime.limits, e, &store))
                })?;
            check_exporter(&info, installing_into)?;
            Code::Exporter {
                manifest: Arc::new(ExporterManifest::from(&info)),
                info: Box::new(info),
                pre,
            }
        };
        let (id, version) = match &code {
            Code::Indicator { info, .. } => (info.id.clone(), info.version.clone()),
            Code::Exporter { info, .. } => (info.id.clone(), info.version.clone()),
        };
        if let Some(registry) = installing_into
            && let Some(existing) = registry.get(&id)
            && existing.kind()
                != if is_indicator {
                    "indicator"
                } else {
                    "exporter"
                }
        {
            return Err(invalid(
                &id,
                format!(
                    "id `{id}` belongs to an installed {}; a plugin cannot change its kind",
                    existing.kind()
                ),
            ));
        }
        // Accepted: only now may its compiled form go to the cache.
        self.runtime.remember(&sha256, &component);
        Ok(Plugin {
            stats: self.stats_for(&sha256),
            id,
            version,
            sha256,
            size: bytes.len(),
            source,
            seq: install.map(|i| i.seq),
            installed_at: install.map(|i| i.installed_at.clone()),
            enabled: true,
            metadata: super::metadata::read(bytes),
            code,
        })
    }

    /// The inputs must name datasets and columns that exist: they are the plugin's grant.
    fn check_indicator(&self, info: &IndicatorInfo, check_inputs: bool) -> Result<(), PluginError> {
        check_common(&info.id, &info.version, &info.title, &info.description)?;
        for (what, text) in [
            ("konsep", &info.konsep),
            ("definisi", &info.definisi),
            ("rumus", &info.rumus),
            ("ukuran", &info.ukuran),
            ("satuan", &info.satuan),
            ("interpretasi", &info.interpretasi),
            ("frekuensi", &info.frekuensi),
        ] {
            check_text(&info.id, what, text, TEXT_BYTES)?;
        }
        check_parameters(&info.id, &info.parameters)?;
        check_count(&info.id, "inputs", info.inputs.len(), MAX_INPUTS)?;
        for input in &info.inputs {
            check_count(
                &info.id,
                "columns in one input",
                input.columns.len(),
                MAX_INPUT_COLUMNS,
            )?;
        }
        if info.inputs.is_empty() {
            return Err(invalid(&info.id, "it declares no inputs".into()));
        }
        if !check_inputs {
            return Ok(());
        }
        let id = info.id.clone();
        let inputs: Vec<(String, Vec<String>)> = info
            .inputs
            .iter()
            .map(|i| (i.dataset.clone(), i.columns.clone()))
            .collect();
        self.store.read_blocking(|session| {
            for (dataset, columns) in &inputs {
                let meta = match session.dataset(dataset) {
                    Ok(meta) => meta,
                    Err(_) => {
                        return Ok(Err(invalid(
                            &id,
                            format!(
                                "input dataset `{}` does not exist",
                                dataset.chars().take(80).collect::<String>()
                            ),
                        )));
                    }
                };
                if columns.is_empty() {
                    return Ok(Err(invalid(
                        &id,
                        format!("input `{dataset}` names no columns"),
                    )));
                }
                for column in columns {
                    if meta.column(column).is_none() {
                        return Ok(Err(invalid(
                            &id,
                            format!(
                                "dataset `{dataset}` has no column `{}`",
                                column.chars().take(80).collect::<String>()
                            ),
                        )));
                    }
                }
            }
            Ok(Ok(()))
        })?
    }
}

fn check_exporter(info: &ExporterInfo, registry: Option<&Registry>) -> Result<(), PluginError> {
    check_common(&info.id, &info.version, &info.title, &info.description)?;
    check_parameters(&info.id, &info.parameters)?;
    if !is_extension(&info.extension) {
        return Err(invalid(
            &info.id,
            format!(
                "extension {:?} must be [a-z0-9]+ parts joined by dots",
                info.extension.chars().take(40).collect::<String>()
            ),
        ));
    }
    if NATIVE_EXTENSIONS.contains(&info.extension.as_str()) {
        return Err(invalid(
            &info.id,
            format!("extension .{} is the host's own format", info.extension),
        ));
    }
    let media_type_ok = info.media_type.len() <= 200
        && info.media_type.contains('/')
        // What an HTTP header value may hold (visible ASCII, spaces and tabs), checked here so
        // that the download's Content-Type can always be written.
        && info
            .media_type
            .bytes()
            .all(|b| b == b'\t' || (0x20..0x7f).contains(&b));
    if !media_type_ok {
        return Err(invalid(
            &info.id,
            format!(
                "media type {:?} is not a valid Content-Type",
                info.media_type.chars().take(80).collect::<String>()
            ),
        ));
    }
    if runs_in_browser(&info.media_type) {
        return Err(invalid(
            &info.id,
            format!(
                "media type {:?} would run in a browser (HTML, XHTML, SVG, XML or script); \
                 an exporter's bytes are shown as the host's own",
                info.media_type.chars().take(80).collect::<String>()
            ),
        ));
    }
    if info.targets == Targets::empty() {
        return Err(invalid(
            &info.id,
            "it fits neither datasets nor indicators".into(),
        ));
    }
    if let Some(registry) = registry
        && let Some(other) = registry.exporter_for(&info.extension)
        && other.id != info.id
    {
        return Err(invalid(
            &info.id,
            format!(
                "extension .{} is already served by plugin `{}`",
                info.extension, other.id
            ),
        ));
    }
    Ok(())
}

/// Media types a browser renders as a document that can run script, from this origin.
fn runs_in_browser(media_type: &str) -> bool {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let subtype = essence.split('/').nth(1).unwrap_or("");
    essence.starts_with("text/html")
        || subtype.contains("html")
        || subtype.contains("javascript")
        || subtype.contains("ecmascript")
        || subtype == "xml"
        || subtype.ends_with("+xml")
        || essence == "multipart/x-mixed-replace"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_and_names() {
        for good in ["0.1.0", "1.2.3", "10.0.0-rc.1", "1.0.0+build.5"] {
            assert!(is_semver(good), "{good}");
        }
        for bad in ["1.2", "01.2.3", "1.2.x", "", "1.2.3 ", "v1.2.3"] {
            assert!(!is_semver(bad), "{bad}");
        }
        assert!(is_extension("sdmx.csv") && is_extension("geojson"));
        assert!(!is_extension("a..b") && !is_extension("CSV") && !is_extension("x/y"));
        assert!(!is_extension("zoo-stuck") && !is_extension(".csv") && !is_extension("csv."));
        assert!(runs_in_browser("text/html; charset=utf-8") && runs_in_browser("image/svg+xml"));
        assert!(runs_in_browser("application/xhtml+xml") && runs_in_browser("text/JavaScript"));
        assert!(!runs_in_browser("text/markdown; charset=utf-8"));
        assert!(!runs_in_browser("application/geo+json") && !runs_in_browser("text/csv"));
        assert!(is_plugin_id("rupiah-per-unit") && !is_plugin_id("Rupiah") && !is_plugin_id("a.b"));
    }
}
