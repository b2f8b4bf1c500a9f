//! DCAT-AP 3 as JSON-LD (`/catalog.jsonld`).

use serde_json::{Map, Value, json};

use super::*;

pub(super) fn language_tagged(text: &Bilingual) -> Value {
    json!([
        {"@value": text.id, "@language": "id"},
        {"@value": text.en, "@language": "en"},
    ])
}

/// An xsd literal for an ISO 8601 text, by its precision.
pub(super) fn temporal_literal(text: &str) -> Value {
    let datatype = match text.len() {
        4 => "xsd:gYear",
        7 => "xsd:gYearMonth",
        10 => "xsd:date",
        _ => "xsd:dateTime",
    };
    json!({"@value": text, "@type": datatype})
}

pub(super) fn licence_node(spdx: &str) -> Value {
    json!({"@id": licence_url(spdx), "@type": "dct:LicenseDocument"})
}

pub(super) fn languages_node() -> Value {
    json!([
        {"@id": format!("{EU_LANGUAGES}IND"), "@type": "dct:LinguisticSystem"},
        {"@id": format!("{EU_LANGUAGES}ENG"), "@type": "dct:LinguisticSystem"},
    ])
}

pub(super) fn location_node(spatial: &Bilingual) -> Value {
    json!({
        "@type": "dct:Location",
        "locn:geographicName": language_tagged(spatial),
    })
}

/// DCAT-AP 3 checks the range of each property with `sh:class` against the types the
/// document itself states (a validator does no inference), so every linked node names its
/// class, down to `rdfs:Resource` for download URLs and related documents.
pub(super) fn dcat_document(base: &str, snapshot: &Snapshot) -> Value {
    let settings = &snapshot.settings;
    let publisher_id = format!("{base}/#publisher");
    let mut catalog = Map::new();
    catalog.insert(
        "@context".into(),
        json!({
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "locn": "http://www.w3.org/ns/locn#",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "vcard": "http://www.w3.org/2006/vcard/ns#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        }),
    );
    catalog.insert("@id".into(), json!(format!("{base}/catalog.jsonld")));
    catalog.insert("@type".into(), json!("dcat:Catalog"));
    catalog.insert("dct:title".into(), language_tagged(&settings.title));
    catalog.insert(
        "dct:description".into(),
        language_tagged(&settings.description),
    );
    catalog.insert(
        "dct:publisher".into(),
        json!({"@id": publisher_id, "@type": "foaf:Agent", "foaf:name": settings.publisher}),
    );
    catalog.insert("dct:license".into(), licence_node(&settings.licence));
    catalog.insert("dct:language".into(), languages_node());
    catalog.insert(
        "foaf:homepage".into(),
        json!({"@id": format!("{base}/"), "@type": "foaf:Document"}),
    );
    if let Some(modified) = snapshot
        .entries
        .iter()
        .map(|e| e.meta.updated_at.as_str())
        .max()
    {
        catalog.insert("dct:modified".into(), temporal_literal(modified));
    }
    if let Some(spatial) = &settings.spatial {
        catalog.insert("dct:spatial".into(), location_node(spatial));
    }
    catalog.insert(
        "dcat:dataset".into(),
        Value::Array(
            snapshot
                .entries
                .iter()
                .map(|e| dcat_dataset(base, settings, &publisher_id, e))
                .collect(),
        ),
    );
    Value::Object(catalog)
}

pub(super) fn dcat_dataset(
    base: &str,
    settings: &Settings,
    publisher_id: &str,
    entry: &Entry,
) -> Value {
    let meta = &entry.meta;
    let url = dataset_url(base, &meta.id);
    let mut dataset = Map::new();
    dataset.insert("@id".into(), json!(url));
    dataset.insert("@type".into(), json!("dcat:Dataset"));
    dataset.insert("dct:identifier".into(), json!(url));
    dataset.insert("dct:title".into(), language_tagged(&meta.title));
    dataset.insert("dct:description".into(), language_tagged(&meta.description));
    dataset.insert("dct:publisher".into(), json!({"@id": publisher_id}));
    dataset.insert("dct:license".into(), licence_node(&meta.licence));
    dataset.insert("dct:language".into(), languages_node());
    dataset.insert("dct:modified".into(), temporal_literal(&meta.updated_at));
    let keywords: Vec<Value> = settings
        .keywords
        .0
        .iter()
        .map(|w| json!({"@value": w, "@language": "id"}))
        .chain(
            settings
                .keywords
                .1
                .iter()
                .map(|w| json!({"@value": w, "@language": "en"})),
        )
        .collect();
    if !keywords.is_empty() {
        dataset.insert("dcat:keyword".into(), Value::Array(keywords));
    }
    if let Some(spatial) = &settings.spatial {
        dataset.insert("dct:spatial".into(), location_node(spatial));
    }
    if let Some((start, end)) = &entry.temporal {
        dataset.insert(
            "dct:temporal".into(),
            json!({
                "@type": "dct:PeriodOfTime",
                "dcat:startDate": temporal_literal(start),
                "dcat:endDate": temporal_literal(end),
            }),
        );
    }
    let mut contact = json!({
        "@type": ["vcard:Kind", "vcard:Organization"],
        "vcard:fn": settings.publisher,
    });
    if let (Some(email), Value::Object(map)) = (&settings.contact_email, &mut contact) {
        map.insert(
            "vcard:hasEmail".into(),
            json!({"@id": format!("mailto:{email}")}),
        );
    }
    dataset.insert("dcat:contactPoint".into(), contact);
    // The sources a dataset's figures come from; most are articles without a URL we know, so
    // they are described by their citation rather than linked.
    let sources: Vec<Value> = entry
        .sources
        .iter()
        .map(|citation| {
            let mut node = json!({
                "@type": ["rdfs:Resource", "foaf:Document"],
                "rdfs:label": citation_text(citation),
            });
            if let (Some(url), Value::Object(map)) = (&citation.url, &mut node) {
                map.insert("@id".into(), json!(url));
            }
            node
        })
        .collect();
    if !sources.is_empty() {
        dataset.insert("dct:relation".into(), Value::Array(sources));
    }
    dataset.insert(
        "dcat:distribution".into(),
        Value::Array(
            DOWNLOADS
                .iter()
                .map(|(extension, media_type, file_type)| {
                    let download = download_url(base, &meta.id, extension);
                    json!({
                        "@id": format!("{url}#{extension}"),
                        "@type": "dcat:Distribution",
                        "dct:title": [
                            {"@value": format!("Semua baris ({file_type})"), "@language": "id"},
                            {"@value": format!("All rows ({file_type})"), "@language": "en"},
                        ],
                        "dcat:accessURL": {"@id": download, "@type": "rdfs:Resource"},
                        "dcat:downloadURL": {"@id": download, "@type": "rdfs:Resource"},
                        "dcat:mediaType": {
                            "@id": format!("{IANA_MEDIA_TYPES}{media_type}"),
                            "@type": "dct:MediaType",
                        },
                        "dct:format": {
                            "@id": format!("{EU_FILE_TYPES}{file_type}"),
                            "@type": "dct:MediaTypeOrExtent",
                        },
                        "dct:license": licence_node(&meta.licence),
                    })
                })
                .collect(),
        ),
    );
    Value::Object(dataset)
}
