//! Numbers, Rupiah, percentages and dates as readers expect them: Indonesian notation on
//! Indonesian pages (1.326; 71.428,57; Rp250.000.000 or "Rp250 juta"; "Rp138,7 miliar";
//! "37,43 %"; "2 Juni 2021"), English notation on English pages.

use super::Lang;
use crate::store::Cell;

/// A cell as plain text, as stored (no notation): for links, keys and comparisons.
pub fn plain(cell: Cell<'_>) -> String {
    match cell {
        Cell::Null => String::new(),
        Cell::Integer(i) => i.to_string(),
        Cell::Real(r) => r.to_string(),
        Cell::Text(t) => t.to_string(),
        Cell::Boolean(b) => b.to_string(),
    }
}

/// `value` with `decimals` decimals (trailing zeros of the fraction dropped), grouped in
/// thousands: "71.428,57" / "71,428.57".
pub fn number(value: f64, decimals: usize, lang: Lang) -> String {
    if !value.is_finite() {
        return String::from("–");
    }
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f.trim_end_matches('0')),
        None => (text.as_str(), ""),
    };
    let (group, point) = match lang {
        Lang::Id => ('.', ','),
        Lang::En => (',', '.'),
    };
    let mut out = String::with_capacity(text.len() + whole.len() / 3 + 2);
    if value < 0.0 && (whole.chars().any(|c| c != '0') || !fraction.is_empty()) {
        out.push('-');
    }
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(digit);
    }
    if !fraction.is_empty() {
        out.push(point);
        out.push_str(fraction);
    }
    out
}

/// Rupiah in full, sen only where there are any: "Rp250.000.000", "Rp71.428,57".
pub fn rupiah(value: f64, lang: Lang) -> String {
    format!("Rp{}", number(value, 2, lang))
}

/// Rupiah the way headlines print it: "Rp250 juta", "Rp138,7 miliar", "Rp1,2 triliun"
/// ("Rp250 million", "Rp138.7 billion"). Below a million, in full.
pub fn rupiah_short(value: f64, lang: Lang) -> String {
    let scales: [(f64, &str, &str); 3] = [
        (1e12, "triliun", "trillion"),
        (1e9, "miliar", "billion"),
        (1e6, "juta", "million"),
    ];
    for (scale, id, en) in scales {
        if value.abs() >= scale {
            return format!("Rp{} {}", number(value / scale, 1, lang), lang.pick(id, en));
        }
    }
    rupiah(value, lang)
}

/// "37,43 %" / "37.43%".
pub fn percent(value: f64, lang: Lang) -> String {
    match lang {
        Lang::Id => format!("{} %", number(value, 2, lang)),
        Lang::En => format!("{}%", number(value, 2, lang)),
    }
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

/// An ISO 8601 date, full or partial, in words: "2 Juni 2021", "Juni 2021", "2021"
/// ("2 June 2021"). Anything else is returned as it is.
pub fn date(iso: &str, lang: Lang) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    let month = |m: &str| -> Option<&'static str> {
        let index: usize = m.parse().ok()?;
        let names = match lang {
            Lang::Id => &MONTHS_ID,
            Lang::En => &MONTHS_EN,
        };
        names.get(index.checked_sub(1)?).copied()
    };
    let year_ok = |y: &str| y.len() == 4 && y.chars().all(|c| c.is_ascii_digit());
    match parts.as_slice() {
        [y] if year_ok(y) => y.to_string(),
        [y, m] if year_ok(y) => match month(m) {
            Some(name) => format!("{name} {y}"),
            None => iso.to_string(),
        },
        [y, m, d] if year_ok(y) => match (month(m), d.parse::<u32>()) {
            (Some(name), Ok(day)) if (1..=31).contains(&day) => format!("{day} {name} {y}"),
            _ => iso.to_string(),
        },
        _ => iso.to_string(),
    }
}

/// A measured value by its unit: Rupiah in the short form, percentages with their sign,
/// years as written, anything else as a number with up to two decimals.
pub fn by_unit(value: f64, unit: Option<&str>, lang: Lang) -> String {
    let unit = unit.unwrap_or("").to_lowercase();
    if unit.starts_with("rupiah") {
        rupiah_short(value, lang)
    } else if unit.starts_with("persen") || unit.starts_with("percent") || unit == "%" {
        percent(value, lang)
    } else if unit == "tahun" {
        format!("{value}")
    } else {
        number(value, 2, lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_notation_as_the_facts_file_prints_it() {
        assert_eq!(number(1326.0, 0, Lang::Id), "1.326");
        assert_eq!(number(71428.5714, 2, Lang::Id), "71.428,57");
        assert_eq!(number(6.5, 2, Lang::Id), "6,5");
        assert_eq!(rupiah(250_000_000.0, Lang::Id), "Rp250.000.000");
        assert_eq!(rupiah_short(250_000_000.0, Lang::Id), "Rp250 juta");
        assert_eq!(rupiah_short(138_700_000_000.0, Lang::Id), "Rp138,7 miliar");
        assert_eq!(rupiah_short(9_600.0, Lang::Id), "Rp9.600");
        assert_eq!(
            rupiah_short(250_000_000.0 / 3_500.0, Lang::Id),
            "Rp71.428,57"
        );
        assert_eq!(percent(37.43, Lang::Id), "37,43 %");
        assert_eq!(date("2021-06-02", Lang::Id), "2 Juni 2021");
        assert_eq!(date("2015-05", Lang::Id), "Mei 2015");
        assert_eq!(date("2017", Lang::Id), "2017");
        assert_eq!(date("kemarin", Lang::Id), "kemarin");
    }

    #[test]
    fn english_notation_on_english_pages() {
        assert_eq!(number(1326.0, 0, Lang::En), "1,326");
        assert_eq!(number(71428.5714, 2, Lang::En), "71,428.57");
        assert_eq!(rupiah_short(138_700_000_000.0, Lang::En), "Rp138.7 billion");
        assert_eq!(percent(37.43, Lang::En), "37.43%");
        assert_eq!(date("2021-06-02", Lang::En), "2 June 2021");
        assert_eq!(number(-0.001, 2, Lang::En), "0");
    }
}
