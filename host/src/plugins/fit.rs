//! Whether an exporter fits a table, asked before a link to it is offered. The contract lets
//! an exporter refuse a table it cannot encode (GeoJSON without coordinates) only when the
//! export runs, by its first `write` or its `finish`; a page or a catalog that offered every
//! format would then advertise links that answer 422. So the host asks in advance the same
//! way: it starts an export of the table's columns with the default parameters and finishes
//! it with no rows. An exporter that refuses, or fails, an empty table of these columns does
//! not fit them. The answer depends only on the component and the columns, so it is
//! remembered by (sha256, columns) and a page asks each exporter once per schema.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Plugin, PluginError, PluginHost};
use crate::export::{ExportError, ExportSchema, Exporter};

/// Answers kept; past this the memo starts again (schemas are few: one per dataset and
/// column selection), so a client asking for many `_col` selections cannot grow it.
const REMEMBERED: usize = 4096;

#[derive(Default)]
pub(super) struct FitMemo {
    answers: Mutex<HashMap<(String, String), bool>>,
}

/// The columns as the exporter sees them: names and types, in order.
fn columns_key(schema: &ExportSchema) -> String {
    schema
        .names
        .iter()
        .zip(&schema.types)
        .map(|(name, column_type)| format!("{name}:{}", column_type.as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

/// What a probe's failure says: `Some(false)` when the exporter does not fit the table (its
/// refusal, or a fault on an empty table), `None` when the host could not ask just now (no
/// free instance): the link is then offered, as it was before the host asked.
fn verdict(err: &ExportError) -> Option<bool> {
    let ExportError::Exporter(inner) = err else {
        return Some(false);
    };
    match inner.downcast_ref::<PluginError>() {
        Some(
            PluginError::Busy { .. }
            | PluginError::HostLimit { .. }
            | PluginError::RequestTimeout { .. }
            | PluginError::Engine(_),
        ) => None,
        _ => Some(false),
    }
}

impl PluginHost {
    /// Whether `plugin`'s exporter can export a table of `schema`'s columns. Blocking: it may
    /// run the plugin once (under its usual limits), so call it off the async runtime.
    pub fn exporter_fits(&self, plugin: &Arc<Plugin>, schema: &ExportSchema) -> bool {
        let key = (plugin.sha256.clone(), columns_key(schema));
        let known = self
            .fits
            .answers
            .lock()
            .ok()
            .and_then(|answers| answers.get(&key).copied());
        if let Some(known) = known {
            return known;
        }
        let Some(fits) = self.probe_fit(plugin, schema) else {
            return true;
        };
        if let Ok(mut answers) = self.fits.answers.lock() {
            if answers.len() >= REMEMBERED {
                answers.clear();
            }
            answers.insert(key, fits);
        }
        fits
    }

    /// Runs an empty export; `None` when it could not run now.
    fn probe_fit(&self, plugin: &Arc<Plugin>, schema: &ExportSchema) -> Option<bool> {
        let mut exporter = match self.open_exporter(plugin.clone(), &[]) {
            Ok(exporter) => exporter,
            // Parameters without defaults that the exporter requires: only a request that
            // sets them can tell; the link is offered.
            Err(PluginError::InvalidParameter { .. }) => return None,
            Err(PluginError::Busy { .. } | PluginError::HostLimit { .. }) => return None,
            Err(_) => return Some(false),
        };
        // A probe is not a call anyone asked for: it is left out of the plugin's statistics.
        exporter.leave_out_of_statistics();
        let mut out = Vec::new();
        let result = exporter
            .begin(schema, &mut out)
            .and_then(|()| exporter.finish(&mut out));
        match result {
            Ok(()) => Some(true),
            Err(err) => verdict(&err),
        }
    }
}
