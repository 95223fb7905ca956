//! The Worker's top-level modules (`worker/src/*.rs` and `worker/src/*/`) depend on each other
//! without cycles. Nodes are the top-level modules; an edge `a -> b` is a `crate::b` reference in
//! a non-test line of module `a` (comments, doc comments and `#[cfg(test)] mod tests` blocks at
//! the end of a file do not count). The intended direction is
//! `routes -> http / service / adapters -> ports / error`, with `testing` beside the services.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The non-test code of one file: everything before `#[cfg(test)]` followed by `mod`, without
/// comment lines.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]")
            && lines.peek().is_some_and(|next| {
                next.trim_start().starts_with("mod ")
                    || next.trim_start().starts_with("pub(crate) mod ")
            })
        {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The top-level modules `text` refers to as `crate::name` (also inside `crate::{a, b}`).
fn references(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Module -> the modules it refers to.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if name == "lib" {
            continue;
        }
        let mut paths = Vec::new();
        if path.is_dir() {
            files(&path, &mut paths);
        } else {
            paths.push(path);
        }
        let refs = graph.entry(name.clone()).or_default();
        for p in paths {
            let text = fs::read_to_string(&p).unwrap();
            refs.extend(references(&code(&text)).into_iter().filter(|r| *r != name));
        }
    }
    graph
}

/// A cycle of `graph`, if it has one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut c = stack[i..].to_vec();
            c.push(node.to_string());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if graph.contains_key(next) {
                if let Some(c) = visit(next, graph, stack, done) {
                    return Some(c);
                }
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn top_level_modules_have_no_import_cycles() {
    let graph = graph();
    for expected in [
        "adapters", "error", "http", "ports", "routes", "service", "testing",
    ] {
        assert!(
            graph.contains_key(expected),
            "no module {expected}: {graph:?}"
        );
    }
    if let Some(c) = cycle(&graph) {
        panic!("import cycle: {}\n{graph:#?}", c.join(" -> "));
    }
    // The ports and the error vocabulary depend on nothing else of the crate.
    assert!(graph["ports"].is_empty(), "{:?}", graph["ports"]);
    assert!(graph["error"].is_empty(), "{:?}", graph["error"]);
    // The services see the ports, never an adapter or the HTTP layer.
    for forbidden in ["adapters", "http", "routes", "testing"] {
        assert!(
            !graph["service"].contains(forbidden),
            "service -> {forbidden}"
        );
    }
}

#[test]
fn the_checker_finds_cycles_and_skips_tests_and_comments() {
    let text = "use crate::a::X;\n// crate::b\nuse crate::{c, d::Y};\n#[cfg(test)]\nmod tests {\n    use crate::e;\n}\n";
    let refs = references(&code(text));
    assert_eq!(
        refs,
        ["a", "c", "d"].iter().map(|s| s.to_string()).collect()
    );
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), ["b".to_string()].into()),
        ("b".to_string(), ["c".to_string()].into()),
        ("c".to_string(), ["a".to_string()].into()),
    ]
    .into();
    assert_eq!(cycle(&g).unwrap(), ["a", "b", "c", "a"]);
    let mut acyclic = g.clone();
    acyclic.insert("c".into(), BTreeSet::new());
    assert_eq!(cycle(&acyclic), None);
}
