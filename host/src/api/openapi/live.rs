//! What only the running server knows, written into the derived document per request: the ids
//! of its datasets, indicators and plugins as enums of the `{id}` parameters, the extensions
//! and media types of the formats installed now, and the parameters indicator and exporter
//! plugins declare. Empty lists leave the schemas open (the unit tests' document).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::export::FormatInfo;
use crate::http::{ApiError, AppState};

#[derive(Debug, Clone, Default)]
pub struct Live {
    pub datasets: Vec<String>,
    /// Each indicator's id and its declared parameters (manifest JSON).
    pub indicators: Vec<(String, Vec<Value>)>,
    pub plugins: Vec<String>,
    pub formats: Vec<FormatInfo>,
    /// Each exporter plugin's extension and its declared parameters (manifest JSON).
    pub exporter_parameters: Vec<(String, Vec<Value>)>,
}

impl Live {
    pub async fn read(app: &AppState) -> Result<Live, ApiError> {
        let datasets = app
            .store
            .read(|session| session.datasets(true))
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        let parameters = |manifest: Value| {
            manifest["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        };
        let indicators = app
            .plugins
            .indicators()
            .iter()
            .filter_map(|p| {
                let info = p.indicator_info()?;
                Some((p.id.clone(), parameters(info.to_json())))
            })
            .collect();
        let exporter_parameters = app
            .plugins
            .exporters()
            .iter()
            .filter_map(|p| {
                let info = p.exporter_info()?;
                Some((info.extension.clone(), parameters(info.to_json())))
            })
            .collect();
        Ok(Live {
            datasets,
            indicators,
            plugins: app.plugins.plugins().iter().map(|p| p.id.clone()).collect(),
            formats: crate::http::all_formats(&app.plugins),
            exporter_parameters,
        })
    }

    fn formats_where(&self, keep: impl Fn(&FormatInfo) -> bool) -> Vec<&FormatInfo> {
        self.formats.iter().filter(|f| keep(f)).collect()
    }

    /// The formats a download operation answers in, by its operation id; `None` for an
    /// operation that is not a download.
    fn download_formats(&self, operation_id: &str) -> Option<Vec<&FormatInfo>> {
        let id = operation_id.trim_end_matches("_post");
        Some(match id {
            "rows_export" => self.formats_where(|f| f.datasets),
            "indicator_export" => self.formats_where(|f| f.indicators),
            "query_export" => self.formats_where(|f| f.native),
            _ => {
                let extension = id.strip_prefix("sql_")?;
                self.formats_where(|f| f.native && f.extension == extension)
            }
        })
    }

    fn ids_for(&self, path: &str) -> Option<Vec<String>> {
        if path.starts_with("/api/datasets/") || path.starts_with("/datasets/") {
            Some(self.datasets.clone())
        } else if path.starts_with("/api/indicators/") {
            Some(self.indicators.iter().map(|(id, _)| id.clone()).collect())
        } else if path.starts_with("/api/plugins/") {
            Some(self.plugins.clone())
        } else {
            None
        }
    }
}

/// Fills `document` (as derived) with what this server holds now.
pub fn specialise(document: &mut Value, live: &Live) {
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            let operation_id = operation["operationId"].as_str().unwrap_or("").to_string();
            let formats = live.download_formats(&operation_id);
            let parameters = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut);
            for parameter in parameters.into_iter().flatten() {
                match parameter["name"].as_str() {
                    Some("id") => {
                        if let Some(ids) = live.ids_for(path) {
                            restrict(&mut parameter["schema"], &ids);
                        }
                    }
                    Some("ext") => {
                        if let Some(formats) = &formats {
                            let extensions: Vec<String> =
                                formats.iter().map(|f| f.extension.clone()).collect();
                            restrict(&mut parameter["schema"], &extensions);
                        }
                    }
                    Some("parameters") => append(
                        &mut parameter["description"],
                        &format!("Declared now: {}.", describe(&live.indicators, "indicator")),
                    ),
                    _ => {}
                }
            }
            if let Some(formats) = &formats {
                if operation_id.ends_with("export") {
                    append(
                        &mut operation["description"],
                        &format!(
                            "Exporter parameters declared now: {}.",
                            describe(&live.exporter_parameters, "format")
                        ),
                    );
                }
                if let Some(ok) = operation
                    .get_mut("responses")
                    .and_then(|r| r.get_mut("200"))
                {
                    ok["content"] = download_content(formats);
                }
            }
        }
    }
}

/// An enum of the values held now; with none, the schema stays as derived.
fn restrict(schema: &mut Value, values: &[String]) {
    if values.is_empty() {
        return;
    }
    if let Some(schema) = schema.as_object_mut() {
        schema.remove("pattern");
        schema.insert("enum".into(), json!(values));
    }
}

fn append(text: &mut Value, more: &str) {
    let joined = match text.as_str() {
        Some(existing) if !existing.is_empty() => format!("{existing} {more}"),
        _ => more.to_string(),
    };
    *text = Value::String(joined);
}

/// The media types of `formats`, without parameters, each with the shape of its body.
fn download_content(formats: &[&FormatInfo]) -> Value {
    let mut content = serde_json::Map::new();
    let mut seen = BTreeSet::new();
    for format in formats {
        let media = format
            .media_type
            .split(';')
            .next()
            .unwrap_or("application/octet-stream")
            .trim()
            .to_string();
        if !seen.insert(media.clone()) {
            continue;
        }
        // The native JSON export is an array of row objects; another JSON format (GeoJSON's
        // FeatureCollection, a plugin's) is one object. A typed shape lets a generated
        // client parse the answer instead of leaving the operation out.
        let schema = if media == "application/json" {
            json!({"type": "array", "items": {"type": "object", "additionalProperties": true}})
        } else if media.ends_with("+json") {
            json!({"type": "object", "additionalProperties": true})
        } else {
            json!({"type": "string"})
        };
        content.insert(media, json!({ "schema": schema }));
    }
    if content.is_empty() {
        content.insert("*/*".into(), json!({"schema": {"type": "string"}}));
    }
    Value::Object(content)
}

fn describe(list: &[(String, Vec<Value>)], owner: &str) -> String {
    let described: Vec<String> = list
        .iter()
        .filter(|(_, params)| !params.is_empty())
        .map(|(id, params)| {
            let names: Vec<String> = params
                .iter()
                .map(|p| {
                    let name = p["name"].as_str().unwrap_or("?");
                    match p.get("default") {
                        Some(d) if !d.is_null() => format!("`{name}` (default {d})"),
                        _ => format!("`{name}`"),
                    }
                })
                .collect();
            format!("{owner} `{id}`: {}", names.join(", "))
        })
        .collect();
    if described.is_empty() {
        "none".to_string()
    } else {
        described.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(extension: &str, media_type: &str, native: bool) -> FormatInfo {
        FormatInfo {
            extension: extension.into(),
            media_type: media_type.into(),
            title: Default::default(),
            native,
            datasets: true,
            indicators: true,
            plugin: None,
            attachment: true,
        }
    }

    #[test]
    fn ids_and_formats_of_this_server_become_enums() {
        let live = Live {
            datasets: vec!["klaster_knalpot".into()],
            formats: vec![
                format("csv", "text/csv; charset=utf-8", true),
                format("geojson", "application/geo+json", false),
            ],
            ..Live::default()
        };
        let document = super::super::document(&live);
        let export = &document["paths"]["/api/datasets/{id}/rows.{ext}"]["get"];
        let parameter = |name: &str| {
            export["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap()
                .clone()
        };
        assert_eq!(
            parameter("id")["schema"]["enum"],
            json!(["klaster_knalpot"])
        );
        assert_eq!(
            parameter("ext")["schema"]["enum"],
            json!(["csv", "geojson"])
        );
        let content = export["responses"]["200"]["content"].as_object().unwrap();
        assert!(content.contains_key("text/csv"));
        assert!(content.contains_key("application/geo+json"));
        let queries = &document["paths"]["/api/datasets/{id}/queries/{name}.{ext}"]["get"];
        let ext = queries["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "ext")
            .unwrap();
        assert_eq!(ext["schema"]["enum"], json!(["csv"]));
    }
}
