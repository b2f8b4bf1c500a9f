//! Turning untrusted text and JSON into typed SQLite values, one column type at a time.
//! Both the filters of a read request and the cells of an import pass through here, so a
//! value is judged the same way wherever it comes from.

use rusqlite::types::Value;

use super::catalog::ColumnType;

/// What a value of this type looks like, for error messages.
pub fn expected(column_type: ColumnType) -> &'static str {
    match column_type {
        ColumnType::Integer => "a whole number such as 2020",
        ColumnType::Real => "a number such as 138700000000 or 41.35 (dot as decimal separator)",
        ColumnType::Text => "text",
        ColumnType::Date => "a date such as 2021-06-02, 2021-06 or 2021",
        ColumnType::Boolean => "true, false, 1 or 0",
    }
}

/// Parses one non-empty text value as `column_type`. Empty input is the caller's business
/// (NULL in an import, the empty string in a text filter).
pub fn parse_text(column_type: ColumnType, raw: &str) -> Option<Value> {
    match column_type {
        ColumnType::Integer => raw.trim().parse::<i64>().ok().map(Value::Integer),
        ColumnType::Real => raw
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Value::Real),
        ColumnType::Text => Some(Value::Text(raw.to_string())),
        ColumnType::Date => is_iso_date(raw).then(|| Value::Text(raw.to_string())),
        ColumnType::Boolean => parse_bool(raw).map(|b| Value::Integer(b as i64)),
    }
}

pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "ya" | "yes" => Some(true),
        "0" | "false" | "tidak" | "no" => Some(false),
        _ => None,
    }
}

/// Converts a JSON value for `column_type`; `Ok(Value::Null)` for JSON null.
pub fn from_json(column_type: ColumnType, value: &serde_json::Value) -> Option<Value> {
    use serde_json::Value as J;
    match (column_type, value) {
        (_, J::Null) => Some(Value::Null),
        (ColumnType::Integer, J::Number(n)) => n.as_i64().map(Value::Integer),
        (ColumnType::Real, J::Number(n)) => n.as_f64().filter(|v| v.is_finite()).map(Value::Real),
        (ColumnType::Boolean, J::Bool(b)) => Some(Value::Integer(*b as i64)),
        (ColumnType::Boolean, J::Number(n)) => match n.as_i64() {
            Some(0) => Some(Value::Integer(0)),
            Some(1) => Some(Value::Integer(1)),
            _ => None,
        },
        (ColumnType::Text, J::String(s)) => Some(Value::Text(s.clone())),
        (ColumnType::Date, J::String(s)) => is_iso_date(s).then(|| Value::Text(s.clone())),
        _ => None,
    }
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` with a real month and day-of-month, leap years
/// included: `logam_format::IsoDate`'s rule, the same the pages and plugins read dates by.
pub fn is_iso_date(s: &str) -> bool {
    logam_format::IsoDate::parse(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked_for_shape_and_range() {
        for good in ["2021", "2021-06", "2021-06-02", "2024-02-29"] {
            assert!(is_iso_date(good), "{good}");
        }
        for bad in [
            "21",
            "2021-13",
            "2021-06-31",
            "2023-02-29",
            "2021/06/02",
            "２０２１",
            "",
            "2021-6-2",
        ] {
            assert!(!is_iso_date(bad), "{bad}");
        }
    }

    #[test]
    fn numbers_must_be_finite_and_whole_where_declared() {
        assert_eq!(
            parse_text(ColumnType::Integer, "2020"),
            Some(Value::Integer(2020))
        );
        assert_eq!(parse_text(ColumnType::Integer, "20.5"), None);
        assert_eq!(parse_text(ColumnType::Integer, "1;DROP TABLE x"), None);
        assert_eq!(parse_text(ColumnType::Real, "NaN"), None);
        assert_eq!(parse_text(ColumnType::Real, "inf"), None);
        assert_eq!(
            parse_text(ColumnType::Real, "41.35"),
            Some(Value::Real(41.35))
        );
        assert_eq!(
            parse_text(ColumnType::Boolean, "TRUE"),
            Some(Value::Integer(1))
        );
        assert_eq!(parse_text(ColumnType::Boolean, "2"), None);
    }
}
