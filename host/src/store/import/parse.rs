//! Reading an import file: bytes to text, then CSV or JSON to raw rows in the dataset's column
//! order, with every problem found on the way.

use std::collections::HashSet;

use super::*;
use crate::store::catalog::DatasetMeta;

/// A parsed cell before typing: absent/empty is `None`.
pub(super) enum RawRow {
    Csv(Vec<String>),
    Json(serde_json::Map<String, serde_json::Value>),
}

pub(super) struct Parsed {
    /// (line, row) for each record.
    pub(super) records: Vec<(u64, RawRow)>,
    /// CSV: for each declared column, its position in the file.
    pub(super) positions: Vec<usize>,
    pub(super) delimiter: Option<u8>,
    pub(super) delimiter_detected: bool,
}

/// UTF-8, with or without BOM; anything else is refused with the first bad byte's place.
pub fn decode(bytes: &[u8]) -> Result<&str, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(err) => {
            let offset = err.valid_up_to();
            let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(ImportError::Encoding {
                offset,
                line,
                byte: bytes[offset],
            })
        }
    }
}

/// Where a quoted field is left open at the end of the text (its line), following RFC 4180:
/// a quote opens only at the start of a field, `""` inside is a quote. The `csv` crate reads an
/// open quote to the end of the file without complaint, which would import a truncated upload.
pub(super) fn unterminated_quote(text: &str, delimiter: u8) -> Option<u64> {
    let mut line = 1u64;
    let mut opened_at = 0u64;
    let mut quoted = false;
    let mut field_start = true;
    let mut bytes = text.bytes().peekable();
    while let Some(b) = bytes.next() {
        if b == b'\n' {
            line += 1;
        }
        if quoted {
            if b == b'"' {
                if bytes.peek() == Some(&b'"') {
                    bytes.next();
                } else {
                    quoted = false;
                }
            }
            continue;
        }
        match b {
            b'"' if field_start => {
                quoted = true;
                opened_at = line;
                field_start = false;
            }
            b'\n' | b'\r' => field_start = true,
            _ if b == delimiter => field_start = true,
            _ => field_start = false,
        }
    }
    quoted.then_some(opened_at)
}

pub(super) fn parse_csv(
    meta: &DatasetMeta,
    text: &str,
    given: Option<u8>,
    problems: &mut Problems,
) -> Result<Parsed, ImportError> {
    let header_line = text.lines().next().unwrap_or("");
    let (delimiter, detected) = match given {
        Some(d) => (d, false),
        None if header_line.contains(';') && !header_line.contains(',') => (b';', true),
        None => (b',', false),
    };
    if let Some(line) = unterminated_quote(text, delimiter) {
        return Err(ImportError::Malformed {
            format: "CSV",
            reason: format!(
                "a quoted field opened on line {line} is never closed (was the upload cut short?)"
            ),
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError::Malformed {
            format: "CSV",
            reason: format!("header: {e}"),
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(ImportError::Empty);
    }
    let mut positions = Vec::with_capacity(meta.columns.len());
    let mut seen = HashSet::new();
    for name in &header {
        if !seen.insert(name.as_str()) {
            problems.push(
                Some(1),
                None,
                Some(name),
                "the column appears twice in the header".into(),
            );
        } else if meta.column(name).is_none() {
            let hint = if given.is_none() && !detected && name.contains(';') {
                " (is the file separated by `;`? send delimiter=;)"
            } else {
                ""
            };
            problems.push(
                Some(1),
                None,
                Some(name),
                format!(
                    "`{name}` is not a column of dataset `{}`{hint}; its columns are {}",
                    meta.id,
                    meta.column_names().join(", ")
                ),
            );
        }
    }
    for column in &meta.columns {
        match header.iter().position(|h| *h == column.name) {
            Some(i) => positions.push(i),
            None => {
                problems.push(
                    Some(1),
                    None,
                    Some(&column.name),
                    "the column is missing from the header (every column must be present; leave cells empty for no value)".into(),
                );
                positions.push(usize::MAX);
            }
        }
    }
    let mut records = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                if record.len() == 1 && record.get(0).is_some_and(str::is_empty) {
                    continue;
                }
                if record.len() != header.len() {
                    problems.push(
                        Some(line),
                        Some(records.len() as u64 + 1),
                        None,
                        format!(
                            "the row has {} fields; the header has {}",
                            record.len(),
                            header.len()
                        ),
                    );
                }
                records.push((
                    line,
                    RawRow::Csv(record.iter().map(str::to_string).collect()),
                ));
            }
            Err(err) => {
                return Err(ImportError::Malformed {
                    format: "CSV",
                    reason: err.to_string(),
                });
            }
        }
    }
    Ok(Parsed {
        records,
        positions,
        delimiter: Some(delimiter),
        delimiter_detected: detected,
    })
}

pub(super) fn parse_json(
    meta: &DatasetMeta,
    text: &str,
    problems: &mut Problems,
) -> Result<Parsed, ImportError> {
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|e| ImportError::Malformed {
            format: "JSON",
            reason: format!(
                "{e} (the body must be one array of objects keyed by column name; was the upload cut short?)"
            ),
        })?;
    let mut records = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let n = i as u64 + 1;
        match row {
            serde_json::Value::Object(map) => {
                for key in map.keys() {
                    if meta.column(key).is_none() {
                        problems.push(
                            Some(n),
                            Some(n),
                            Some(key),
                            format!("`{key}` is not a column of dataset `{}`", meta.id),
                        );
                    }
                }
                for column in &meta.columns {
                    if !map.contains_key(&column.name) {
                        problems.push(
                            Some(n),
                            Some(n),
                            Some(&column.name),
                            "the column is missing (give every column; null for no value)".into(),
                        );
                    }
                }
                records.push((n, RawRow::Json(map)));
            }
            other => problems.push(
                Some(n),
                Some(n),
                None,
                format!(
                    "each element must be an object, found {}",
                    json_kind(&other)
                ),
            ),
        }
    }
    Ok(Parsed {
        records,
        positions: Vec::new(),
        delimiter: None,
        delimiter_detected: false,
    })
}

pub(super) fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// `1.234,5` or `12,5`: a number written with a decimal comma.
pub(super) fn looks_decimal_comma(raw: &str) -> bool {
    let s = raw.trim().trim_start_matches('-');
    let Some((whole, fraction)) = s.split_once(',') else {
        return false;
    };
    !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && !whole.is_empty()
        && whole.split('.').enumerate().all(|(i, group)| {
            !group.is_empty()
                && group.bytes().all(|b| b.is_ascii_digit())
                && (i == 0 || group.len() == 3)
        })
}

/// `1.234.567`: a whole number with dots grouping thousands.
pub(super) fn looks_grouped(raw: &str) -> bool {
    let s = raw.trim().trim_start_matches('-');
    s.contains('.')
        && s.split('.').enumerate().all(|(i, group)| {
            !group.is_empty()
                && group.bytes().all(|b| b.is_ascii_digit())
                && if i == 0 {
                    group.len() <= 3
                } else {
                    group.len() == 3
                }
        })
}

/// Rewrites a decimal-comma number (`1.234,5`) in the dot notation the parser reads.
pub(super) fn from_decimal_comma(raw: &str) -> String {
    raw.trim().replace('.', "").replace(',', ".")
}
