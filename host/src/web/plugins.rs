//! `/plugins`: what runs inside logam besides the host itself: every installed plugin with
//! its version, sha256, where it came from, its limits and how it has behaved.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use maud::html;

use super::format::number;
use super::{Lang, layout};
use crate::http::{ApiError, AppState};

pub async fn page(
    lang: Lang,
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let plugins = app.plugins.plugins();
    let limits = *app.plugins.limits();
    let ms = |v: Option<f64>| {
        v.map(|v| format!("{} ms", number(v, 2, lang)))
            .unwrap_or_else(|| "–".into())
    };
    let body = html! {
        h1 { (lang.pick("Plugin", "Plugins")) }
        p { (lang.pick(
            "Indikator dan format unduhan dihitung oleh plugin WebAssembly yang berjalan dalam kotak pasir: tanpa berkas, jaringan, atau jam, dengan batas waktu, memori, dan keluaran untuk setiap panggilan.",
            "Indicators and download formats are computed by WebAssembly plugins that run in a sandbox: no files, network or clock, with limits on time, memory and output for every call.")) }
        p {
            (lang.pick("Batas per panggilan", "Limits per call")) ": "
            (number(limits.wall_time.as_millis() as f64, 0, lang)) " ms · "
            (number((limits.memory_bytes >> 20) as f64, 0, lang)) " MiB " (lang.pick("memori", "memory")) " · "
            (number((limits.output_bytes >> 20) as f64, 0, lang)) " MiB " (lang.pick("keluaran", "output"))
            @if let Some(fuel) = limits.fuel { " · " (number(fuel as f64, 0, lang)) " fuel" }
        }
        table {
            caption { (plugins.len()) " " (lang.pick("plugin terpasang", "plugins installed")) }
            thead { tr {
                th scope="col" { "ID" }
                th scope="col" { (lang.pick("Jenis", "Kind")) }
                th scope="col" { (lang.pick("Versi", "Version")) }
                th scope="col" { (lang.pick("Status", "Status")) }
                th scope="col" { (lang.pick("Asal", "Source")) }
                th scope="col" { (lang.pick("Pembuat", "Authors")) }
                th scope="col" { (lang.pick("Lisensi", "Licence")) }
                th scope="col" { "sha256" }
                th scope="col" { (lang.pick("Panggilan", "Calls")) }
                th scope="col" { (lang.pick("Galat", "Errors")) }
                th scope="col" { "p50" }
                th scope="col" { "p99" }
            } }
            tbody { @for p in &plugins {
                @let stats = p.stats.snapshot();
                tr {
                    td { @if p.indicator_info().is_some() && p.enabled {
                        a href=(format!("/indicators/{}{}", p.id, if lang == Lang::En { "?lang=en" } else { "" })) { (p.id) }
                    } @else { (p.id) } }
                    td { (lang.pick(if p.kind() == "indicator" { "indikator" } else { "format" }, p.kind())) }
                    td { (p.version) }
                    td { (if p.enabled { lang.pick("aktif", "active") } else { lang.pick("nonaktif", "disabled") }) }
                    td { (match p.source.kind() { "bundled" => lang.pick("bawaan", "bundled"), "folder" => lang.pick("folder", "folder"), _ => lang.pick("diunggah", "uploaded") }) }
                    td { (p.metadata.authors.clone().unwrap_or_else(|| lang.pick("tidak diketahui", "unknown").into())) }
                    td { (p.metadata.licence.clone().unwrap_or_else(|| lang.pick("tidak diketahui", "unknown").into())) }
                    td { code title=(p.sha256) { (p.sha256.get(..12).unwrap_or(&p.sha256)) "…" } }
                    td class="num" { (number(stats.calls as f64, 0, lang)) }
                    td class="num" { (number(stats.errors as f64, 0, lang)) }
                    td class="num" { (ms(stats.p50_ms)) }
                    td class="num" { (ms(stats.p99_ms)) }
                }
            } }
        }
        p { a href="/api/plugins" { "JSON" } " · " (lang.pick("Panduan menulis plugin: docs/plugins.md di repositori.", "How to write a plugin: docs/plugins.md in the repository.")) }
    };
    Ok(crate::http::caching::live(layout(
        lang,
        lang.pick("Plugin", "Plugins"),
        "/plugins",
        query.as_deref(),
        body,
    )))
}
