//! Reading a rows request's query string: reserved `_` parameters, column filters, and the
//! limits that keep a hostile query string cheap to refuse.

use std::collections::BTreeMap;

use utoipa::IntoParams;

use super::declared::{Declared, Flag};
use crate::store::{Filter, Operator, QueryError, RowRequest, Sort};

/// Longest value (or name) accepted in a query parameter.
pub const MAX_VALUE_BYTES: usize = 1000;
/// Most query parameters in one request.
pub const MAX_PARAMETERS: usize = 64;
/// Most rows on one page.
pub const MAX_PAGE_SIZE: usize = 1000;
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// The largest row cap of an export: SQLite's LIMIT is a signed 64-bit integer.
pub const MAX_EXPORT_SIZE: usize = i64::MAX as usize;
/// Most facets on one page.
pub const MAX_FACETS: usize = 10;

/// What the request is for: a JSON page, or a whole-result export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Page,
    Export { csv: bool },
}

/// The parameters of a page of rows (`GET /api/datasets/{id}/rows`): what `/openapi.json`
/// lists, and the `_` names [`parse`] accepts for a page (see [`super::declared`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // a declaration: `parse` reads the query string itself
pub struct PageParams {
    /// Column filters, any number of them: `{column}=value` (exact match) or
    /// `{column}__{op}=value` with op one of exact, not, gt, gte, lt, lte, contains,
    /// startswith, in (comma list), isnull (1 or 0). Columns are the dataset's (GET
    /// /api/datasets/{id}); an unknown column or operator is refused (400). Names starting with
    /// `_` are reserved for the parameters below.
    #[param(style = Form, explode)]
    filters: Option<BTreeMap<String, String>>,
    /// Sort ascending by this column (not with `_sort_desc`).
    #[param(rename = "_sort", min_length = 1, max_length = 1000)]
    sort: Option<String>,
    /// Sort descending by this column (not with `_sort`).
    #[param(rename = "_sort_desc", min_length = 1, max_length = 1000)]
    sort_desc: Option<String>,
    /// Rows per page, 1 to 1000 (default 100).
    #[param(rename = "_size", minimum = 1, maximum = 1000, default = 100)]
    size: Option<u32>,
    /// The `next` token of the previous page.
    #[param(rename = "_next")]
    next: Option<String>,
    /// Columns to return, a comma list (repeatable).
    #[param(rename = "_col", style = Form, explode)]
    col: Option<Vec<String>>,
    /// Full-text search in the dataset's text columns (words, not FTS syntax).
    #[param(rename = "_q", max_length = 1000)]
    q: Option<String>,
    /// A revision number: the data as it was then, citable forever.
    #[param(rename = "_as_of", minimum = 1)]
    as_of: Option<i64>,
    /// Count the values of these columns in the filtered rows (repeatable; at most 10).
    #[param(rename = "_facet", style = Form, explode, max_items = 10)]
    facet: Option<Vec<String>>,
    /// 1 to include the total count of the filtered rows.
    #[param(rename = "_count", inline)]
    count: Option<Flag>,
}

/// The parameters of a whole-result export (`GET /api/datasets/{id}/rows.{ext}`): the page's
/// filters and selection, without facets and count, with the CSV byte-order mark.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // a declaration: `parse` reads the query string itself
pub struct ExportParams {
    /// Column filters, as for a page (`{column}=value`, `{column}__{op}=value`).
    #[param(style = Form, explode)]
    filters: Option<BTreeMap<String, String>>,
    /// Sort ascending by this column (not with `_sort_desc`).
    #[param(rename = "_sort", min_length = 1, max_length = 1000)]
    sort: Option<String>,
    /// Sort descending by this column (not with `_sort`).
    #[param(rename = "_sort_desc", min_length = 1, max_length = 1000)]
    sort_desc: Option<String>,
    /// At most this many rows.
    #[param(rename = "_size", minimum = 1, maximum = 9223372036854775807_i64)]
    size: Option<i64>,
    /// Start after this page token.
    #[param(rename = "_next")]
    next: Option<String>,
    /// Columns to return, a comma list (repeatable).
    #[param(rename = "_col", style = Form, explode)]
    col: Option<Vec<String>>,
    /// Full-text search in the dataset's text columns (words, not FTS syntax).
    #[param(rename = "_q", max_length = 1000)]
    q: Option<String>,
    /// A revision number: the data as it was then, citable forever.
    #[param(rename = "_as_of", minimum = 1)]
    as_of: Option<i64>,
    /// `.csv` only: start with a UTF-8 byte-order mark so Excel reads Indonesian text
    /// correctly (400 on other formats).
    #[param(rename = "_bom", inline)]
    bom: Option<Flag>,
}

/// Each row parameter (page and export) with the first sentence of its description, for the
/// API index: the same declarations the document lists, read once.
pub fn described_row_parameters() -> BTreeMap<String, String> {
    static DESCRIBED: std::sync::OnceLock<BTreeMap<String, String>> = std::sync::OnceLock::new();
    DESCRIBED.get_or_init(describe_row_parameters).clone()
}

fn describe_row_parameters() -> BTreeMap<String, String> {
    let query = || Some(utoipa::openapi::path::ParameterIn::Query);
    let mut out = BTreeMap::new();
    for parameter in PageParams::into_params(query)
        .into_iter()
        .chain(ExportParams::into_params(query))
    {
        let description = parameter.description.unwrap_or_default();
        let first = description
            .split_once(": ")
            .map(|(head, _)| head)
            .or_else(|| description.split_once(". ").map(|(head, _)| head))
            .unwrap_or(&description)
            .trim_end_matches('.')
            .replace('\n', " ");
        out.entry(parameter.name).or_insert(first);
    }
    out
}

static PAGE_NAMES: Declared = Declared::new();
static EXPORT_NAMES: Declared = Declared::new();

/// Everything in the query string besides the store's request.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub byte_order_mark: bool,
}

fn invalid(parameter: &str, value: &str, expected: &str) -> QueryError {
    QueryError::InvalidValue {
        parameter: parameter.to_string(),
        value: value.chars().take(100).collect(),
        expected: expected.to_string(),
    }
}

pub fn flag(parameter: &str, value: &str) -> Result<bool, QueryError> {
    match value {
        "1" | "true" | "" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(invalid(parameter, value, "1 or 0")),
    }
}

fn column_list(parameter: &str, value: &str) -> Result<Vec<String>, QueryError> {
    let names: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if names.is_empty() {
        return Err(invalid(
            parameter,
            value,
            "a comma-separated list of column names",
        ));
    }
    Ok(names)
}

pub fn parse(query: Option<&str>, mode: Mode) -> Result<(RowRequest, Extras), QueryError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    if pairs.len() > MAX_PARAMETERS {
        return Err(QueryError::TooManyParameters {
            count: pairs.len(),
            limit: MAX_PARAMETERS,
        });
    }
    let mut request = RowRequest::default();
    let mut extras = Extras::default();
    let mut seen_single: Vec<&'static str> = Vec::new();
    let not_for_export = |parameter: &str| QueryError::NotApplicable {
        parameter: parameter.to_string(),
        context: "an export (exports always hold the whole filtered result)",
    };

    for (key, value) in &pairs {
        for (text, is_key) in [(key, true), (value, false)] {
            if text.len() > MAX_VALUE_BYTES {
                return Err(QueryError::ValueTooLong {
                    parameter: if is_key {
                        key.chars().take(40).collect::<String>() + "…"
                    } else {
                        key.clone()
                    },
                    length: text.len(),
                    limit: MAX_VALUE_BYTES,
                });
            }
        }
        if let Some(reserved) = key.strip_prefix('_') {
            let (declared_here, declared_there) = match mode {
                Mode::Page => (
                    PAGE_NAMES.contains::<PageParams>(key),
                    EXPORT_NAMES.contains::<ExportParams>(key),
                ),
                Mode::Export { .. } => (
                    EXPORT_NAMES.contains::<ExportParams>(key),
                    PAGE_NAMES.contains::<PageParams>(key),
                ),
            };
            if !declared_here {
                return Err(match (declared_there, mode) {
                    (true, Mode::Page) => QueryError::NotApplicable {
                        parameter: key.clone(),
                        context: "anything but a CSV export",
                    },
                    (true, Mode::Export { .. }) => not_for_export(key),
                    (false, _) => QueryError::UnknownParameter {
                        parameter: key.chars().take(100).collect(),
                    },
                });
            }
            let single: Option<&'static str> = match reserved {
                "sort" | "sort_desc" => Some("_sort"),
                "size" => Some("_size"),
                "next" => Some("_next"),
                "q" => Some("_q"),
                "count" => Some("_count"),
                "bom" => Some("_bom"),
                "as_of" => Some("_as_of"),
                _ => None,
            };
            if let Some(name) = single {
                if seen_single.contains(&name) {
                    return Err(QueryError::RepeatedParameter {
                        parameter: if name == "_sort" {
                            "_sort/_sort_desc".into()
                        } else {
                            name.into()
                        },
                    });
                }
                seen_single.push(name);
            }
            match reserved {
                "sort" | "sort_desc" => {
                    if value.is_empty() {
                        return Err(invalid(key, value, "a column name"));
                    }
                    request.sort = Some(Sort {
                        column: value.clone(),
                        descending: reserved == "sort_desc",
                    });
                }
                "size" => {
                    let size: usize = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_EXPORT_SIZE).contains(n))
                        .ok_or_else(|| match mode {
                            Mode::Page => invalid(
                                key,
                                value,
                                &format!("a whole number from 1 to {MAX_PAGE_SIZE}"),
                            ),
                            Mode::Export { .. } => invalid(
                                key,
                                value,
                                &format!("a whole number from 1 to {MAX_EXPORT_SIZE}"),
                            ),
                        })?;
                    if mode == Mode::Page && size > MAX_PAGE_SIZE {
                        return Err(invalid(
                            key,
                            value,
                            &format!(
                                "a whole number from 1 to {MAX_PAGE_SIZE} (use .csv or .ndjson for everything)"
                            ),
                        ));
                    }
                    request.limit = Some(size);
                }
                "next" => request.next = Some(value.clone()),
                "col" => request
                    .columns
                    .get_or_insert_with(Vec::new)
                    .extend(column_list(key, value)?),
                "facet" => {
                    request.facets.extend(column_list(key, value)?);
                    if request.facets.len() > MAX_FACETS {
                        return Err(invalid(key, value, &format!("at most {MAX_FACETS} facets")));
                    }
                }
                "q" => {
                    // SQLite's FTS5 reads a NUL as the end of the phrase (an "unterminated
                    // string" error, a 500); no one searches for one.
                    if value.contains('\0') {
                        return Err(invalid(key, value, "text without NUL characters"));
                    }
                    request.search = Some(value.clone());
                }
                "as_of" => {
                    request.as_of = Some(
                        value
                            .parse()
                            .map_err(|_| invalid(key, value, "a revision number"))?,
                    );
                }
                "count" => {
                    request.count = flag(key, value)?;
                }
                "bom" => {
                    if mode != (Mode::Export { csv: true }) {
                        return Err(QueryError::NotApplicable {
                            parameter: key.clone(),
                            context: "anything but a CSV export",
                        });
                    }
                    extras.byte_order_mark = flag(key, value)?;
                }
                _ => {
                    // Declared in PageParams or ExportParams but not read here: a programming
                    // error the test below catches; refused rather than ignored.
                    return Err(QueryError::UnknownParameter {
                        parameter: key.chars().take(100).collect(),
                    });
                }
            }
            continue;
        }

        let (column, operator) = match key.rsplit_once("__") {
            Some((column, op)) => {
                let operator = Operator::parse(op).ok_or_else(|| QueryError::UnknownOperator {
                    parameter: key.chars().take(100).collect(),
                    operator: op.chars().take(40).collect(),
                })?;
                (column.to_string(), operator)
            }
            None => (key.clone(), Operator::Exact),
        };
        request.filters.push(Filter {
            parameter: key.clone(),
            column,
            operator,
            value: value.clone(),
        });
    }
    if mode == Mode::Page {
        request.limit = Some(request.limit.unwrap_or(DEFAULT_PAGE_SIZE));
    }
    Ok((request, extras))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_split_on_the_last_double_underscore() {
        let (request, _) = parse(Some("tahun__gte=2015&nama=Galuh"), Mode::Page).unwrap();
        assert_eq!(request.filters[0].column, "tahun");
        assert_eq!(request.filters[0].operator, Operator::Gte);
        assert_eq!(request.filters[1].operator, Operator::Exact);
        assert_eq!(request.limit, Some(DEFAULT_PAGE_SIZE));
    }

    #[test]
    fn page_size_is_bounded() {
        for bad in ["0", "-1", "1001", "abc", "1e3"] {
            let err = parse(Some(&format!("_size={bad}")), Mode::Page).unwrap_err();
            assert_eq!(err.code(), "invalid_value", "{bad}");
        }
        let (request, _) = parse(Some("_size=5000"), Mode::Export { csv: true }).unwrap();
        assert_eq!(request.limit, Some(5000));
    }

    #[test]
    fn search_text_with_a_nul_is_refused() {
        let err = parse(Some("_q=a%00b"), Mode::Page).unwrap_err();
        assert_eq!(err.code(), "invalid_value");
    }

    /// Every reserved name the document declares is read by the parser (with a valid value),
    /// and one it does not declare is refused: the declaration and the parser agree.
    #[test]
    fn every_declared_parameter_is_read() {
        let sample = |name: &str| match name {
            "_size" | "_as_of" => "5",
            "_count" | "_bom" => "1",
            _ => "nama",
        };
        for (mode, names) in [
            (Mode::Page, PAGE_NAMES.names::<PageParams>()),
            (
                Mode::Export { csv: true },
                EXPORT_NAMES.names::<ExportParams>(),
            ),
        ] {
            let reserved: Vec<&String> = names.iter().filter(|n| n.starts_with('_')).collect();
            assert!(reserved.len() >= 8, "{reserved:?}");
            for name in reserved {
                let query = format!("{name}={}", sample(name));
                parse(Some(&query), mode).unwrap_or_else(|e| panic!("{query}: {e}"));
            }
        }
        let err = parse(Some("_facet=a"), Mode::Export { csv: true }).unwrap_err();
        assert_eq!(err.code(), "parameter_not_applicable");
        let err = parse(Some("_bom=1"), Mode::Page).unwrap_err();
        assert_eq!(err.code(), "parameter_not_applicable");
        let err = parse(Some("_shape=array"), Mode::Page).unwrap_err();
        assert_eq!(err.code(), "unknown_parameter");
    }

    #[test]
    fn sort_given_twice_is_refused() {
        let err = parse(Some("_sort=a&_sort_desc=b"), Mode::Page).unwrap_err();
        assert_eq!(err.code(), "repeated_parameter");
    }
}
