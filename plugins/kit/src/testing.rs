//! The seed datasets of `data/` as batches, for native tests (feature `testing`).
//!
//! Reads the same TOML and CSV files the host embeds, so an indicator's test runs on the
//! data the host will push, and a manifest that declares an unknown dataset or column
//! fails its test.

use std::path::PathBuf;

use crate::{
    Batch, Bilingual, Citation, ColumnBuilder, ColumnInfo, ColumnType, DatasetMeta, Input, Role,
    TableKind,
};

/// The repository's `data/` folder.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

fn read_toml(name: &str) -> toml::Table {
    let path = data_dir().join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

fn bilingual(value: Option<&toml::Value>) -> Bilingual {
    let get = |lang: &str| {
        value
            .and_then(|v| v.get(lang))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    Bilingual {
        id: get("id"),
        en: get("en"),
    }
}

/// The schema of dataset `id` as the host passes it to an exporter: the primary key is a
/// dimension, every other column an attribute.
pub fn schema(id: &str) -> Vec<ColumnInfo> {
    let meta = read_toml(id);
    let primary_key = meta["primary_key"].as_str().unwrap_or("");
    meta["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| {
            let name = c["name"].as_str().expect("column name");
            let column_type =
                ColumnType::parse(c["type"].as_str().expect("column type")).expect("known type");
            ColumnInfo {
                name: name.to_string(),
                column_type,
                role: if name == primary_key {
                    Role::Dimension
                } else {
                    Role::Attribute
                },
                title: bilingual(c.get("title")),
                description: bilingual(c.get("description")),
                unit: c.get("unit").and_then(|u| u.as_str()).map(str::to_string),
            }
        })
        .collect()
}

/// Rows of dataset `id`, as text cells (`None` for an empty cell), in CSV column order.
fn csv_rows(id: &str) -> (Vec<String>, Vec<Vec<Option<String>>>) {
    let path = data_dir().join(format!("{id}.csv"));
    let mut reader = csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            r.expect("record")
                .iter()
                .map(|f| (!f.is_empty()).then(|| f.to_string()))
                .collect()
        })
        .collect();
    (header, rows)
}

/// The named columns of dataset `id`, every row, as one batch. Panics on an unknown
/// column, like the host refusing the manifest.
pub fn batch(id: &str, columns: &[&str]) -> Batch {
    let schema = schema(id);
    let (header, rows) = csv_rows(id);
    let mut built = Vec::new();
    for name in columns {
        let info = schema
            .iter()
            .find(|c| c.name == *name)
            .unwrap_or_else(|| panic!("dataset {id} has no column {name}"));
        let at = header
            .iter()
            .position(|h| h == name)
            .expect("column in CSV");
        let mut builder = ColumnBuilder::new(info.column_type);
        for row in &rows {
            let cell = row[at].as_deref();
            let parsed = match (cell, info.column_type) {
                (None, _) => crate::Cell::Null,
                (Some(s), ColumnType::Integer) => crate::Cell::Integer(s.parse().expect("integer")),
                (Some(s), ColumnType::Real) => crate::Cell::Real(s.parse().expect("real")),
                (Some(s), ColumnType::Boolean) => crate::Cell::Boolean(s == "1" || s == "true"),
                (Some(s), ColumnType::Text | ColumnType::Date) => crate::Cell::Text(s),
            };
            builder.push(parsed).expect("cell fits");
        }
        built.push(builder.finish());
    }
    Batch::new(rows.len(), built).expect("valid batch")
}

/// Every column of dataset `id`: its schema and one batch.
pub fn dataset(id: &str) -> (Vec<ColumnInfo>, Batch) {
    let schema = schema(id);
    let names: Vec<&str> = schema.iter().map(|c| c.name.as_str()).collect();
    let batch = batch(id, &names);
    (schema, batch)
}

/// The batch the host pushes for a declared input.
pub fn input(input: &Input) -> Batch {
    let columns: Vec<&str> = input.columns.iter().map(String::as_str).collect();
    batch(&input.dataset, &columns)
}

/// Every declared input of an indicator, in order.
pub fn inputs(inputs: &[Input]) -> Vec<Batch> {
    inputs.iter().map(input).collect()
}

/// The metadata the host passes an exporter for dataset `id`, citing the sources its rows
/// name.
pub fn meta(id: &str) -> DatasetMeta {
    let catalog = read_toml("catalog");
    let meta = read_toml(id);
    let mut cited: Vec<String> = Vec::new();
    if let Some(source_column) = meta.get("source_column").and_then(|v| v.as_str()) {
        let (header, rows) = csv_rows(id);
        let at = header
            .iter()
            .position(|h| h == source_column)
            .expect("source column");
        for row in rows {
            if let Some(source) = &row[at]
                && !cited.contains(source)
            {
                cited.push(source.clone());
            }
        }
    }
    let (header, rows) = csv_rows("sumber");
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .expect("sumber column")
    };
    let sources = cited
        .iter()
        .filter_map(|id| rows.iter().find(|r| r[col("id")].as_deref() == Some(id)))
        .map(|r| Citation {
            id: r[col("id")].clone().unwrap_or_default(),
            publisher: r[col("penerbit")].clone().unwrap_or_default(),
            title: r[col("judul")].clone(),
            url: r[col("url")].clone(),
            date: r[col("tanggal")].clone(),
            licence: r[col("lisensi")].clone(),
        })
        .collect();
    DatasetMeta {
        id: id.to_string(),
        kind: TableKind::Dataset,
        title: bilingual(meta.get("title")),
        description: bilingual(meta.get("description")),
        publisher: catalog["publisher"].as_str().unwrap_or("").to_string(),
        licence: meta
            .get("licence")
            .or(catalog.get("licence"))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string(),
        sources,
        revision: 1,
        url: None,
    }
}
