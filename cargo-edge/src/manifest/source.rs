//! Where a value was written: the file (named as the user should see it), the byte span and the
//! dotted key path. Every value read from a manifest carries one, so every message can point at it.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::NamedSource;

/// One Cargo.toml as read: its text, its real path and the name messages show for it.
#[derive(Debug)]
pub struct Source {
    /// The path the file was read from (used to resolve folders relative to the crate).
    pub path: PathBuf,
    /// The file's text under the name shown in messages.
    pub named: NamedSource<String>,
}

impl Source {
    /// A source read from `path`, shown in messages as `display`.
    pub fn new(path: &Path, display: &str, text: String) -> Arc<Source> {
        Arc::new(Source {
            path: path.to_path_buf(),
            named: NamedSource::new(display, text),
        })
    }

    /// The file's text.
    pub fn text(&self) -> &str {
        self.named.inner()
    }

    /// The name messages show for the file.
    pub fn display(&self) -> &str {
        self.named.name()
    }

    /// The folder holding the file (the crate or workspace root).
    pub fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}

/// A place in a manifest: file, byte span (when toml_edit kept one) and dotted key path.
#[derive(Debug, Clone)]
pub struct Loc {
    pub source: Arc<Source>,
    pub span: Option<Range<usize>>,
    /// Dotted key path, e.g. `package.metadata.edge.kv.CACHE.id`.
    pub key: String,
}

impl Loc {
    /// The same file and span with a longer key path (a child whose own span is unknown).
    pub fn child(&self, key: &str, span: Option<Range<usize>>) -> Loc {
        Loc {
            source: Arc::clone(&self.source),
            span: span.or_else(|| self.span.clone()),
            key: join_key(&self.key, key),
        }
    }
}

impl Loc {
    /// 1-based line and column of the span's start (columns count characters).
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let start = self.span.as_ref()?.start;
        let before = self.source.text().get(..start)?;
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Some((line, before[line_start..].chars().count() + 1))
    }
}

impl PartialEq for Loc {
    fn eq(&self, other: &Loc) -> bool {
        self.span == other.span && self.key == other.key && self.source.path == other.source.path
    }
}

/// Appends `key` to a dotted path, quoting it when it is not a bare TOML key.
pub fn join_key(parent: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> Spanned<T> {
    pub fn new(value: T, loc: Loc) -> Spanned<T> {
        Spanned { value, loc }
    }

    /// The same place with another value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned {
            value: f(self.value),
            loc: self.loc,
        }
    }
}

impl<T: fmt::Display> fmt::Display for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}
