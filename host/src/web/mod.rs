//! Pages for people. For now the home page: what logam is and links to every dataset's data.
//! Server-rendered, no JavaScript, Indonesian first (`?lang=en` for English).

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::api::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// 1234567 → "1.234.567" (Indonesian) or "1,234,567" (English).
pub fn group_thousands(n: i64, english: bool) -> String {
    let digits = n.unsigned_abs().to_string();
    let separator = if english { ',' } else { '.' };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(d);
    }
    out
}

/// True when the query string asks for English (`lang=en`).
fn wants_english(query: Option<&str>) -> bool {
    form_urlencoded::parse(query.unwrap_or("").as_bytes()).any(|(k, v)| k == "lang" && v == "en")
}

async fn home(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let english = wants_english(query.as_deref());
    let datasets = app.store.read(|session| session.datasets(true)).await?;
    let t = |id: &'static str, en: &'static str| if english { en } else { id };

    let mut items = String::new();
    for meta in &datasets {
        let title = if english {
            &meta.title.en
        } else {
            &meta.title.id
        };
        let description = if english {
            &meta.description.en
        } else {
            &meta.description.id
        };
        let id = escape(&meta.id);
        items.push_str(&format!(
            "<li><h3>{title}</h3><p>{description}</p><p>{rows} {rows_word} · {rev_word} {rev} · \
             <a href=\"/api/datasets/{id}\">{meta_word}</a> · <a href=\"/api/datasets/{id}/rows\">JSON</a> · \
             <a href=\"/api/datasets/{id}/rows.csv?_bom=1\">CSV (Excel)</a></p></li>\n",
            title = escape(title),
            description = escape(description),
            rows = group_thousands(meta.row_count, english),
            rows_word = t("baris", "rows"),
            rev_word = t("revisi", "revision"),
            rev = meta.revision,
            meta_word = t("metadata dan sumber", "metadata and sources"),
        ));
    }
    let html = format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>logam — {title}</title></head><body>\
         <header><h1>logam</h1><p>{tagline}</p>\
         <p><a href=\"{switch_href}\">{switch_label}</a> · <a href=\"/api\">API</a></p></header>\
         <main><h2>{datasets_word}</h2><ul>\n{items}</ul></main></body></html>\n",
        lang = t("id", "en"),
        title = t(
            "data terbuka IKM logam Purbalingga",
            "open data on Purbalingga's metal-working industry"
        ),
        tagline = t(
            "Data terbuka tentang industri kecil logam Purbalingga: klaster knalpot, pemasok suku cadang, program Dinperindag dan UPT Logam. Setiap angka menyebut sumbernya.",
            "Open data on Purbalingga's small metal-working industry: the exhaust-pipe cluster, its suppliers, and the programmes of the industry office. Every figure names its source."
        ),
        switch_href = t("/?lang=en", "/"),
        switch_label = t("English", "Bahasa Indonesia"),
        datasets_word = t("Dataset", "Datasets"),
    );
    Ok((
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=60"),
        ],
        html,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_follow_the_reader_language() {
        assert_eq!(group_thousands(1326, false), "1.326");
        assert_eq!(group_thousands(1_000_000, false), "1.000.000");
        assert_eq!(group_thousands(1326, true), "1,326");
        assert_eq!(group_thousands(999, false), "999");
        assert_eq!(group_thousands(-1234, false), "-1.234");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
