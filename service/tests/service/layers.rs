//! The house's layering, checked on the source: within each crate of the workspace, no two
//! sibling modules import each other, directly or around a loop; and the layers of
//! ARCHITECTURE.md import downwards only (message -> wire -> client in the sender, message ->
//! wire -> auth -> client in the WNS sender; registration
//! -> patterns -> sandbox -> cli in the service; clock -> protocol -> screen -> fake -> phone ->
//! apps -> world -> cli in the harness, with `windows`, the emulated Windows device, beside the
//! phone and using neither it, its screen nor the fake MPNS).
//!
//! A module depends on another when its code names it through `crate::`, `super::`, `self::` or
//! a child module's name (in a `use` or inline). A module with children is one unit with them:
//! a child may use what its parent defines and the parent may call its children, as Rust's
//! `mod.rs` idiom has it. What may not loop is the dependencies between siblings, each taken
//! with everything inside it: if anything in `a` uses anything in `b`, nothing in `b` may use
//! anything in `a`. A parent's `mod child;` and its re-exports of a child's items
//! (`pub use child::X`) are how a module is put together, not a dependency of the parent's code,
//! so they are not edges; a name reached through such a re-export is followed to the child that
//! defines it. `#[cfg(test)]` modules at the end of a file are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

struct Module {
    path: String,
    code: String,
    /// Names a `mod.rs` (or crate root) re-exports, and the module they come from.
    reexports: BTreeMap<String, String>,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `a/b.rs` and `a/b/mod.rs` -> `a::b`; `lib.rs` and `main.rs` -> the crate root, "".
fn module_path(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

/// The code without comments, string and character literals, and a trailing `#[cfg(test)]`
/// module.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(at) => &text[..at],
        None => text,
    };
    let chars: Vec<char> = text.chars().collect();
    let mut kept = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&chars, i) {
            // A raw string: r"...", r#"..."#.
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                kept.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A character literal ('"', '\n'); lifetimes ('a) are kept.
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else {
            kept.push(c);
            i += 1;
        }
    }
    kept
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The `use` items of a module's code, each as one string (`pub use a::{b, c};`).
fn use_items(code: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current: Option<String> = None;
    for line in code.lines() {
        let t = line.trim();
        if current.is_none()
            && (t.starts_with("use ")
                || t.starts_with("pub use ")
                || t.starts_with("pub(crate) use ")
                || t.starts_with("pub(super) use "))
        {
            current = Some(String::new());
        }
        if let Some(item) = current.as_mut() {
            item.push_str(t);
            item.push(' ');
            if t.ends_with(';') {
                items.push(current.take().expect("an item"));
            }
        }
    }
    items
}

/// `a::{b, c::{d, e as f}}` -> `[a::b, a::c::d, a::c::e]` (aliases dropped, globs kept as `*`).
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![path.to_owned()];
    };
    let prefix = tree[..open].trim_end_matches("::").trim();
    let inner = &tree[open + 1..tree.rfind('}').expect("a closing brace")];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                prefix.to_owned()
            } else {
                format!("{prefix}::{p}")
            }
        })
        .collect()
}

/// Makes `path` (as written in module `from`) absolute from the crate root, or None when it
/// names another crate.
fn absolute(from: &str, path: &str) -> Option<Vec<String>> {
    let mut segs: Vec<&str> = path
        .split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let mut base: Vec<String> = if from.is_empty() {
        Vec::new()
    } else {
        from.split("::").map(str::to_owned).collect()
    };
    match segs.first().copied() {
        Some("crate") => {
            base.clear();
            segs.remove(0);
        }
        Some("self") => {
            segs.remove(0);
        }
        Some("super") => {
            while segs.first() == Some(&"super") {
                segs.remove(0);
                base.pop();
            }
        }
        _ => return None,
    }
    base.extend(segs.into_iter().map(str::to_owned));
    Some(base)
}

/// The module a path lands in: its longest prefix that is a module of the crate, following a
/// re-export in that module to the module that defines the name.
fn resolve(modules: &BTreeMap<String, Module>, segs: &[String]) -> Option<String> {
    for len in (0..=segs.len()).rev() {
        let key = segs[..len].join("::");
        if let Some(module) = modules.get(&key) {
            if let Some(name) = segs.get(len) {
                if let Some(from) = module.reexports.get(name) {
                    return Some(from.clone());
                }
            }
            return Some(key);
        }
    }
    None
}

fn graph_of(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut modules = BTreeMap::new();
    for file in &files {
        let path = module_path(src, file);
        let code = code_of(&std::fs::read_to_string(file).expect("readable source"));
        modules.insert(
            path.clone(),
            Module {
                path,
                code,
                reexports: BTreeMap::new(),
            },
        );
    }
    // Re-exports of a module's descendants.
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    for module in modules.values_mut() {
        for item in use_items(&module.code)
            .iter()
            .filter(|i| i.starts_with("pub"))
        {
            let tree = item
                .split_once("use ")
                .expect("a use item")
                .1
                .trim_end_matches([';', ' ']);
            for path in expand(tree) {
                let own = if module.path.is_empty() {
                    path.clone()
                } else {
                    format!("self::{path}")
                };
                let Some(segs) = absolute(&module.path, &own) else {
                    continue;
                };
                let Some(name) = segs.last() else { continue };
                let owner = (1..segs.len())
                    .rev()
                    .map(|n| segs[..n].join("::"))
                    .find(|k| names.contains(k));
                if let Some(owner) =
                    owner.filter(|o| o.starts_with(&module.path) && *o != module.path)
                {
                    module.reexports.insert(name.clone(), owner);
                }
            }
        }
    }
    let mut graph = Graph::new();
    for module in modules.values() {
        let mut code = module.code.clone();
        // A parent's re-exports of its children and its `mod` lines are structure, not use.
        for item in use_items(&module.code) {
            let tree = item.split_once("use ").expect("a use item").1;
            let reexport = item.starts_with("pub");
            let targets: Vec<Vec<String>> = expand(tree.trim_end_matches([';', ' ']))
                .into_iter()
                .filter_map(|p| {
                    let own = if p.starts_with("crate")
                        || p.starts_with("super")
                        || p.starts_with("self")
                    {
                        p
                    } else if module.path.is_empty() {
                        format!("crate::{p}")
                    } else {
                        format!("self::{p}")
                    };
                    absolute(&module.path, &own)
                })
                .collect();
            for segs in targets {
                if let Some(to) = resolve(&modules, &segs) {
                    let child_of_self = !module.path.is_empty()
                        && to.starts_with(&format!("{}::", module.path))
                        || module.path.is_empty() && !to.is_empty();
                    if !(reexport && child_of_self) && to != module.path {
                        graph.entry(module.path.clone()).or_default().insert(to);
                    }
                }
            }
            code = code.replace(item.trim_end(), "");
        }
        // Inline paths: `crate::a::b`, `super::x`, `self::y`, and `child::z` for a child
        // module `child` of this one.
        let prefix = if module.path.is_empty() {
            String::new()
        } else {
            format!("{}::", module.path)
        };
        let children: Vec<String> = modules
            .keys()
            .filter_map(|k| {
                k.strip_prefix(&prefix)
                    .filter(|rest| !rest.is_empty() && !rest.contains("::"))
            })
            .map(|child| format!("{child}::"))
            .collect();
        let starts = ["crate::", "super::", "self::"]
            .into_iter()
            .map(str::to_owned)
            .chain(children);
        for start in starts {
            for (i, _) in code.match_indices(&start) {
                if i > 0
                    && code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
                {
                    continue;
                }
                let path: String = code[i..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let path = path.trim_end_matches(':');
                let relative = ["crate::", "super::", "self::"]
                    .iter()
                    .any(|p| path.starts_with(p));
                let path = if relative {
                    path.to_owned()
                } else {
                    format!("self::{path}")
                };
                let Some(segs) = absolute(&module.path, &path) else {
                    continue;
                };
                if let Some(to) = resolve(&modules, &segs) {
                    if to != module.path {
                        graph.entry(module.path.clone()).or_default().insert(to);
                    }
                }
            }
        }
    }
    graph
}

/// Every cycle's modules (strongly connected components with more than one module).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    // Kosaraju: order by finish time, then walk the reversed graph.
    fn visit(n: &str, g: &Graph, seen: &mut BTreeSet<String>, out: &mut Vec<String>) {
        if !seen.insert(n.to_owned()) {
            return;
        }
        for m in g.get(n).into_iter().flatten() {
            visit(m, g, seen, out);
        }
        out.push(n.to_owned());
    }
    let nodes: BTreeSet<String> = graph
        .keys()
        .chain(graph.values().flatten())
        .cloned()
        .collect();
    let (mut seen, mut order) = (BTreeSet::new(), Vec::new());
    for n in &nodes {
        visit(n, graph, &mut seen, &mut order);
    }
    let mut reversed = Graph::new();
    for (from, tos) in graph {
        for to in tos {
            reversed.entry(to.clone()).or_default().insert(from.clone());
        }
    }
    let mut assigned = BTreeSet::new();
    let mut found = Vec::new();
    for n in order.iter().rev() {
        let mut component = Vec::new();
        visit(n, &reversed, &mut assigned, &mut component);
        if component.len() > 1 {
            component.sort();
            found.push(component);
        }
    }
    found
}

/// The dependencies between sibling modules: an edge from `x::a::..` to `x::b::..` is an edge
/// from `x::a` to `x::b`; an edge between a module and its own ancestor or descendant is not one.
/// Each sibling edge keeps the module-level edges that make it, for the report.
fn sibling_edges(graph: &Graph) -> BTreeMap<(String, String), Vec<(String, String)>> {
    fn segs(m: &str) -> Vec<&str> {
        if m.is_empty() {
            Vec::new()
        } else {
            m.split("::").collect()
        }
    }
    let mut out: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for (from, tos) in graph {
        for to in tos {
            let (a, b) = (segs(from), segs(to));
            let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            if common == a.len() || common == b.len() {
                continue;
            }
            let key = (a[..=common].join("::"), b[..=common].join("::"));
            out.entry(key).or_default().push((from.clone(), to.clone()));
        }
    }
    out
}

#[test]
fn no_two_sibling_modules_of_any_crate_import_each_other() {
    let mut report = String::new();
    for krate in ["src", "service/src", "harness/src", "bench/src", "wns/src"] {
        let edges = sibling_edges(&graph_of(&workspace().join(krate)));
        let mut siblings = Graph::new();
        for (from, to) in edges.keys() {
            siblings.entry(from.clone()).or_default().insert(to.clone());
        }
        for cycle in cycles(&siblings) {
            report.push_str(&format!("{krate}: {}\n", cycle.join(" <-> ")));
            for ((from, to), why) in &edges {
                if cycle.contains(from) && cycle.contains(to) {
                    let shown: Vec<String> =
                        why.iter().map(|(a, b)| format!("{a} uses {b}")).collect();
                    report.push_str(&format!("    {from} -> {to}: {}\n", shown.join("; ")));
                }
            }
        }
    }
    assert!(
        report.is_empty(),
        "import cycles (make one side depend on the other only):\n{report}"
    );
}

#[test]
fn layers_import_downwards_only() {
    let rules = [
        ("src", "message", &["wire", "client"][..]),
        ("src", "wire", &["client"][..]),
        ("wns/src", "message", &["wire", "auth", "client"][..]),
        ("wns/src", "wire", &["auth", "client"][..]),
        ("wns/src", "auth", &["client"][..]),
        (
            "service/src",
            "registration",
            &["patterns", "sandbox", "cli"][..],
        ),
        ("service/src", "patterns", &["sandbox", "cli"][..]),
        ("service/src", "sandbox", &["cli"][..]),
        (
            "harness/src",
            "clock",
            &[
                "protocol", "screen", "fake", "phone", "windows", "apps", "world", "cli",
            ][..],
        ),
        (
            "harness/src",
            "protocol",
            &["screen", "fake", "phone", "windows", "apps", "world", "cli"][..],
        ),
        (
            "harness/src",
            "screen",
            &[
                "fake", "fake_wns", "phone", "windows", "apps", "world", "cli",
            ][..],
        ),
        (
            "harness/src",
            "fake",
            &["phone", "apps", "world", "cli"][..],
        ),
        ("harness/src", "phone", &["apps", "world", "cli"][..]),
        (
            "harness/src",
            "windows",
            &[
                "screen", "fake", "fake_wns", "phone", "apps", "world", "cli",
            ][..],
        ),
        (
            "harness/src",
            "fake_wns",
            &["screen", "phone", "apps", "world", "cli"][..],
        ),
        ("harness/src", "apps", &["world", "cli"][..]),
        ("harness/src", "world", &["cli"][..]),
    ];
    let mut wrong = Vec::new();
    for (krate, layer, above) in rules {
        let graph = graph_of(&workspace().join(krate));
        for (from, tos) in &graph {
            if from != layer && !from.starts_with(&format!("{layer}::")) {
                continue;
            }
            for to in tos {
                if above
                    .iter()
                    .any(|a| to == a || to.starts_with(&format!("{a}::")))
                {
                    wrong.push(format!("{krate}: {from} uses {to}"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "a lower layer uses a higher one:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checker_finds_a_cycle_between_siblings_and_follows_reexports() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let src = dir.path();
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\nmod c;\n").unwrap();
    // `a` re-exports its child's type: structure, not a dependency of a's code.
    std::fs::write(src.join("a/mod.rs"), "mod inner;\npub use inner::Thing;\n").unwrap();
    std::fs::write(
        src.join("a/inner.rs"),
        "use super::super::c::C;\npub struct Thing(C);\n",
    )
    .unwrap();
    std::fs::write(
        src.join("b.rs"),
        "use crate::a::Thing;\npub fn f(_: Thing) {}\n",
    )
    .unwrap();
    std::fs::write(
        src.join("c.rs"),
        "pub struct C;\n// crate::b::f is only a comment\n",
    )
    .unwrap();
    let graph = graph_of(src);
    assert_eq!(
        graph["b"],
        BTreeSet::from(["a::inner".to_owned()]),
        "followed to the definer"
    );
    let sibling_cycles = |graph: &Graph| {
        let mut siblings = Graph::new();
        for (from, to) in sibling_edges(graph).into_keys() {
            siblings.entry(from).or_default().insert(to);
        }
        cycles(&siblings)
    };
    assert!(sibling_cycles(&graph).is_empty(), "{graph:?}");
    // c -> b -> a (through a's child) -> c: a loop between the three siblings.
    std::fs::write(
        src.join("c.rs"),
        "pub struct C;\npub fn g() { crate::b::f(todo!()) }\n",
    )
    .unwrap();
    let graph = graph_of(src);
    assert_eq!(
        sibling_cycles(&graph),
        vec![vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]]
    );
    // A parent that calls its child while the child uses the parent is one unit, not a loop;
    // two children that use each other are.
    std::fs::write(src.join("c.rs"), "pub struct C;\n").unwrap();
    std::fs::write(
        src.join("a/mod.rs"),
        "mod inner;\nmod other;\npub struct P;\npub fn go() { inner::run() }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("a/inner.rs"),
        "use super::P;\npub fn run() { let _ = P; }\n",
    )
    .unwrap();
    std::fs::write(src.join("a/other.rs"), "pub fn o() {}\n").unwrap();
    let graph = graph_of(src);
    assert_eq!(
        graph["a"],
        BTreeSet::from(["a::inner".to_owned()]),
        "a child's name is a path"
    );
    assert!(sibling_cycles(&graph).is_empty(), "{graph:?}");
    std::fs::write(
        src.join("a/inner.rs"),
        "pub fn run() { super::other::o() }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("a/other.rs"),
        "pub fn o() { super::inner::run() }\n",
    )
    .unwrap();
    let graph = graph_of(src);
    assert_eq!(
        sibling_cycles(&graph),
        vec![vec!["a::inner".to_owned(), "a::other".to_owned()]]
    );
}
