//! The router checked against the document: every open route `app()` registers must be an
//! operation of `/openapi.json` and every operation must be served, so a route cannot be added
//! without its `#[utoipa::path]` (nor a path documented that nothing serves).
//!
//! axum's router cannot match a suffix within a segment (`rows.{ext}`), so one route may serve
//! several operations; such an operation names its route in `x-logam-route`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use axum::Router;
use axum::routing::MethodRouter;
use serde_json::Value;

use super::derived;
use crate::http::AppState;

/// Each served route with the methods the document gives it.
fn documented(document: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut routes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let route = operation["x-logam-route"].as_str().unwrap_or(path);
            routes
                .entry(route.to_string())
                .or_default()
                .insert(method.to_uppercase());
        }
    }
    routes
}

fn documented_routes() -> &'static BTreeMap<String, BTreeSet<String>> {
    static ROUTES: OnceLock<BTreeMap<String, BTreeSet<String>>> = OnceLock::new();
    ROUTES.get_or_init(|| documented(derived()))
}

/// The methods a route answers, for the `Allow` header of a 405 (GET routes answer HEAD too).
pub fn allowed_methods(route: &str) -> Option<String> {
    let methods = documented_routes().get(route)?;
    let mut allowed: Vec<&str> = Vec::new();
    for method in methods {
        allowed.push(method);
        if method == "GET" {
            allowed.push("HEAD");
        }
    }
    Some(allowed.join(", "))
}

/// A `Router` that remembers the paths given to it, so `app()` can compare its open routes
/// with the document.
pub struct Recorder {
    router: Router<AppState>,
    paths: Vec<&'static str>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    pub fn new() -> Self {
        Recorder {
            router: Router::new(),
            paths: Vec::new(),
        }
    }

    pub fn route(mut self, path: &'static str, method_router: MethodRouter<AppState>) -> Self {
        self.paths.push(path);
        self.router = self.router.route(path, method_router);
        self
    }

    /// Ends the open routes. A mismatch is a programming error: debug builds (every test)
    /// refuse to start; a release build logs it and serves on.
    pub fn finish(self) -> Router<AppState> {
        if let Err(problem) = check_routes(&self.paths) {
            if cfg!(debug_assertions) {
                panic!("{problem}");
            }
            tracing::error!(%problem, "the open routes and /openapi.json disagree");
        }
        self.router
    }
}

/// Compares registered open routes with the document's.
pub fn check_routes(registered: &[&str]) -> Result<(), String> {
    let listed: BTreeSet<&str> = documented_routes().keys().map(String::as_str).collect();
    let registered: BTreeSet<&str> = registered.iter().copied().collect();
    let missing: Vec<&str> = listed.difference(&registered).copied().collect();
    let undocumented: Vec<&str> = registered.difference(&listed).copied().collect();
    if missing.is_empty() && undocumented.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the open routes and /openapi.json disagree: documented but not served {missing:?}, \
             served but without a #[utoipa::path] in api::openapi::ApiDoc {undocumented:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<&'static str> {
        documented_routes().keys().map(|k| k.as_str()).collect()
    }

    #[test]
    fn route_check_names_what_is_missing_and_what_is_undocumented() {
        let all = all();
        assert!(check_routes(&all).is_ok());
        let without_health: Vec<&str> = all.iter().copied().filter(|r| *r != "/healthz").collect();
        let err = check_routes(&without_health).unwrap_err();
        assert!(err.contains("/healthz"), "{err}");
        let mut extra = all.clone();
        extra.push("/api/new");
        assert!(check_routes(&extra).unwrap_err().contains("/api/new"));
    }

    /// The suffixed operations share their route: rows and rows.{ext} are one axum route.
    #[test]
    fn one_route_may_serve_several_operations() {
        let all = all();
        assert!(all.contains(&"/api/datasets/{id}/{resource}"));
        assert!(!all.contains(&"/api/datasets/{id}/rows.{ext}"));
        assert!(all.contains(&"/api/indicators/{id}"));
        assert!(all.contains(&"/api/datasets/{id}/queries/{name}"));
    }

    #[test]
    fn allow_lists_head_with_get() {
        assert_eq!(
            allowed_methods("/api/sql").as_deref(),
            Some("GET, HEAD, POST")
        );
        assert_eq!(allowed_methods("/api").as_deref(), Some("GET, HEAD"));
        assert_eq!(allowed_methods("/nowhere"), None);
    }
}
