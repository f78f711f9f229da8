//! What a command tells its user: cargo-style status lines for people, one JSON object per event
//! for programs (`--message-format json`).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::json;

use crate::bundle::Bundle;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageFormat {
    #[default]
    Human,
    Json,
}

/// The outcome of a build, with where its time went.
#[derive(Debug, Clone)]
pub struct Built {
    pub bundle: Bundle,
    /// Time spent inside `cargo build`.
    pub cargo: Duration,
    /// Time of the whole command.
    pub total: Duration,
    /// The wasm module's size, attributed (see `build::size`), and its change.
    pub size: Option<crate::build::insight::Sized>,
    /// Startup measured in local workerd (production builds of `cargo edge build`).
    pub startup: Option<crate::build::startup::Startup>,
}

impl Built {
    /// Time cargo-edge added on top of cargo.
    pub fn overhead(&self) -> Duration {
        self.total.saturating_sub(self.cargo)
    }
}

#[derive(Clone)]
pub struct Reporter {
    format: MessageFormat,
    color: bool,
    quiet: bool,
    verbose: bool,
    interactive: bool,
}

impl Reporter {
    pub fn new(format: MessageFormat, color: bool, quiet: bool) -> Reporter {
        Reporter {
            format,
            color,
            quiet,
            verbose: false,
            interactive: std::io::stderr().is_terminal(),
        }
    }

    pub fn with_verbose(mut self, verbose: bool) -> Reporter {
        self.verbose = verbose;
        self
    }

    /// A reporter that prints nothing (for library callers and tests).
    pub fn silent() -> Reporter {
        Reporter {
            format: MessageFormat::Human,
            color: false,
            quiet: true,
            verbose: false,
            interactive: false,
        }
    }

    fn event(&self, value: serde_json::Value) {
        let mut stdout = std::io::stdout().lock();
        let _ = serde_json::to_writer(&mut stdout, &value);
        let _ = stdout.write_all(b"\n");
    }

    /// A cargo-style line: a right-aligned green verb and a message.
    pub fn status(&self, verb: &str, message: impl AsRef<str>) {
        if self.quiet || self.format == MessageFormat::Json {
            return;
        }
        let verb = if self.color {
            format!("\x1b[1;32m{verb:>12}\x1b[0m")
        } else {
            format!("{verb:>12}")
        };
        eprintln!("{verb} {}", message.as_ref());
    }

    pub fn warn(&self, message: impl AsRef<str>) {
        match self.format {
            MessageFormat::Json => {
                self.event(json!({"reason": "warning", "message": message.as_ref()}))
            }
            MessageFormat::Human => {
                let prefix = if self.color {
                    "\x1b[1;33mwarning\x1b[0m"
                } else {
                    "warning"
                };
                eprintln!("{prefix}: {}", message.as_ref());
            }
        }
    }

    /// A cargo-style `error: ...` that does not end the command (dev keeps running).
    pub fn error(&self, message: impl AsRef<str>) {
        match self.format {
            MessageFormat::Json => {
                self.event(json!({"reason": "error", "message": message.as_ref()}))
            }
            MessageFormat::Human => {
                let prefix = if self.color {
                    "\x1b[1;31merror\x1b[0m"
                } else {
                    "error"
                };
                eprintln!("{prefix}: {}", message.as_ref());
            }
        }
    }

    pub fn verbose(&self, message: impl AsRef<str>) {
        if self.verbose && self.format == MessageFormat::Human {
            eprintln!("{:>12} {}", "Running", message.as_ref());
        }
    }

    /// A stage starts: a status line (and a spinner on a terminal) or a JSON event.
    pub fn stage(&self, stage: &'static str, message: impl AsRef<str>) -> Stage {
        if self.format == MessageFormat::Json {
            self.event(
                json!({"reason": "stage-started", "stage": stage, "message": message.as_ref()}),
            );
            return Stage {
                stage,
                spinner: None,
                json: true,
                started: std::time::Instant::now(),
            };
        }
        let spinner = (self.interactive && !self.quiet).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner:.green} {msg} {elapsed}")
                    .expect("valid template"),
            );
            bar.set_message(message.as_ref().to_string());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        if spinner.is_none() {
            self.status(capitalized(stage).as_str(), message);
        }
        Stage {
            stage,
            spinner,
            json: false,
            started: std::time::Instant::now(),
        }
    }

    /// A line of cargo's stdout that was not JSON (a build script's output, say).
    pub fn passthrough(&self, line: &str) {
        if self.format == MessageFormat::Human && !self.quiet {
            eprintln!("{line}");
        }
    }

    pub fn finished(&self, built: &Built) {
        let bundle = &built.bundle;
        let gzip: Vec<u64> = bundle
            .modules
            .iter()
            .map(|m| gzip_size(&bundle.module_path(m)))
            .collect();
        let total_gzip: u64 = gzip.iter().sum();
        if let Some(warning) = crate::build::insight::size_warning(bundle.total_size()) {
            self.warn(warning);
        }
        match self.format {
            MessageFormat::Json => self.event(json!({
                "reason": "bundle",
                "worker": bundle.worker,
                "dir": bundle.dir,
                "main_module": bundle.main_module,
                "modules": bundle.modules.iter().zip(&gzip).map(|(m, g)| json!({
                    "name": m.name, "type": m.kind, "sha256": m.sha256, "size": m.size, "gzip_size": g,
                })).collect::<Vec<_>>(),
                "content_hash": bundle.content_hash,
                "wasm_bindgen": bundle.wasm_bindgen,
                "profile": bundle.profile,
                "exports": bundle.exports,
                "size": bundle.total_size(),
                "gzip_size": total_gzip,
                "elapsed_ms": built.total.as_millis() as u64,
                "cargo_ms": built.cargo.as_millis() as u64,
                "wasm_size": built.size.as_ref().map(crate::build::insight::size_json),
                "startup": built.startup.as_ref().map(crate::build::insight::startup_json),
            })),
            MessageFormat::Human if !self.quiet => {
                let width = bundle.modules.iter().map(|m| m.name.len()).max().unwrap_or(0);
                for (module, gzip) in bundle.modules.iter().zip(&gzip) {
                    self.status(
                        "Module",
                        format!("{:<width$}  {:>10}  {:>10} gzip", module.name, bytes(module.size), bytes(*gzip)),
                    );
                }
                self.status(
                    "Bundle",
                    format!("{} total, {} gzip, hash {}", bytes(bundle.total_size()), bytes(total_gzip), &bundle.content_hash[..16]),
                );
                for (verb, line) in crate::build::insight::summary_lines(built) {
                    self.status(verb, line);
                }
                self.status(
                    "Finished",
                    format!(
                        "`{}` bundle for worker `{}` in {:.2}s (cargo {:.2}s + cargo-edge {:.2}s) → {}",
                        bundle.profile,
                        bundle.worker,
                        built.total.as_secs_f64(),
                        built.cargo.as_secs_f64(),
                        built.overhead().as_secs_f64(),
                        bundle.dir.display()
                    ),
                );
            }
            MessageFormat::Human => {}
        }
    }
}

/// A diagnostic as miette draws it. Off a terminal lines are not wrapped, so commands and
/// paths in the help stay whole for logs and scripts.
pub fn render_diagnostic(error: &dyn miette::Diagnostic, color: bool, interactive: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_wrap_lines(interactive)
        .with_links(false);
    // miette prints a diagnostic before its related ones; a summary such as "the edge metadata
    // has 2 errors / fix the problems above" belongs after them.
    let mut out = String::new();
    for related in error.related().into_iter().flatten() {
        if handler.render_report(&mut out, related).is_err() {
            out.push_str(&format!("error: {related}\n"));
        }
    }
    if handler
        .render_report(&mut out, &WithoutRelated(error))
        .is_err()
    {
        out.push_str(&format!("error: {error}\n"));
    }
    out
}

/// A diagnostic shown without its related diagnostics (printed before it).
struct WithoutRelated<'a>(&'a dyn miette::Diagnostic);

impl std::fmt::Debug for WithoutRelated<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0, f)
    }
}

impl std::fmt::Display for WithoutRelated<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.0, f)
    }
}

impl std::error::Error for WithoutRelated<'_> {}

impl miette::Diagnostic for WithoutRelated<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.0.severity()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.help()
    }
    fn url<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.url()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.source_code()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.0.labels()
    }
    fn diagnostic_source(&self) -> Option<&dyn miette::Diagnostic> {
        self.0.diagnostic_source()
    }
}

/// A running stage; finish it to print how long it took.
pub struct Stage {
    stage: &'static str,
    spinner: Option<ProgressBar>,
    json: bool,
    started: std::time::Instant,
}

impl Stage {
    pub fn finish(self) -> Duration {
        let elapsed = self.started.elapsed();
        if let Some(spinner) = self.spinner {
            spinner.finish_and_clear();
        }
        if self.json {
            let value = json!({"reason": "stage-finished", "stage": self.stage, "elapsed_ms": elapsed.as_millis() as u64});
            println!("{value}");
        }
        elapsed
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `12.3 KiB` style sizes.
pub fn bytes(size: u64) -> String {
    match size {
        0..1024 => format!("{size} B"),
        1024..1_048_576 => format!("{:.1} KiB", size as f64 / 1024.0),
        _ => format!("{:.2} MiB", size as f64 / 1_048_576.0),
    }
}

/// The size of a file after gzip at the default level, as upload tools report it.
pub fn gzip_size(path: &std::path::Path) -> u64 {
    let Ok(data) = std::fs::read(path) else {
        return 0;
    };
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = encoder.write_all(&data);
    encoder.finish().map(|v| v.len() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use crate::manifest::{ManifestError, Problem};

    #[test]
    fn a_summary_prints_after_the_problems_it_counts() {
        let error = ManifestError {
            problems: vec![
                Problem::unplaced("first", "the first problem"),
                Problem::unplaced("second", "the second problem"),
            ],
        };
        let text = super::render_diagnostic(&error, false, false);
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle}: {text}"))
        };
        assert!(at("the first problem") < at("the second problem"), "{text}");
        assert!(at("the second problem") < at("has 2 errors"), "{text}");
        assert!(at("has 2 errors") < at("fix the problems above"), "{text}");
        assert_eq!(text.matches("the first problem").count(), 1, "{text}");
    }
}
