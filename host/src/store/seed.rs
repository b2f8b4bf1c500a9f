//! The embedded Purbalingga datasets (`data/` at the repository root, compiled into the
//! binary) and how a new database is filled from them.

use include_dir::{Dir, include_dir};
use rusqlite::Connection;
use rusqlite::types::Value;
use serde::Deserialize;

use super::catalog::{self, DatasetMeta};
use super::write::{self, DatasetSpec};
use super::{StoreError, values};

static DATA: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../data");

pub const SEED_AUTHOR: &str = "logam seed";

/// `data/catalog.toml`: settings that apply to the whole catalog.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogSettings {
    pub publisher: String,
    pub licence: String,
    pub sources_dataset: String,
    #[serde(default)]
    pub description: Option<super::Bilingual>,
    /// The catalog's own title, for harvesters (DCAT, data.json, Data Package).
    #[serde(default)]
    pub title: Option<super::Bilingual>,
    /// Where harvesters send questions about the data (`mailto:` in data.json).
    #[serde(default)]
    pub contact_email: Option<String>,
    /// The area every dataset covers, in words.
    #[serde(default)]
    pub spatial: Option<super::Bilingual>,
    #[serde(default)]
    pub keywords: Option<Keywords>,
}

/// Search words that apply to every dataset, per language.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Keywords {
    #[serde(default)]
    pub id: Vec<String>,
    #[serde(default)]
    pub en: Vec<String>,
}

/// One embedded dataset: its metadata and its rows as CSV text.
#[derive(Debug, Clone)]
pub struct SeedDataset {
    pub spec: DatasetSpec,
    pub csv: &'static str,
}

fn text_file(name: &str) -> Result<&'static str, StoreError> {
    DATA.get_file(name)
        .ok_or_else(|| StoreError::Seed(format!("data/{name} is missing")))?
        .contents_utf8()
        .ok_or_else(|| StoreError::Seed(format!("data/{name} is not UTF-8")))
}

pub fn catalog_settings() -> Result<CatalogSettings, StoreError> {
    toml::from_str(text_file("catalog.toml")?)
        .map_err(|e| StoreError::Seed(format!("data/catalog.toml: {e}")))
}

/// Every embedded dataset, in file-name order.
pub fn datasets() -> Result<Vec<SeedDataset>, StoreError> {
    let mut names: Vec<&str> = DATA
        .files()
        .filter_map(|f| f.path().to_str())
        .filter(|p| p.ends_with(".toml") && *p != "catalog.toml")
        .collect();
    names.sort_unstable();
    names
        .into_iter()
        .map(|name| {
            let spec: DatasetSpec = toml::from_str(text_file(name)?)
                .map_err(|e| StoreError::Seed(format!("data/{name}: {e}")))?;
            let csv_name = format!("{}.csv", name.trim_end_matches(".toml"));
            if spec.id != csv_name.trim_end_matches(".csv") {
                return Err(StoreError::Seed(format!(
                    "data/{name} declares id {:?}; the file name must match",
                    spec.id
                )));
            }
            Ok(SeedDataset {
                spec,
                csv: text_file(&csv_name)?,
            })
        })
        .collect()
}

/// Parses a CSV whose header must be exactly the spec's columns, into typed rows.
/// Errors name the file, line and column.
pub fn parse_rows(spec: &DatasetSpec, csv_text: &str) -> Result<Vec<Vec<Value>>, StoreError> {
    let invalid = |reason: String| StoreError::InvalidData {
        dataset: spec.id.clone(),
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| invalid(format!("header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let declared: Vec<&str> = spec.columns.iter().map(|c| c.name.as_str()).collect();
    if header != declared {
        return Err(invalid(format!(
            "header is {header:?}, the schema declares {declared:?}"
        )));
    }
    let mut rows = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| invalid(format!("line {}: {e}", line + 2)))?;
        let row = spec
            .columns
            .iter()
            .zip(record.iter())
            .map(|(column, raw)| {
                if raw.is_empty() {
                    return Ok(Value::Null);
                }
                values::parse_text(column.column_type, raw).ok_or_else(|| {
                    invalid(format!(
                        "line {}, column `{}`: {raw:?} is not {}",
                        line + 2,
                        column.name,
                        values::expected(column.column_type)
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(row);
    }
    Ok(rows)
}

/// Creates one dataset with its rows as a new revision, inside the caller's transaction.
pub(crate) fn load_dataset(
    tx: &rusqlite::Transaction<'_>,
    spec: &DatasetSpec,
    rows: Vec<Vec<Value>>,
    author: &str,
    message: &str,
) -> Result<DatasetMeta, StoreError> {
    let rev = write::create_dataset(tx, spec, author, message)?;
    let meta = catalog::load_dataset(tx, &spec.id)?;
    let added = write::insert_rows(tx, &meta, rev, rows)?;
    write::build_search_index(tx, &meta)?;
    write::close_revision(tx, &spec.id, rev, added)?;
    Ok(meta)
}

/// Fills a new database with every embedded dataset, in one transaction: a database is
/// either fully seeded or left as it was.
pub(crate) fn seed(conn: &mut Connection) -> Result<(), StoreError> {
    let settings = catalog_settings()?;
    let datasets = datasets()?;
    let tx = conn.transaction()?;
    for (key, value) in [
        ("publisher", settings.publisher.as_str()),
        ("licence", settings.licence.as_str()),
        ("sources_dataset", settings.sources_dataset.as_str()),
    ] {
        tx.execute(
            "INSERT OR REPLACE INTO _logam_meta(key, value) VALUES (?1, ?2)",
            [key, value],
        )?;
    }
    for (prefix, text) in [
        ("description", &settings.description),
        ("title", &settings.title),
        ("spatial", &settings.spatial),
    ] {
        if let Some(text) = text {
            for (language, value) in [("id", text.id.as_str()), ("en", text.en.as_str())] {
                tx.execute(
                    "INSERT OR REPLACE INTO _logam_meta(key, value) VALUES (?1, ?2)",
                    [format!("{prefix}_{language}").as_str(), value],
                )?;
            }
        }
    }
    if let Some(email) = &settings.contact_email {
        tx.execute(
            "INSERT OR REPLACE INTO _logam_meta(key, value) VALUES ('contact_email', ?1)",
            [email],
        )?;
    }
    if let Some(keywords) = &settings.keywords {
        // One setting per language, a JSON list, so a keyword may contain any character.
        for (key, words) in [("keywords_id", &keywords.id), ("keywords_en", &keywords.en)] {
            let value = serde_json::to_string(words)
                .map_err(|e| StoreError::Seed(format!("data/catalog.toml keywords: {e}")))?;
            tx.execute(
                "INSERT OR REPLACE INTO _logam_meta(key, value) VALUES (?1, ?2)",
                [key, value.as_str()],
            )?;
        }
    }
    let mut loaded = Vec::with_capacity(datasets.len());
    for dataset in &datasets {
        let rows = parse_rows(&dataset.spec, dataset.csv)?;
        let message = format!(
            "Data awal {} dari berkas fakta bersumber / initial data from the sourced facts",
            dataset.spec.id
        );
        loaded.push(load_dataset(
            &tx,
            &dataset.spec,
            rows,
            SEED_AUTHOR,
            &message,
        )?);
    }
    let sources = loaded
        .iter()
        .find(|m| m.id == settings.sources_dataset)
        .ok_or_else(|| {
            StoreError::Seed(format!(
                "the sources dataset {:?} is not among the seed datasets",
                settings.sources_dataset
            ))
        })?;
    for meta in &loaded {
        write::check_sources(&tx, meta, sources)?;
    }
    tx.commit()?;
    Ok(())
}
