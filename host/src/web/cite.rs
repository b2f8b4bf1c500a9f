//! "Cite this": a table's citation pinned to the data revision it shows, as plain text,
//! BibTeX and CSL-JSON, on indicator and dataset pages alike. The cited address carries
//! `_as_of`, so following it later gives the same numbers whatever changed since.

use maud::{Markup, html};
use serde_json::json;

use super::Lang;
use crate::export::TableDescription;

/// What is cited: a table (an indicator's result or a dataset's rows) at a revision.
pub struct Citable<'a> {
    /// Part of the BibTeX and CSL keys (`logam-{key}-r{revision}`).
    pub key: &'a str,
    pub title: &'a str,
    pub table: &'a TableDescription,
    pub revision: i64,
    /// The absolute address of the table as shown (path and query); the citation pins it
    /// to `revision` with `_as_of`.
    pub address: &'a str,
}

impl Citable<'_> {
    /// The address that gives these numbers again, whatever changed since.
    fn pinned(&self) -> String {
        let separator = if self.address.contains('?') { '&' } else { '?' };
        format!("{}{separator}_as_of={}", self.address, self.revision)
    }
}

/// "Sumber: Radar Banyumas, Kemenperin, diolah logam (revisi data 5)."
pub fn source_line(table: &TableDescription, lang: Lang) -> String {
    let mut publishers: Vec<&str> = Vec::new();
    for source in &table.sources {
        let name = source.publisher.as_str();
        if !name.is_empty() && !publishers.contains(&name) {
            publishers.push(name);
        }
    }
    let named = if publishers.is_empty() {
        "logam".to_string()
    } else {
        publishers.join(", ")
    };
    format!(
        "{}: {named}, {} logam ({} {}).",
        lang.pick("Sumber", "Source"),
        lang.pick("diolah", "processed by"),
        lang.pick("revisi data", "data revision"),
        table.revision
    )
}

/// Today, for "accessed": (year, [year, month, day], "YYYY-MM-DD").
fn accessed() -> (i64, [i64; 3], String) {
    let now = time::OffsetDateTime::now_utc();
    let parts = [now.year() as i64, now.month() as i64, now.day() as i64];
    (
        parts[0],
        parts,
        format!("{:04}-{:02}-{:02}", parts[0], parts[1], parts[2]),
    )
}

/// The "cite this" section: a heading and the three forms, each in a `<pre>`.
pub fn section(lang: Lang, cited: &Citable<'_>) -> Markup {
    let citation = source_line(cited.table, lang);
    let url = cited.pinned();
    let (year, accessed_parts, accessed_on) = accessed();
    let plain = format!(
        "{} — {}. {} {}",
        cited.title,
        citation.trim_end_matches('.'),
        lang.pick("Diakses dari", "Retrieved from"),
        url
    );
    let bibtex = format!(
        "@misc{{logam-{key}-r{rev},\n  title = {{{title}}},\n  author = {{{{{publisher}}}}},\n  year = {{{year}}},\n  note = {{{note}}},\n  howpublished = {{\\url{{{url}}}}},\n  urldate = {{{accessed_on}}}\n}}",
        key = cited.key,
        rev = cited.revision,
        title = cited.title,
        publisher = cited.table.publisher,
        note = citation,
    );
    let csl = serde_json::to_string_pretty(&json!([{
        "id": format!("logam-{}-r{}", cited.key, cited.revision),
        "type": "dataset",
        "title": cited.title,
        "publisher": cited.table.publisher,
        "version": format!("{} {}", lang.pick("revisi data", "data revision"), cited.revision),
        "issued": {"date-parts": [[year]]},
        "accessed": {"date-parts": [accessed_parts]},
        "URL": url,
        "note": citation,
    }]))
    .unwrap_or_default();
    html! {
        h2 id="kutip" { (lang.pick("Kutip angka ini", "Cite this")) }
        p { (lang.pick("Teks", "Plain text")) } pre { (plain) }
        p { "BibTeX" } pre { (bibtex) }
        p { "CSL-JSON" } pre { (csl) }
    }
}
