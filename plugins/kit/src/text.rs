//! Small text encoders shared by the exporters: JSON strings, XML text, CSV fields, numbers
//! in machine and Indonesian notation, and human dates.

use std::fmt::Write as _;

/// Appends `s` as a JSON string literal, quotes included (RFC 8259).
pub fn json_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match escape {
            Some(e) => out.push_str(e),
            None => {
                let _ = write!(out, "\\u{:04x}", b);
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends `x` in the shortest form that reads back as the same f64 (`71428.57142857143`,
/// `9600`), or returns false and appends nothing when it is NaN or infinite.
pub fn push_f64(out: &mut String, x: f64) -> bool {
    if !x.is_finite() {
        return false;
    }
    let _ = write!(out, "{x}");
    true
}

/// Appends text escaped for XML element content and attribute values, dropping the
/// characters XML 1.0 cannot hold (control characters other than tab, LF and CR).
pub fn xml_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
}

/// Appends one CSV field, quoted when it holds a comma, quote, CR or LF (RFC 4180).
pub fn csv_field(out: &mut String, s: &str) {
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push('"');
        for c in s.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// `x` in Indonesian notation: "." between thousands when `group`, "," before at most
/// `decimals` decimals, trailing zeros dropped: 1234567.891 → "1.234.567,89".
pub fn number_id(x: f64, decimals: usize, group: bool) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let fixed = format!("{:.*}", decimals, x.abs());
    let (int_part, frac_part) = match fixed.split_once('.') {
        Some((i, f)) => (i, f.trim_end_matches('0')),
        None => (fixed.as_str(), ""),
    };
    let mut out = String::new();
    let negative = x < 0.0 && (int_part.bytes().any(|b| b != b'0') || !frac_part.is_empty());
    if negative {
        out.push('-');
    }
    if group {
        for (i, digit) in int_part.chars().enumerate() {
            if i > 0 && (int_part.len() - i) % 3 == 0 {
                out.push('.');
            }
            out.push(digit);
        }
    } else {
        out.push_str(int_part);
    }
    if !frac_part.is_empty() {
        out.push(',');
        out.push_str(frac_part);
    }
    out
}

const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// An ISO 8601 date, possibly partial, for people: "2 Juni 2021", "Juni 2021", "2021"
/// (English month names when `lang` is `"en"`). Anything else comes back unchanged.
pub fn human_date(iso: &str, lang: &str) -> String {
    let months = if lang == "en" { &MONTHS_EN } else { &MONTHS_ID };
    let parts: Vec<&str> = iso.split('-').collect();
    let month = |m: &str| {
        m.parse::<usize>()
            .ok()
            .filter(|m| (1..=12).contains(m))
            .map(|m| months[m - 1])
    };
    match parts.as_slice() {
        [y] if y.len() == 4 => y.to_string(),
        [y, m] if y.len() == 4 => match month(m) {
            Some(name) => format!("{name} {y}"),
            None => iso.to_string(),
        },
        [y, m, d] if y.len() == 4 => match (month(m), d.parse::<u32>()) {
            (Some(name), Ok(day)) if (1..=31).contains(&day) => format!("{day} {name} {y}"),
            _ => iso.to_string(),
        },
        _ => iso.to_string(),
    }
}

/// Days from 1970-01-01 to a full ISO date `YYYY-MM-DD` (proleptic Gregorian), if valid.
pub fn days_from_iso_date(iso: &str) -> Option<i64> {
    let b = iso.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = iso[0..4].parse().ok()?;
    let m: i64 = iso[5..7].parse().ok()?;
    let d: i64 = iso[8..10].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes() {
        let mut out = String::new();
        json_string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
    }

    #[test]
    fn shortest_floats() {
        let mut out = String::new();
        assert!(push_f64(&mut out, 250_000_000.0 / 3_500.0));
        assert_eq!(out, "71428.57142857143");
        out.clear();
        assert!(push_f64(&mut out, 9600.0));
        assert_eq!(out, "9600");
        assert!(!push_f64(&mut out, f64::NAN));
    }

    #[test]
    fn indonesian_numbers() {
        assert_eq!(number_id(1_234_567.891, 2, true), "1.234.567,89");
        assert_eq!(number_id(250_000_000.0 / 3_500.0, 2, true), "71.428,57");
        assert_eq!(number_id(9600.0, 2, true), "9.600");
        assert_eq!(number_id(41.35, 2, true), "41,35");
        assert_eq!(number_id(-7.456, 3, true), "-7,456");
        assert_eq!(number_id(2021.0, 0, false), "2021");
        assert_eq!(number_id(-0.001, 2, true), "0");
        assert_eq!(number_id(100.0, 2, true), "100");
        assert_eq!(number_id(999_999.999, 2, true), "1.000.000");
    }

    #[test]
    fn dates_for_people() {
        assert_eq!(human_date("2021-06-02", "id"), "2 Juni 2021");
        assert_eq!(human_date("2021-06-02", "en"), "2 June 2021");
        assert_eq!(human_date("2022-08", "id"), "Agustus 2022");
        assert_eq!(human_date("2019", "id"), "2019");
        assert_eq!(human_date("Mei 2015", "id"), "Mei 2015");
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_iso_date("1970-01-01"), Some(0));
        assert_eq!(days_from_iso_date("2021-06-02"), Some(18_780));
        assert_eq!(days_from_iso_date("2000-02-29"), Some(11_016));
        assert_eq!(days_from_iso_date("2021-02-29"), None);
        assert_eq!(days_from_iso_date("2021-06"), None);
    }

    #[test]
    fn csv_and_xml() {
        let mut out = String::new();
        csv_field(&mut out, "Rp250 juta, per bulan \"kira\"");
        assert_eq!(out, "\"Rp250 juta, per bulan \"\"kira\"\"\"");
        out.clear();
        xml_text(&mut out, "a<b & \u{1}c");
        assert_eq!(out, "a&lt;b &amp; c");
    }
}
