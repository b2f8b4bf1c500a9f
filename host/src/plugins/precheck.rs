//! What the host reads from a component's bytes before Cranelift sees them: the world it
//! exports, the imports it wants, and how much code of each kind it carries. One linear pass
//! with wasmparser; anything refused here costs no compilation and leaves nothing in the
//! artifact cache.
//!
//! Compile time and memory grow faster than the size of the code with some shapes (deep
//! nesting of blocks, thousands of locals in one function), so the limits below are per kind
//! of code, not only on the file's size. They are far above what the first-party plugins and
//! the plugin kit produce (see ARCHITECTURE.md, "Invariants").

use wasmparser::{Operator, Parser, Payload};

use super::PluginError;

/// Import namespaces a component may use. Rust's wasip2 standard library imports some of
/// these even for pure code (stderr for panics, random for `HashMap` seeds); the context
/// behind them grants nothing real. Anything else (filesystem, sockets, HTTP) is refused.
pub const GRANTED_IMPORTS: &[&str] = &[
    "wasi:io/",
    "wasi:cli/environment@",
    "wasi:cli/exit@",
    "wasi:cli/stdin@",
    "wasi:cli/stdout@",
    "wasi:cli/stderr@",
    "wasi:cli/terminal-",
    "wasi:clocks/",
    "wasi:random/",
    "logam:plugin/types@",
];

/// The interfaces a component must export, one or the other.
pub const INDICATOR_EXPORT: &str = "logam:plugin/indicator-plugin@0.1.0";
pub const EXPORTER_EXPORT: &str = "logam:plugin/exporter-plugin@0.1.0";

/// Code limits checked before compiling. A component past any of them is refused with
/// `plugin_too_complex`, naming the limit.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct CodeLimits {
    /// Core modules in the component (nested components' included).
    pub modules: usize,
    /// Functions defined in one module.
    pub functions: usize,
    /// Locals of one function.
    pub locals: u64,
    /// Instructions of one function.
    pub instructions: usize,
    /// How deeply blocks, loops and ifs nest in one function.
    pub nesting: usize,
}

impl Default for CodeLimits {
    fn default() -> Self {
        CodeLimits {
            modules: 32,
            functions: 100_000,
            locals: 20_000,
            instructions: 1_000_000,
            nesting: 1_000,
        }
    }
}

fn refuse(name: &str, code: &'static str, reason: String) -> PluginError {
    PluginError::Refused {
        plugin: name.to_string(),
        code,
        reason,
    }
}

fn not_a_component(name: &str, e: wasmparser::BinaryReaderError) -> PluginError {
    refuse(
        name,
        "plugin_not_a_component",
        format!("not a valid component: {e}"),
    )
}

fn too_complex(name: &str, what: String) -> PluginError {
    refuse(name, "plugin_too_complex", what)
}

/// Checks, in this order: the world (one of the contract's exports), the imports (only what
/// the host grants), then the code limits. Returns whether the component is an indicator.
pub fn check(name: &str, bytes: &[u8], limits: &CodeLimits) -> Result<bool, PluginError> {
    let mut exports: Vec<String> = Vec::new();
    let mut imports: Vec<String> = Vec::new();
    // Depth in nested modules and components: the world is the outermost component's.
    let mut depth: usize = 0;
    let mut modules = 0usize;
    let mut functions = 0usize;
    let mut bodies: Vec<(usize, String)> = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| not_a_component(name, e))?;
        match payload {
            Payload::ModuleSection { .. } => {
                depth += 1;
                modules += 1;
                functions = 0;
                if modules > limits.modules {
                    return Err(too_complex(
                        name,
                        format!("it has more than {} core modules", limits.modules),
                    ));
                }
            }
            Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 0 => {
                for import in reader {
                    let import = import.map_err(|e| not_a_component(name, e))?;
                    imports.push(import.name.name.to_string());
                }
            }
            Payload::ComponentExportSection(reader) if depth == 0 => {
                for export in reader {
                    let export = export.map_err(|e| not_a_component(name, e))?;
                    exports.push(export.name.name.to_string());
                }
            }
            Payload::CodeSectionEntry(body) => {
                functions += 1;
                if functions > limits.functions {
                    return Err(too_complex(
                        name,
                        format!("a module defines more than {} functions", limits.functions),
                    ));
                }
                // The first function past a limit is enough; the rest is only read for the
                // world and the imports, which are reported first.
                if bodies.is_empty()
                    && let Some(reason) = body_too_complex(&body, limits)
                {
                    bodies.push((functions - 1, reason));
                }
            }
            _ => {}
        }
    }
    let is_indicator = exports.iter().any(|e| e == INDICATOR_EXPORT);
    if !is_indicator && !exports.iter().any(|e| e == EXPORTER_EXPORT) {
        return Err(refuse(
            name,
            "plugin_wrong_world",
            format!(
                "it exports {} but a plugin must export `{INDICATOR_EXPORT}` (world \
                 `indicator`) or `{EXPORTER_EXPORT}` (world `exporter`)",
                if exports.is_empty() {
                    "nothing".to_string()
                } else {
                    exports
                        .iter()
                        .take(8)
                        .map(|e| format!("`{}`", e.chars().take(100).collect::<String>()))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        ));
    }
    if let Some(import) = imports.iter().find(|i| !granted(i)) {
        return Err(refuse(
            name,
            "plugin_forbidden_import",
            format!(
                "it imports `{}`, which plugins are not granted",
                import.chars().take(100).collect::<String>()
            ),
        ));
    }
    if let Some((index, reason)) = bodies.into_iter().next() {
        return Err(too_complex(name, format!("function {index}: {reason}")));
    }
    Ok(is_indicator)
}

/// Whether the host grants an import of this name.
pub fn granted(import: &str) -> bool {
    GRANTED_IMPORTS
        .iter()
        .any(|granted| import.starts_with(granted))
}

/// The first limit one function body is past, if any.
fn body_too_complex(body: &wasmparser::FunctionBody<'_>, limits: &CodeLimits) -> Option<String> {
    let mut locals: u64 = 0;
    let reader = match body.get_locals_reader() {
        Ok(reader) => reader,
        Err(e) => return Some(format!("unreadable locals: {e}")),
    };
    for local in reader {
        match local {
            Ok((count, _)) => locals = locals.saturating_add(u64::from(count)),
            Err(e) => return Some(format!("unreadable locals: {e}")),
        }
        if locals > limits.locals {
            return Some(format!("more than {} locals", limits.locals));
        }
    }
    let mut operators = match body.get_operators_reader() {
        Ok(reader) => reader,
        Err(e) => return Some(format!("unreadable code: {e}")),
    };
    let mut depth = 0usize;
    let mut count = 0usize;
    while !operators.eof() {
        let op = match operators.read() {
            Ok(op) => op,
            Err(e) => return Some(format!("unreadable code: {e}")),
        };
        count += 1;
        if count > limits.instructions {
            return Some(format!("more than {} instructions", limits.instructions));
        }
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. } => {
                depth += 1;
                if depth > limits.nesting {
                    return Some(format!(
                        "blocks, loops and ifs nested more than {} deep",
                        limits.nesting
                    ));
                }
            }
            Operator::End => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}
