//! Numbers, Rupiah, percentages and dates as readers expect them: Indonesian notation on
//! Indonesian pages (1.326; 71.428,57; Rp250.000.000 or "Rp250 juta"; "Rp138,7 miliar";
//! "37,43 %"; "2 Juni 2021"), English notation on English pages. The notation itself is
//! the `logam-format` crate's, shared with the plugins; this module picks it by the page's
//! language and adds what only pages need (cells as plain text, a figure by its unit).

use logam_format::Notation;

use super::Lang;
use crate::store::{Batch, Cell, ColumnMeta, ColumnType};

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

/// The column a declared unit defers to: "sesuai kolom satuan" ("as the `satuan` column
/// says") names `satuan`, for datasets whose rows each carry their own unit.
pub fn unit_column(declared: Option<&str>) -> Option<&str> {
    declared?
        .trim()
        .strip_prefix("sesuai kolom ")
        .map(str::trim)
        .filter(|name| !name.is_empty())
}

/// A column's unit on one row: the declared unit, or the row's value in the column the
/// declared unit names ("sesuai kolom satuan": the figures of `klaster_knalpot` are Rupiah on
/// one row and units on the next).
pub fn row_unit(
    column: &ColumnMeta,
    columns: &[&ColumnMeta],
    positions: &[usize],
    batch: &Batch,
    row: usize,
) -> Option<String> {
    let declared = column.unit.as_deref();
    let from_row = unit_column(declared).and_then(|name| {
        let (_, &position) = columns
            .iter()
            .zip(positions)
            .find(|(c, _)| c.name == name)?;
        Some(plain(batch.cell(position, row))).filter(|unit| !unit.is_empty())
    });
    from_row.or_else(|| declared.map(str::to_string))
}

/// What a unit says about how its values read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitKind {
    None,
    Rupiah,
    Percent,
    Year,
    Other,
}

fn unit_kind(unit: Option<&str>) -> UnitKind {
    let Some(unit) = unit.map(str::trim).filter(|u| !u.is_empty()) else {
        return UnitKind::None;
    };
    let unit = unit.to_lowercase();
    if unit.starts_with("rupiah") || unit == "rp" {
        UnitKind::Rupiah
    } else if unit.starts_with("persen") || unit.starts_with("percent") || unit == "%" {
        UnitKind::Percent
    } else if unit == "tahun" || unit == "year" {
        UnitKind::Year
    } else {
        UnitKind::Other
    }
}

/// A cell as every table shows it, on every page (datasets, indicators, sources, SQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub text: String,
    /// Numbers are right-aligned (`td.num`) so their digits line up.
    pub numeric: bool,
}

/// The one rule for a value in a table: Rupiah in full ("Rp3.580.000.000", never rounded in
/// a table a reader may cite), percentages with their sign, years and unitless whole numbers
/// (keys, codes) as stored, any other measured number grouped in thousands, dates in words.
/// Headlines and charts round with [`by_unit`] instead.
pub fn cell(value: Cell<'_>, column_type: ColumnType, unit: Option<&str>, lang: Lang) -> Shown {
    let kind = unit_kind(unit);
    let measured = |v: f64, decimals: usize| match kind {
        UnitKind::Rupiah => rupiah(v, lang),
        UnitKind::Percent => percent(v, lang),
        UnitKind::Year => format!("{v}"),
        UnitKind::Other => number(v, decimals, lang),
        UnitKind::None => number(v, 6, lang),
    };
    let (text, numeric) = match value {
        Cell::Null => (String::new(), false),
        Cell::Integer(i) => match kind {
            UnitKind::None | UnitKind::Year => (i.to_string(), true),
            UnitKind::Other => (integer(i, lang), true),
            _ => (measured(i as f64, 0), true),
        },
        Cell::Real(r) => (measured(r, 2), true),
        Cell::Text(t) if column_type == ColumnType::Date => (date(t, lang), false),
        Cell::Text(t) => (t.to_string(), false),
        Cell::Boolean(b) => (
            lang.pick(if b { "ya" } else { "tidak" }, if b { "yes" } else { "no" })
                .to_string(),
            false,
        ),
    };
    Shown { text, numeric }
}

/// A figure written as text with its unit beside it (the sources' `nilai` and `satuan`):
/// "Rp37.000.000.000", "37,43 %", "1.326 unit". Text that is not a number is shown as it is.
pub fn figure(value: &str, unit: &str, lang: Lang) -> String {
    let Ok(v) = value.trim().parse::<f64>() else {
        return [value, unit].join(" ").trim().to_string();
    };
    match unit_kind(Some(unit)) {
        UnitKind::Rupiah => rupiah(v, lang),
        UnitKind::Percent => percent(v, lang),
        UnitKind::Year => value.to_string(),
        UnitKind::None => number(v, 6, lang),
        UnitKind::Other => format!("{} {unit}", number(v, 2, lang)),
    }
}

/// A measured value by its unit: Rupiah in the short form, percentages with their sign,
/// years as written, anything else as a number with up to two decimals.
pub fn by_unit(value: f64, unit: Option<&str>, lang: Lang) -> String {
    match unit_kind(unit) {
        UnitKind::Rupiah => rupiah_short(value, lang),
        UnitKind::Percent => percent(value, lang),
        UnitKind::Year => format!("{value}"),
        UnitKind::None | UnitKind::Other => number(value, 2, lang),
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
    fn one_rule_for_table_cells() {
        let shown = |c, t, u| cell(c, t, u, Lang::Id).text;
        assert_eq!(
            shown(
                Cell::Integer(3_580_000_000),
                ColumnType::Integer,
                Some("rupiah")
            ),
            "Rp3.580.000.000"
        );
        assert_eq!(
            shown(Cell::Integer(1326), ColumnType::Integer, Some("unit")),
            "1.326"
        );
        assert_eq!(
            shown(Cell::Integer(2019), ColumnType::Integer, Some("tahun")),
            "2019"
        );
        assert_eq!(
            shown(Cell::Integer(2019), ColumnType::Integer, None),
            "2019"
        );
        assert_eq!(
            shown(Cell::Real(37.43), ColumnType::Real, Some("persen")),
            "37,43 %"
        );
        assert_eq!(
            shown(Cell::Text("2021-06-02"), ColumnType::Date, None),
            "2 Juni 2021"
        );
        assert!(cell(Cell::Real(1.5), ColumnType::Real, None, Lang::Id).numeric);
        assert!(!cell(Cell::Text("Mrebet"), ColumnType::Text, None, Lang::Id).numeric);
        assert_eq!(
            figure("37000000000", "rupiah", Lang::Id),
            "Rp37.000.000.000"
        );
        assert_eq!(figure("1326", "unit", Lang::Id), "1.326 unit");
        assert_eq!(figure("1326", "unit", Lang::En), "1,326 unit");
        assert_eq!(
            figure("kurang dari 10", "unit", Lang::Id),
            "kurang dari 10 unit"
        );
        assert_eq!(unit_column(Some("sesuai kolom satuan")), Some("satuan"));
        assert_eq!(unit_column(Some("rupiah")), None);
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
