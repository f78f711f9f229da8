//! What a manifest problem looks like to the user: a miette diagnostic pointing at the file,
//! line and column, naming the dotted key, saying what is wrong and how to fix it.

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, Severity, SourceCode,
};

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::source::Loc;

/// One error or warning about a manifest.
#[derive(Debug, Clone)]
pub struct Problem {
    pub severity: Severity,
    /// A stable code such as `edge::manifest::unknown_key`.
    pub code: &'static str,
    pub message: String,
    /// Text under the underlined span.
    pub label: String,
    pub help: Option<String>,
    pub loc: Option<Loc>,
}

impl Problem {
    /// An error at `loc`; `code` is the last part of `edge::manifest::<code>`.
    pub fn error(code: &'static str, loc: &Loc, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Error,
            code,
            message: message.into(),
            label: "here".to_string(),
            help: None,
            loc: Some(loc.clone()),
        }
    }

    /// A warning at `loc`.
    pub fn warning(code: &'static str, loc: &Loc, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(code, loc, message)
        }
    }

    /// An error that belongs to no place in a file (an unreadable file, a bad `--env`).
    pub fn unplaced(code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Error,
            code,
            message: message.into(),
            label: String::new(),
            help: None,
            loc: None,
        }
    }

    /// An error at `loc` when the place is known, else an unplaced one.
    pub fn error_near(
        code: &'static str,
        loc: Option<&Loc>,
        message: impl Into<String>,
    ) -> Problem {
        match loc {
            Some(loc) => Problem::error(code, loc, message),
            None => Problem::unplaced(code, message),
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Problem {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The problem as the user sees it, without colours and without wrapping.
    pub fn render(&self) -> String {
        render(self)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(loc) = &self.loc {
            if !loc.key.is_empty() && !self.message.contains(&loc.key) {
                write!(f, " (at `{}`)", loc.key)?;
            }
        }
        match &self.loc {
            Some(loc) if loc.span.is_none() => write!(f, " (in {})", loc.source.display()),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for Problem {}

/// For `--message-format json`: the same facts as the rendered message, as fields.
impl Serialize for Problem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Advice => "advice",
        };
        let loc = self.loc.as_ref();
        let (line, column) = loc.and_then(Loc::line_col).unzip();
        let mut map = serializer.serialize_map(Some(8))?;
        map.serialize_entry("level", level)?;
        map.serialize_entry("code", &format!("edge::manifest::{}", self.code))?;
        map.serialize_entry("message", &self.to_string())?;
        map.serialize_entry("file", &loc.map(|l| l.source.display()))?;
        map.serialize_entry("line", &line)?;
        map.serialize_entry("column", &column)?;
        map.serialize_entry("key", &loc.map(|l| l.key.as_str()))?;
        map.serialize_entry("help", &self.help)?;
        map.end()
    }
}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("edge::manifest::{}", self.code)))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        let loc = self.loc.as_ref()?;
        loc.span.as_ref()?;
        Some(&loc.source.named)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let loc = self.loc.as_ref()?;
        let mut span = loc.span.clone()?;
        // A table's span runs over all its lines; underlining its first line (the header) reads better.
        let text = loc.source.text().get(span.clone()).unwrap_or_default();
        if let Some(newline) = text.trim_end().find('\n') {
            span.end = span.start + text[..newline].trim_end().len();
        }
        let label = LabeledSpan::new_with_span(Some(self.label.clone()), span);
        Some(Box::new(std::iter::once(label)))
    }
}

/// Every error found in a manifest (not only the first), plus the warnings found beside them.
#[derive(Debug, Clone)]
pub struct ManifestError {
    pub problems: Vec<Problem>,
}

impl ManifestError {
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.is_error())
    }

    /// Every problem rendered, one after another, then a one-line summary.
    pub fn render(&self) -> String {
        let mut out: String = self.problems.iter().map(Problem::render).collect();
        out.push_str(&format!("{self}\n"));
        out
    }
}

impl From<Problem> for ManifestError {
    fn from(problem: Problem) -> ManifestError {
        ManifestError {
            problems: vec![problem],
        }
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors().count();
        let s = if n == 1 { "" } else { "s" };
        write!(f, "the edge metadata has {n} error{s}")
    }
}

impl std::error::Error for ManifestError {}

impl Serialize for ManifestError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.problems.serialize(serializer)
    }
}

impl Diagnostic for ManifestError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("edge::manifest"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(
            "fix the problems above, then run the command again",
        ))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.problems.iter().map(|p| p as &dyn Diagnostic)))
    }
}

/// Renders one diagnostic deterministically: unicode, no colours, no links, no wrapping.
pub fn render(diagnostic: &dyn Diagnostic) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_links(false)
        .with_wrap_lines(false)
        .with_width(200);
    let mut out = String::new();
    if handler.render_report(&mut out, diagnostic).is_err() {
        out = format!("error: {diagnostic}\n");
    }
    out
}
