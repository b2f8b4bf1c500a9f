//! The CSV formula guard. A spreadsheet that opens a CSV file runs a cell starting with `=`,
//! `+`, `-` or `@` as a formula, and Excel also one that starts with a tab or a carriage
//! return (OWASP's list for CSV injection): a text cell such as
//! `=HYPERLINK("http://…","klik")` from a hostile import would become a live link or worse
//! on a journalist's machine. Such text is written with a leading apostrophe, which Excel
//! and LibreOffice read as "this is text" and do not show. Only text is guarded: numbers are
//! written as numbers, so a negative figure stays a number.

use std::borrow::Cow;

/// The character put in front of text that would start a formula.
pub const FORMULA_GUARD: char = '\'';

/// Whether a spreadsheet opening a CSV file would read this text as a formula: it starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return. Leading spaces do not count
/// (` =x` is text to Excel and LibreOffice), nor does a sign later on (`a=b`).
pub fn starts_like_a_formula(text: &str) -> bool {
    matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// The text as a CSV cell should hold it: with [`FORMULA_GUARD`] in front when it
/// [starts like a formula](starts_like_a_formula), unchanged (and not copied) otherwise.
/// Quoting is the CSV writer's job and comes after this.
pub fn guard_formula(text: &str) -> Cow<'_, str> {
    if starts_like_a_formula(text) {
        let mut guarded = String::with_capacity(text.len() + 1);
        guarded.push(FORMULA_GUARD);
        guarded.push_str(text);
        Cow::Owned(guarded)
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_recognised() {
        for formula in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "=1+1",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=",
            "-",
        ] {
            assert!(starts_like_a_formula(formula), "{formula:?}");
        }
    }

    #[test]
    fn ordinary_text_is_not_a_formula() {
        for plain in [
            "Rp250 juta",
            "2021",
            "",
            " =x",
            "a=b",
            "\n=x",
            "'=x",
            "1.326",
            "Muhammad Ali Imron",
            "＝1+1",
        ] {
            assert!(!starts_like_a_formula(plain), "{plain:?}");
        }
    }

    #[test]
    fn the_guard_is_an_apostrophe_in_front() {
        assert_eq!(guard_formula("=1+1"), "'=1+1");
        assert_eq!(guard_formula("-2+3"), "'-2+3");
        assert_eq!(guard_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard_formula("\tx"), "'\tx");
        assert_eq!(guard_formula("\rx"), "'\rx");
        assert!(matches!(
            guard_formula("Rp250 juta"),
            Cow::Borrowed("Rp250 juta")
        ));
        assert!(matches!(guard_formula(""), Cow::Borrowed("")));
    }
}
