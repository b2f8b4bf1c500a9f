//! Extractors every handler may use, each rejecting in the one JSON error shape.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::ApiError;

/// `axum::extract::Path` whose rejection is our JSON error rather than plain text.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct PathParams<T>(pub T);
/// The client's address, or a shared placeholder where the router runs without one.
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
                .unwrap_or(IpAddr::from([0, 0, 0, 0])),
        ))
    }
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
}
