//! TOML's "duplicate key" when one table is written in two styles: `kv.CACHE = {}` (a dotted
//! key, which defines the table `kv`) inside `[package.metadata.edge]`, and a
//! `[package.metadata.edge.kv]` header further down. TOML allows only one of the two, and the
//! parser's message names neither place: this finds both and says how to write it once.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use super::error::Problem;
use super::source::{Loc, Source};

/// One table defined both by keys inside its parent and by its own header.
#[derive(Debug, PartialEq)]
struct Clash {
    /// The table's dotted path, e.g. `package.metadata.edge.kv`.
    table: String,
    /// The header of the section holding the dotted key (`package.metadata.edge`).
    parent: String,
    /// The line that defines it by a key, and the span of that key.
    by_key: (usize, Range<usize>),
    /// The line of its `[table]` header, and the header's span.
    by_header: (usize, Range<usize>),
}

/// The problem for a Cargo.toml that toml_edit refused with a duplicate key, when that key is
/// a table written in both styles; `None` for any other syntax error.
pub fn explain(source: &Arc<Source>, message: &str) -> Option<Problem> {
    if !message.contains("duplicate key") {
        return None;
    }
    let clash = find(source.text(), message)?;
    let (key_line, key_span) = clash.by_key.clone();
    let (header_line, header_span) = clash.by_header.clone();
    let later = if key_span.start > header_span.start {
        key_span
    } else {
        header_span
    };
    let last = clash.table.rsplit('.').next().unwrap_or_default();
    let loc = Loc {
        source: Arc::clone(source),
        span: Some(later),
        key: clash.table.clone(),
    };
    Some(
        Problem::error(
            "table_written_twice",
            &loc,
            format!(
                "`{}` is written twice: by `{last}.…` keys in `[{}]` (line {key_line}) and by its own `[{}]` header (line {header_line})",
                clash.table, clash.parent, clash.table
            ),
        )
        .label("TOML allows one of the two")
        .help(format!(
            "write the table one way: move the `{last}.NAME = ...` lines of `[{}]` under `[{}]` as `NAME = ...` (the style of cargo-edge's README and templates), or drop the `[{}]` header and write each of its entries as `{last}.NAME = ...` in `[{}]`",
            clash.parent, clash.table, clash.table, clash.parent
        )),
    )
}

/// The first table both defined by a key (a dotted key's prefix, or a key whose value is an
/// inline table) and opened by a header; the one the message names when it names one.
fn find(text: &str, message: &str) -> Option<Clash> {
    let named = message.split('`').nth(1).map(str::trim);
    let mut by_key: BTreeMap<String, (String, usize, Range<usize>)> = BTreeMap::new();
    let mut headers: BTreeMap<String, (usize, Range<usize>)> = BTreeMap::new();
    let mut section = String::new();
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let start = offset + (line.len() - line.trim_start().len());
        offset += line.len();
        let line = strip_comment(line).trim();
        if line.is_empty() {
            continue;
        }
        let span = start..start + line.len();
        if line.starts_with('[') {
            section = path_of(line.trim_matches(|c| c == '[' || c == ']'));
            headers.entry(section.clone()).or_insert((index + 1, span));
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let mut parts: Vec<String> = key.split('.').map(unquote).collect();
        if !value.trim_start().starts_with('{') {
            parts.pop();
        }
        let key_span = start..start + key.trim_end().len();
        let mut path = section.clone();
        for part in parts {
            path = join(&path, &part);
            by_key
                .entry(path.clone())
                .or_insert((section.clone(), index + 1, key_span.clone()));
        }
    }
    let clashes = headers.into_iter().filter_map(|(table, header)| {
        let (parent, line, span) = by_key.get(&table)?.clone();
        Some(Clash {
            table,
            parent,
            by_key: (line, span),
            by_header: header,
        })
    });
    let mut clashes: Vec<Clash> = clashes.collect();
    clashes.sort_by_key(|c| c.by_header.1.start);
    let wanted = clashes
        .iter()
        .position(|c| named.is_some_and(|n| c.table.rsplit('.').next() == Some(n)));
    match wanted {
        Some(at) => Some(clashes.swap_remove(at)),
        None => clashes.into_iter().next(),
    }
}

/// `a . "b" .c` → `a.b.c`.
fn path_of(dotted: &str) -> String {
    dotted.split('.').map(unquote).collect::<Vec<_>>().join(".")
}

fn unquote(part: &str) -> String {
    part.trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .to_string()
}

fn join(parent: &str, key: &str) -> String {
    match parent.is_empty() {
        true => key.to_string(),
        false => format!("{parent}.{key}"),
    }
}

/// The line without a trailing `# comment` (a `#` inside a string is kept).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') => return &line[..at],
            _ => {}
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLASH: &str = "[package]\nname = \"api\"\n\n[package.metadata.edge]\ncompatibility_date = \"2025-01-01\"\nkv.CACHE = {} # the README's style\n\n[package.metadata.edge.kv]\nSESSIONS = { title = \"s\" }\n";

    #[test]
    fn a_table_written_as_dotted_keys_and_as_a_header_is_found() {
        let clash = find(CLASH, "duplicate key `kv`").unwrap();
        assert_eq!(clash.table, "package.metadata.edge.kv");
        assert_eq!(clash.parent, "package.metadata.edge");
        assert_eq!(clash.by_key.0, 6);
        assert_eq!(clash.by_header.0, 8);
        assert_eq!(&CLASH[clash.by_key.1.clone()], "kv.CACHE");
    }

    #[test]
    fn an_inline_table_and_a_header_clash_too() {
        let text =
            "[package.metadata.edge]\nkv = { CACHE = {} }\n[package.metadata.edge.kv]\nX = {}\n";
        assert_eq!(
            find(text, "duplicate key").unwrap().table,
            "package.metadata.edge.kv"
        );
    }

    #[test]
    fn one_style_is_no_clash() {
        let text = "[package.metadata.edge]\nvars.A = \"1\"\n[package.metadata.edge.kv]\nCACHE = {}\n[package.metadata.edge.env.prod.kv]\nCACHE = { title = \"x#y\" }\n";
        assert_eq!(find(text, "duplicate key"), None);
    }

    #[test]
    fn the_real_parser_error_is_explained() {
        let source = Source::new(
            std::path::Path::new("Cargo.toml"),
            "Cargo.toml",
            CLASH.into(),
        );
        let error = CLASH.parse::<toml_edit::DocumentMut>().unwrap_err();
        let problem = explain(&source, error.message()).expect("explained");
        let text = problem.render();
        assert!(text.contains("line 6") && text.contains("line 8"), "{text}");
        assert!(text.contains("[package.metadata.edge.kv]"), "{text}");
    }
}
