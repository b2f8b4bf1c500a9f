//! The watched plugins folder: dropping a `.wasm` file in installs it, replacing it
//! upgrades, deleting it removes what it installed.
//!
//! Polling (every [`POLL`]) rather than inotify: the folder is small, polling works the same
//! on network and container mounts, and a file is read only once its size and modification
//! time have held still for one poll, so a copy in progress is never installed half-written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{PluginHost, Source};
use crate::store::Actor;

/// Who the audit log says acted when a file in the folder changed.
fn folder() -> Actor {
    Actor::new("plugins-dir", "folder")
}

fn removal(file: &str) -> impl Fn(&str) -> crate::store::AuditRow + '_ {
    move |id| {
        folder().audit(
            "plugin.remove",
            id,
            serde_json::json!({ "source": format!("dir:{file}"), "reason": "file deleted" }),
        )
    }
}

pub const POLL: Duration = Duration::from_millis(500);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Seen {
    size: u64,
    modified: Option<SystemTime>,
}

#[derive(Default)]
struct FileState {
    /// Last (size, mtime) observed, and whether it has been acted on.
    seen: Option<Seen>,
    handled: Option<Seen>,
    sha256: Option<String>,
}

/// Watches `dir` on a thread of its own until the process ends.
pub fn spawn(host: Arc<PluginHost>, dir: PathBuf) -> std::io::Result<()> {
    std::fs::create_dir_all(&dir)?;
    let mut files: HashMap<String, FileState> = HashMap::new();
    // The first pass installs what is there now, before the server starts listening.
    sync(&host, &dir, &mut files, true);
    std::thread::Builder::new()
        .name("logam-plugins-dir".into())
        .spawn(move || {
            loop {
                std::thread::sleep(POLL);
                sync(&host, &dir, &mut files, false);
            }
        })?;
    Ok(())
}

fn wasm_files(dir: &Path) -> HashMap<String, Seen> {
    let mut found = HashMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".wasm") || name.starts_with('.') {
            continue;
        }
        if let Ok(meta) = entry.metadata()
            && meta.is_file()
        {
            found.insert(
                name,
                Seen {
                    size: meta.len(),
                    modified: meta.modified().ok(),
                },
            );
        }
    }
    found
}

fn sync(host: &PluginHost, dir: &Path, files: &mut HashMap<String, FileState>, first: bool) {
    let present = wasm_files(dir);
    for (name, seen) in &present {
        let state = files.entry(name.clone()).or_default();
        let settled = first || state.seen == Some(*seen);
        state.seen = Some(*seen);
        if !settled || state.handled == Some(*seen) {
            continue;
        }
        state.handled = Some(*seen);
        let Ok(bytes) = std::fs::read(dir.join(name)) else {
            continue;
        };
        let sha256 = super::sha256_hex(&bytes);
        if state.sha256.as_deref() == Some(sha256.as_str()) {
            continue; // touched, not changed
        }
        let audit = |plugin: &super::Plugin, changed: bool| {
            folder().audit(
                "plugin.install",
                plugin.id.clone(),
                serde_json::json!({
                    "version": plugin.version,
                    "sha256": plugin.sha256,
                    "changed": changed,
                    "file": name,
                }),
            )
        };
        match host.install(
            name,
            &bytes,
            Source::Folder(name.clone()),
            "plugins-dir",
            None,
            &audit,
        ) {
            Ok(installed) => {
                state.sha256 = Some(sha256);
                if installed.changed {
                    tracing::info!(file = %name, plugin = %installed.plugin.id, version = %installed.plugin.version, "installed from the plugins folder");
                }
            }
            // The running version (if any) stays; the file is retried when it changes.
            Err(e) => {
                tracing::error!(file = %name, error = %e, "a plugin in the plugins folder was refused")
            }
        }
    }
    let gone: Vec<String> = files
        .keys()
        .filter(|name| !present.contains_key(*name))
        .cloned()
        .collect();
    for name in gone {
        files.remove(&name);
        if let Err(e) = host.remove_source(&Source::Folder(name.clone()), &removal(&name)) {
            tracing::error!(file = %name, error = %e, "could not remove a plugin whose file was deleted");
        }
    }
    if first {
        // Files deleted while the server was down: retire what they had installed.
        if let Ok(installs) = host.store.current_plugin_installs() {
            for install in installs {
                if let Some(file) = install.source.strip_prefix("dir:")
                    && !present.contains_key(file)
                {
                    let _ = host.remove_source(&Source::Folder(file.to_string()), &removal(file));
                }
            }
        }
    }
}
