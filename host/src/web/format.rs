//! Numbers, Rupiah, percentages and dates as readers expect them: Indonesian notation on
//! Indonesian pages (1.326; 71.428,57; Rp250.000.000 or "Rp250 juta"; "Rp138,7 miliar";
//! "37,43 %"; "2 Juni 2021"), English notation on English pages. The notation itself is
//! the `logam-format` crate's, shared with the plugins; this module picks it by the page's
//! language and adds what only pages need (cells as plain text, a figure by its unit).

use logam_format::Notation;

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

/// The crate's notation for the reader's language.
fn notation(lang: Lang) -> Notation {
    match lang {
        Lang::Id => Notation::Indonesian,
        Lang::En => Notation::English,
    }
}

/// A whole number grouped in thousands: "1.326" / "1,326".
pub fn integer(value: i64, lang: Lang) -> String {
    logam_format::group_thousands(value, notation(lang))
}

/// `value` with at most `decimals` decimals, grouped in thousands: "71.428,57" /
/// "71,428.57".
pub fn number(value: f64, decimals: usize, lang: Lang) -> String {
    logam_format::number(value, decimals, notation(lang))
}

/// Rupiah in full, sen only where there are any: "Rp250.000.000", "Rp71.428,57".
pub fn rupiah(value: f64, lang: Lang) -> String {
    logam_format::rupiah(value, notation(lang))
}

/// Rupiah the way headlines print it: "Rp250 juta", "Rp138,7 miliar" ("Rp138.7 billion").
/// Below a million, in full.
pub fn rupiah_short(value: f64, lang: Lang) -> String {
    logam_format::rupiah_short(value, notation(lang))
}

/// "37,43 %" / "37.43%".
pub fn percent(value: f64, lang: Lang) -> String {
    logam_format::percent(value, notation(lang))
}

/// An ISO 8601 date, full or partial, in words: "2 Juni 2021", "Juni 2021", "2021"
/// ("2 June 2021"). Anything that is not a valid ISO date is returned as it is.
pub fn date(iso: &str, lang: Lang) -> String {
    logam_format::date(iso, notation(lang))
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
        assert_eq!(integer(1_326, Lang::Id), "1.326");
    }

    #[test]
    fn english_notation_on_english_pages() {
        assert_eq!(number(1326.0, 0, Lang::En), "1,326");
        assert_eq!(number(71428.5714, 2, Lang::En), "71,428.57");
        assert_eq!(rupiah_short(138_700_000_000.0, Lang::En), "Rp138.7 billion");
        assert_eq!(percent(37.43, Lang::En), "37.43%");
        assert_eq!(date("2021-06-02", Lang::En), "2 June 2021");
        assert_eq!(number(-0.001, 2, Lang::En), "0");
        assert_eq!(integer(1_326, Lang::En), "1,326");
    }

    #[test]
    fn figures_by_unit() {
        assert_eq!(
            by_unit(138_700_000_000.0, Some("rupiah"), Lang::Id),
            "Rp138,7 miliar"
        );
        assert_eq!(
            by_unit(37.43, Some("persen tenaga kerja"), Lang::Id),
            "37,43 %"
        );
        assert_eq!(by_unit(6.08, Some("%"), Lang::En), "6.08%");
        assert_eq!(by_unit(2021.0, Some("tahun"), Lang::Id), "2021");
        assert_eq!(by_unit(4.3125, Some("orang per unit"), Lang::Id), "4,31");
        assert_eq!(by_unit(1_326.0, None, Lang::Id), "1.326");
    }
}
