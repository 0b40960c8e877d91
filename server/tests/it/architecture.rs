//! The shape of the code, checked: no module of `domain`, `app` or `server` depends on itself through others.
//!
//! Each source file is a module; a module depends on another when it names it (or something in it) by a
//! `crate::`, `super::` or `self::` path, in a `use` or in the code. Re-exports (`pub use`) are a module's
//! front door, not a dependency of its own, and tests (what follows `#[cfg(test)]`) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The module path of each source file of a crate's `src` (binaries left out).
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    let mut modules = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(src).expect("inside src");
        let mut parts: Vec<String> =
            relative.iter().map(|part| part.to_string_lossy().trim_end_matches(".rs").to_owned()).collect();
        if parts.first().is_some_and(|p| p == "bin") || parts == ["main"] {
            continue;
        }
        if parts.last().is_some_and(|last| last == "mod" || last == "lib") {
            parts.pop();
        }
        let path = std::iter::once("crate".to_owned()).chain(parts).collect::<Vec<_>>().join("::");
        modules.insert(path, file);
    }
    modules
}

/// The code of a file without comments, string literals and its tests.
fn code_of(file: &Path) -> String {
    strip(&std::fs::read_to_string(file).expect("readable source file"))
}

/// Code without comments, string literals, re-exports and what follows `#[cfg(test)]`.
fn strip(text: &str) -> String {
    let text = match text.find("\n#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    let mut code = String::with_capacity(text.len());
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with("//") || line.starts_with("pub use ") {
            continue;
        }
        // Text in quotes may hold anything (a path in an error message, say).
        let mut in_string = false;
        let mut escaped = false;
        for c in line.chars() {
            if in_string {
                match (escaped, c) {
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => escaped = false,
                }
            } else if c == '"' {
                in_string = true;
            } else {
                code.push(c);
            }
        }
        code.push('\n');
    }
    code
}

/// The paths a piece of code names, `use` groups expanded: `use crate::a::{b, c::D};` names `crate::a::b` and
/// `crate::a::c::D`.
fn named_paths(code: &str, children: &[&str]) -> Vec<String> {
    fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
        let tree = tree.trim();
        match tree.find('{') {
            None => out.push(format!("{prefix}{}", tree.split(" as ").next().unwrap_or(tree).trim())),
            Some(open) => {
                let head = &tree[..open];
                let inner = tree[open + 1..].trim_end().trim_end_matches('}');
                let mut depth = 0;
                let mut start = 0;
                for (i, c) in inner.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            expand(&format!("{prefix}{head}"), &inner[start..i], out);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                if !inner[start..].trim().is_empty() {
                    expand(&format!("{prefix}{head}"), &inner[start..], out);
                }
            }
        }
    }
    let mut paths = Vec::new();
    let mut rest = code;
    // `use` statements, which may span lines and hold groups.
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        let tail = &rest[at + 4..];
        let Some(end) = tail.find(';') else { break };
        if before.is_none_or(|c| !c.is_alphanumeric() && c != '_') {
            let tree: String = tail[..end].split_whitespace().collect::<Vec<_>>().join(" ");
            let first = tree.split("::").next().unwrap_or_default();
            if ["crate", "super", "self"].contains(&first) {
                expand("", &tree, &mut paths);
            } else if children.contains(&first) {
                // `use wire::X;` in a folder's module: its own child.
                expand("self::", &tree, &mut paths);
            }
        }
        rest = &tail[end..];
    }
    // Paths written in the code itself (outside the `use` statements, read above).
    let mut code_only = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        let tail = &rest[at + 4..];
        let Some(end) = tail.find(';') else { break };
        code_only.push_str(&rest[..at]);
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            code_only.push_str("use ");
            rest = tail;
        } else {
            rest = &tail[end..];
        }
    }
    code_only.push_str(rest);
    let code = code_only.as_str();
    let bytes = code.as_bytes();
    let roots: Vec<String> =
        ["crate", "super", "self"].iter().chain(children).map(|root| format!("{root}::")).collect();
    for root in &roots {
        let root = root.as_str();
        let relative = !["crate::", "super::", "self::"].contains(&root);
        let mut from = 0;
        while let Some(found) = code[from..].find(root) {
            let at = from + found;
            from = at + root.len();
            if at > 0
                && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_' || bytes[at - 1] == b':')
            {
                continue;
            }
            let end = code[at..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |e| at + e);
            let path = code[at..end].trim_end_matches(':');
            paths.push(if relative { format!("self::{path}") } else { path.to_owned() });
        }
    }
    paths
}

/// The module a path names from `module`: the longest known module it starts with.
fn target(module: &str, path: &str, known: &BTreeMap<String, PathBuf>) -> Option<String> {
    let mut parts: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = module.split("::").collect();
    // `super` of a file's module is its parent; `self` is the module itself.
    match parts.first() {
        Some(&"crate") => {
            base = vec!["crate"];
            parts.remove(0);
        }
        Some(&"super") | Some(&"self") => {
            while let Some(&step) = parts.first() {
                match step {
                    "super" => {
                        base.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                parts.remove(0);
            }
        }
        _ => return None,
    }
    let mut full: Vec<&str> = base.into_iter().chain(parts).collect();
    while !full.is_empty() {
        let candidate = full.join("::");
        if known.contains_key(&candidate) {
            return Some(candidate);
        }
        full.pop();
    }
    None
}

/// A cycle in the graph of `edges`, if there is one.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_owned(), 1);
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(cycle) = visit(next, edges, state, stack) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(cycle) = visit(node, edges, &mut state, &mut stack) {
                return Some(cycle);
            }
        }
    }
    None
}

/// Each module's dependencies on the other modules of its crate.
fn dependencies(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let known = modules(src);
    let mut edges = BTreeMap::new();
    for (module, file) in &known {
        // A folder's `mod.rs` is the folder's module: its `super` is the folder's parent.
        let prefix = format!("{module}::");
        let children: Vec<&str> = known
            .keys()
            .filter_map(|other| other.strip_prefix(&prefix))
            .filter(|rest| !rest.contains("::"))
            .collect();
        let depends: BTreeSet<String> = named_paths(&code_of(file), &children)
            .iter()
            .filter_map(|path| target(module, path, &known))
            .filter(|to| to != module)
            .collect();
        edges.insert(module.clone(), depends);
    }
    edges
}

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name).join("src")
}

#[test]
fn no_module_depends_on_itself_through_others() {
    for name in ["domain", "app", "server"] {
        let mut edges = dependencies(&crate_src(name));
        assert!(edges.len() > 5, "{name}: only {} modules found", edges.len());
        // Every cycle, not just the first: each found loses one edge and the search goes on.
        let mut cycles = Vec::new();
        while let Some(cycle) = find_cycle(&edges) {
            if let Some(targets) = edges.get_mut(&cycle[0]) {
                targets.remove(&cycle[1]);
            }
            cycles.push(cycle.join(" → "));
        }
        assert!(cycles.is_empty(), "module cycles in {name}:\n{}", cycles.join("\n"));
    }
}

#[test]
fn the_checker_sees_a_cycle_and_reads_use_groups() {
    let edges = BTreeMap::from([
        ("crate::a".to_owned(), BTreeSet::from(["crate::b".to_owned()])),
        ("crate::b".to_owned(), BTreeSet::from(["crate::c".to_owned()])),
        ("crate::c".to_owned(), BTreeSet::from(["crate::a".to_owned()])),
    ]);
    assert_eq!(
        find_cycle(&edges),
        Some(vec!["crate::a".into(), "crate::b".into(), "crate::c".into(), "crate::a".into()])
    );
    let code = strip("use crate::a::{b, c::{D, E as F}};\n// crate::comment\nfn x() { super::g(); let s = \"crate::no\"; }");
    let paths = named_paths(&code, &[]);
    assert_eq!(paths, ["crate::a::b", "crate::a::c::D", "crate::a::c::E", "super::g"]);
    let relative =
        named_paths("use wire::{A, B};\nfn f() { cloud::call(); nowire::x(); }", &["wire", "cloud"]);
    assert_eq!(relative, ["self::wire::A", "self::wire::B", "self::cloud::call"]);
    let known: BTreeMap<String, PathBuf> = ["crate", "crate::a", "crate::a::c", "crate::x"]
        .iter()
        .map(|m| ((*m).to_owned(), PathBuf::new()))
        .collect();
    assert_eq!(target("crate::a::c", "super::Thing", &known), Some("crate::a".into()));
    assert_eq!(target("crate::x", "crate::a::c::D", &known), Some("crate::a::c".into()));
    // The server as it is: the outbox reaches providers only through the channels' port.
    let server = dependencies(&crate_src("server"));
    let outbox = &server["crate::outbox"];
    assert!(outbox.contains("crate::channels::port"), "{outbox:?}");
    assert!(!outbox.iter().any(|m| m.starts_with("crate::providers")), "{outbox:?}");
    assert!(!server["crate::inbox"].iter().any(|m| m.starts_with("crate::providers")));
}
