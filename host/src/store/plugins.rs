//! Installed plugins, persisted: each install's component bytes and manifest, which one is
//! current, and which plugins are disabled. The plugin room decides; this room remembers.

use rusqlite::{OptionalExtension, params};

use super::tokens::{AuditRow, append_audit};
use super::{Store, StoreError, write::now_utc};

/// One install of a plugin version.
#[derive(Debug, Clone)]
pub struct PluginInstall {
    pub seq: i64,
    pub plugin_id: String,
    pub kind: String,
    pub version: String,
    pub sha256: String,
    /// `admin` (over the API) or `dir:FILE` (from the watched plugins folder).
    pub source: String,
    pub installed_by: String,
    pub installed_at: String,
    pub retired: bool,
}

/// What to record for a new install.
pub struct NewInstall<'a> {
    pub plugin_id: &'a str,
    pub kind: &'a str,
    pub version: &'a str,
    pub sha256: &'a str,
    pub component: &'a [u8],
    pub manifest: &'a str,
    pub source: &'a str,
    pub installed_by: &'a str,
    /// The submission this install approves: marked approved in the same transaction, and
    /// the install refused if it was decided meanwhile.
    pub approves: Option<i64>,
}

fn install_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PluginInstall> {
    Ok(PluginInstall {
        seq: r.get(0)?,
        plugin_id: r.get(1)?,
        kind: r.get(2)?,
        version: r.get(3)?,
        sha256: r.get(4)?,
        source: r.get(5)?,
        installed_by: r.get(6)?,
        installed_at: r.get(7)?,
        retired: r.get::<_, Option<String>>(8)?.is_some(),
    })
}

const INSTALL_COLUMNS: &str =
    "seq, plugin_id, kind, version, sha256, source, installed_by, installed_at, retired_at";

impl Store {
    /// Records an install and its audit row in one transaction; it becomes the plugin's
    /// current version. Returns its row.
    pub fn record_plugin_install(
        &self,
        new: &NewInstall<'_>,
        audit: &AuditRow,
    ) -> Result<PluginInstall, StoreError> {
        self.write_blocking(|conn| {
            let now = now_utc();
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO _logam_plugin_installs(plugin_id, kind, version, sha256, component, \
                 manifest, source, installed_by, installed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    new.plugin_id,
                    new.kind,
                    new.version,
                    new.sha256,
                    new.component,
                    new.manifest,
                    new.source,
                    new.installed_by,
                    now
                ],
            )?;
            let seq = tx.last_insert_rowid();
            if let Some(submission) = new.approves
                && !super::submissions::decide(
                    &tx,
                    submission,
                    "approved",
                    None,
                    &audit.actor.name,
                )?
            {
                return Err(StoreError::InvalidData {
                    dataset: "(submissions)".into(),
                    reason: format!("submission {submission} was decided meanwhile"),
                });
            }
            append_audit(&tx, audit)?;
            tx.commit()?;
            Ok(PluginInstall {
                seq,
                plugin_id: new.plugin_id.to_string(),
                kind: new.kind.to_string(),
                version: new.version.to_string(),
                sha256: new.sha256.to_string(),
                source: new.source.to_string(),
                installed_by: new.installed_by.to_string(),
                installed_at: now,
                retired: false,
            })
        })
    }

    /// Retires the current install of `plugin_id` (a rollback). Returns it, or `None` when
    /// the plugin has no install left to retire.
    pub fn retire_current_plugin(
        &self,
        plugin_id: &str,
        audit: &AuditRow,
    ) -> Result<Option<i64>, StoreError> {
        self.write_blocking(|conn| {
            let tx = conn.transaction()?;
            let current: Option<i64> = tx
                .query_row(
                    "SELECT max(seq) FROM _logam_plugin_installs \
                     WHERE plugin_id = ?1 AND retired_at IS NULL",
                    [plugin_id],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            if let Some(seq) = current {
                tx.execute(
                    "UPDATE _logam_plugin_installs SET retired_at = ?2 WHERE seq = ?1",
                    params![seq, now_utc()],
                )?;
                append_audit(&tx, audit)?;
                tx.commit()?;
            }
            Ok(current)
        })
    }

    /// Retires every live install that came from `source` (a file removed from the plugins
    /// folder), except those of `keep` (the plugin the file holds now). Returns the plugin
    /// ids affected; `audit` makes one row per id, written in the same transaction.
    pub fn retire_plugin_source(
        &self,
        source: &str,
        keep: Option<&str>,
        audit: &dyn Fn(&str) -> AuditRow,
    ) -> Result<Vec<String>, StoreError> {
        let keep = keep.unwrap_or("");
        self.write_blocking(|conn| {
            let tx = conn.transaction()?;
            let ids = {
                let mut stmt = tx.prepare(
                    "SELECT DISTINCT plugin_id FROM _logam_plugin_installs \
                     WHERE source = ?1 AND retired_at IS NULL AND plugin_id <> ?2",
                )?;
                stmt.query_map([source, keep], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?
            };
            tx.execute(
                "UPDATE _logam_plugin_installs SET retired_at = ?2 \
                 WHERE source = ?1 AND retired_at IS NULL AND plugin_id <> ?3",
                params![source, now_utc(), keep],
            )?;
            for id in &ids {
                append_audit(&tx, &audit(id))?;
            }
            tx.commit()?;
            Ok(ids)
        })
    }

    pub fn set_plugin_enabled(
        &self,
        plugin_id: &str,
        enabled: bool,
        audit: &AuditRow,
    ) -> Result<(), StoreError> {
        self.write_blocking(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO _logam_plugin_status(plugin_id, enabled, changed_at) \
                 VALUES (?1, ?2, ?3) ON CONFLICT(plugin_id) DO UPDATE \
                 SET enabled = excluded.enabled, changed_at = excluded.changed_at",
                params![plugin_id, enabled as i64, now_utc()],
            )?;
            append_audit(&tx, audit)?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Plugin ids that are disabled.
    pub fn disabled_plugins(&self) -> Result<Vec<String>, StoreError> {
        self.write_blocking(|conn| {
            let mut stmt =
                conn.prepare("SELECT plugin_id FROM _logam_plugin_status WHERE enabled = 0")?;
            let ids = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ids)
        })
    }

    /// The current install of every plugin that has one (its newest row not retired).
    pub fn current_plugin_installs(&self) -> Result<Vec<PluginInstall>, StoreError> {
        self.write_blocking(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {INSTALL_COLUMNS} FROM _logam_plugin_installs WHERE seq IN \
                 (SELECT max(seq) FROM _logam_plugin_installs WHERE retired_at IS NULL \
                  GROUP BY plugin_id) ORDER BY plugin_id"
            ))?;
            let rows = stmt
                .query_map([], install_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Every install of one plugin, newest first (for the history shown in `/api/plugins`).
    pub fn plugin_history(&self, plugin_id: &str) -> Result<Vec<PluginInstall>, StoreError> {
        self.write_blocking(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {INSTALL_COLUMNS} FROM _logam_plugin_installs WHERE plugin_id = ?1 \
                 ORDER BY seq DESC"
            ))?;
            let rows = stmt
                .query_map([plugin_id], install_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// The component bytes of one install.
    pub fn plugin_component(&self, seq: i64) -> Result<Vec<u8>, StoreError> {
        self.write_blocking(|conn| {
            Ok(conn.query_row(
                "SELECT component FROM _logam_plugin_installs WHERE seq = ?1",
                [seq],
                |r| r.get(0),
            )?)
        })
    }
}
