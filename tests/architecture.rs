//! The layer map of `src/lib.rs`, checked mechanically: every `crate::…` (and `super::…` path
//! that leaves its top-level module) in `src/**/*.rs` is read, comments and string literals
//! aside, and each rule below is one test that names the file and line of every offence:
//! no module imports from a layer above it; `domain` never touches `hsm`; the CLI opens no token
//! session and looks up no key itself; only `domain::chain` loads a manifest file (everything
//! else verifies the chain); no import cycle between top-level modules; and every top-level
//! module has a place in the map.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules and their layers, low to high, as `src/lib.rs` lists them. `files` and
/// `hardening` sit beneath everything, and so does `readout` (plain presentation of public values,
/// for what speaks to people); `selftest` sits on `shares`, `inspect` on `ceremony`, `store` on
/// `archive`, `catalog` on `store`.
const LAYERS: [(&str, u8); 17] = [
    ("files", 0),
    ("hardening", 0),
    ("readout", 0),
    ("primitives", 1),
    ("hsm", 2),
    ("shares", 3),
    ("selftest", 3),
    ("remote", 3),
    ("domain", 4),
    ("archive", 5),
    ("store", 6),
    ("catalog", 7),
    ("ceremony", 8),
    ("inspect", 8),
    ("kit", 8),
    ("paper", 8),
    ("cli", 9),
];

/// What the CLI must not name: it asks the library for a key by reference and never opens a
/// token session or looks a key up itself.
const CLI_FORBIDDEN: [&str; 4] = [
    "TokenSession",
    "find_domain_key",
    "DomainKeyHandle",
    "KeySelector",
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// One source file: where it is, the top-level module it belongs to, its module path, and its
/// code with comments and literals blanked (line breaks kept, so lines still count).
struct Source {
    shown: String,
    module_path: Vec<String>,
    code: String,
}

impl Source {
    fn top(&self) -> &str {
        &self.module_path[0]
    }

    fn at(&self, offset: usize) -> String {
        let line = self.code[..offset].matches('\n').count() + 1;
        format!("{}:{line}", self.shown)
    }
}

/// One reference from a file to another top-level module.
struct Reference {
    from: String,
    to: String,
    at: String,
}

fn sources() -> Vec<Source> {
    let src = common::repo_root().join("src");
    let mut files = Vec::new();
    collect_rs(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(&src).unwrap();
            let module_path = module_path(relative)?;
            let text = std::fs::read_to_string(&path).unwrap();
            Some(Source {
                shown: format!("src/{}", relative.display()),
                module_path,
                code: blank_comments_and_literals(&text),
            })
        })
        .collect()
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `a/b.rs` is `a::b`, `a/mod.rs` is `a`; the crate root files (`lib.rs`, `main.rs`) are in no
/// layer.
fn module_path(relative: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?;
    if parts.is_empty() && (stem == "lib" || stem == "main") {
        return None;
    }
    if stem != "mod" {
        parts.push(stem.to_owned());
    }
    Some(parts)
}

/// The text with every comment, string and char literal replaced by spaces (newlines kept), so
/// that a doc comment naming `crate::hsm` or a message quoting `TokenSession` is not an import.
fn blank_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        if rest.starts_with(&['/', '/']) {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if rest.starts_with(&['/', '*']) {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i..].starts_with(&['/', '*']) {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i..].starts_with(&['*', '/']) {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(rest) {
            let open = hashes + 2 + usize::from(rest[0] == 'b');
            let close: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let mut j = i + open;
            while j < chars.len() && !chars[j..].starts_with(&close) {
                j += 1;
            }
            let end = (j + close.len()).min(chars.len());
            out.extend(chars[i..end].iter().map(|c| blank(*c)));
            i = end;
        } else if chars[i] == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                let step = if chars[i] == '\\' { 2 } else { 1 };
                for c in &chars[i..(i + step).min(chars.len())] {
                    out.push(blank(*c));
                }
                i += step;
            }
            out.push(' ');
            i += 1;
        } else if chars[i] == '\'' {
            // A char literal ('x', '\n', '\u{1F600}'), or else a lifetime, which stays.
            let len = if rest.get(1) == Some(&'\\') {
                rest.iter().skip(2).position(|c| *c == '\'').map(|p| p + 3)
            } else if rest.get(2) == Some(&'\'') {
                Some(3)
            } else {
                None
            };
            let len = len.unwrap_or(1);
            let keep = len == 1;
            for c in &rest[..len] {
                out.push(if keep { *c } else { blank(*c) });
            }
            i += len;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The number of `#` of a raw string literal starting here (`r"`, `r#"`, `br#"`…), if one does.
fn raw_string_start(rest: &[char]) -> Option<usize> {
    let after = match rest {
        ['b', 'r', after @ ..] | ['r', after @ ..] => after,
        _ => return None,
    };
    let hashes = after.iter().take_while(|c| **c == '#').count();
    (after.get(hashes) == Some(&'"')).then_some(hashes)
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `code[at..]` starts a whole word (not the tail of a longer identifier).
fn word_starts_at(code: &str, at: usize) -> bool {
    !code[..at].chars().next_back().is_some_and(is_ident)
}

/// Every reference of `source` to a top-level module other than its own: `crate::m…`,
/// `crate::{m::…, n::…}`, and `super::…` chains that climb out of the file's own top module.
fn references(source: &Source) -> Vec<Reference> {
    let code = &source.code;
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if !word_starts_at(code, at) || code[..at].ends_with('$') {
            continue;
        }
        let after = &code[at + "crate::".len()..];
        for name in first_segments(after) {
            found.push((name, at));
        }
    }
    for (at, _) in code.match_indices("super::") {
        if !word_starts_at(code, at) || code[..at].ends_with("::") {
            continue;
        }
        let mut rest = &code[at..];
        let mut climbs = 0;
        while let Some(next) = rest.strip_prefix("super::") {
            climbs += 1;
            rest = next.trim_start();
        }
        if climbs < source.module_path.len() {
            continue;
        }
        for name in first_segments(rest) {
            found.push((name, at));
        }
    }
    found
        .into_iter()
        .filter(|(name, _)| name != source.top() && layer(name).is_some())
        .map(|(to, at)| Reference {
            from: source.top().to_owned(),
            to,
            at: source.at(at),
        })
        .collect()
}

/// The first path segment after `crate::`: one name, or each name of a `{…}` group.
fn first_segments(after: &str) -> Vec<String> {
    let after = after.trim_start();
    if let Some(group) = after.strip_prefix('{') {
        let mut depth = 0;
        let mut names = Vec::new();
        let mut expecting = true;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => expecting = true,
                c if expecting && is_ident(c) => {
                    let name: String = group[i..].chars().take_while(|c| is_ident(*c)).collect();
                    names.push(name);
                    expecting = false;
                }
                c if c.is_whitespace() => {}
                _ => expecting = false,
            }
        }
        names
    } else {
        vec![after.chars().take_while(|c| is_ident(*c)).collect()]
    }
}

fn all_references() -> Vec<Reference> {
    sources().iter().flat_map(references).collect()
}

fn fail_with(rule: &str, offences: &[String]) {
    assert!(
        offences.is_empty(),
        "{rule}: {} offence(s)\n  {}",
        offences.len(),
        offences.join("\n  ")
    );
}

#[test]
fn every_top_level_module_has_a_layer() {
    let offences: BTreeSet<String> = sources()
        .iter()
        .filter(|s| layer(s.top()).is_none())
        .map(|s| {
            format!(
                "{}: module `{}` is not in the layer map of tests/architecture.rs (and src/lib.rs)",
                s.shown,
                s.top()
            )
        })
        .collect();
    fail_with(
        "every top-level module has a layer",
        &offences.into_iter().collect::<Vec<_>>(),
    );
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let offences: Vec<String> = all_references()
        .iter()
        .filter(|r| layer(&r.to) > layer(&r.from))
        .map(|r| {
            format!(
                "{}: `{}` (layer {}) uses `crate::{}` (layer {})",
                r.at,
                r.from,
                layer(&r.from).unwrap(),
                r.to,
                layer(&r.to).unwrap()
            )
        })
        .collect();
    fail_with("a layer never imports a layer above it", &offences);
}

#[test]
fn the_domain_layer_never_touches_an_hsm() {
    let offences: Vec<String> = all_references()
        .iter()
        .filter(|r| r.from == "domain" && r.to == "hsm")
        .map(|r| format!("{}: `domain` uses `crate::hsm`", r.at))
        .collect();
    fail_with("the domain layer never touches an HSM", &offences);
}

#[test]
fn the_cli_opens_no_token_session_and_looks_up_no_key() {
    let mut offences = Vec::new();
    for source in sources().iter().filter(|s| s.top() == "cli") {
        let mut found: Vec<(usize, &str)> = CLI_FORBIDDEN
            .iter()
            .flat_map(|name| source.code.match_indices(name))
            .filter(|(at, name)| {
                word_starts_at(&source.code, *at)
                    && !source.code[at + name.len()..].starts_with(is_ident)
            })
            .collect();
        found.sort_unstable();
        offences.extend(
            found
                .into_iter()
                .map(|(at, name)| format!("{}: `{name}`", source.at(at))),
        );
    }
    fail_with(
        "the CLI opens no token session and looks up no key (it asks the library by reference)",
        &offences,
    );
}

/// Every command and ceremony reads a manifest with its chain verified (`ManifestChain::load`):
/// only `domain::chain` (and the manifest module itself) may call `Manifest::load`.
#[test]
fn only_the_chain_loads_a_manifest_from_a_file() {
    let mut offences = Vec::new();
    for source in sources() {
        let allowed = source
            .module_path
            .starts_with(&["domain".into(), "chain".into()])
            || source
                .module_path
                .starts_with(&["domain".into(), "manifest".into()]);
        if allowed {
            continue;
        }
        offences.extend(
            source
                .code
                .match_indices("Manifest::load")
                .filter(|(at, _)| word_starts_at(&source.code, *at))
                .map(|(at, _)| format!("{}: `Manifest::load`", source.at(at))),
        );
    }
    fail_with(
        "only domain::chain loads a manifest from a file (everything else verifies its chain)",
        &offences,
    );
}

#[test]
fn there_is_no_import_cycle_between_top_level_modules() {
    let references = all_references();
    let mut edges: BTreeMap<&str, BTreeMap<&str, &str>> = BTreeMap::new();
    for r in &references {
        edges
            .entry(r.from.as_str())
            .or_default()
            .entry(r.to.as_str())
            .or_insert(r.at.as_str());
    }
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(node) = stack.pop() {
            for next in edges.get(node).into_iter().flat_map(BTreeMap::keys) {
                if *next == to {
                    return true;
                }
                if seen.insert(*next) {
                    stack.push(next);
                }
            }
        }
        false
    };
    let mut offences = Vec::new();
    for (from, targets) in &edges {
        for (to, at) in targets {
            if reaches(to, from) {
                offences.push(format!(
                    "{at}: `{from}` uses `crate::{to}`, and `{to}` reaches `{from}` back"
                ));
            }
        }
    }
    fail_with("no import cycle between top-level modules", &offences);
}

/// The check itself, on text with the shapes it must see through (and must not be fooled by).
#[test]
fn the_reader_finds_imports_and_ignores_comments_and_strings() {
    let text = r##"//! See [`crate::cli`] and `TokenSession`.
use crate::{hsm::Pin, primitives::{aead, kdf}};
/* crate::archive */ let s = "crate::ceremony"; let r = r#"crate::inspect"#;
fn f<'a>(x: &'a str) -> char { let _ = 'c'; let _ = '\''; crate::files::write(x) }
use super::super::shares::Share;
"##;
    let source = Source {
        shown: "src/domain/x.rs".into(),
        module_path: vec!["domain".into(), "x".into()],
        code: blank_comments_and_literals(text),
    };
    let found: Vec<(String, String)> = references(&source)
        .into_iter()
        .map(|r| (r.to, r.at))
        .collect();
    let expected: Vec<(String, String)> =
        [("hsm", 2), ("primitives", 2), ("files", 4), ("shares", 5)]
            .iter()
            .map(|(to, line)| ((*to).to_owned(), format!("src/domain/x.rs:{line}")))
            .collect();
    assert_eq!(found, expected);
    assert!(!source.code.contains("TokenSession"));
}
