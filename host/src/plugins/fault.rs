//! Turning what went wrong inside a sandboxed call into the limit it hit, or a crash with
//! the plugin's own last words.

use wasmtime::{Store, Trap};

use super::PluginError;
use super::sandbox::{Armed, Limits, Sandbox};
use super::wasi::RANDOM_BYTES;

/// Most characters of a trap's text kept in a crash message.
const MESSAGE_CHARS: usize = 1000;

/// Classifies a trap or host error from a call into `plugin`.
pub fn classify(
    plugin: &str,
    limits: &Limits,
    err: wasmtime::Error,
    store: &Store<Sandbox>,
) -> PluginError {
    let plugin = plugin.to_string();
    if store.data().memory.exceeded {
        return PluginError::MemoryLimit {
            plugin,
            limit_bytes: limits.memory_bytes,
        };
    }
    if let Some(asked) = store.data().random_refused {
        return PluginError::HostLimit {
            plugin,
            what: format!("{asked} random bytes in one call"),
            limit_bytes: RANDOM_BYTES as usize,
        };
    }
    let stderr = String::from_utf8_lossy(&store.data().stderr.contents()).into_owned();
    let last_words = stderr.trim().to_string();
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => {
            return match store.data().budget.armed {
                Armed::Call => PluginError::Timeout {
                    plugin,
                    limit_ms: limits.wall_time.as_millis(),
                },
                Armed::Request => PluginError::RequestTimeout {
                    plugin,
                    limit_ms: limits.request_time.as_millis(),
                },
            };
        }
        Some(Trap::OutOfFuel) => {
            return PluginError::FuelLimit {
                plugin,
                limit: limits.fuel.unwrap_or(0),
            };
        }
        Some(Trap::StackOverflow) => return PluginError::StackOverflow { plugin },
        _ => {}
    }
    // Rust's allocator reports a refused allocation on stderr before aborting; with the
    // budget's own error above this is a second line of defence for other toolchains.
    if last_words.contains("memory allocation of") {
        return PluginError::MemoryLimit {
            plugin,
            limit_bytes: limits.memory_bytes,
        };
    }
    // The trap's text carries a wasm backtrace; its first lines say where, the rest repeats.
    let text: String = format!("{err:#}").chars().take(MESSAGE_CHARS).collect();
    PluginError::Crashed {
        plugin,
        message: if last_words.is_empty() {
            text
        } else {
            format!("{last_words} ({text})")
        },
    }
}
