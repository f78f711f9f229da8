//! Reading one Cargo.toml: the TOML document with spans, and the edge tables inside it.

use std::path::Path;
use std::sync::Arc;

use toml_edit::{Document as TomlDocument, Item};

use super::check::{check_table, child, value_loc};
use super::error::{ManifestError, Problem};
use super::extract::edge_table;
use super::keys::Key;
use super::source::{Loc, Source};
use super::written::EdgeTable;

/// A parsed Cargo.toml and the source it came from.
pub struct Document {
    pub source: Arc<Source>,
    pub doc: TomlDocument<String>,
}

impl Document {
    /// Parses `text`; a TOML syntax error becomes a problem pointing at it.
    pub fn parse(path: &Path, display: &str, text: String) -> Result<Document, ManifestError> {
        let source = Source::new(path, display, text.clone());
        match TomlDocument::parse(text) {
            Ok(doc) => Ok(Document { source, doc }),
            Err(e) => {
                let loc = Loc {
                    source,
                    span: e.span(),
                    key: String::new(),
                };
                let message = e.message().trim().to_string();
                if let Some(clash) = super::clash::explain(&loc.source, &message) {
                    return Err(clash.into());
                }
                Err(Problem::error(
                    "toml",
                    &loc,
                    format!("`{display}` is not valid TOML: {message}"),
                )
                .label(message)
                .help("fix the TOML syntax; Cargo cannot read this file either")
                .into())
            }
        }
    }

    /// The location of the whole document (no span).
    pub fn root(&self) -> Loc {
        Loc {
            source: Arc::clone(&self.source),
            span: None,
            key: String::new(),
        }
    }

    /// The table at the dotted `path` (e.g. `["package", "metadata", "edge"]`) and where it is.
    pub fn table_at(&self, path: &[&str]) -> Option<(&Item, Loc)> {
        let mut item = self.doc.as_item();
        let mut loc = self.root();
        for key in path {
            let table = item.as_table_like()?;
            let next = table.get(key)?;
            loc = value_loc(next, &child(table, key, &loc));
            item = next;
        }
        Some((item, loc))
    }

    /// `package.name`, when the document has a package.
    pub fn package_name(&self) -> Option<String> {
        let (item, _) = self.table_at(&["package", "name"])?;
        item.as_str().map(str::to_string)
    }

    /// The edge table at `path`, shape-checked against `keys` and read; `None` when absent.
    pub fn edge_table(
        &self,
        path: &[&str],
        keys: &'static [Key],
        out: &mut Vec<Problem>,
    ) -> Option<EdgeTable> {
        let (item, loc) = self.table_at(path)?;
        let loc = Loc {
            key: path.join("."),
            ..loc
        };
        match item.as_table_like() {
            Some(table) => {
                check_table(table, keys, &loc, out);
                Some(edge_table(table, &loc))
            }
            None => {
                let found = super::check::type_name(item);
                out.push(
                    Problem::error(
                        "wrong_type",
                        &loc,
                        format!("`{}` must be a table, found {found}", loc.key),
                    )
                    .label("expected a table")
                    .help(format!("write it as a table: `[{}]`", loc.key)),
                );
                None
            }
        }
    }

    /// Whether the document declares a `[workspace]`.
    pub fn is_workspace_root(&self) -> bool {
        self.doc
            .as_table()
            .get("workspace")
            .and_then(Item::as_table_like)
            .is_some()
    }
}
