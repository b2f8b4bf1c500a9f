//! Rupiah, in full (`Rp250.000.000`, `Rp71.428,57`) and the way headlines print it
//! (`Rp250 juta`, `Rp138,7 miliar`).

use crate::Notation;
use crate::number::{NOT_A_NUMBER, number};

/// Rupiah in full, with sen only where there are any: `Rp250.000.000`, `Rp71.428,57`
/// (`Rp71,428.57`). A negative amount has its sign before the currency: `-Rp9.600`.
pub fn rupiah(value: f64, notation: Notation) -> String {
    if !value.is_finite() {
        return NOT_A_NUMBER.to_string();
    }
    with_currency(number(value.abs(), 2, notation), value, "")
}

/// The scales headlines use, largest first.
const SCALES: [(f64, &str, &str); 3] = [
    (1e12, "triliun", "trillion"),
    (1e9, "miliar", "billion"),
    (1e6, "juta", "million"),
];

/// Rupiah as headlines print it, with one decimal at most: `Rp250 juta`, `Rp138,7 miliar`,
/// `Rp1,2 triliun` (`Rp250 million`, `Rp138.7 billion`). Below a million it is written in
/// full, as [`rupiah`]. An amount that rounds up to a thousand of its scale is written in
/// the next one: 999.960.000 is `Rp1 miliar`, not `Rp1.000 juta`.
pub fn rupiah_short(value: f64, notation: Notation) -> String {
    if !value.is_finite() {
        return NOT_A_NUMBER.to_string();
    }
    let amount = value.abs();
    let Some(start) = SCALES.iter().position(|(scale, _, _)| amount >= *scale) else {
        return rupiah(value, notation);
    };
    let mut chosen = start;
    // Only a smaller scale can round up to a thousand of itself; the largest keeps growing.
    if start > 0 && rounds_to_a_thousand(amount / SCALES[start].0) {
        chosen = start - 1;
    }
    let (scale, indonesian, english) = SCALES[chosen];
    let figure = number(amount / scale, 1, notation);
    with_currency(figure, value, notation.pick(indonesian, english))
}

/// Whether `mantissa`, written with one decimal, reads 1000 or more.
fn rounds_to_a_thousand(mantissa: f64) -> bool {
    let fixed = format!("{mantissa:.1}");
    fixed
        .split_once('.')
        .map_or(fixed.as_str(), |(whole, _)| whole)
        .len()
        >= 4
}

/// `Rp` + figure (+ a space and the scale word), the sign of `value` in front.
fn with_currency(figure: String, value: f64, scale_word: &str) -> String {
    // A negative amount that rounds to zero is written without a sign, as numbers are.
    let sign = if value < 0.0 && figure.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        "-"
    } else {
        ""
    };
    if scale_word.is_empty() {
        format!("{sign}Rp{figure}")
    } else {
        format!("{sign}Rp{figure} {scale_word}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Notation::{English, Indonesian};

    #[test]
    fn in_full() {
        // The contract with PT SAS Autoparts: Rp250 juta a month for 3.500 units.
        assert_eq!(rupiah(250_000_000.0, Indonesian), "Rp250.000.000");
        assert_eq!(rupiah(250_000_000.0 / 3_500.0, Indonesian), "Rp71.428,57");
        assert_eq!(rupiah(120_000_000.0 / 12_500.0, Indonesian), "Rp9.600");
        assert_eq!(rupiah(250_000_000.0, English), "Rp250,000,000");
        assert_eq!(rupiah(250_000_000.0 / 3_500.0, English), "Rp71,428.57");
        assert_eq!(rupiah(0.5, Indonesian), "Rp0,5");
        assert_eq!(rupiah(0.0, Indonesian), "Rp0");
    }

    #[test]
    fn short_as_headlines_print_it() {
        assert_eq!(rupiah_short(250_000_000.0, Indonesian), "Rp250 juta");
        assert_eq!(rupiah_short(120_000_000.0, Indonesian), "Rp120 juta");
        assert_eq!(
            rupiah_short(138_700_000_000.0, Indonesian),
            "Rp138,7 miliar"
        );
        assert_eq!(rupiah_short(81_400_000_000.0, Indonesian), "Rp81,4 miliar");
        assert_eq!(rupiah_short(37_000_000_000.0, Indonesian), "Rp37 miliar");
        assert_eq!(rupiah_short(1_600_000_000.0, Indonesian), "Rp1,6 miliar");
        assert_eq!(
            rupiah_short(1_200_000_000_000.0, Indonesian),
            "Rp1,2 triliun"
        );
        assert_eq!(rupiah_short(1_000_000.0, Indonesian), "Rp1 juta");
        // One decimal at most: the Pemkab's "Rp3,58 miliar" (2015) reads Rp3,6 miliar.
        assert_eq!(rupiah_short(3_580_000_000.0, Indonesian), "Rp3,6 miliar");
    }

    #[test]
    fn short_in_english() {
        assert_eq!(rupiah_short(250_000_000.0, English), "Rp250 million");
        assert_eq!(rupiah_short(138_700_000_000.0, English), "Rp138.7 billion");
        assert_eq!(rupiah_short(1_200_000_000_000.0, English), "Rp1.2 trillion");
    }

    #[test]
    fn short_below_a_million_is_in_full() {
        assert_eq!(rupiah_short(9_600.0, Indonesian), "Rp9.600");
        assert_eq!(
            rupiah_short(250_000_000.0 / 3_500.0, Indonesian),
            "Rp71.428,57"
        );
        assert_eq!(rupiah_short(999_999.0, Indonesian), "Rp999.999");
        assert_eq!(rupiah_short(9_600.0, English), "Rp9,600");
    }

    #[test]
    fn short_moves_up_a_scale_when_rounding_reaches_a_thousand() {
        assert_eq!(rupiah_short(999_960_000.0, Indonesian), "Rp1 miliar");
        assert_eq!(rupiah_short(999_940_000.0, Indonesian), "Rp999,9 juta");
        assert_eq!(rupiah_short(999_999_999_999.0, English), "Rp1 trillion");
        assert_eq!(
            rupiah_short(2_500_000_000_000_000.0, Indonesian),
            "Rp2.500 triliun"
        );
    }

    #[test]
    fn negative_amounts_have_the_sign_before_the_currency() {
        assert_eq!(rupiah(-9_600.0, Indonesian), "-Rp9.600");
        assert_eq!(rupiah_short(-250_000_000.0, Indonesian), "-Rp250 juta");
        assert_eq!(
            rupiah_short(-138_700_000_000.0, English),
            "-Rp138.7 billion"
        );
        assert_eq!(rupiah(-0.001, Indonesian), "Rp0");
    }

    #[test]
    fn amounts_that_are_not_numbers_are_a_dash() {
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(rupiah(value, Indonesian), "–");
            assert_eq!(rupiah_short(value, English), "–");
        }
    }
}
