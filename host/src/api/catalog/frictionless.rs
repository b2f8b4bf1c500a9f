//! Frictionless Data Package v1 (`/datapackage.json`, `/datasets/{id}/datapackage.json`).

use serde_json::{Map, Value, json};

use super::*;

pub(super) fn package_licence(spdx: &str) -> Value {
    json!({"name": spdx, "path": licence_url(spdx)})
}

pub(super) fn package_sources<'a>(citations: impl Iterator<Item = &'a Citation>) -> Vec<Value> {
    let unique: BTreeMap<&str, &Citation> = citations.map(|c| (c.id.as_str(), c)).collect();
    unique
        .values()
        .map(|citation| {
            let mut source = json!({"title": citation_text(citation)});
            if let (Some(url), Value::Object(map)) = (&citation.url, &mut source) {
                map.insert("path".into(), json!(url));
            }
            source
        })
        .collect()
}

pub(super) fn table_field(column: &ColumnMeta, field_type: &FieldType) -> Value {
    let mut description_id = column.description.id.clone();
    let mut description_en = column.description.en.clone();
    if let Some(unit) = &column.unit {
        description_id.push_str(&format!(" Satuan: {unit}."));
        description_en.push_str(&format!(" Unit: {unit}."));
    }
    let mut field = Map::new();
    field.insert("name".into(), json!(column.name));
    field.insert("type".into(), json!(field_type.name));
    field.insert("title".into(), json!(both(&column.title)));
    if let Some(pattern) = field_type.pattern {
        description_id.push_str(" Tanggal ISO 8601, bisa sebagian: 2021, 2021-06 atau 2021-06-02.");
        description_en.push_str(" ISO 8601 date, possibly partial: 2021, 2021-06 or 2021-06-02.");
        field.insert("constraints".into(), json!({"pattern": pattern}));
    }
    field.insert(
        "description".into(),
        json!(both_paragraphs(&Bilingual {
            id: description_id.trim().to_string(),
            en: description_en.trim().to_string(),
        })),
    );
    Value::Object(field)
}

pub(super) fn package_resource(
    base: &str,
    entry: &Entry,
    sources_key: Option<(&str, &str)>,
) -> Value {
    let meta = &entry.meta;
    let mut schema = Map::new();
    schema.insert(
        "fields".into(),
        Value::Array(
            meta.columns
                .iter()
                .zip(&entry.field_types)
                .map(|(column, field_type)| table_field(column, field_type))
                .collect(),
        ),
    );
    schema.insert("primaryKey".into(), json!([meta.primary_key]));
    // The CSV export writes NULL as an empty cell.
    schema.insert("missingValues".into(), json!([""]));
    if let (Some((sources_id, sources_key)), Some(source_column)) =
        (sources_key, &meta.source_column)
        && sources_id != meta.id
    {
        schema.insert(
            "foreignKeys".into(),
            json!([{
                "fields": [source_column],
                "reference": {"resource": sources_id, "fields": [sources_key]},
            }]),
        );
    }
    json!({
        "profile": "tabular-data-resource",
        "name": meta.id,
        "path": download_url(base, &meta.id, "csv"),
        "title": both(&meta.title),
        "description": both_paragraphs(&meta.description),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "licenses": [package_licence(&meta.licence)],
        "sources": package_sources(entry.sources.iter()),
        "schema": Value::Object(schema),
    })
}

/// The whole catalog as one package, or one dataset's package when `dataset` is given. Source
/// references become foreign keys only where the sources dataset is in the same package.
pub(super) fn package_document(base: &str, snapshot: &Snapshot, dataset: Option<&str>) -> Value {
    let settings = &snapshot.settings;
    let sources_key = settings.sources_dataset.as_deref().and_then(|sources_id| {
        snapshot
            .entries
            .iter()
            .find(|e| e.meta.id == sources_id)
            .map(|e| (sources_id, e.meta.primary_key.as_str()))
    });
    let (name, id, title, description) = match snapshot.entries.first() {
        Some(entry) if dataset.is_some() => (
            entry.meta.id.clone(),
            format!("{base}/datasets/{}/datapackage.json", entry.meta.id),
            both(&entry.meta.title),
            both_paragraphs(&entry.meta.description),
        ),
        _ => (
            "logam".to_string(),
            format!("{base}/datapackage.json"),
            both(&settings.title),
            both_paragraphs(&settings.description),
        ),
    };
    let licence = match snapshot.entries.first() {
        Some(entry) if dataset.is_some() => entry.meta.licence.clone(),
        _ => settings.licence.clone(),
    };
    json!({
        "profile": "tabular-data-package",
        "name": name,
        "id": id,
        "title": title,
        "description": description,
        "homepage": format!("{base}/"),
        "keywords": keywords(settings),
        "licenses": [package_licence(&licence)],
        "contributors": [{"title": settings.publisher, "role": "publisher"}],
        "sources": package_sources(snapshot.entries.iter().flat_map(|e| e.sources.iter())),
        "resources": snapshot
            .entries
            .iter()
            .map(|e| package_resource(base, e, sources_key))
            .collect::<Vec<_>>(),
    })
}
