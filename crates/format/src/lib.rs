//! Numbers, Rupiah, percentages and dates as the readers of logam expect them, Indonesian
//! first: `1.234.567,89`, `Rp250.000.000` or `Rp250 juta`, `Rp138,7 miliar`, `37,43 %`,
//! `2 Juni 2021`; English notation (`1,234,567.89`, `Rp138.7 billion`, `37.43%`,
//! `2 June 2021`) where the reader asked for English.
//!
//! The host's pages and exports and the first-party plugins (compiled to wasm32-wasip2) all
//! write figures through this one crate, so a figure reads the same on a page, in a Markdown
//! export and in a plugin's note. It also holds the two rules about untrusted text that must
//! not drift between copies either: what a valid ISO 8601 date is ([`IsoDate::parse`]), and
//! which CSV cells a spreadsheet would run as a formula ([`starts_like_a_formula`]).

mod date;
mod number;
mod rupiah;
mod spreadsheet;

pub use date::{IsoDate, date, days_in_month, is_leap_year};
pub use number::{NOT_A_NUMBER, group_thousands, number, number_ungrouped, percent};
pub use rupiah::{rupiah, rupiah_short};
pub use spreadsheet::{FORMULA_GUARD, guard_formula, starts_like_a_formula};

/// Which notation figures are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Notation {
    /// `1.234.567,89`, `Rp250 juta`, `37,43 %`, `2 Juni 2021`.
    #[default]
    Indonesian,
    /// `1,234,567.89`, `Rp250 million`, `37.43%`, `2 June 2021`.
    English,
}

impl Notation {
    /// The notation for a language tag: English for `en` and its regional forms (`en-GB`),
    /// Indonesian for anything else, because Indonesian is the default reader.
    pub fn for_language(tag: &str) -> Notation {
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("en") {
            Notation::English
        } else {
            Notation::Indonesian
        }
    }

    /// The mark between groups of three digits: `.` or `,`.
    pub fn group_separator(self) -> char {
        match self {
            Notation::Indonesian => '.',
            Notation::English => ',',
        }
    }

    /// The mark before the decimals: `,` or `.`.
    pub fn decimal_mark(self) -> char {
        match self {
            Notation::Indonesian => ',',
            Notation::English => '.',
        }
    }

    /// `id` or `en` text, whichever this notation reads.
    pub(crate) fn pick(self, indonesian: &'static str, english: &'static str) -> &'static str {
        match self {
            Notation::Indonesian => indonesian,
            Notation::English => english,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_pick_the_notation() {
        assert_eq!(Notation::for_language("en"), Notation::English);
        assert_eq!(Notation::for_language("EN-gb"), Notation::English);
        assert_eq!(Notation::for_language("en_US"), Notation::English);
        assert_eq!(Notation::for_language("id"), Notation::Indonesian);
        assert_eq!(Notation::for_language("id-ID"), Notation::Indonesian);
        assert_eq!(Notation::for_language(""), Notation::Indonesian);
        assert_eq!(Notation::default(), Notation::Indonesian);
    }

    #[test]
    fn separators() {
        assert_eq!(Notation::Indonesian.group_separator(), '.');
        assert_eq!(Notation::Indonesian.decimal_mark(), ',');
        assert_eq!(Notation::English.group_separator(), ',');
        assert_eq!(Notation::English.decimal_mark(), '.');
    }
}
