//! `cargo edge new`: projects from templates embedded in the binary, one per pattern.

use std::path::{Path, PathBuf};

use crate::WASM_BINDGEN_VERSION;

/// The compatibility date new projects start with: the tested workerd's own.
pub const COMPATIBILITY_DATE: &str = "2026-11-17";

/// A template: its own files, plus the metadata table and usage text merged into the common
/// Cargo.toml and README.
#[derive(Debug)]
pub struct Template {
    pub name: &'static str,
    pub description: &'static str,
    files: &'static [(&'static str, &'static str)],
    metadata: &'static str,
    usage: &'static str,
    /// The `worker` dependency line and any crates of the template's own, in place of
    /// [`WORKER_DEPENDENCY`]; `None` for most templates, so they share one build of `worker`.
    dependencies: Option<&'static str>,
}

/// The `worker` crate as most templates use it: the features the fixtures build with.
const WORKER_DEPENDENCY: &str = r#"worker = { version = "=0.8.7", features = ["d1", "queue"] }"#;

macro_rules! file {
    ($template:literal, $path:literal) => {
        (
            $path,
            include_str!(concat!("../../templates/", $template, "/", $path)),
        )
    };
}

pub const TEMPLATES: &[Template] = &[
    Template {
        name: "hello",
        description: "the smallest worker: one route and a var",
        files: &[file!("hello", "src/lib.rs")],
        metadata: include_str!("../../templates/hello/metadata.toml"),
        usage: include_str!("../../templates/hello/usage.md"),
        dependencies: None,
    },
    Template {
        name: "kv-cache",
        description: "a cache in Workers KV with a TTL",
        files: &[file!("kv-cache", "src/lib.rs")],
        metadata: include_str!("../../templates/kv-cache/metadata.toml"),
        usage: include_str!("../../templates/kv-cache/usage.md"),
        dependencies: None,
    },
    Template {
        name: "d1",
        description: "a JSON API on a D1 database with a migrations folder",
        files: &[
            file!("d1", "src/lib.rs"),
            file!("d1", "migrations/0001_todos.sql"),
        ],
        metadata: include_str!("../../templates/d1/metadata.toml"),
        usage: include_str!("../../templates/d1/usage.md"),
        dependencies: None,
    },
    Template {
        name: "router",
        description: "a JSON API on Workers KV: path parameters, validation, JSON errors",
        files: &[file!("router", "src/lib.rs")],
        metadata: include_str!("../../templates/router/metadata.toml"),
        usage: include_str!("../../templates/router/usage.md"),
        dependencies: None,
    },
    Template {
        name: "axum",
        description: "an axum Router on Workers: extractors, JSON, state with a KV store",
        files: &[file!("axum", "src/lib.rs")],
        metadata: include_str!("../../templates/axum/metadata.toml"),
        usage: include_str!("../../templates/axum/usage.md"),
        dependencies: Some(include_str!("../../templates/axum/dependencies.toml")),
    },
    Template {
        name: "r2-assets",
        description: "files in R2: upload, download with ETag, 304 and ranges, list, delete",
        files: &[file!("r2-assets", "src/lib.rs")],
        metadata: include_str!("../../templates/r2-assets/metadata.toml"),
        usage: include_str!("../../templates/r2-assets/usage.md"),
        dependencies: None,
    },
    Template {
        name: "durable-object",
        description: "a counter per name in a Durable Object, windows closed by an alarm",
        files: &[file!("durable-object", "src/lib.rs")],
        metadata: include_str!("../../templates/durable-object/metadata.toml"),
        usage: include_str!("../../templates/durable-object/usage.md"),
        dependencies: None,
    },
    Template {
        name: "cron",
        description: "a scheduled worker that records its runs in KV, and a route to read them",
        files: &[file!("cron", "src/lib.rs")],
        metadata: include_str!("../../templates/cron/metadata.toml"),
        usage: include_str!("../../templates/cron/usage.md"),
        dependencies: None,
    },
    Template {
        name: "proxy",
        description: "a reverse proxy to an external backend, with X-Forwarded-* and a path prefix",
        files: &[file!("proxy", "src/lib.rs")],
        metadata: include_str!("../../templates/proxy/metadata.toml"),
        usage: include_str!("../../templates/proxy/usage.md"),
        dependencies: None,
    },
];

const COMMON: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../../templates/common/Cargo.toml.tmpl")),
    (".gitignore", include_str!("../../templates/common/gitignore")),
    ("README.md", include_str!("../../templates/common/README.md.tmpl")),
    (".dev.vars.example", "# Local secret values for `cargo edge dev`: copy to .dev.vars (never committed).\n# API_KEY=...\n"),
];

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum NewError {
    #[error("no template named `{name}`")]
    #[diagnostic(
        code(edge::new::template),
        help("templates: {known}; `cargo edge new --list` describes them")
    )]
    UnknownTemplate { name: String, known: String },
    #[error("`{name}` is not a valid package name")]
    #[diagnostic(
        code(edge::new::name),
        help("start with a letter and use letters, digits, `-` and `_` only")
    )]
    BadName { name: String },
    #[error("{path} already exists")]
    #[diagnostic(code(edge::new::exists), help("choose another name, or remove it"))]
    Exists { path: String },
    #[error("could not write {path}: {message}")]
    #[diagnostic(code(edge::new::io))]
    Io { path: String, message: String },
}

pub fn find(name: &str) -> Result<&'static Template, NewError> {
    TEMPLATES
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| NewError::UnknownTemplate {
            name: name.into(),
            known: TEMPLATES
                .iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

fn valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Every file of a project named `name` from `template`, rendered, by relative path.
pub fn render(template: &Template, name: &str) -> Vec<(PathBuf, String)> {
    let fill = |text: &str| {
        text.replace("{{name}}", name)
            .replace("{{wasm_bindgen}}", WASM_BINDGEN_VERSION)
            .replace("{{compatibility_date}}", COMPATIBILITY_DATE)
            .replace("{{description}}", template.description)
    };
    let metadata = fill(template.metadata);
    let dependencies = fill(template.dependencies.unwrap_or(WORKER_DEPENDENCY));
    let usage = fill(template.usage);
    let mut files: Vec<(PathBuf, String)> = COMMON
        .iter()
        .map(|(path, text)| {
            (
                PathBuf::from(path),
                fill(text)
                    .replace("{{dependencies}}", dependencies.trim_end())
                    .replace("{{metadata}}", metadata.trim_end())
                    .replace("{{usage}}", &usage),
            )
        })
        .collect();
    files.extend(
        template
            .files
            .iter()
            .map(|(path, text)| (PathBuf::from(path), fill(text))),
    );
    files
}

/// Write a new project into `dir` (which must not exist yet).
pub fn generate(template: &Template, name: &str, dir: &Path) -> Result<Vec<PathBuf>, NewError> {
    if !valid_name(name) {
        return Err(NewError::BadName { name: name.into() });
    }
    if dir.exists() {
        return Err(NewError::Exists {
            path: dir.display().to_string(),
        });
    }
    let mut written = Vec::new();
    for (path, text) in render(template, name) {
        let target = dir.join(&path);
        let io = |e: std::io::Error| NewError::Io {
            path: target.display().to_string(),
            message: e.to_string(),
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&target, text).map_err(io)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_a_manifest_the_parser_accepts() {
        for template in TEMPLATES {
            let files = render(template, "my-worker");
            let (_, cargo) = files
                .iter()
                .find(|(p, _)| p == Path::new("Cargo.toml"))
                .unwrap();
            assert!(
                !cargo.contains("{{"),
                "{}: unfilled placeholder\n{cargo}",
                template.name
            );
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("migrations")).unwrap();
            let loaded = crate::manifest::parse_str(cargo, &dir.path().join("Cargo.toml"), None)
                .unwrap_or_else(|e| panic!("{}: {}", template.name, e.render()));
            assert_eq!(loaded.worker.name, "my-worker");
            assert!(
                loaded.warnings.is_empty(),
                "{}: {:?}",
                template.name,
                loaded.warnings
            );
        }
    }

    #[test]
    fn bad_names_and_unknown_templates_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            generate(&TEMPLATES[0], "1abc", &dir.path().join("x")),
            Err(NewError::BadName { .. })
        ));
        assert!(matches!(
            generate(&TEMPLATES[0], "ok", dir.path()),
            Err(NewError::Exists { .. })
        ));
        assert!(find("nope")
            .unwrap_err()
            .to_string()
            .contains("no template named `nope`"));
    }
}
