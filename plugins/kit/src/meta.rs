//! Schemas, parameters, metadata and manifests (the WIT records other than batches).

use crate::{ColumnType, PluginError};

/// A text in Bahasa Indonesia and English (WIT `bilingual`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bilingual {
    pub id: String,
    pub en: String,
}

impl Bilingual {
    pub fn new(id: &str, en: &str) -> Self {
        Bilingual {
            id: id.to_string(),
            en: en.to_string(),
        }
    }

    /// The text in `lang` (`"en"` for English, anything else Indonesian), falling back to
    /// the other language when empty.
    pub fn get(&self, lang: &str) -> &str {
        let (first, second) = if lang == "en" {
            (&self.en, &self.id)
        } else {
            (&self.id, &self.en)
        };
        if first.is_empty() { second } else { first }
    }
}

/// What a column is for (WIT `column-role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Dimension,
    Measure,
    Attribute,
}

/// One column of a schema (WIT `column-info`).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    pub name: String,
    pub column_type: ColumnType,
    pub role: Role,
    pub title: Bilingual,
    pub description: Bilingual,
    pub unit: Option<String>,
}

impl ColumnInfo {
    pub fn new(name: &str, column_type: ColumnType, role: Role, title: Bilingual) -> Self {
        ColumnInfo {
            name: name.to_string(),
            column_type,
            role,
            title,
            description: Bilingual::default(),
            unit: None,
        }
    }

    pub fn unit(mut self, unit: &str) -> Self {
        self.unit = Some(unit.to_string());
        self
    }

    pub fn description(mut self, description: Bilingual) -> Self {
        self.description = description;
        self
    }
}

/// A single value (WIT `scalar`).
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Integer(i64),
    Real(f64),
    Text(String),
    Boolean(bool),
}

/// A parameter value given to a plugin (WIT `param`).
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub value: Scalar,
}

impl Param {
    pub fn new(name: &str, value: Scalar) -> Self {
        Param {
            name: name.to_string(),
            value,
        }
    }
}

/// A declared parameter (WIT `parameter`).
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: String,
    pub column_type: ColumnType,
    pub required: bool,
    pub default: Option<Scalar>,
    pub title: Bilingual,
    pub description: Bilingual,
}

/// The parameters a plugin was given, with typed look-ups that turn a mistyped value into
/// `invalid-parameter` (the host checks types, but a plugin does not rely on it).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Params(pub Vec<Param>);

impl Params {
    /// `given`, plus the default of each declared parameter that `given` leaves out: what
    /// the host passes. For native tests.
    pub fn with_defaults(declared: &[Parameter], mut given: Vec<Param>) -> Self {
        for parameter in declared {
            if let Some(default) = &parameter.default
                && !given.iter().any(|p| p.name == parameter.name)
            {
                given.push(Param::new(&parameter.name, default.clone()));
            }
        }
        Params(given)
    }

    pub fn get(&self, name: &str) -> Option<&Scalar> {
        self.0.iter().find(|p| p.name == name).map(|p| &p.value)
    }

    /// An integer parameter; text holding an integer is accepted too.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, PluginError> {
        match self.get(name) {
            None => Ok(None),
            Some(Scalar::Integer(i)) => Ok(Some(*i)),
            Some(Scalar::Text(t)) => t.trim().parse().map(Some).map_err(|_| {
                PluginError::InvalidParameter(format!("{name} harus bilangan bulat, bukan {t:?}"))
            }),
            Some(other) => Err(PluginError::InvalidParameter(format!(
                "{name} harus bilangan bulat, bukan {other:?}"
            ))),
        }
    }

    /// A text parameter (an empty text counts as unset).
    pub fn text(&self, name: &str) -> Result<Option<&str>, PluginError> {
        match self.get(name) {
            None => Ok(None),
            Some(Scalar::Text(t)) if t.is_empty() => Ok(None),
            Some(Scalar::Text(t)) => Ok(Some(t)),
            Some(other) => Err(PluginError::InvalidParameter(format!(
                "{name} harus teks, bukan {other:?}"
            ))),
        }
    }

    /// A boolean parameter; text `true`/`false`/`1`/`0` is accepted too.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, PluginError> {
        match self.get(name) {
            None => Ok(None),
            Some(Scalar::Boolean(b)) => Ok(Some(*b)),
            Some(Scalar::Text(t)) => match t.as_str() {
                "true" | "1" | "ya" => Ok(Some(true)),
                "false" | "0" | "tidak" => Ok(Some(false)),
                _ => Err(PluginError::InvalidParameter(format!(
                    "{name} harus true atau false, bukan {t:?}"
                ))),
            },
            Some(other) => Err(PluginError::InvalidParameter(format!(
                "{name} harus true atau false, bukan {other:?}"
            ))),
        }
    }
}

/// Where a figure comes from (WIT `citation`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Citation {
    pub id: String,
    pub publisher: String,
    pub title: Option<String>,
    pub url: Option<String>,
    pub date: Option<String>,
    pub licence: Option<String>,
}

impl Citation {
    /// "Publisher (2 Juni 2021)", or just the publisher when undated: the part of the
    /// citation line "Sumber: <publisher> (<date>), diolah" that names one source.
    pub fn short(&self, lang: &str) -> String {
        match self.date.as_deref().filter(|d| !d.is_empty()) {
            Some(date) => format!(
                "{} ({})",
                self.publisher,
                crate::format::date(date, crate::format::Notation::for_language(lang))
            ),
            None => self.publisher.clone(),
        }
    }
}

/// Dataset or indicator (WIT `table-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Dataset,
    Indicator,
}

/// Metadata of the table being exported (WIT `dataset-meta`).
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetMeta {
    pub id: String,
    pub kind: TableKind,
    pub title: Bilingual,
    pub description: Bilingual,
    pub publisher: String,
    pub licence: String,
    pub sources: Vec<Citation>,
    pub revision: u64,
    pub url: Option<String>,
}

impl DatasetMeta {
    /// "Sumber: A (date); B (date), diolah." in Indonesian, or "Source: ..., processed." in
    /// English; empty when there are no sources.
    pub fn citation_line(&self, lang: &str) -> String {
        if self.sources.is_empty() {
            return String::new();
        }
        let names: Vec<String> = self.sources.iter().map(|c| c.short(lang)).collect();
        if lang == "en" {
            format!("Source: {}, processed.", names.join("; "))
        } else {
            format!("Sumber: {}, diolah.", names.join("; "))
        }
    }
}

/// A dataset an indicator reads, and which columns (WIT `input`).
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub dataset: String,
    pub columns: Vec<String>,
}

impl Input {
    pub fn new(dataset: &str, columns: &[&str]) -> Self {
        Input {
            dataset: dataset.to_string(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
        }
    }
}

/// An indicator's manifest (WIT `indicator-info`), with BPS MS-Ind fields.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorInfo {
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

/// Which tables an exporter fits (WIT `targets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub datasets: bool,
    pub indicators: bool,
}

/// An exporter's manifest (WIT `exporter-info`).
#[derive(Debug, Clone, PartialEq)]
pub struct ExporterInfo {
    pub id: String,
    pub version: String,
    pub title: Bilingual,
    pub description: Bilingual,
    pub media_type: String,
    pub extension: String,
    pub targets: Targets,
    pub parameters: Vec<Parameter>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_only_missing_parameters() {
        let declared = vec![
            Parameter {
                name: "a".into(),
                column_type: ColumnType::Integer,
                required: false,
                default: Some(Scalar::Integer(1)),
                title: Bilingual::default(),
                description: Bilingual::default(),
            },
            Parameter {
                name: "b".into(),
                column_type: ColumnType::Text,
                required: false,
                default: None,
                title: Bilingual::default(),
                description: Bilingual::default(),
            },
        ];
        let params = Params::with_defaults(&declared, vec![Param::new("a", Scalar::Integer(5))]);
        assert_eq!(params.integer("a").unwrap(), Some(5));
        assert_eq!(params.text("b").unwrap(), None);
        let params = Params::with_defaults(&declared, vec![]);
        assert_eq!(params.integer("a").unwrap(), Some(1));
        assert!(
            Params(vec![Param::new("a", Scalar::Boolean(true))])
                .integer("a")
                .is_err()
        );
    }

    #[test]
    fn citation_line_in_both_languages() {
        let meta = DatasetMeta {
            id: "x".into(),
            kind: TableKind::Dataset,
            title: Bilingual::default(),
            description: Bilingual::default(),
            publisher: "logam".into(),
            licence: "CC-BY-4.0".into(),
            sources: vec![Citation {
                id: "radarbanyumas-2021-06-02".into(),
                publisher: "Radar Banyumas".into(),
                date: Some("2021-06-02".into()),
                ..Default::default()
            }],
            revision: 1,
            url: None,
        };
        assert_eq!(
            meta.citation_line("id"),
            "Sumber: Radar Banyumas (2 Juni 2021), diolah."
        );
        assert_eq!(
            meta.citation_line("en"),
            "Source: Radar Banyumas (2 June 2021), processed."
        );
    }

    #[test]
    fn a_source_date_is_in_words_only_when_it_is_a_real_date() {
        let dated = |date: &str| Citation {
            publisher: "Kemenperin (Ditjen IKMA)".into(),
            date: Some(date.into()),
            ..Default::default()
        };
        assert_eq!(
            dated("2022-08-30").short("id"),
            "Kemenperin (Ditjen IKMA) (30 Agustus 2022)"
        );
        assert_eq!(dated("2019").short("en"), "Kemenperin (Ditjen IKMA) (2019)");
        // The year is checked like the month and the day: four ASCII digits, no sign.
        for written in [
            "20x2-08-30",
            "+022-08-30",
            "-022-08-30",
            "abcd",
            "2022-08-31x",
        ] {
            assert_eq!(
                dated(written).short("id"),
                format!("Kemenperin (Ditjen IKMA) ({written})"),
                "{written:?}"
            );
        }
        assert_eq!(
            dated("2022-02-29").short("id"),
            "Kemenperin (Ditjen IKMA) (2022-02-29)"
        );
    }
}
