//! Project Open Data v1.1, DCAT-US 1.1 (`/data.json`).

use serde_json::{Map, Value, json};

use super::*;

pub(super) fn pod_document(base: &str, snapshot: &Snapshot) -> Value {
    json!({
        "@context": format!("{POD_SCHEMA}/catalog.jsonld"),
        "@id": format!("{base}/data.json"),
        "@type": "dcat:Catalog",
        "conformsTo": POD_SCHEMA,
        "describedBy": format!("{POD_SCHEMA}/catalog.json"),
        "dataset": snapshot
            .entries
            .iter()
            .map(|e| pod_dataset(base, &snapshot.settings, e))
            .collect::<Vec<_>>(),
    })
}

pub(super) fn pod_dataset(base: &str, settings: &Settings, entry: &Entry) -> Value {
    let meta = &entry.meta;
    let url = dataset_url(base, &meta.id);
    let mut contact = Map::new();
    contact.insert("@type".into(), json!("vcard:Contact"));
    contact.insert("fn".into(), json!(settings.publisher));
    if let Some(email) = &settings.contact_email {
        contact.insert("hasEmail".into(), json!(format!("mailto:{email}")));
    }
    let mut dataset = Map::new();
    dataset.insert("@type".into(), json!("dcat:Dataset"));
    dataset.insert("identifier".into(), json!(url));
    dataset.insert("title".into(), json!(both(&meta.title)));
    dataset.insert(
        "description".into(),
        json!(both_paragraphs(&meta.description)),
    );
    dataset.insert("keyword".into(), json!(keywords(settings)));
    dataset.insert("modified".into(), json!(meta.updated_at));
    dataset.insert(
        "publisher".into(),
        json!({"@type": "org:Organization", "name": settings.publisher}),
    );
    dataset.insert("contactPoint".into(), Value::Object(contact));
    dataset.insert("accessLevel".into(), json!("public"));
    dataset.insert("license".into(), json!(licence_url(&meta.licence)));
    dataset.insert("language".into(), json!(["id", "en"]));
    dataset.insert("landingPage".into(), json!(url));
    dataset.insert(
        "describedBy".into(),
        json!(format!("{base}/datasets/{}/datapackage.json", meta.id)),
    );
    dataset.insert("describedByType".into(), json!("application/json"));
    if let Some(spatial) = &settings.spatial {
        dataset.insert("spatial".into(), json!(both(spatial)));
    }
    if let Some((start, end)) = &entry.temporal {
        // The schema's interval pattern wants both ends at the same precision: `2017/2022`
        // for `2017` to `2022-09-02`, which is still true.
        let precision = start.len().min(end.len());
        let (start, end) = (
            start.get(..precision).unwrap_or(start),
            end.get(..precision).unwrap_or(end),
        );
        dataset.insert("temporal".into(), json!(format!("{start}/{end}")));
    }
    let mut references: Vec<&str> = entry
        .sources
        .iter()
        .filter_map(|c| c.url.as_deref())
        .collect();
    references.sort_unstable();
    references.dedup();
    if !references.is_empty() {
        dataset.insert("references".into(), json!(references));
    }
    dataset.insert(
        "distribution".into(),
        Value::Array(
            DOWNLOADS
                .iter()
                .map(|(extension, media_type, file_type)| {
                    json!({
                        "@type": "dcat:Distribution",
                        "downloadURL": download_url(base, &meta.id, extension),
                        "mediaType": media_type,
                        "format": file_type,
                        "title": format!("Semua baris ({file_type}) / All rows ({file_type})"),
                    })
                })
                .collect(),
        ),
    );
    Value::Object(dataset)
}
