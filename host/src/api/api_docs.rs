//! `/api/docs`: the OpenAPI document as a page for people, rendered on the server from the same
//! document `/openapi.json` serves, so the two cannot disagree. No JavaScript and nothing
//! fetched from elsewhere: it has to work for a journalist on a slow connection or a locked
//! office browser.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::Value;

use super::openapi::{Live, document};
use super::{ApiError, AppState};
use crate::web::{Lang, escape, layout};

/// "Indonesian / English" summaries and tag descriptions: the reader's half.
fn half(text: &str, lang: Lang) -> &str {
    match text.split_once(" / ") {
        Some((id, en)) => lang.pick(id, en),
        None => text,
    }
}

fn schema_text(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        return reference
            .rsplit('/')
            .next()
            .unwrap_or(reference)
            .to_string();
    }
    let mut text = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "any".to_string(),
    };
    if text == "array" {
        text = format!("array of {}", schema_text(&schema["items"]));
    }
    if text == "object"
        && let Some(values) = schema.get("additionalProperties")
    {
        text = format!("{{name: {}}}", schema_text(values));
    }
    if let Some(values) = schema["enum"].as_array() {
        let shown: Vec<String> = values
            .iter()
            .take(12)
            .map(|v| v.as_str().map(str::to_string).unwrap_or(v.to_string()))
            .collect();
        text.push_str(&format!(": {}", shown.join(", ")));
        if values.len() > 12 {
            text.push_str(", …");
        }
    }
    for (key, label) in [("minimum", "≥"), ("maximum", "≤")] {
        if let Some(n) = schema[key].as_i64() {
            text.push_str(&format!(" {label} {n}"));
        }
    }
    if let Some(pattern) = schema["pattern"].as_str() {
        text.push_str(&format!(" /{pattern}/"));
    }
    text
}

fn parameters_table(parameters: &[Value], lang: Lang) -> String {
    if parameters.is_empty() {
        return format!("<p>{}</p>", lang.pick("Tanpa parameter.", "No parameters."));
    }
    let mut rows = String::new();
    for p in parameters {
        let name = p["name"].as_str().unwrap_or("");
        let shown =
            if p["style"] == "form" && p["explode"] == true && p["schema"]["type"] == "object" {
                lang.pick("(bebas) ", "(free-form) ").to_string() + name
            } else {
                name.to_string()
            };
        rows.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&shown),
            escape(p["in"].as_str().unwrap_or("")),
            escape(&schema_text(&p["schema"])),
            if p["required"] == true {
                lang.pick("ya", "yes")
            } else {
                lang.pick("tidak", "no")
            },
            escape(p["description"].as_str().unwrap_or("")),
        ));
    }
    format!(
        "<table><caption>{caption}</caption><thead><tr><th scope=\"col\">{name}</th>\
         <th scope=\"col\">{location}</th><th scope=\"col\">{kind}</th><th scope=\"col\">{required}</th>\
         <th scope=\"col\">{description}</th></tr></thead><tbody>\n{rows}</tbody></table>",
        caption = lang.pick("Parameter", "Parameters"),
        name = lang.pick("Nama", "Name"),
        location = lang.pick("Letak", "In"),
        kind = lang.pick("Jenis", "Type"),
        required = lang.pick("Wajib", "Required"),
        description = lang.pick("Keterangan", "Description"),
    )
}

fn responses_table(responses: &Value, lang: Lang) -> String {
    let mut rows = String::new();
    for (status, response) in responses.as_object().into_iter().flatten() {
        let media: Vec<String> = response["content"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(media, content)| format!("{media} ({})", schema_text(&content["schema"])))
            .collect();
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(status),
            escape(response["description"].as_str().unwrap_or("")),
            escape(&media.join("; ")),
        ));
    }
    format!(
        "<table><caption>{caption}</caption><thead><tr><th scope=\"col\">{status}</th>\
         <th scope=\"col\">{description}</th><th scope=\"col\">{body}</th></tr></thead>\
         <tbody>\n{rows}</tbody></table>",
        caption = lang.pick("Jawaban", "Responses"),
        status = lang.pick("Status", "Status"),
        description = lang.pick("Keterangan", "Description"),
        body = lang.pick("Isi", "Body"),
    )
}

/// The page for a document: one section per tag, one article per operation.
pub fn render(document: &Value, lang: Lang) -> String {
    let mut toc = String::new();
    let mut sections = String::new();
    for tag in document["tags"].as_array().into_iter().flatten() {
        let name = tag["name"].as_str().unwrap_or("");
        let title = half(tag["description"].as_str().unwrap_or(name), lang);
        let mut articles = String::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            for method in ["get", "post"] {
                let Some(op) = item.get(method) else { continue };
                if !op["tags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == name))
                {
                    continue;
                }
                let id = op["operationId"].as_str().unwrap_or("");
                articles.push_str(&format!(
                    "<article id=\"{id}\"><h3><code>{method}</code> <code>{path}</code></h3>\
                     <p>{summary}</p><p>{description}</p>{parameters}{body}{responses}</article>\n",
                    id = escape(id),
                    method = method.to_uppercase(),
                    path = escape(path),
                    summary = escape(half(op["summary"].as_str().unwrap_or(""), lang)),
                    description = escape(op["description"].as_str().unwrap_or("")),
                    parameters = parameters_table(
                        op["parameters"]
                            .as_array()
                            .map(Vec::as_slice)
                            .unwrap_or(&[]),
                        lang
                    ),
                    body = op["requestBody"]["content"]
                        .as_object()
                        .map(|content| format!(
                            "<p>{}: {}</p>",
                            lang.pick("Isi permintaan", "Request body"),
                            escape(&content.keys().cloned().collect::<Vec<_>>().join(", "))
                        ))
                        .unwrap_or_default(),
                    responses = responses_table(&op["responses"], lang),
                ));
            }
        }
        if articles.is_empty() {
            continue;
        }
        toc.push_str(&format!(
            "<li><a href=\"#tag-{id}\">{title}</a></li>",
            id = escape(name),
            title = escape(title)
        ));
        sections.push_str(&format!(
            "<section id=\"tag-{id}\"><h2>{title}</h2>\n{articles}</section>\n",
            id = escape(name),
            title = escape(title)
        ));
    }
    format!(
        "<header><h1>{heading}</h1><p>{intro}</p><p><a href=\"/openapi.json\">openapi.json</a> \
         (OpenAPI {version})</p></header><nav aria-label=\"{toc_label}\"><ul>{toc}</ul></nav>\n{sections}",
        heading = lang.pick("Dokumentasi API logam", "logam API reference"),
        intro = lang.pick(
            "API terbuka dan hanya-baca. Setiap galat berbentuk {\"error\": {\"code\", \"message\", \"hint\"}}. Keterangan rinci tiap parameter ditulis dalam bahasa Inggris, seperti di dokumen OpenAPI.",
            "An open, read-only API. Every error is {\"error\": {\"code\", \"message\", \"hint\"}}."
        ),
        version = escape(document["openapi"].as_str().unwrap_or("")),
        toc_label = lang.pick("Daftar isi", "Contents"),
    )
}

pub async fn page(
    State(app): State<AppState>,
    lang: Lang,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let live = Live::read(&app).await?;
    let document = serde_json::to_value(document(&live)).unwrap_or(Value::Null);
    Ok(layout(
        lang,
        lang.pick("Dokumentasi API", "API reference"),
        "/api/docs",
        query.as_deref(),
        &render(&document, lang),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_an_article_in_both_languages() {
        let document = serde_json::to_value(document(&Live::default())).unwrap();
        let operations: usize = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|item| {
                ["get", "post"]
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .count()
            })
            .sum();
        for lang in [Lang::Id, Lang::En] {
            let html = render(&document, lang);
            assert_eq!(html.matches("<article ").count(), operations);
            assert!(!html.contains("<script"));
        }
        assert!(render(&document, Lang::Id).contains("Daftar dataset"));
        assert!(render(&document, Lang::En).contains("list datasets"));
    }
}
