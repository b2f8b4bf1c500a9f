//! What a plugin says about itself, in the host's own types: the rest of the host (the API,
//! the pages, the OpenAPI document) reads these and never the WIT bindings, so a new contract
//! version changes this room only. Built once per install from the plugin's `describe()`.

use serde::Serialize;

use super::bindings::exporter::exports::logam::plugin::exporter_plugin::{ExporterInfo, Targets};
use super::bindings::indicator::exports::logam::plugin::indicator_plugin::IndicatorInfo;
use super::bindings::types as wit;
use crate::store::{Bilingual, ColumnType};

/// An indicator's manifest: its BPS MS-Ind metadata, inputs and parameters.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorManifest {
    pub id: String,
    pub version: String,
    pub title: Bilingual,
    pub description: Bilingual,
    pub konsep: Bilingual,
    pub definisi: Bilingual,
    pub rumus: Bilingual,
    pub ukuran: Bilingual,
    pub satuan: Bilingual,
    pub interpretasi: Bilingual,
    pub frekuensi: Bilingual,
    pub inputs: Vec<Input>,
    pub parameters: Vec<Parameter>,
}

/// A dataset an indicator reads, and the columns of it the host pushes.
#[derive(Debug, Clone, Serialize)]
pub struct Input {
    pub dataset: String,
    pub columns: Vec<String>,
}

/// An exporter's manifest: the format it writes and what it fits.
#[derive(Debug, Clone, Serialize)]
pub struct ExporterManifest {
    pub id: String,
    pub version: String,
    pub title: Bilingual,
    pub description: Bilingual,
    pub media_type: String,
    pub extension: String,
    /// `datasets`, `indicators` or both.
    pub targets: Vec<&'static str>,
    pub parameters: Vec<Parameter>,
}

impl ExporterManifest {
    pub fn fits_datasets(&self) -> bool {
        self.targets.contains(&"datasets")
    }

    pub fn fits_indicators(&self) -> bool {
        self.targets.contains(&"indicators")
    }
}

/// A parameter a plugin accepts; requests pass it as a query parameter of that name.
#[derive(Debug, Clone, Serialize)]
pub struct Parameter {
    pub name: String,
    #[serde(rename = "type")]
    pub value_type: &'static str,
    pub required: bool,
    pub default: Option<Value>,
    pub title: Bilingual,
    pub description: Bilingual,
}

/// A parameter's default, as JSON shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Value {
    Integer(i64),
    Real(f64),
    Text(String),
    Boolean(bool),
}

impl IndicatorManifest {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl ExporterManifest {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

fn bilingual(text: &wit::Bilingual) -> Bilingual {
    Bilingual {
        id: text.id.clone(),
        en: text.en.clone(),
    }
}

fn value_type(t: wit::ColumnType) -> &'static str {
    match t {
        wit::ColumnType::Integer => ColumnType::Integer,
        wit::ColumnType::Real => ColumnType::Real,
        wit::ColumnType::Text => ColumnType::Text,
        wit::ColumnType::Date => ColumnType::Date,
        wit::ColumnType::Boolean => ColumnType::Boolean,
    }
    .as_str()
}

fn parameters(declared: &[wit::Parameter]) -> Vec<Parameter> {
    declared
        .iter()
        .map(|p| Parameter {
            name: p.name.clone(),
            value_type: value_type(p.type_),
            required: p.required,
            default: p.default.as_ref().map(|d| match d {
                wit::Scalar::Integer(i) => Value::Integer(*i),
                wit::Scalar::Real(r) => Value::Real(*r),
                wit::Scalar::Text(t) => Value::Text(t.clone()),
                wit::Scalar::Boolean(b) => Value::Boolean(*b),
            }),
            title: bilingual(&p.title),
            description: bilingual(&p.description),
        })
        .collect()
}

impl From<&IndicatorInfo> for IndicatorManifest {
    fn from(info: &IndicatorInfo) -> Self {
        IndicatorManifest {
            id: info.id.clone(),
            version: info.version.clone(),
            title: bilingual(&info.title),
            description: bilingual(&info.description),
            konsep: bilingual(&info.konsep),
            definisi: bilingual(&info.definisi),
            rumus: bilingual(&info.rumus),
            ukuran: bilingual(&info.ukuran),
            satuan: bilingual(&info.satuan),
            interpretasi: bilingual(&info.interpretasi),
            frekuensi: bilingual(&info.frekuensi),
            inputs: info
                .inputs
                .iter()
                .map(|i| Input {
                    dataset: i.dataset.clone(),
                    columns: i.columns.clone(),
                })
                .collect(),
            parameters: parameters(&info.parameters),
        }
    }
}

impl From<&ExporterInfo> for ExporterManifest {
    fn from(info: &ExporterInfo) -> Self {
        let mut targets = Vec::new();
        if info.targets.contains(Targets::DATASETS) {
            targets.push("datasets");
        }
        if info.targets.contains(Targets::INDICATORS) {
            targets.push("indicators");
        }
        ExporterManifest {
            id: info.id.clone(),
            version: info.version.clone(),
            title: bilingual(&info.title),
            description: bilingual(&info.description),
            media_type: info.media_type.clone(),
            extension: info.extension.clone(),
            targets,
            parameters: parameters(&info.parameters),
        }
    }
}
