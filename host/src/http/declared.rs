//! Query parameters declared once, as types, for the documentation and the parser alike.
//!
//! The open endpoints read their query strings by hand (column filters, SQL named parameters
//! and plugin parameters are open-ended sets that no serde type describes), but the reserved
//! names of each endpoint are a type deriving utoipa's `IntoParams`. `/openapi.json` lists
//! that type's fields, and the endpoint's parser refuses any reserved name the type does not
//! declare ([`Declared::check`]). A parameter handled without being declared is therefore
//! refused on its first use, and one declared is documented: the two cannot drift.

use std::sync::OnceLock;

use serde::Serialize;
use utoipa::openapi::path::ParameterIn;
use utoipa::{IntoParams, ToSchema};

/// The names of a parameter type, computed once.
pub struct Declared(OnceLock<Vec<String>>);

impl Declared {
    pub const fn new() -> Self {
        Declared(OnceLock::new())
    }

    /// The names `T` declares, as `/openapi.json` lists them.
    pub fn names<T: IntoParams>(&self) -> &[String] {
        self.0.get_or_init(|| {
            T::into_params(|| Some(ParameterIn::Query))
                .into_iter()
                .map(|p| p.name)
                .collect()
        })
    }

    pub fn contains<T: IntoParams>(&self, name: &str) -> bool {
        self.names::<T>().iter().any(|n| n == name)
    }
}

impl Default for Declared {
    fn default() -> Self {
        Declared::new()
    }
}

/// A yes-or-no parameter: `1`, `true` or empty for yes, `0` or `false` for no.
#[derive(Serialize, ToSchema)]
pub enum Flag {
    #[serde(rename = "1")]
    One,
    #[serde(rename = "0")]
    Zero,
    #[serde(rename = "true")]
    True,
    #[serde(rename = "false")]
    False,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(IntoParams)]
    #[into_params(parameter_in = Query)]
    #[allow(dead_code)]
    struct Example {
        #[param(rename = "_size")]
        size: Option<u32>,
        from: Option<i64>,
    }

    #[test]
    fn names_are_those_the_document_shows() {
        static NAMES: Declared = Declared::new();
        assert_eq!(NAMES.names::<Example>(), ["_size", "from"]);
        assert!(NAMES.contains::<Example>("from"));
        assert!(!NAMES.contains::<Example>("size"));
    }
}
