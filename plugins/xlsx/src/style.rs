//! How each column of the data sheet reads in a spreadsheet: a number format chosen from the
//! column's type and unit, and a width that fits its header and its first values. Without
//! them a spreadsheet shows Rp37.000.000.000 as `3.7E+10` in a narrow General column.
//!
//! Number format codes are written in the file's own notation (`#,##0`: comma for thousands,
//! point for decimals); Excel and LibreOffice show them with the reader's locale, so an
//! Indonesian spreadsheet shows `Rp37.000.000.000` and an English one `Rp37,000,000,000`.

use logam_plugin_kit::{Cell, ColumnInfo, ColumnType};

/// The `s` index of each style in the `cellXfs` of [`styles_xml`].
pub const STYLE_BOLD: u8 = 1;
pub const STYLE_DATE: u8 = 2;
pub const STYLE_WRAP: u8 = 3;
const STYLE_GROUPED: u8 = 4;
const STYLE_DECIMAL: u8 = 5;
const STYLE_RUPIAH: u8 = 6;
const STYLE_RUPIAH_SEN: u8 = 7;
const STYLE_TEXT: u8 = 8;

/// How the cells of one column are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnFormat {
    /// As stored: years, sequence numbers, codes.
    General,
    /// Whole numbers grouped in thousands: 1.326.
    Grouped,
    /// Up to two decimals, grouped: 71.428,57.
    Decimal,
    /// Rupiah: Rp37.000.000.000.
    Rupiah,
    /// Rupiah with sen: Rp71.428,57.
    RupiahSen,
    /// Text, kept as text when edited (a KBLI code `24101` must not become a number).
    Text,
    Date,
}

impl ColumnFormat {
    pub fn of(column: &ColumnInfo) -> ColumnFormat {
        let unit = column.unit.as_deref().unwrap_or("").trim().to_lowercase();
        let rupiah = unit.starts_with("rupiah") || unit == "rp";
        // Years and identifiers read as written; grouping a year as 2.019 is wrong.
        let as_written = unit.is_empty()
            || unit == "tahun"
            || unit == "year"
            || unit.starts_with("nomor")
            || unit.starts_with("kode");
        match column.column_type {
            ColumnType::Integer if rupiah => ColumnFormat::Rupiah,
            ColumnType::Integer if as_written => ColumnFormat::General,
            ColumnType::Integer => ColumnFormat::Grouped,
            ColumnType::Real if rupiah => ColumnFormat::RupiahSen,
            ColumnType::Real => ColumnFormat::Decimal,
            ColumnType::Text => ColumnFormat::Text,
            ColumnType::Date => ColumnFormat::Date,
            ColumnType::Boolean => ColumnFormat::General,
        }
    }

    /// The style of a number cell in this column (0: General).
    pub fn number_style(self) -> u8 {
        match self {
            ColumnFormat::Grouped => STYLE_GROUPED,
            ColumnFormat::Decimal => STYLE_DECIMAL,
            ColumnFormat::Rupiah => STYLE_RUPIAH,
            ColumnFormat::RupiahSen => STYLE_RUPIAH_SEN,
            _ => 0,
        }
    }

    /// The style of a text cell in this column.
    pub fn text_style(self) -> u8 {
        match self {
            ColumnFormat::Text => STYLE_TEXT,
            _ => 0,
        }
    }

    /// Characters a value takes when shown, roughly, for the column's width.
    pub fn shown_chars(self, cell: Cell<'_>) -> usize {
        let digits = |v: f64| {
            let whole = v.abs().max(1.0).log10().floor() as usize + 1;
            whole + whole.saturating_sub(1) / 3 + usize::from(v < 0.0)
        };
        match cell {
            Cell::Null => 0,
            Cell::Integer(i) => match self {
                ColumnFormat::General => i.to_string().len(),
                ColumnFormat::Rupiah => digits(i as f64) + 2,
                _ => digits(i as f64),
            },
            Cell::Real(r) => match self {
                ColumnFormat::RupiahSen => digits(r) + 5,
                _ => digits(r) + 3,
            },
            Cell::Text(t) => match self {
                ColumnFormat::Date => 10,
                _ => t.chars().count(),
            },
            Cell::Boolean(_) => 5,
        }
    }
}

/// The width of a column, in characters: its header and its widest first value, with room
/// for the filter button, at most 60 (long notes wrap in the cell instead).
pub fn column_width(header: &str, widest_value: usize) -> usize {
    (header.chars().count().max(widest_value) + 3).clamp(8, 60)
}

/// The workbook's `styles.xml`.
pub fn styles_xml(xml_decl: &str, ns_main: &str) -> String {
    format!(
        "{xml_decl}<styleSheet xmlns=\"{ns_main}\">\
<numFmts count=\"3\"><numFmt numFmtId=\"164\" formatCode=\"yyyy\\-mm\\-dd\"/>\
<numFmt numFmtId=\"165\" formatCode=\"&quot;Rp&quot;#,##0\"/>\
<numFmt numFmtId=\"166\" formatCode=\"&quot;Rp&quot;#,##0.00\"/></numFmts>\
<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>\
<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>\
<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>\
<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
<cellXfs count=\"9\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>\
<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>\
<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyAlignment=\"1\"><alignment wrapText=\"1\" vertical=\"top\"/></xf>\
<xf numFmtId=\"3\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>\
<xf numFmtId=\"4\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>\
<xf numFmtId=\"165\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>\
<xf numFmtId=\"166\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>\
<xf numFmtId=\"49\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs>\
<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>\
</styleSheet>"
    )
}

#[cfg(test)]
mod tests {
    use logam_plugin_kit::{Bilingual, Role};

    use super::*;

    fn column(column_type: ColumnType, unit: Option<&str>) -> ColumnInfo {
        let mut column = ColumnInfo::new("x", column_type, Role::Measure, Bilingual::default());
        column.unit = unit.map(str::to_string);
        column
    }

    #[test]
    fn formats_follow_type_and_unit() {
        for (column_type, unit, expected) in [
            (ColumnType::Integer, Some("rupiah"), ColumnFormat::Rupiah),
            (
                ColumnType::Real,
                Some("rupiah per unit"),
                ColumnFormat::RupiahSen,
            ),
            (ColumnType::Integer, Some("tahun"), ColumnFormat::General),
            (
                ColumnType::Integer,
                Some("nomor urut"),
                ColumnFormat::General,
            ),
            (ColumnType::Integer, Some("orang"), ColumnFormat::Grouped),
            (ColumnType::Real, Some("persen"), ColumnFormat::Decimal),
            (ColumnType::Text, None, ColumnFormat::Text),
        ] {
            let format = ColumnFormat::of(&column(column_type, unit));
            assert_eq!(format, expected, "{column_type:?} {unit:?}");
        }
    }

    #[test]
    fn widths_fit_grouped_rupiah() {
        // Rp138.700.000.000: 17 characters.
        assert_eq!(
            ColumnFormat::Rupiah.shown_chars(Cell::Integer(138_700_000_000)),
            17
        );
        assert_eq!(ColumnFormat::General.shown_chars(Cell::Integer(2019)), 4);
        assert_eq!(column_width("nilai", 17), 20);
        assert_eq!(column_width("x", 0), 8);
        assert_eq!(column_width("catatan", 400), 60);
    }
}
