//! The shape ARCHITECTURE.md draws, checked against the code's own imports: no import cycle
//! between host/src's rooms or between files of one folder, api/ and web/ never import each
//! other, and the rooms that own SQL, wasm and HTTP are the only ones that name them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file below `dir`, as (path relative to host/src, text without its unit tests).
fn sources(dir: &Path, root: &Path, out: &mut Vec<(PathBuf, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read host/src")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("read a source file");
            // A file's unit tests may reach anywhere; the architecture is about the code.
            let code = match text.find("#[cfg(test)]\nmod tests") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            let relative = path
                .strip_prefix(root)
                .expect("below host/src")
                .to_path_buf();
            out.push((relative, code));
        }
    }
}

/// The identifiers that follow `prefix` in `text` (`crate::store::x` → `store` for `crate::`).
/// A path into the modules `bindgen!` generates (`super::indicator::logam::plugin::...`) names
/// a module inside the file that holds the macro, not a sibling file, and is skipped.
fn names_after<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end > 0 && !rest[end..].starts_with("::logam::") {
            names.push(&rest[..end]);
        }
    }
    names
}

/// The room a file belongs to: `api/rows.rs` → `api`, `app.rs` → `app`.
fn room(path: &Path) -> String {
    let first = path.components().next().expect("a path").as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_string()
}

/// Strongly connected components with more than one member (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        found: Vec<Vec<String>>,
    }
    impl Walk<'_> {
        fn visit(&mut self, v: &str) {
            let n = self.index.len();
            self.index.insert(v.to_string(), n);
            self.low.insert(v.to_string(), n);
            self.stack.push(v.to_string());
            self.on_stack.insert(v.to_string());
            let next: Vec<String> = self
                .graph
                .get(v)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            for w in next {
                if !self.index.contains_key(&w) {
                    self.visit(&w);
                    let low = self.low[v].min(self.low[&w]);
                    self.low.insert(v.to_string(), low);
                } else if self.on_stack.contains(&w) {
                    let low = self.low[v].min(self.index[&w]);
                    self.low.insert(v.to_string(), low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(&w);
                    let done = w == v;
                    component.push(w);
                    if done {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.found
}

fn all_sources() -> Vec<(PathBuf, String)> {
    let root = source_root();
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    assert!(files.len() > 20, "host/src has only {} files", files.len());
    files
}

/// Which rooms each room imports (`crate::other`).
fn room_graph(files: &[(PathBuf, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let rooms: BTreeSet<String> = files.iter().map(|(p, _)| room(p)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in files {
        let from = room(path);
        let edges = graph.entry(from.clone()).or_default();
        for to in names_after(text, "crate::") {
            if to != from && rooms.contains(to) && to != "main" && to != "lib" {
                edges.insert(to.to_string());
            }
        }
    }
    graph
}

/// Which files of one folder import which siblings (`super::x` or `crate::room::x`), the
/// folder's `mod.rs` aside: a child may always use its parent.
fn sibling_graph(files: &[(PathBuf, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let known: BTreeSet<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in files {
        let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) else {
            continue;
        };
        let name = path.file_stem().expect("a file name").to_string_lossy();
        if name == "mod" {
            continue;
        }
        let folder_path = folder.to_string_lossy().replace('\\', "/");
        let own_prefix = format!("crate::{}::", folder_path.replace('/', "::"));
        let mut siblings: Vec<&str> = names_after(text, "super::");
        siblings.extend(names_after(text, &own_prefix));
        for sibling in siblings {
            if sibling != name && known.contains(&folder.join(format!("{sibling}.rs"))) {
                graph
                    .entry(format!("{folder_path}/{name}"))
                    .or_default()
                    .insert(format!("{folder_path}/{sibling}"));
            }
        }
    }
    graph
}

#[test]
fn no_import_cycle_between_rooms_or_sibling_files() {
    let files = all_sources();
    let mut found = cycles(&room_graph(&files));
    found.extend(cycles(&sibling_graph(&files)));
    assert!(
        found.is_empty(),
        "import cycles in host/src (each group imports itself through the others): {found:?}; \
         move the shared piece below both (see ARCHITECTURE.md)"
    );
}

#[test]
fn api_and_web_never_import_each_other() {
    let graph = room_graph(&all_sources());
    let imports = |a: &str, b: &str| graph.get(a).is_some_and(|s| s.contains(b));
    assert!(!imports("api", "web"), "api/ imports web/");
    assert!(!imports("web", "api"), "web/ imports api/");
    // The lower rooms never reach up into HTTP or the composition root.
    for low in ["store", "export", "plugins"] {
        for high in ["http", "api", "web", "app", "cli", "server"] {
            assert!(!imports(low, high), "{low}/ imports {high}/");
        }
    }
}

/// The rooms that may name a crate: `rusqlite` only in store/, `wasmtime` only in plugins/,
/// `axum` only in http/, api/, web/, app and server.
#[test]
fn only_the_owning_room_names_sqlite_wasm_and_http() {
    let owners: [(&str, &[&str]); 3] = [
        ("rusqlite", &["store"]),
        ("wasmtime", &["plugins"]),
        ("axum", &["http", "api", "web", "app", "server"]),
    ];
    let mut strays = Vec::new();
    for (path, text) in all_sources() {
        let from = room(&path);
        for (krate, rooms) in owners {
            if !names_after(&text, &format!("{krate}::")).is_empty()
                && !rooms.contains(&from.as_str())
            {
                strays.push(format!("{} names {krate}", path.display()));
            }
        }
    }
    assert!(strays.is_empty(), "{strays:#?}");
}

/// The checker itself: a planted cycle is found, so a green run means something.
#[test]
fn the_cycle_finder_finds_a_planted_cycle() {
    let files = vec![
        (PathBuf::from("a/mod.rs"), "use crate::b::X;".to_string()),
        (PathBuf::from("b/one.rs"), "use crate::a::Y;".to_string()),
        (PathBuf::from("c/x.rs"), "use super::y::Z;".to_string()),
        (PathBuf::from("c/y.rs"), "use crate::c::x::W;".to_string()),
    ];
    assert_eq!(
        cycles(&room_graph(&files)),
        vec![vec!["a".to_string(), "b".to_string()]]
    );
    assert_eq!(
        cycles(&sibling_graph(&files)),
        vec![vec!["c/x".to_string(), "c/y".to_string()]]
    );
}
