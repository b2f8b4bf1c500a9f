//! Small text encoders shared by the exporters: JSON strings, XML text, CSV fields and
//! numbers in machine notation. Numbers, Rupiah and dates for people are the host's own
//! notation, from [`crate::format`] (the `logam-format` crate).

use std::fmt::Write as _;

use logam_format::guard_formula;

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

/// Appends one CSV text field: with a leading `'` when a spreadsheet would run it as a
/// formula (it starts with `=`, `+`, `-`, `@`, a tab or a CR; the host's CSV export does the
/// same), then quoted when it holds a comma, quote, CR or LF (RFC 4180). Write numbers
/// directly, not through this, so that a negative number stays a number.
pub fn csv_field(out: &mut String, s: &str) {
    let s = guard_formula(s);
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
        out.push_str(&s);
    }
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
    fn csv_and_xml() {
        let mut out = String::new();
        csv_field(&mut out, "Rp250 juta, per bulan \"kira\"");
        assert_eq!(out, "\"Rp250 juta, per bulan \"\"kira\"\"\"");
        out.clear();
        csv_field(&mut out, "Muhammad Ali Imron");
        assert_eq!(out, "Muhammad Ali Imron");
        out.clear();
        xml_text(&mut out, "a<b & \u{1}c");
        assert_eq!(out, "a&lt;b &amp; c");
    }

    #[test]
    fn csv_fields_that_would_run_as_formulas_are_written_as_text() {
        let field = |s: &str| {
            let mut out = String::new();
            csv_field(&mut out, s);
            out
        };
        assert_eq!(field("=1+1"), "'=1+1");
        assert_eq!(field("-2+3"), "'-2+3");
        assert_eq!(field("+62 812"), "'+62 812");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("\tx"), "'\tx");
        // Guarded first, then quoted: the apostrophe is inside the quotes.
        assert_eq!(
            field("=HYPERLINK(\"http://example.invalid\",\"klik\")"),
            "\"'=HYPERLINK(\"\"http://example.invalid\"\",\"\"klik\"\")\""
        );
        assert_eq!(field("\r=1"), "\"'\r=1\"");
        // Only the first character counts.
        assert_eq!(field(" =x"), " =x");
        assert_eq!(field("a=b"), "a=b");
    }
}
