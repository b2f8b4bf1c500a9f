//! Pages for people: the home page, the SQL page and canned-query forms. Server-rendered,
//! no JavaScript, Indonesian first (`?lang=en` for English).

mod chart;
mod dataset;
pub mod format;
mod home;
mod indicator;
mod plugins;
mod png;
mod sources;
mod sql;

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::api::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/sql", get(sql::sql_page))
        .route("/datasets/{id}", get(dataset::page))
        .route("/datasets/{id}/queries/{name}", get(sql::canned_page))
        .route("/indicators/{id}", get(indicator::page))
        .route("/embed/indicators/{id}", get(indicator::embed))
        .route("/sources", get(sources::page))
        .route("/plugins", get(plugins::page))
}

/// The reader's language for this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    /// `lang=en` or `lang=id` in the query string, if either is there.
    pub fn from_query(query: Option<&str>) -> Option<Lang> {
        form_urlencoded::parse(query.unwrap_or("").as_bytes()).find_map(|(k, v)| {
            match (k.as_ref(), v.as_ref()) {
                ("lang", "en") => Some(Lang::En),
                ("lang", "id") => Some(Lang::Id),
                _ => None,
            }
        })
    }

    /// English when `Accept-Language` ranks English above Indonesian; Indonesian otherwise
    /// (also when the header names neither).
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let mut best_en = 0.0f32;
        let mut best_id = 0.0f32;
        for item in header.unwrap_or("").split(',') {
            let mut pieces = item.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            match primary {
                "en" => best_en = best_en.max(q),
                "id" | "in" => best_id = best_id.max(q),
                _ => {}
            }
        }
        if best_en > best_id {
            Lang::En
        } else {
            Lang::Id
        }
    }

    pub fn pick<'a>(self, id: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Id => id,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        self.pick("id", "en")
    }
}

/// The reader's language: `?lang=` when given, else `Accept-Language`, else Indonesian.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_query(parts.uri.query()).unwrap_or_else(|| {
            Lang::from_accept_language(
                parts
                    .headers
                    .get(axum::http::header::ACCEPT_LANGUAGE)
                    .and_then(|h| h.to_str().ok()),
            )
        }))
    }
}

/// Wraps a page body in the shared layout: language, title, a link home and the switch to the
/// other language (which keeps the rest of the query string).
pub fn layout(lang: Lang, title: &str, path: &str, query: Option<&str>, body: &str) -> Response {
    let kept: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            form_urlencoded::parse(query.unwrap_or("").as_bytes()).filter(|(k, _)| k != "lang"),
        )
        .finish();
    let other = match lang {
        Lang::Id => {
            if kept.is_empty() {
                format!("{path}?lang=en")
            } else {
                format!("{path}?{kept}&lang=en")
            }
        }
        Lang::En => {
            if kept.is_empty() {
                format!("{path}?lang=id")
            } else {
                format!("{path}?{kept}&lang=id")
            }
        }
    };
    let home = match lang {
        Lang::Id => "/".to_string(),
        Lang::En => "/?lang=en".to_string(),
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} — logam</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:70rem;margin:1rem auto;padding:0 1rem}}\
         table{{border-collapse:collapse;margin:.5rem 0}}th,td{{border:1px solid #ccc;padding:.2rem .4rem;text-align:left}}\
         td.num{{text-align:right;font-variant-numeric:tabular-nums}}caption{{text-align:left;color:#444}}\
         figure{{margin:0}}svg{{max-width:100%;height:auto}}pre{{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}}\
         textarea{{width:100%;font-family:monospace}}.error{{border-left:4px solid #b00;padding:.5rem}}</style>\
         </head><body><nav aria-label=\"{nav}\"><a href=\"{home}\">logam</a> · <a href=\"{sources}\">{sources_word}</a> · \
         <a href=\"{plugins}\">Plugin</a> · <a href=\"/api\">API</a> · <a href=\"{other}\" hreflang=\"{other_code}\">{switch}</a></nav>\
         <main>{body}</main></body></html>\n",
        code = lang.code(),
        title = escape(title),
        home = escape(&home),
        other = escape(&other),
        switch = lang.pick("English", "Bahasa Indonesia"),
        nav = lang.pick("Navigasi", "Navigation"),
        sources = lang.pick("/sources", "/sources?lang=en"),
        sources_word = lang.pick("Sumber", "Sources"),
        plugins = lang.pick("/plugins", "/plugins?lang=en"),
        other_code = lang.pick("en", "id"),
    );
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=60"),
            (axum::http::header::VARY, "Accept-Language"),
        ],
        html,
    )
        .into_response()
}

pub use crate::api::public_base;

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
    fn accept_language_picks_english_only_when_ranked_above_indonesian() {
        assert_eq!(Lang::from_accept_language(Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("id-ID,id;q=0.9,en;q=0.8")),
            Lang::Id
        );
        assert_eq!(
            Lang::from_accept_language(Some("en;q=0.5,id;q=0.9")),
            Lang::Id
        );
        assert_eq!(Lang::from_accept_language(Some("fr")), Lang::Id);
        assert_eq!(Lang::from_accept_language(None), Lang::Id);
        assert_eq!(Lang::from_query(Some("a=1&lang=en")), Some(Lang::En));
        assert_eq!(Lang::from_query(Some("lang=id")), Some(Lang::Id));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
