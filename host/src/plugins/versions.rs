//! Versions are immutable and ordered: one id and version name one component forever, and a
//! new install may not go below the version that is current (going back is what rollback is
//! for). And what a new component would do to what is installed, said plainly in a
//! submission's report.

use std::cmp::Ordering;

use super::registry::{Plugin, Registry};
use super::{PluginError, PluginHost};

fn parse(version: &str) -> Option<semver::Version> {
    semver::Version::parse(version).ok()
}

/// Semver precedence (build metadata ignored); text that is not semver sorts by itself.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a.cmp_precedence(&b),
        _ => a.cmp(b),
    }
}

/// What installing a component would do to the plugin installed under its id.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Replacement {
    /// `replace` (same version and bytes from another source), `upgrade` or `downgrade`.
    pub change: &'static str,
    pub id: String,
    pub installed_version: String,
    pub new_version: String,
    /// Whose the installed plugin is: `bundled` (the office's, built into the binary),
    /// `admin` (installed by the office) or `folder`.
    pub installed_source: &'static str,
    /// Whether approving it needs the admin's explicit confirmation (`?replace=ID`): always
    /// when it would take over a plugin that is installed.
    pub needs_confirmation: bool,
    pub message: String,
}

impl PluginHost {
    /// What `plugin` would do to the current plugin of its id in `registry`, if there is one.
    pub fn replacement(&self, plugin: &Plugin, registry: &Registry) -> Option<Replacement> {
        let current = registry.get(&plugin.id)?;
        let change = match compare(&plugin.version, &current.version) {
            Ordering::Greater => "upgrade",
            Ordering::Less => "downgrade",
            Ordering::Equal => "replace",
        };
        let whose = match current.source.kind() {
            "bundled" => "the office's bundled plugin",
            "admin" => "a plugin installed by the office",
            _ => "a plugin from the office's plugins folder",
        };
        Some(Replacement {
            change,
            id: plugin.id.clone(),
            installed_version: current.version.clone(),
            new_version: plugin.version.clone(),
            installed_source: current.source.kind(),
            needs_confirmation: true,
            message: format!(
                "this would {change} `{}` {}, {whose}, with {}; approving it needs the admin's \
                 explicit confirmation",
                plugin.id, current.version, plugin.version
            ),
        })
    }

    /// Refuses a component whose id and version were installed before with other bytes (a
    /// version names one component forever), or whose version is below the current one.
    pub(super) fn check_version(
        &self,
        plugin: &Plugin,
        registry: &Registry,
    ) -> Result<(), PluginError> {
        let refuse = |code: &'static str, reason: String| PluginError::Refused {
            plugin: plugin.id.clone(),
            code,
            reason,
        };
        // Every version ever recorded for this id, retired ones too. The bundled version is
        // the binary's own: a rebuild of the same source may differ in its bytes, so it is
        // not held to its sha256 (but to its order, below).
        let known: Vec<(String, String)> = self
            .store
            .plugin_history(&plugin.id)?
            .into_iter()
            .map(|i| (i.version, i.sha256))
            .collect();
        if let Some((version, sha256)) = known
            .iter()
            .find(|(version, sha256)| *version == plugin.version && *sha256 != plugin.sha256)
        {
            return Err(refuse(
                "plugin_version_exists",
                format!(
                    "`{}` {version} is already the component with sha256 {sha256}; a version \
                     is never reused for other bytes, so give this one a new version",
                    plugin.id
                ),
            ));
        }
        if let Some(current) = registry.get(&plugin.id)
            && compare(&plugin.version, &current.version) == Ordering::Less
        {
            return Err(refuse(
                "plugin_downgrade",
                format!(
                    "`{}` {} is older than the current {}; to go back, roll back \
                     (POST /admin/plugins/{}/rollback)",
                    plugin.id, plugin.version, current.version, plugin.id
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_by_semver_precedence() {
        assert_eq!(compare("2.0.0", "1.9.9"), Ordering::Greater);
        assert_eq!(compare("1.10.0", "1.9.0"), Ordering::Greater);
        assert_eq!(compare("1.0.0-rc.1", "1.0.0"), Ordering::Less);
        assert_eq!(compare("1.0.0+a", "1.0.0+b"), Ordering::Equal);
    }
}
