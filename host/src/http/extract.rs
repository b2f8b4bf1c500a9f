//! Extractors every handler may use, each rejecting in the one JSON error shape.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::FORWARDED;
use axum::http::request::Parts;

use super::{ApiError, AppState};

/// `axum::extract::Path` whose rejection is our JSON error rather than plain text.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct PathParams<T>(pub T);
/// The client a request comes from: the one place every limit (rate limits, export slots,
/// SQL statements, failed logins) learns who is asking.
///
/// The socket's peer, unless that peer is a trusted proxy (`--trusted-proxy CIDR`): then the
/// forwarding headers are read, `Forwarded` (RFC 7239) if present, else `X-Forwarded-For`,
/// right to left, skipping trusted proxies, and the first address that is not one is the
/// client (the rightmost-untrusted rule: everything left of it was written by the client
/// itself and could say anything). A hop that is not an address (`unknown`, an obfuscated
/// name) stops the walk at the last trusted proxy, so such requests share that proxy's
/// limits rather than choosing their own. From any other peer the headers are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The networks whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub std::sync::Arc<Vec<ipnet::IpNet>>);

impl TrustedProxies {
    pub fn new(networks: Vec<ipnet::IpNet>) -> Self {
        TrustedProxies(std::sync::Arc::new(networks))
    }

    fn trusts(&self, addr: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&addr))
    }
}

/// `::ffff:192.0.2.1` is `192.0.2.1`.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
        v4 => v4,
    }
}

/// One hop of `X-Forwarded-For` (`192.0.2.1`, `[2001:db8::1]`, `192.0.2.1:4711`) or of a
/// `Forwarded` `for=` (`"[2001:db8::1]:4711"`).
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(addr) = text.parse::<IpAddr>() {
        return Some(canonical(addr));
    }
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return Some(canonical(socket.ip()));
    }
    text.strip_prefix('[')
        .and_then(|t| t.split_once(']'))
        .and_then(|(inner, _)| inner.parse::<IpAddr>().ok())
        .map(canonical)
}

/// The hops the headers list, leftmost (the claimed client) first. `Forwarded` wins over
/// `X-Forwarded-For` when both are present; repeated headers are read in order.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all(FORWARDED)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .find_map(|pair| {
                        let (key, value) = pair.split_once('=')?;
                        key.trim().eq_ignore_ascii_case("for").then_some(value)
                    })
                    .and_then(parse_hop)
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(parse_hop)
        .collect()
}

impl ClientAddr {
    /// Applies the rule above to a peer and its headers.
    pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> ClientAddr {
        let mut client = canonical(peer);
        if !trusted.trusts(client) {
            return ClientAddr(client);
        }
        for hop in forwarded_hops(headers).into_iter().rev() {
            match hop {
                Some(addr) if trusted.trusts(addr) => client = addr,
                Some(addr) => return ClientAddr(addr),
                None => break,
            }
        }
        ClientAddr(client)
    }

    /// The key limits count under: the address, except that an IPv6 client is its /64 (one
    /// subscriber's network: a single host can pick any address within it).
    pub fn bucket(self) -> IpAddr {
        match self.0 {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            v4 => v4,
        }
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr::of(
            &parts.extensions,
            &parts.headers,
            &state.trusted_proxies,
        ))
    }
}

impl ClientAddr {
    /// The client of a request, from its connection's peer (in `extensions`) and headers.
    pub fn of(
        extensions: &axum::http::Extensions,
        headers: &HeaderMap,
        trusted: &TrustedProxies,
    ) -> ClientAddr {
        // Without a socket (a router driven in-process) every request shares one placeholder.
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        ClientAddr::resolve(peer, headers, trusted)
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

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies_rightmost_first() {
        let trusted = TrustedProxies::new(vec![
            "10.0.0.0/8".parse().unwrap(),
            "2001:db8:ffff::/48".parse().unwrap(),
        ]);
        let proxy = IpAddr::from([10, 0, 0, 5]);
        let outsider = IpAddr::from([198, 51, 100, 7]);
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.9, 192.0.2.1")]);
        // From an untrusted peer the header is ignored.
        assert_eq!(
            ClientAddr::resolve(outsider, &spoofed, &trusted).0,
            outsider
        );
        // From a trusted peer: the rightmost address that is not a trusted proxy.
        assert_eq!(
            ClientAddr::resolve(proxy, &spoofed, &trusted).0,
            IpAddr::from([192, 0, 2, 1])
        );
        let chain = headers(&[("x-forwarded-for", "203.0.113.9, 192.0.2.1, 10.1.2.3")]);
        assert_eq!(
            ClientAddr::resolve(proxy, &chain, &trusted).0,
            IpAddr::from([192, 0, 2, 1])
        );
        // `Forwarded` wins, with quoted IPv6 and ports.
        let forwarded = headers(&[
            (
                "forwarded",
                "for=192.0.2.60;proto=http, for=\"[2001:db8:1::5]:4711\"",
            ),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(
            ClientAddr::resolve(proxy, &forwarded, &trusted).0,
            "2001:db8:1::5".parse::<IpAddr>().unwrap()
        );
        // An unknown hop stops at the last trusted proxy.
        let unknown = headers(&[("forwarded", "for=192.0.2.60, for=unknown")]);
        assert_eq!(ClientAddr::resolve(proxy, &unknown, &trusted).0, proxy);
        // No header: the proxy itself.
        assert_eq!(
            ClientAddr::resolve(proxy, &HeaderMap::new(), &trusted).0,
            proxy
        );
        // Nothing trusted: the socket, always.
        assert_eq!(
            ClientAddr::resolve(proxy, &spoofed, &TrustedProxies::default()).0,
            proxy
        );
    }

    #[test]
    fn an_ipv6_client_counts_as_its_slash_64() {
        let a = ClientAddr("2001:db8:1:2:aaaa::1".parse().unwrap()).bucket();
        let b = ClientAddr("2001:db8:1:2:bbbb::2".parse().unwrap()).bucket();
        assert_eq!(a, b);
        assert_eq!(
            ClientAddr(IpAddr::from([192, 0, 2, 1])).bucket(),
            IpAddr::from([192, 0, 2, 1])
        );
    }

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
