//! Who wrote a component and under which licence, from its metadata custom sections
//! (`authors`, `licenses`, `source`, `homepage`: the WebAssembly tool-conventions names that
//! `wasm-tools metadata add` writes). Optional: the contract does not require them, and the
//! API says "unknown" when a component carries none.

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Metadata {
    pub authors: Option<String>,
    pub licence: Option<String>,
    pub source: Option<String>,
    pub homepage: Option<String>,
}

/// Longest value kept from a section; the rest is cut.
const MAX_CHARS: usize = 200;

pub fn read(bytes: &[u8]) -> Metadata {
    let mut metadata = Metadata::default();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let Ok(wasmparser::Payload::CustomSection(section)) = payload else {
            continue;
        };
        let slot = match section.name() {
            "authors" => &mut metadata.authors,
            "licenses" => &mut metadata.licence,
            "source" => &mut metadata.source,
            "homepage" => &mut metadata.homepage,
            _ => continue,
        };
        if slot.is_none()
            && let Ok(text) = std::str::from_utf8(section.data())
        {
            let text: String = text.trim().chars().take(MAX_CHARS).collect();
            if !text.is_empty() {
                *slot = Some(text);
            }
        }
    }
    metadata
}
