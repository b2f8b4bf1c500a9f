//! The shell every page shares: language, title, navigation and the switch to the other
//! language. Used by `web/` and by the API's own documentation page.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::Lang;

/// The pages' one stylesheet (`style.css`), inlined so a page is one request and needs no
/// other host.
const STYLE: &str = include_str!("style.css");

/// The same page in the other language: this path and query string with `lang` switched.
fn other_language(lang: Lang, path: &str, query: Option<&str>) -> String {
    let mut kept = form_urlencoded::Serializer::new(String::new());
    kept.extend_pairs(
        form_urlencoded::parse(query.unwrap_or("").as_bytes()).filter(|(k, _)| k != "lang"),
    );
    kept.append_pair("lang", lang.pick("en", "id"));
    format!("{path}?{}", kept.finish())
}

/// Wraps a page body in the shared layout: language, title, a link home and the switch to the
/// other language (which keeps the rest of the query string).
pub fn layout(lang: Lang, title: &str, path: &str, query: Option<&str>, body: Markup) -> Response {
    let page = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — logam" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                nav aria-label=(lang.pick("Navigasi", "Navigation")) {
                    a href=(lang.pick("/", "/?lang=en")) { "logam" }
                    " · "
                    a href=(lang.pick("/sources", "/sources?lang=en")) { (lang.pick("Sumber", "Sources")) }
                    " · "
                    a href=(lang.pick("/plugins", "/plugins?lang=en")) { "Plugin" }
                    " · "
                    a href="/api" { "API" }
                    " · "
                    a href=(other_language(lang, path, query)) hreflang=(lang.pick("en", "id")) {
                        (lang.pick("English", "Bahasa Indonesia"))
                    }
                }
                main { (body) }
            }
        }
    };
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=60"),
            (axum::http::header::VARY, "Accept-Language"),
        ],
        page.into_string(),
    )
        .into_response()
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
