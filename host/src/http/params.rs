//! Reading a rows request's query string: reserved `_` parameters, column filters, and the
//! limits that keep a hostile query string cheap to refuse.

use crate::store::{Filter, Operator, QueryError, RowRequest, Sort};

/// Longest value (or name) accepted in a query parameter.
pub const MAX_VALUE_BYTES: usize = 1000;
/// Most query parameters in one request.
pub const MAX_PARAMETERS: usize = 64;
/// Most rows on one page.
pub const MAX_PAGE_SIZE: usize = 1000;
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// Most facets on one page.
pub const MAX_FACETS: usize = 10;

/// What the request is for: a JSON page, or a whole-result export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Page,
    Export { csv: bool },
}

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
                    let size: usize =
                        value
                            .parse()
                            .ok()
                            .filter(|&n| n >= 1)
                            .ok_or_else(|| match mode {
                                Mode::Page => invalid(
                                    key,
                                    value,
                                    &format!("a whole number from 1 to {MAX_PAGE_SIZE}"),
                                ),
                                Mode::Export { .. } => {
                                    invalid(key, value, "a whole number of at least 1")
                                }
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
                    if matches!(mode, Mode::Export { .. }) {
                        return Err(not_for_export(key));
                    }
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
                    if matches!(mode, Mode::Export { .. }) {
                        return Err(not_for_export(key));
                    }
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

    #[test]
    fn sort_given_twice_is_refused() {
        let err = parse(Some("_sort=a&_sort_desc=b"), Mode::Page).unwrap_err();
        assert_eq!(err.code(), "repeated_parameter");
    }
}
