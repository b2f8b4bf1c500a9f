//! Plain numbers: whole numbers grouped in thousands, decimals with at most so many places,
//! percentages.

use crate::Notation;

/// What is written in place of a figure that is NaN or infinite: a dash, so a reader sees
/// "no figure" and not a misleading `0` or an empty cell that looks like a missing value.
pub const NOT_A_NUMBER: &str = "–";

/// A whole number grouped in thousands, exactly (no trip through `f64`):
/// 1234567 → `1.234.567` / `1,234,567`.
pub fn group_thousands(n: i64, notation: Notation) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    push_grouped(&mut out, &digits, Some(notation.group_separator()));
    out
}

/// `value` rounded to at most `decimals` places (trailing zeros of the fraction dropped) and
/// grouped in thousands: 71428.5714 → `71.428,57` / `71,428.57`; 6.50 → `6,5`.
pub fn number(value: f64, decimals: usize, notation: Notation) -> String {
    write_decimal(value, decimals, Some(notation.group_separator()), notation)
}

/// As [`number`], without thousands separators: for figures that are labels rather than
/// quantities, such as a year (2021, never `2.021`) or a sequence number.
pub fn number_ungrouped(value: f64, decimals: usize, notation: Notation) -> String {
    write_decimal(value, decimals, None, notation)
}

/// A percentage with at most two decimals: `37,43 %` (Indonesian sets the sign apart) or
/// `37.43%`.
pub fn percent(value: f64, notation: Notation) -> String {
    if !value.is_finite() {
        return NOT_A_NUMBER.to_string();
    }
    let figure = number(value, 2, notation);
    match notation {
        Notation::Indonesian => format!("{figure} %"),
        Notation::English => format!("{figure}%"),
    }
}

fn write_decimal(value: f64, decimals: usize, group: Option<char>, notation: Notation) -> String {
    if !value.is_finite() {
        return NOT_A_NUMBER.to_string();
    }
    // `format!` rounds the exact binary value correctly, so 71428.5714… → "71428.57" and
    // 999999.999 → "1000000.00" (the carry reaches the whole part before it is grouped).
    let fixed = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = match fixed.split_once('.') {
        Some((whole, fraction)) => (whole, fraction.trim_end_matches('0')),
        None => (fixed.as_str(), ""),
    };
    let mut out = String::with_capacity(fixed.len() + whole.len() / 3 + 2);
    // A value that rounds to zero is written without a sign: -0.001 → "0", not "-0".
    if value < 0.0 && (whole.bytes().any(|b| b != b'0') || !fraction.is_empty()) {
        out.push('-');
    }
    push_grouped(&mut out, whole, group);
    if !fraction.is_empty() {
        out.push(notation.decimal_mark());
        out.push_str(fraction);
    }
    out
}

/// Appends ASCII `digits`, with `separator` before every group of three from the right.
fn push_grouped(out: &mut String, digits: &str, separator: Option<char>) {
    let Some(separator) = separator else {
        out.push_str(digits);
        return;
    };
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Notation::{English, Indonesian};

    #[test]
    fn whole_numbers_in_thousands() {
        // Figures from the facts file: workers (2020), units (2014), contracts (2021).
        assert_eq!(group_thousands(1_326, Indonesian), "1.326");
        assert_eq!(group_thousands(595_371, Indonesian), "595.371");
        assert_eq!(group_thousands(3_500, Indonesian), "3.500");
        assert_eq!(group_thousands(12_500, Indonesian), "12.500");
        assert_eq!(group_thousands(1_000_000, Indonesian), "1.000.000");
        assert_eq!(group_thousands(999, Indonesian), "999");
        assert_eq!(group_thousands(0, Indonesian), "0");
        assert_eq!(group_thousands(-1_234, Indonesian), "-1.234");
        assert_eq!(group_thousands(1_326, English), "1,326");
        assert_eq!(group_thousands(250_000_000, English), "250,000,000");
    }

    #[test]
    fn whole_numbers_beyond_f64_precision_stay_exact() {
        assert_eq!(
            group_thousands(i64::MAX, Indonesian),
            "9.223.372.036.854.775.807"
        );
        assert_eq!(
            group_thousands(i64::MIN, English),
            "-9,223,372,036,854,775,808"
        );
        assert_eq!(
            group_thousands((1 << 53) + 1, Indonesian),
            "9.007.199.254.740.993"
        );
    }

    #[test]
    fn decimals_in_indonesian_notation() {
        assert_eq!(number(1_234_567.891, 2, Indonesian), "1.234.567,89");
        assert_eq!(number(250_000_000.0 / 3_500.0, 2, Indonesian), "71.428,57");
        assert_eq!(number(1_326.0, 0, Indonesian), "1.326");
        assert_eq!(number(9_600.0, 2, Indonesian), "9.600");
        assert_eq!(number(41.35, 2, Indonesian), "41,35");
        assert_eq!(number(6.5, 2, Indonesian), "6,5");
        assert_eq!(number(100.0, 2, Indonesian), "100");
        assert_eq!(number(-7.456, 3, Indonesian), "-7,456");
        assert_eq!(number(0.5, 0, Indonesian), "0");
        assert_eq!(number(1.5, 0, Indonesian), "2");
    }

    #[test]
    fn decimals_in_english_notation() {
        assert_eq!(number(1_234_567.891, 2, English), "1,234,567.89");
        assert_eq!(number(250_000_000.0 / 3_500.0, 2, English), "71,428.57");
        assert_eq!(number(1_326.0, 0, English), "1,326");
        assert_eq!(number(-7.456, 3, English), "-7.456");
    }

    #[test]
    fn rounding_carries_into_the_groups() {
        assert_eq!(number(999_999.999, 2, Indonesian), "1.000.000");
        assert_eq!(number(99.996, 2, English), "100");
    }

    #[test]
    fn zero_has_no_sign() {
        assert_eq!(number(-0.001, 2, Indonesian), "0");
        assert_eq!(number(-0.001, 2, English), "0");
        assert_eq!(number(-0.0, 0, Indonesian), "0");
        assert_eq!(number(-0.006, 2, Indonesian), "-0,01");
    }

    #[test]
    fn ungrouped_for_years_and_labels() {
        assert_eq!(number_ungrouped(2021.0, 0, Indonesian), "2021");
        assert_eq!(number_ungrouped(1_234_567.891, 2, Indonesian), "1234567,89");
        assert_eq!(number_ungrouped(1_234_567.891, 2, English), "1234567.89");
        assert_eq!(number_ungrouped(-0.001, 2, Indonesian), "0");
    }

    #[test]
    fn percentages() {
        // Manufacturing's share of employment, 2023 and 2022.
        assert_eq!(percent(37.43, Indonesian), "37,43 %");
        assert_eq!(percent(41.35, Indonesian), "41,35 %");
        assert_eq!(percent(37.43, English), "37.43%");
        assert_eq!(percent(6.0796, Indonesian), "6,08 %");
        assert_eq!(percent(100.0, Indonesian), "100 %");
        assert_eq!(percent(-2.5, English), "-2.5%");
    }

    #[test]
    fn figures_that_are_not_numbers_are_a_dash() {
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(number(value, 2, Indonesian), "–");
            assert_eq!(number_ungrouped(value, 2, English), "–");
            assert_eq!(percent(value, Indonesian), "–");
        }
    }
}
