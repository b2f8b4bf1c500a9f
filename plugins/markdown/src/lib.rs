//! Exporter `markdown`: a table as a GitHub-flavoured Markdown table, for pasting into an
//! article or a README, streamed batch by batch.
//!
//! The output is a bold title line, the table (header = column titles, numeric columns
//! right-aligned), and a source line ("Sumber: <publisher> (<date>), diolah.") with the
//! licence. Parameters: `bahasa` (`id`, default, or `en`) for titles and words; `angka`
//! (`id`, default: 1.234.567,89; or `mesin`: 1234567.89) for numbers; `desimal` (default 2),
//! the most decimals a real number shows in `id` notation.
//!
//! In `id` notation, digits are grouped only in columns whose unit is a quantity: a column
//! without a unit, or with unit `tahun` (year) or `nomor urut` (sequence number), shows
//! plain digits so that 2021 does not become 2.021.

use logam_plugin_kit::format;
use logam_plugin_kit::text::push_f64;
use logam_plugin_kit::{
    Batch, Bilingual, Cell, ColumnInfo, ColumnType, DatasetMeta, Exporter, ExporterInfo, Parameter,
    Params, PluginError, Scalar, Targets,
};

/// How numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notation {
    /// Indonesian: "." between thousands, "," before decimals.
    Indonesian,
    /// As a program writes them: 1234567.891.
    Machine,
}

/// The options, from the parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub english: bool,
    pub notation: Notation,
    pub decimals: usize,
}

impl Options {
    pub fn from_params(params: &Params) -> Result<Self, PluginError> {
        let english = match params.text("bahasa")?.unwrap_or("id") {
            "id" => false,
            "en" => true,
            other => {
                return Err(PluginError::InvalidParameter(format!(
                    "bahasa harus id atau en, bukan {other:?}"
                )));
            }
        };
        let notation = match params.text("angka")?.unwrap_or("id") {
            "id" => Notation::Indonesian,
            "mesin" => Notation::Machine,
            other => {
                return Err(PluginError::InvalidParameter(format!(
                    "angka harus id atau mesin, bukan {other:?}"
                )));
            }
        };
        let decimals = params.integer("desimal")?.unwrap_or(2);
        if !(0..=15).contains(&decimals) {
            return Err(PluginError::InvalidParameter(format!(
                "desimal harus 0 sampai 15, bukan {decimals}"
            )));
        }
        Ok(Options {
            english,
            notation,
            decimals: decimals as usize,
        })
    }

    fn lang(&self) -> &'static str {
        if self.english { "en" } else { "id" }
    }

    /// The notation dates are written in words by: the table's language.
    fn words(&self) -> format::Notation {
        format::Notation::for_language(self.lang())
    }
}

/// Escapes text for a table cell: characters Markdown would read as table syntax,
/// emphasis, code, links or HTML get a backslash; line breaks become `<br>`.
pub fn cell_text(out: &mut String, s: &str) {
    for c in s.trim().chars() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '<' | '>' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
}

/// Whether digits of a column are grouped in Indonesian notation: only for quantities.
pub fn groups_digits(column: &ColumnInfo) -> bool {
    match column.unit.as_deref() {
        None | Some("tahun") | Some("nomor urut") => false,
        Some(_) => true,
    }
}

/// One cell as Markdown.
pub fn format_cell(out: &mut String, cell: Cell<'_>, column: &ColumnInfo, options: &Options) {
    match (cell, options.notation) {
        (Cell::Null, _) => {}
        (Cell::Integer(i), Notation::Machine) => out.push_str(&i.to_string()),
        (Cell::Real(r), Notation::Machine) => {
            push_f64(out, r);
        }
        (Cell::Integer(i), Notation::Indonesian) => {
            if groups_digits(column) {
                out.push_str(&format::group_thousands(i, format::Notation::Indonesian));
            } else {
                out.push_str(&i.to_string());
            }
        }
        (Cell::Real(r), Notation::Indonesian) => {
            let (decimals, notation) = (options.decimals, format::Notation::Indonesian);
            if groups_digits(column) {
                out.push_str(&format::number(r, decimals, notation));
            } else {
                out.push_str(&format::number_ungrouped(r, decimals, notation));
            }
        }
        (Cell::Boolean(b), _) => out.push_str(match (b, options.english) {
            (true, false) => "ya",
            (false, false) => "tidak",
            (true, true) => "yes",
            (false, true) => "no",
        }),
        (Cell::Text(s), _)
            if column.column_type == ColumnType::Date
                && options.notation == Notation::Indonesian =>
        {
            cell_text(out, &format::date(s, options.words()))
        }
        (Cell::Text(s), _) => cell_text(out, s),
    }
}

/// The streaming encoder.
pub struct Markdown {
    schema: Vec<ColumnInfo>,
    meta: DatasetMeta,
    options: Result<Options, PluginError>,
    started: bool,
}

impl Markdown {
    fn head(&self, options: &Options) -> String {
        let lang = options.lang();
        let mut out = String::from("**");
        cell_text(&mut out, self.meta.title.get(lang));
        out.push_str("**\n\n|");
        for column in &self.schema {
            out.push(' ');
            let title = column.title.get(lang);
            cell_text(
                &mut out,
                if title.is_empty() {
                    &column.name
                } else {
                    title
                },
            );
            out.push_str(" |");
        }
        out.push_str("\n|");
        for column in &self.schema {
            out.push_str(if column.column_type.is_numeric() {
                " ---: |"
            } else {
                " --- |"
            });
        }
        out.push('\n');
        out
    }
}

impl Exporter for Markdown {
    fn info() -> ExporterInfo {
        let text =
            |name: &str, default: &str, title: Bilingual, description: Bilingual| Parameter {
                name: name.into(),
                column_type: ColumnType::Text,
                required: false,
                default: Some(Scalar::Text(default.into())),
                title,
                description,
            };
        ExporterInfo {
            id: "markdown".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            title: Bilingual::new("Tabel Markdown", "Markdown table"),
            description: Bilingual::new(
                "Tabel Markdown (GitHub) dengan judul dan baris sumber, siap ditempel ke tulisan.",
                "A (GitHub-flavoured) Markdown table with a title and a source line, ready to paste into a story.",
            ),
            media_type: "text/markdown; charset=utf-8".into(),
            extension: "md".into(),
            targets: Targets {
                datasets: true,
                indicators: true,
            },
            parameters: vec![
                text(
                    "bahasa",
                    "id",
                    Bilingual::new("Bahasa", "Language"),
                    Bilingual::new(
                        "id (bawaan) atau en: bahasa judul kolom dan baris sumber.",
                        "id (default) or en: language of the column titles and the source line.",
                    ),
                ),
                text(
                    "angka",
                    "id",
                    Bilingual::new("Penulisan angka", "Number notation"),
                    Bilingual::new(
                        "id (bawaan): 1.234.567,89; mesin: 1234567.89 tanpa pemisah ribuan.",
                        "id (default): 1.234.567,89; mesin (machine): 1234567.89 without thousands separators.",
                    ),
                ),
                Parameter {
                    name: "desimal".into(),
                    column_type: ColumnType::Integer,
                    required: false,
                    default: Some(Scalar::Integer(2)),
                    title: Bilingual::new("Desimal", "Decimals"),
                    description: Bilingual::new(
                        "Jumlah desimal terbanyak untuk bilangan real dalam penulisan id (0–15).",
                        "Most decimals a real number shows in id notation (0–15).",
                    ),
                },
            ],
        }
    }

    fn new(schema: Vec<ColumnInfo>, meta: DatasetMeta, params: Params) -> Self {
        Markdown {
            schema,
            meta,
            options: Options::from_params(&params),
            started: false,
        }
    }

    fn write(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        let options = self.options.clone()?;
        if batch.columns.len() != self.schema.len() {
            return Err(PluginError::InvalidInput(format!(
                "batch has {} columns, schema {}",
                batch.columns.len(),
                self.schema.len()
            )));
        }
        let mut out = String::with_capacity(batch.rows * 64);
        if !self.started {
            out.push_str(&self.head(&options));
            self.started = true;
        }
        for row in 0..batch.rows {
            out.push('|');
            for (index, column) in self.schema.iter().enumerate() {
                out.push(' ');
                format_cell(&mut out, batch.cell(index, row), column, &options);
                out.push_str(" |");
            }
            out.push('\n');
        }
        Ok(out.into_bytes())
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        let options = self.options.clone()?;
        let mut out = String::new();
        if !self.started {
            out.push_str(&self.head(&options));
            self.started = true;
        }
        let lang = options.lang();
        let citation = self.meta.citation_line(lang);
        out.push('\n');
        if !citation.is_empty() {
            cell_text(&mut out, &citation);
            out.push(' ');
        }
        out.push_str(if options.english {
            "Licence: "
        } else {
            "Lisensi: "
        });
        cell_text(&mut out, &self.meta.licence);
        out.push_str(".\n");
        Ok(out.into_bytes())
    }
}

logam_plugin_kit::exporter_component!(Markdown, "../../wit");

#[cfg(test)]
mod tests {
    use super::*;
    use logam_plugin_kit::{Param, run_exporter, testing};

    fn export(id: &str, params: Vec<Param>) -> String {
        let (schema, batch) = testing::dataset(id);
        String::from_utf8(
            run_exporter::<Markdown>(schema, testing::meta(id), params, &[batch]).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn contracts_as_a_markdown_table() {
        let text = export("kontrak_pasokan", vec![]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "**Kontrak pasokan perajin logam Purbalingga**");
        assert!(
            lines[2].starts_with("| ID | Tahun | Pemasok | Nama usaha |"),
            "{}",
            lines[2]
        );
        assert!(
            lines[3].starts_with("| ---: | ---: | --- |"),
            "{}",
            lines[3]
        );
        // Year without grouping, rupiah grouped in Indonesian notation.
        assert!(
            lines[4].starts_with("| 1 | 2021 | Muhammad Ali Imron | CV Karya Sinar Terang |"),
            "{}",
            lines[4]
        );
        assert!(lines[4].contains("| 3.500 | 250.000.000 |"), "{}", lines[4]);
        assert!(
            lines[5].contains("| 12.500 | 120.000.000 |"),
            "{}",
            lines[5]
        );
        assert_eq!(
            lines.last().unwrap(),
            &"Sumber: Radar Banyumas (2 Juni 2021), diolah. Lisensi: CC-BY-4.0."
        );
        // Every row has as many cells as the header: no stray pipes from the notes.
        let cells = |line: &str| line.replace("\\|", "").matches('|').count();
        for line in &lines[2..6] {
            assert_eq!(cells(line), cells(lines[2]), "{line}");
        }
    }

    #[test]
    fn parses_as_a_table_with_a_real_markdown_parser() {
        use pulldown_cmark::{Event, Options as MdOptions, Parser, Tag, TagEnd};
        let text = export("klaster_knalpot", vec![]);
        let (_, batch) = testing::dataset("klaster_knalpot");
        let mut rows = 0;
        let mut in_table = false;
        for event in Parser::new_ext(&text, MdOptions::ENABLE_TABLES) {
            match event {
                Event::Start(Tag::Table(alignments)) => {
                    in_table = true;
                    assert_eq!(alignments.len(), 10);
                }
                Event::Start(Tag::TableRow) if in_table => rows += 1,
                Event::End(TagEnd::Table) => in_table = false,
                _ => {}
            }
        }
        assert_eq!(rows, batch.rows);
        assert!(text.contains("| 81.400.000.000 |"));
        assert!(text.contains("| Rp81,4 miliar |"));
    }

    #[test]
    fn english_and_machine_notation() {
        let text = export(
            "kontrak_pasokan",
            vec![
                Param::new("bahasa", Scalar::Text("en".into())),
                Param::new("angka", Scalar::Text("mesin".into())),
            ],
        );
        assert!(text.starts_with("**Supply contracts of Purbalingga metal craftsmen**"));
        assert!(text.contains("| 3500 | 250000000 |"));
        assert!(
            text.ends_with(
                "Source: Radar Banyumas (2 June 2021), processed. Licence: CC-BY-4.0.\n"
            )
        );
    }

    #[test]
    fn escapes_cells_and_refuses_bad_parameters() {
        let mut out = String::new();
        cell_text(&mut out, " a|b *c*\nd ");
        assert_eq!(out, "a\\|b \\*c\\*<br>d");
        let (schema, batch) = testing::dataset("wilayah");
        let bad = run_exporter::<Markdown>(
            schema,
            testing::meta("wilayah"),
            vec![Param::new("angka", Scalar::Text("roman".into()))],
            &[batch],
        );
        assert!(matches!(bad, Err(PluginError::InvalidParameter(_))));
    }

    #[test]
    fn indicator_results_export_too() {
        let text = export("wilayah", vec![Param::new("desimal", Scalar::Integer(3))]);
        assert!(text.contains("| -7,456 | 109,371 |"), "{text}");
        assert!(text.contains("| ya |"));
    }

    #[test]
    fn whole_numbers_are_grouped_exactly_and_dates_read_in_words() {
        let options = Options::from_params(&Params(vec![])).unwrap();
        let mut quantity = ColumnInfo::new(
            "unit",
            ColumnType::Integer,
            logam_plugin_kit::Role::Attribute,
            Bilingual::default(),
        );
        quantity.unit = Some("unit".into());
        let cell = |cell: Cell<'_>, column: &ColumnInfo| {
            let mut out = String::new();
            format_cell(&mut out, cell, column, &options);
            out
        };
        // Past 2^53 an f64 would round: the grouping works on the integer itself.
        assert_eq!(
            cell(Cell::Integer((1 << 53) + 1), &quantity),
            "9.007.199.254.740.993"
        );
        assert_eq!(cell(Cell::Integer(-595_371), &quantity), "-595.371");
        let date = ColumnInfo::new(
            "tanggal",
            ColumnType::Date,
            logam_plugin_kit::Role::Attribute,
            Bilingual::default(),
        );
        assert_eq!(cell(Cell::Text("2022-08-30"), &date), "30 Agustus 2022");
        assert_eq!(cell(Cell::Text("2022-02-30"), &date), "2022-02-30");
    }
}
