//! Exporter `xlsx`: a table as an Excel workbook (Office Open XML, ISO/IEC 29500), streamed.
//!
//! - Sheet `Data`: a bold header row of column names (frozen), then one row per table row
//!   with typed cells: integers and reals as numbers, booleans as Excel booleans, full ISO
//!   dates (`2021-06-02`) as date cells shown `yyyy-mm-dd`, partial dates and text as
//!   inline strings, nulls as empty cells. Numbers carry a format by their unit (Rupiah as
//!   `Rp#.##0`, counts grouped, years as written) and columns are as wide as their first
//!   values (see `style.rs`). Integers beyond ±2^53, which a spreadsheet number
//!   cannot hold exactly, are written as text.
//! - Sheet `Metadata`: title, description, publisher, licence, the citation line, every
//!   source (publisher, title, date, URL, licence), revision, URL, row count, and a column
//!   dictionary (name, title, type, unit, description). Labels in Indonesian, or English
//!   with `bahasa=en`.
//! - The workbook is written as it goes: the fixed parts in the first chunk, the data sheet
//!   row by row (deflated), the metadata sheet and the ZIP directory at the end, so memory
//!   does not grow with the table.
//! - Excel holds at most 1 048 576 rows and 32 767 characters a cell: rows past the limit
//!   are left out and text is cut, and the metadata sheet says so (an error half-way would
//!   leave a broken file, since the bytes before it are already sent).

mod style;
mod zip;

use std::fmt::Write as _;

use flate2::Compression;
use logam_plugin_kit::format::IsoDate;
use logam_plugin_kit::text::{push_f64, xml_text};
use logam_plugin_kit::{
    Batch, Bilingual, Cell, ColumnInfo, ColumnType, DatasetMeta, Exporter, ExporterInfo, Parameter,
    Params, PluginError, Scalar, TableKind, Targets,
};

use crate::style::{ColumnFormat, STYLE_BOLD, STYLE_DATE, STYLE_WRAP, column_width, styles_xml};
use crate::zip::ZipStream;

/// Data rows a sheet can hold under its header (Excel's limit is 1 048 576 rows).
pub const MAX_DATA_ROWS: u64 = 1_048_575;
/// Characters a cell can hold.
pub const MAX_CELL_CHARS: usize = 32_767;
/// Excel's serial number of 1970-01-01 (day 0 is 1899-12-30).
const EXCEL_EPOCH_OFFSET: i64 = 25_569;

const NS_MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const NS_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// Spreadsheet column letters: 0 → A, 25 → Z, 26 → AA.
pub fn column_letters(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII")
}

fn content_types() -> String {
    format!(
        "{XML_DECL}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>\
<Override PartName=\"/xl/worksheets/sheet2.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>\
<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
</Types>"
    )
}

fn root_rels() -> String {
    format!(
        "{XML_DECL}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"{NS_REL}/officeDocument\" Target=\"xl/workbook.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
</Relationships>"
    )
}

fn core_properties(meta: &DatasetMeta, lang: &str) -> String {
    let mut out = format!(
        "{XML_DECL}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>"
    );
    xml_text(&mut out, meta.title.get(lang));
    out.push_str("</dc:title><dc:creator>");
    xml_text(&mut out, &meta.publisher);
    out.push_str("</dc:creator><dc:description>");
    xml_text(&mut out, meta.description.get(lang));
    out.push_str("</dc:description></cp:coreProperties>");
    out
}

fn workbook() -> String {
    format!(
        "{XML_DECL}<workbook xmlns=\"{NS_MAIN}\" xmlns:r=\"{NS_REL}\"><sheets>\
<sheet name=\"Data\" sheetId=\"1\" r:id=\"rId1\"/>\
<sheet name=\"Metadata\" sheetId=\"2\" r:id=\"rId2\"/>\
</sheets></workbook>"
    )
}

fn workbook_rels() -> String {
    format!(
        "{XML_DECL}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"{NS_REL}/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
<Relationship Id=\"rId2\" Type=\"{NS_REL}/worksheet\" Target=\"worksheets/sheet2.xml\"/>\
<Relationship Id=\"rId3\" Type=\"{NS_REL}/styles\" Target=\"styles.xml\"/>\
</Relationships>"
    )
}

/// Styles: 0 default, 1 bold, 2 date `yyyy-mm-dd`, 3 wrapped text.
/// Appends an inline-string cell; returns whether the text had to be cut.
fn text_cell(out: &mut String, reference: &str, text: &str, style: u8) -> bool {
    let (text, cut) = match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((at, _)) => (&text[..at], true),
        None => (text, false),
    };
    let _ = write!(out, "<c r=\"{reference}\" t=\"inlineStr\"");
    if style != 0 {
        let _ = write!(out, " s=\"{style}\"");
    }
    out.push_str("><is><t");
    if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
        out.push_str(" xml:space=\"preserve\"");
    }
    out.push('>');
    xml_text(out, text);
    out.push_str("</t></is></c>");
    cut
}

/// Appends `<c r="A2"` with the style, if any.
fn open_cell(out: &mut String, reference: &str, style: u8) {
    let _ = write!(out, "<c r=\"{reference}\"");
    if style != 0 {
        let _ = write!(out, " s=\"{style}\"");
    }
}

/// Appends one typed data cell in its column's format; returns whether text had to be cut.
fn data_cell(
    out: &mut String,
    reference: &str,
    cell: Cell<'_>,
    column_type: ColumnType,
    format: ColumnFormat,
) -> bool {
    match cell {
        Cell::Null => {}
        Cell::Integer(i) if i.unsigned_abs() <= 1 << 53 => {
            open_cell(out, reference, format.number_style());
            let _ = write!(out, "><v>{i}</v></c>");
        }
        Cell::Integer(i) => return text_cell(out, reference, &i.to_string(), 0),
        Cell::Real(r) => {
            if r.is_finite() {
                open_cell(out, reference, format.number_style());
                out.push_str("><v>");
                push_f64(out, r);
                out.push_str("</v></c>");
            }
        }
        Cell::Boolean(b) => {
            let _ = write!(
                out,
                "<c r=\"{reference}\" t=\"b\"><v>{}</v></c>",
                u8::from(b)
            );
        }
        Cell::Text(s) => {
            let serial = (column_type == ColumnType::Date)
                .then(|| IsoDate::parse(s)?.days_since_unix_epoch())
                .flatten()
                .map(|days| days + EXCEL_EPOCH_OFFSET)
                .filter(|serial| *serial >= 61); // Excel's 1900 calendar is off before March 1900
            match serial {
                Some(serial) => {
                    let _ = write!(
                        out,
                        "<c r=\"{reference}\" s=\"{STYLE_DATE}\"><v>{serial}</v></c>"
                    );
                }
                None => return text_cell(out, reference, s, format.text_style()),
            }
        }
    }
    false
}

/// Labels of the metadata sheet.
struct Labels {
    title: &'static str,
    description: &'static str,
    kind: &'static str,
    publisher: &'static str,
    licence: &'static str,
    citation: &'static str,
    sources: &'static str,
    revision: &'static str,
    url: &'static str,
    rows: &'static str,
    note: &'static str,
    columns: &'static str,
    column_header: [&'static str; 5],
    source_header: [&'static str; 6],
}

const LABELS_ID: Labels = Labels {
    title: "Judul",
    description: "Deskripsi",
    kind: "Jenis",
    publisher: "Penerbit",
    licence: "Lisensi",
    citation: "Kutipan",
    sources: "Sumber",
    revision: "Revisi",
    url: "URL",
    rows: "Jumlah baris",
    note: "Catatan",
    columns: "Kolom",
    column_header: ["Nama", "Judul", "Tipe", "Satuan", "Deskripsi"],
    source_header: ["ID", "Penerbit", "Judul", "Tanggal", "URL", "Lisensi"],
};

const LABELS_EN: Labels = Labels {
    title: "Title",
    description: "Description",
    kind: "Kind",
    publisher: "Publisher",
    licence: "Licence",
    citation: "Citation",
    sources: "Sources",
    revision: "Revision",
    url: "URL",
    rows: "Rows",
    note: "Note",
    columns: "Columns",
    column_header: ["Name", "Title", "Type", "Unit", "Description"],
    source_header: ["ID", "Publisher", "Title", "Date", "URL", "Licence"],
};

/// Builds the rows of a simple sheet of text cells.
struct SheetText {
    xml: String,
    row: usize,
}

impl SheetText {
    fn new() -> Self {
        SheetText {
            xml: String::new(),
            row: 0,
        }
    }

    /// A row of text cells; the first `bold` cells are bold.
    fn row(&mut self, cells: &[&str], bold: usize) {
        self.row += 1;
        let _ = write!(self.xml, "<row r=\"{}\">", self.row);
        for (i, text) in cells.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let reference = format!("{}{}", column_letters(i), self.row);
            let style = if i < bold {
                STYLE_BOLD
            } else if i > 0 {
                STYLE_WRAP
            } else {
                0
            };
            text_cell(&mut self.xml, &reference, text, style);
        }
        self.xml.push_str("</row>");
    }

    fn blank(&mut self) {
        self.row += 1;
    }
}

/// The streaming encoder.
pub struct Xlsx {
    schema: Vec<ColumnInfo>,
    meta: DatasetMeta,
    english: Result<bool, PluginError>,
    zip: ZipStream,
    letters: Vec<String>,
    /// Each column's number format, in schema order.
    formats: Vec<ColumnFormat>,
    started: bool,
    rows: u64,
    dropped_rows: u64,
    cut_cells: u64,
}

impl Xlsx {
    fn lang(&self) -> &'static str {
        if matches!(self.english, Ok(true)) {
            "en"
        } else {
            "id"
        }
    }

    fn fail(e: String) -> PluginError {
        PluginError::Failed(format!("xlsx: {e}"))
    }

    /// The fixed parts and the start of the data sheet, header row included.
    fn start(&mut self, first: Option<&Batch>) -> Result<(), PluginError> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let lang = self.lang();
        let parts = [
            ("[Content_Types].xml", content_types()),
            ("_rels/.rels", root_rels()),
            ("docProps/core.xml", core_properties(&self.meta, lang)),
            ("xl/workbook.xml", workbook()),
            ("xl/_rels/workbook.xml.rels", workbook_rels()),
            ("xl/styles.xml", styles_xml(XML_DECL, NS_MAIN)),
        ];
        for (name, xml) in parts {
            self.zip.entry(name, xml.as_bytes()).map_err(Self::fail)?;
        }
        let mut head = format!(
            "{XML_DECL}<worksheet xmlns=\"{NS_MAIN}\" xmlns:r=\"{NS_REL}\"><sheetViews><sheetView workbookViewId=\"0\">\
<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews>"
        );
        if !self.schema.is_empty() {
            head.push_str("<cols>");
            for (i, column) in self.schema.iter().enumerate() {
                let format = self
                    .formats
                    .get(i)
                    .copied()
                    .unwrap_or(ColumnFormat::General);
                let widest = first
                    .filter(|batch| i < batch.columns.len())
                    .map(|batch| {
                        (0..batch.rows.min(200))
                            .map(|row| format.shown_chars(batch.cell(i, row)))
                            .max()
                            .unwrap_or(0)
                    })
                    .unwrap_or(0);
                let width = column_width(&column.name, widest);
                let _ = write!(
                    head,
                    "<col min=\"{n}\" max=\"{n}\" width=\"{width}\" customWidth=\"1\"/>",
                    n = i + 1
                );
            }
            head.push_str("</cols>");
        }
        head.push_str("<sheetData><row r=\"1\">");
        for (i, column) in self.schema.iter().enumerate() {
            text_cell(
                &mut head,
                &format!("{}1", self.letters[i]),
                &column.name,
                STYLE_BOLD,
            );
        }
        head.push_str("</row>");
        self.zip
            .start("xl/worksheets/sheet1.xml")
            .map_err(Self::fail)?;
        self.zip.write(head.as_bytes()).map_err(Self::fail)?;
        Ok(())
    }

    fn metadata_sheet(&self) -> String {
        let lang = self.lang();
        let l = if lang == "en" { &LABELS_EN } else { &LABELS_ID };
        let mut sheet = SheetText::new();
        sheet.row(&[l.title, self.meta.title.get(lang)], 1);
        sheet.row(&[l.description, self.meta.description.get(lang)], 1);
        let kind = match (self.meta.kind, lang) {
            (TableKind::Dataset, "en") => "dataset",
            (TableKind::Dataset, _) => "dataset",
            (TableKind::Indicator, "en") => "indicator",
            (TableKind::Indicator, _) => "indikator",
        };
        sheet.row(&[l.kind, &format!("{kind}: {}", self.meta.id)], 1);
        sheet.row(&[l.publisher, &self.meta.publisher], 1);
        sheet.row(&[l.licence, &self.meta.licence], 1);
        sheet.row(&[l.citation, &self.meta.citation_line(lang)], 1);
        sheet.row(&[l.revision, &self.meta.revision.to_string()], 1);
        if let Some(url) = &self.meta.url {
            sheet.row(&[l.url, url], 1);
        }
        sheet.row(&[l.rows, &self.rows.to_string()], 1);
        if self.dropped_rows > 0 {
            let note = if lang == "en" {
                format!(
                    "{} rows past Excel's limit of 1,048,576 rows are left out; download CSV for every row.",
                    self.dropped_rows
                )
            } else {
                format!(
                    "{} baris melewati batas Excel (1.048.576 baris) tidak dimuat; unduh CSV untuk semua baris.",
                    self.dropped_rows
                )
            };
            sheet.row(&[l.note, &note], 1);
        }
        if self.cut_cells > 0 {
            let note = if lang == "en" {
                format!(
                    "{} cells were cut to Excel's limit of 32,767 characters.",
                    self.cut_cells
                )
            } else {
                format!(
                    "{} sel dipotong ke batas Excel (32.767 karakter).",
                    self.cut_cells
                )
            };
            sheet.row(&[l.note, &note], 1);
        }
        if !self.meta.sources.is_empty() {
            sheet.blank();
            sheet.row(&[l.sources], 1);
            sheet.row(&l.source_header, 6);
            for source in &self.meta.sources {
                let get = |o: &Option<String>| o.clone().unwrap_or_default();
                sheet.row(
                    &[
                        &source.id,
                        &source.publisher,
                        &get(&source.title),
                        &get(&source.date),
                        &get(&source.url),
                        &get(&source.licence),
                    ],
                    0,
                );
            }
        }
        sheet.blank();
        sheet.row(&[l.columns], 1);
        sheet.row(&l.column_header, 5);
        for column in &self.schema {
            sheet.row(
                &[
                    &column.name,
                    column.title.get(lang),
                    column.column_type.as_str(),
                    column.unit.as_deref().unwrap_or(""),
                    column.description.get(lang),
                ],
                0,
            );
        }
        format!(
            "{XML_DECL}<worksheet xmlns=\"{NS_MAIN}\" xmlns:r=\"{NS_REL}\"><cols>\
<col min=\"1\" max=\"1\" width=\"24\" customWidth=\"1\"/><col min=\"2\" max=\"2\" width=\"60\" customWidth=\"1\"/>\
<col min=\"3\" max=\"6\" width=\"24\" customWidth=\"1\"/></cols><sheetData>{}</sheetData></worksheet>",
            sheet.xml
        )
    }
}

impl Exporter for Xlsx {
    fn info() -> ExporterInfo {
        ExporterInfo {
            id: "xlsx".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            title: Bilingual::new("Excel (XLSX)", "Excel (XLSX)"),
            description: Bilingual::new(
                "Buku kerja Excel: lembar Data bersel bertipe dengan baris judul, dan lembar Metadata berisi judul, sumber, lisensi dan kamus kolom.",
                "An Excel workbook: a Data sheet of typed cells under a header row, and a Metadata sheet with the title, sources, licence and a column dictionary.",
            ),
            media_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(),
            extension: "xlsx".into(),
            targets: Targets {
                datasets: true,
                indicators: true,
            },
            parameters: vec![Parameter {
                name: "bahasa".into(),
                column_type: ColumnType::Text,
                required: false,
                default: Some(Scalar::Text("id".into())),
                title: Bilingual::new("Bahasa", "Language"),
                description: Bilingual::new(
                    "id (bawaan) atau en: bahasa lembar Metadata.",
                    "id (default) or en: language of the Metadata sheet.",
                ),
            }],
        }
    }

    fn new(schema: Vec<ColumnInfo>, meta: DatasetMeta, params: Params) -> Self {
        let english = match params.text("bahasa") {
            Ok(None | Some("id")) => Ok(false),
            Ok(Some("en")) => Ok(true),
            Ok(Some(other)) => Err(PluginError::InvalidParameter(format!(
                "bahasa harus id atau en, bukan {other:?}"
            ))),
            Err(e) => Err(e),
        };
        let letters = (0..schema.len()).map(column_letters).collect();
        let formats = schema.iter().map(ColumnFormat::of).collect();
        Xlsx {
            schema,
            meta,
            english,
            zip: ZipStream::new(Compression::fast()),
            letters,
            formats,
            started: false,
            rows: 0,
            dropped_rows: 0,
            cut_cells: 0,
        }
    }

    fn write(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        self.english.clone()?;
        if batch.columns.len() != self.schema.len() {
            return Err(PluginError::InvalidInput(format!(
                "batch has {} columns, schema {}",
                batch.columns.len(),
                self.schema.len()
            )));
        }
        self.start(Some(batch))?;
        let mut xml = String::with_capacity(batch.rows * self.schema.len() * 24);
        let mut reference = String::new();
        for row in 0..batch.rows {
            if self.rows >= MAX_DATA_ROWS {
                self.dropped_rows += (batch.rows - row) as u64;
                break;
            }
            self.rows += 1;
            let number = self.rows + 1;
            let _ = write!(xml, "<row r=\"{number}\">");
            for (i, column) in self.schema.iter().enumerate() {
                reference.clear();
                let _ = write!(reference, "{}{number}", self.letters[i]);
                let format = self
                    .formats
                    .get(i)
                    .copied()
                    .unwrap_or(ColumnFormat::General);
                let cell = batch.cell(i, row);
                if data_cell(&mut xml, &reference, cell, column.column_type, format) {
                    self.cut_cells += 1;
                }
            }
            xml.push_str("</row>");
        }
        self.zip.write(xml.as_bytes()).map_err(Self::fail)?;
        Ok(self.zip.take())
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        self.english.clone()?;
        self.start(None)?;
        self.zip
            .write(b"</sheetData></worksheet>")
            .map_err(Self::fail)?;
        self.zip.finish_entry().map_err(Self::fail)?;
        let metadata = self.metadata_sheet();
        self.zip
            .entry("xl/worksheets/sheet2.xml", metadata.as_bytes())
            .map_err(Self::fail)?;
        self.zip.finish().map_err(Self::fail)?;
        Ok(self.zip.take())
    }
}

logam_plugin_kit::exporter_component!(Xlsx, "../../wit");

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, DataType as _, Reader, Xlsx as XlsxReader};
    use logam_plugin_kit::{
        Column, ColumnData, Indicator, Param, Role, run_exporter, run_indicator, testing,
    };
    use std::io::Cursor;

    fn open(bytes: Vec<u8>) -> XlsxReader<Cursor<Vec<u8>>> {
        calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("calamine opens the workbook")
    }

    fn export(id: &str, params: Vec<Param>) -> Vec<u8> {
        let (schema, batch) = testing::dataset(id);
        run_exporter::<Xlsx>(schema, testing::meta(id), params, &[batch]).unwrap()
    }

    #[test]
    fn contracts_read_back_with_types() {
        let mut book = open(export("kontrak_pasokan", vec![]));
        assert_eq!(book.sheet_names(), ["Data", "Metadata"]);
        let data = book.worksheet_range("Data").unwrap();
        assert_eq!(data.get_size(), (3, 12));
        assert_eq!(data.get((0, 0)), Some(&Data::String("id".into())));
        assert_eq!(
            data.get((0, 8)),
            Some(&Data::String("nilai_per_bulan".into()))
        );
        assert_eq!(data.get((1, 0)), Some(&Data::Float(1.0)));
        assert_eq!(
            data.get((1, 2)),
            Some(&Data::String("Muhammad Ali Imron".into()))
        );
        assert_eq!(data.get((1, 7)), Some(&Data::Float(3500.0)));
        assert_eq!(data.get((1, 8)), Some(&Data::Float(250_000_000.0)));
        assert_eq!(data.get((2, 8)), Some(&Data::Float(120_000_000.0)));
        // Ria Ayu Wardani's firm is not named: an empty cell.
        assert_eq!(data.get((2, 3)), Some(&Data::Empty));

        let meta = book.worksheet_range("Metadata").unwrap();
        let rows: Vec<Vec<String>> = meta
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        let find = |label: &str| rows.iter().find(|r| r[0] == label).map(|r| r[1].clone());
        assert_eq!(
            find("Judul").unwrap(),
            "Kontrak pasokan perajin logam Purbalingga"
        );
        assert_eq!(find("Lisensi").unwrap(), "CC-BY-4.0");
        assert_eq!(
            find("Kutipan").unwrap(),
            "Sumber: Radar Banyumas (2 Juni 2021), diolah."
        );
        assert_eq!(find("Jumlah baris").unwrap(), "2");
        assert!(
            rows.iter()
                .any(|r| r[0] == "radarbanyumas-2021-06-02" && r[1] == "Radar Banyumas")
        );
        assert!(
            rows.iter().any(|r| r[0] == "nilai_per_bulan"
                && r[2] == "integer"
                && r[3] == "rupiah per bulan")
        );
    }

    /// One part of the workbook, as XML text.
    fn part(bytes: &[u8], name: &str) -> String {
        let mut archive = ::zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
        let mut entry = archive.by_name(name).expect(name);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).expect("UTF-8");
        text
    }

    /// Issue 15, defect 6: large Rupiah values showed as `3.7E+10` in narrow General columns.
    #[test]
    fn rupiah_counts_and_text_carry_their_formats_and_columns_fit_them() {
        let bytes = export("kontrak_pasokan", vec![]);
        let styles = part(&bytes, "xl/styles.xml");
        assert!(
            styles.contains("formatCode=\"&quot;Rp&quot;#,##0\""),
            "{styles}"
        );
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        // nilai_per_bulan (column I, rupiah per bulan): Rupiah, still a number.
        assert!(
            sheet.contains("<c r=\"I2\" s=\"6\"><v>250000000</v></c>"),
            "{sheet}"
        );
        // unit_per_bulan (column H, a count): grouped.
        assert!(
            sheet.contains("<c r=\"H2\" s=\"4\"><v>3500</v></c>"),
            "{sheet}"
        );
        // id (a sequence number): as written.
        assert!(sheet.contains("<c r=\"A2\"><v>1</v></c>"), "{sheet}");
        // Names are text cells formatted as text.
        assert!(
            sheet.contains("<c r=\"C2\" t=\"inlineStr\" s=\"8\">"),
            "{sheet}"
        );
        // Column I is wide enough for Rp250.000.000 (13 characters) and its header.
        let width = sheet
            .split("<col min=\"9\" max=\"9\" width=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|w| w.parse::<usize>().ok())
            .expect("a width for column I");
        assert!(width >= "nilai_per_bulan".len() + 2, "width {width}");
        assert!(
            sheet.contains("state=\"frozen\""),
            "the header row stays in view"
        );
        let data = open(bytes).worksheet_range("Data").unwrap();
        assert_eq!(data.get((1, 8)), Some(&Data::Float(250_000_000.0)));
    }

    #[test]
    fn booleans_reals_and_english_metadata() {
        let mut book = open(export(
            "wilayah",
            vec![Param::new("bahasa", Scalar::Text("en".into()))],
        ));
        let data = book.worksheet_range("Data").unwrap();
        let header: Vec<String> = data
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let at = |name: &str| header.iter().position(|h| h == name).unwrap();
        let kemangkon = data
            .rows()
            .find(|r| r[at("nama")] == Data::String("Kemangkon".into()))
            .unwrap();
        assert_eq!(kemangkon[at("lat")], Data::Float(-7.456));
        assert_eq!(kemangkon[at("lon")], Data::Float(109.371));
        assert_eq!(kemangkon[at("centroid_perkiraan")], Data::Bool(true));
        let meta = book.worksheet_range("Metadata").unwrap();
        assert_eq!(meta.get((0, 0)), Some(&Data::String("Title".into())));
        assert_eq!(
            meta.get((0, 1)),
            Some(&Data::String("Areas of Purbalingga Regency".into()))
        );
    }

    #[test]
    fn dates_are_date_cells() {
        let (schema, batch) = testing::dataset("sumber");
        let at = schema.iter().position(|c| c.name == "tanggal").unwrap();
        assert_eq!(schema[at].column_type, ColumnType::Date);
        let mut book = open(
            run_exporter::<Xlsx>(
                schema,
                testing::meta("sumber"),
                vec![],
                std::slice::from_ref(&batch),
            )
            .unwrap(),
        );
        let data = book.worksheet_range("Data").unwrap();
        // radarbanyumas-2021-06-02: 2021-06-02 is Excel serial 44349; a year alone stays text.
        let row = data
            .rows()
            .find(|r| r[0] == Data::String("radarbanyumas-2021-06-02".into()))
            .unwrap();
        match &row[at] {
            Data::DateTime(d) => assert_eq!(d.as_f64(), 44_349.0),
            other => panic!("{other:?}"),
        }
        let row = data
            .rows()
            .find(|r| r[0] == Data::String("republika-2017".into()))
            .unwrap();
        assert_eq!(row[at], Data::String("2017".into()));
    }

    #[test]
    fn indicator_results_stream_across_batches() {
        let table = run_indicator::<rupiah_per_unit::RupiahPerUnit>(
            vec![],
            testing::inputs(&rupiah_per_unit::RupiahPerUnit::info().inputs),
        )
        .unwrap();
        let mut meta = testing::meta("kontrak_pasokan");
        meta.id = "rupiah-per-unit".into();
        meta.kind = TableKind::Indicator;
        let pieces = [
            table.data.slice(0, 1),
            table.data.slice(1, 0),
            table.data.slice(1, 1),
        ];
        let bytes = run_exporter::<Xlsx>(table.schema.clone(), meta, vec![], &pieces).unwrap();
        let mut book = open(bytes);
        let data = book.worksheet_range("Data").unwrap();
        assert_eq!(data.get_size(), (3, table.schema.len()));
        let value = data.get((1, 2)).unwrap().as_f64().unwrap();
        assert!((value - 250_000_000.0 / 3_500.0).abs() < 1e-9);
        assert_eq!(data.get((2, 2)), Some(&Data::Float(9_600.0)));
    }

    #[test]
    fn empty_tables_and_odd_text() {
        let schema = vec![
            ColumnInfo::new(
                "teks",
                ColumnType::Text,
                Role::Attribute,
                Bilingual::new("Teks", "Text"),
            ),
            ColumnInfo::new(
                "besar",
                ColumnType::Integer,
                Role::Attribute,
                Bilingual::new("Besar", "Big"),
            ),
        ];
        let meta = testing::meta("kbli");
        let empty = run_exporter::<Xlsx>(schema.clone(), meta.clone(), vec![], &[]).unwrap();
        let mut book = open(empty);
        assert_eq!(book.worksheet_range("Data").unwrap().get_size(), (1, 2));

        let text = " <&> \u{1} \"kutip\" ".to_string();
        let long = "x".repeat(MAX_CELL_CHARS + 10);
        let batch = Batch::new(
            2,
            vec![
                Column::new(ColumnData::Text {
                    buffer: format!("{text}{long}"),
                    ends: vec![text.len() as u32, (text.len() + long.len()) as u32],
                }),
                Column::new(ColumnData::Integer(vec![i64::MAX, -5])),
            ],
        )
        .unwrap();
        let mut book = open(run_exporter::<Xlsx>(schema, meta, vec![], &[batch]).unwrap());
        let data = book.worksheet_range("Data").unwrap();
        assert_eq!(
            data.get((1, 0)),
            Some(&Data::String(" <&>  \"kutip\" ".into()))
        );
        assert_eq!(data.get((2, 0)).unwrap().to_string().len(), MAX_CELL_CHARS);
        assert_eq!(data.get((1, 1)), Some(&Data::String(i64::MAX.to_string())));
        assert_eq!(data.get((2, 1)), Some(&Data::Float(-5.0)));
        let meta = book.worksheet_range("Metadata").unwrap();
        assert!(
            meta.rows()
                .any(|r| r[1].to_string().contains("1 sel dipotong"))
        );
    }

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }
}
