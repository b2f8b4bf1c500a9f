//! `/api/docs`: the OpenAPI document as a page for people, rendered on the server from the same
//! document `/openapi.json` serves, so the two cannot disagree. No JavaScript and nothing
//! fetched from elsewhere: it has to work for a journalist on a slow connection or a locked
//! office browser.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::Value;

use super::openapi::responses::ServerErrors;
use super::openapi::{Live, document};
use crate::http::Lang;
use crate::http::page::layout;
use crate::http::{ApiError, AppState};

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

fn parameters_table(parameters: &[Value], lang: Lang) -> Markup {
    if parameters.is_empty() {
        return html! { p { (lang.pick("Tanpa parameter.", "No parameters.")) } };
    }
    html! {
        table {
            caption { (lang.pick("Parameter", "Parameters")) }
            thead { tr {
                th scope="col" { (lang.pick("Nama", "Name")) }
                th scope="col" { (lang.pick("Letak", "In")) }
                th scope="col" { (lang.pick("Jenis", "Type")) }
                th scope="col" { (lang.pick("Wajib", "Required")) }
                th scope="col" { (lang.pick("Keterangan", "Description")) }
            } }
            tbody {
                @for p in parameters {
                    tr {
                        td { code {
                            @if p["style"] == "form" && p["explode"] == true && p["schema"]["type"] == "object" {
                                (lang.pick("(bebas) ", "(free-form) "))
                            }
                            (p["name"].as_str().unwrap_or(""))
                        } }
                        td { (p["in"].as_str().unwrap_or("")) }
                        td { (schema_text(&p["schema"])) }
                        td { @if p["required"] == true { (lang.pick("ya", "yes")) } @else { (lang.pick("tidak", "no")) } }
                        td { (p["description"].as_str().unwrap_or("")) }
                    }
                }
            }
        }
    }
}

fn responses_table(responses: &Value, lang: Lang) -> Markup {
    html! {
        table {
            caption { (lang.pick("Jawaban", "Responses")) }
            thead { tr {
                th scope="col" { (lang.pick("Status", "Status")) }
                th scope="col" { (lang.pick("Keterangan", "Description")) }
                th scope="col" { (lang.pick("Isi", "Body")) }
            } }
            tbody {
                @for (status, response) in responses.as_object().into_iter().flatten() {
                    @let media: Vec<String> = response["content"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(media, content)| format!("{media} ({})", schema_text(&content["schema"])))
                        .collect();
                    tr {
                        td { (status) }
                        td { (response["description"].as_str().unwrap_or("")) }
                        td { (media.join("; ")) }
                    }
                }
            }
        }
    }
}

/// One operation: method and path, summary, parameters, body and responses.
fn operation(method: &str, path: &str, op: &Value, lang: Lang) -> Markup {
    html! {
        article id=(op["operationId"].as_str().unwrap_or("")) {
            h3 { code { (method.to_uppercase()) } " " code { (path) } }
            p { (half(op["summary"].as_str().unwrap_or(""), lang)) }
            p { (op["description"].as_str().unwrap_or("")) }
            (parameters_table(op["parameters"].as_array().map(Vec::as_slice).unwrap_or(&[]), lang))
            @if let Some(content) = op["requestBody"]["content"].as_object() {
                p { (lang.pick("Isi permintaan", "Request body")) ": " (content.keys().cloned().collect::<Vec<_>>().join(", ")) }
            }
            (responses_table(&op["responses"], lang))
        }
    }
}

/// The page for a document: one section per tag, one article per operation.
pub fn render(document: &Value, lang: Lang) -> Markup {
    // (tag, its title, its operations), tags with no operation left out.
    let mut sections = Vec::new();
    for tag in document["tags"].as_array().into_iter().flatten() {
        let name = tag["name"].as_str().unwrap_or("");
        let title = half(tag["description"].as_str().unwrap_or(name), lang);
        let mut operations = Vec::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            for method in ["get", "post"] {
                let Some(op) = item.get(method) else { continue };
                if op["tags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == name))
                {
                    operations.push(operation(method, path, op, lang));
                }
            }
        }
        if !operations.is_empty() {
            sections.push((name, title, operations));
        }
    }
    html! {
        header {
            h1 { (lang.pick("Dokumentasi API logam", "logam API reference")) }
            p { (lang.pick(
                "API terbuka dan hanya-baca. Setiap galat berbentuk {\"error\": {\"code\", \"message\", \"hint\"}}. Keterangan rinci tiap parameter ditulis dalam bahasa Inggris, seperti di dokumen OpenAPI.",
                "An open, read-only API. Every error is {\"error\": {\"code\", \"message\", \"hint\"}}.",
            )) }
            p { a href="/openapi.json" { "openapi.json" } " (OpenAPI " (document["openapi"].as_str().unwrap_or("")) ")" }
        }
        nav aria-label=(lang.pick("Daftar isi", "Contents")) {
            ul { @for (name, title, _) in &sections { li { a href={ "#tag-" (name) } { (title) } } } }
        }
        @for (name, title, operations) in &sections {
            section id={ "tag-" (name) } {
                h2 { (title) }
                @for op in operations { (op) }
            }
        }
    }
}

/// The page's language.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // read by the `Lang` extractor
pub struct DocsParams {
    /// Page language: `en` for English; any other value (or none) gives Indonesian.
    lang: Option<String>,
}

/// Dokumentasi API (HTML) / API reference page
///
/// This document as a page, without JavaScript. Indonesian; `?lang=en` for English.
#[utoipa::path(get, path = "/api/docs", tag = "meta", operation_id = "docs",
    params(DocsParams),
    responses(
        (status = 200, description = "The page.", body = String, content_type = "text/html"),
        ServerErrors,
    ))]
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
        render(&document, lang),
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
            let html = render(&document, lang).into_string();
            assert_eq!(html.matches("<article ").count(), operations);
            assert!(!html.contains("<script"));
        }
        assert!(
            render(&document, Lang::Id)
                .into_string()
                .contains("Daftar dataset")
        );
        assert!(
            render(&document, Lang::En)
                .into_string()
                .contains("list datasets")
        );
    }
}
