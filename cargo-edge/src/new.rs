//! `cargo edge new`: projects from templates embedded in the binary, one per pattern.

use std::path::{Path, PathBuf};

use crate::WASM_BINDGEN_VERSION;

/// The compatibility date new projects start with: the tested workerd's own.
pub const COMPATIBILITY_DATE: &str = "2026-11-17";

/// A template: a single worker crate, or a workspace of workers.
#[derive(Debug)]
pub struct Template {
    pub name: &'static str,
    pub description: &'static str,
    layout: Layout,
    /// Appended to the generated README: what to try once it runs.
    usage: &'static str,
}

#[derive(Debug)]
enum Layout {
    /// One crate at the project root.
    Crate(Crate),
    /// A workspace: one crate per member folder, named `<project>-<folder>`; `cargo edge dev`
    /// at the root runs the first (cargo's `default-members`), with the workers it reaches.
    Workspace(&'static [Member]),
}

/// A worker crate's own files, and the `[package.metadata.edge]` table merged into its
/// Cargo.toml.
#[derive(Debug)]
struct Crate {
    files: &'static [(&'static str, &'static str)],
    metadata: &'static str,
    /// The `worker` dependency line and any crates of the template's own, in place of
    /// [`WORKER_DEPENDENCY`]; `None` for most templates, so they share one build of `worker`.
    dependencies: Option<&'static str>,
}

/// The `worker` crate as most templates use it: the features the fixtures build with.
const WORKER_DEPENDENCY: &str = r#"worker = { version = "=0.8.7", features = ["d1", "queue"] }"#;

#[derive(Debug)]
struct Member {
    dir: &'static str,
    krate: Crate,
}

macro_rules! file {
    ($template:literal, $path:literal) => {
        (
            $path,
            include_str!(concat!("../templates/", $template, "/", $path)),
        )
    };
}

/// A file of a workspace member, by its path inside the member's folder.
macro_rules! member_file {
    ($template:literal, $member:literal, $path:literal) => {
        (
            $path,
            include_str!(concat!(
                "../templates/",
                $template,
                "/",
                $member,
                "/",
                $path
            )),
        )
    };
}

macro_rules! text {
    ($template:literal, $path:literal) => {
        include_str!(concat!("../templates/", $template, "/", $path))
    };
}

pub const TEMPLATES: &[Template] = &[
    Template {
        name: "hello",
        description: "the smallest worker: one route, a var, and workerd tests for cargo edge test",
        layout: Layout::Crate(Crate {
            files: &[
                file!("hello", "src/lib.rs"),
                file!("hello", "tests/workerd/hello.test.js"),
                file!("hello", "tests/worker.rs"),
            ],
            metadata: text!("hello", "metadata.toml"),
            dependencies: None,
        }),
        usage: text!("hello", "usage.md"),
    },
    Template {
        name: "router",
        description: "a JSON API on Workers KV: path parameters, validation, JSON errors",
        layout: Layout::Crate(Crate {
            files: &[file!("router", "src/lib.rs")],
            metadata: text!("router", "metadata.toml"),
            dependencies: None,
        }),
        usage: text!("router", "usage.md"),
    },
    Template {
        name: "axum",
        description: "an axum Router on Workers: extractors, JSON, state with a KV store",
        layout: Layout::Crate(Crate {
            files: &[file!("axum", "src/lib.rs")],
            metadata: text!("axum", "metadata.toml"),
            dependencies: Some(text!("axum", "dependencies.toml")),
        }),
        usage: text!("axum", "usage.md"),
    },
    Template {
        name: "kv-cache",
        description: "a cache in Workers KV with a TTL, hits counted in the background",
        layout: Layout::Crate(Crate {
            files: &[file!("kv-cache", "src/lib.rs")],
            metadata: text!("kv-cache", "metadata.toml"),
            dependencies: None,
        }),
        usage: text!("kv-cache", "usage.md"),
    },
    Template {
        name: "d1",
        description: "a JSON API on a D1 database with a migrations folder",
        layout: Layout::Crate(Crate {
            files: &[
                file!("d1", "src/lib.rs"),
                file!("d1", "migrations/0001_todos.sql"),
            ],
            metadata: text!("d1", "metadata.toml"),
            dependencies: None,
        }),
        usage: text!("d1", "usage.md"),
    },
    Template {
        name: "r2-assets",
        description: "files in R2: upload, download with ETag, 304 and ranges, list, delete",
        layout: Layout::Crate(Crate {
            files: &[file!("r2-assets", "src/lib.rs")],
            metadata: text!("r2-assets", "metadata.toml"),
            dependencies: None,
        }),
        usage: text!("r2-assets", "usage.md"),
    },
    Template {
        name: "queue",
        description: "uploads to R2 processed in batches by a queue consumer",
        layout: Layout::Crate(Crate {
            files: &[file!("queue", "src/lib.rs")],
            metadata: text!("queue", "metadata.toml"),
            dependencies: None,
        }),
        usage: text!("queue", "usage.md"),
    },
    Template {
        name: "event-bus",
        description: "a producer worker and a consumer worker on one queue, in a workspace",
        layout: Layout::Workspace(&[
            Member {
                dir: "producer",
                krate: Crate {
                    files: &[member_file!("event-bus", "producer", "src/lib.rs")],
                    metadata: text!("event-bus", "producer/metadata.toml"),
                    dependencies: None,
                },
            },
            Member {
                dir: "consumer",
                krate: Crate {
                    files: &[member_file!("event-bus", "consumer", "src/lib.rs")],
                    metadata: text!("event-bus", "consumer/metadata.toml"),
                    dependencies: None,
                },
            },
        ]),
        usage: text!("event-bus", "usage.md"),
    },
    Template {
        name: "durable-object",
        description: "a counter per name in a Durable Object, windows closed by an alarm",
        layout: Layout::Crate(Crate {
            files: &[file!("durable-object", "src/lib.rs")],
            metadata: text!("durable-object", "metadata.toml"),
            dependencies: None,
        }),
        usage: text!("durable-object", "usage.md"),
    },
    Template {
        name: "services",
        description:
            "a gateway worker calling an auth worker over a service binding, in a workspace",
        layout: Layout::Workspace(&[
            Member {
                dir: "gateway",
                krate: Crate {
                    files: &[member_file!("services", "gateway", "src/lib.rs")],
                    metadata: text!("services", "gateway/metadata.toml"),
                    dependencies: None,
                },
            },
            Member {
                dir: "auth",
                krate: Crate {
                    files: &[member_file!("services", "auth", "src/lib.rs")],
                    metadata: text!("services", "auth/metadata.toml"),
                    dependencies: None,
                },
            },
        ]),
        usage: text!("services", "usage.md"),
    },
    Template {
        name: "cron",
        description: "a scheduled worker that records its runs in KV, and a route to read them",
        layout: Layout::Crate(Crate {
            files: &[file!("cron", "src/lib.rs")],
            metadata: text!("cron", "metadata.toml"),
            dependencies: None,
        }),
        usage: text!("cron", "usage.md"),
    },
    Template {
        name: "proxy",
        description: "a reverse proxy to an external backend, with X-Forwarded-* and a path prefix",
        layout: Layout::Crate(Crate {
            files: &[file!("proxy", "src/lib.rs")],
            metadata: text!("proxy", "metadata.toml"),
            dependencies: None,
        }),
        usage: text!("proxy", "usage.md"),
    },
    Template {
        name: "assets",
        description: "a single-page app in public/ served as static assets, with a JSON API in Rust under /api/*",
        layout: Layout::Crate(Crate {
            files: &[
                file!("assets", "src/lib.rs"),
                file!("assets", "public/index.html"),
                file!("assets", "public/app.js"),
                file!("assets", "public/style.css"),
            ],
            metadata: text!("assets", "metadata.toml"),
            dependencies: None,
        }),
        usage: text!("assets", "usage.md"),
    },
    Template {
        name: "full-stack",
        description: "notes on D1, cached in KV, files and exports in R2, exports built by a queue",
        layout: Layout::Crate(Crate {
            files: &[
                file!("full-stack", "src/lib.rs"),
                file!("full-stack", "migrations/0001_notes.sql"),
            ],
            metadata: text!("full-stack", "metadata.toml"),
            dependencies: None,
        }),
        usage: text!("full-stack", "usage.md"),
    },
    Template {
        name: "multi-env",
        description: "dev, staging and prod with their own vars, routes and KV namespaces",
        layout: Layout::Crate(Crate {
            files: &[file!("multi-env", "src/lib.rs")],
            metadata: text!("multi-env", "metadata.toml"),
            dependencies: None,
        }),
        usage: text!("multi-env", "usage.md"),
    },
];

const CRATE_MANIFEST: &str = include_str!("../templates/common/Cargo.toml.tmpl");
const WORKSPACE_MANIFEST: &str = include_str!("../templates/common/workspace.toml.tmpl");
const MEMBER_MANIFEST: &str = include_str!("../templates/common/member.toml.tmpl");
const README: &str = include_str!("../templates/common/README.md.tmpl");
pub const GITIGNORE: &str = include_str!("../templates/common/gitignore");
pub const DEV_VARS_EXAMPLE: &str = "# Local secret values for `cargo edge dev`: copy to .dev.vars (never committed).\n# API_KEY=...\n";

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
        help("start with a lowercase letter and use lowercase letters, digits, `-` and `_` only (it also names the worker on Cloudflare)")
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

/// A package name (starting with a letter) that is also a valid Cloudflare worker name.
fn valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && crate::manifest::resolve::is_valid_worker_name(name)
}

impl Template {
    /// The package `cargo edge dev` runs in a project named `name`.
    pub fn main_package(&self, name: &str) -> String {
        match &self.layout {
            Layout::Crate(_) => name.to_string(),
            Layout::Workspace(members) => format!("{name}-{}", members[0].dir),
        }
    }

    /// Whether the project is a workspace of several workers.
    pub fn is_workspace(&self) -> bool {
        matches!(self.layout, Layout::Workspace(_))
    }
}

/// Every file of a project named `name` from `template`, rendered, by relative path.
pub fn render(template: &Template, name: &str) -> Vec<(PathBuf, String)> {
    let fill = |text: &str| {
        text.replace("{{name}}", name)
            .replace("{{wasm_bindgen}}", WASM_BINDGEN_VERSION)
            .replace("{{compatibility_date}}", COMPATIBILITY_DATE)
            .replace("{{description}}", template.description)
            .replace("{{template}}", template.name)
            .replace("{{edge_test}}", &edge_test_dependency())
    };
    let manifest = |skeleton: &str, package: &str, krate: &Crate| {
        fill(skeleton)
            .replace("{{package}}", package)
            .replace("{{metadata}}", fill(krate.metadata).trim_end())
            .replace(
                "{{dependencies}}",
                fill(krate.dependencies.unwrap_or(WORKER_DEPENDENCY)).trim_end(),
            )
    };
    let mut files = vec![
        (PathBuf::from(".gitignore"), GITIGNORE.to_string()),
        (
            PathBuf::from("README.md"),
            fill(README).replace("{{usage}}", &fill(template.usage)),
        ),
    ];
    let mut add_crate = |dir: &Path, skeleton: &str, package: &str, krate: &Crate| {
        files.push((dir.join("Cargo.toml"), manifest(skeleton, package, krate)));
        files.push((dir.join(".dev.vars.example"), DEV_VARS_EXAMPLE.to_string()));
        files.extend(
            krate
                .files
                .iter()
                .map(|(path, text)| (dir.join(path), fill(text))),
        );
    };
    match &template.layout {
        Layout::Crate(krate) => add_crate(Path::new(""), CRATE_MANIFEST, name, krate),
        Layout::Workspace(members) => {
            for member in *members {
                let package = format!("{name}-{}", member.dir);
                add_crate(
                    Path::new(member.dir),
                    MEMBER_MANIFEST,
                    &package,
                    &member.krate,
                );
            }
            let list = |dirs: &[&Member]| {
                dirs.iter()
                    .map(|m| format!("\"{}\"", m.dir))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let all: Vec<&Member> = members.iter().collect();
            files.push((
                PathBuf::from("Cargo.toml"),
                fill(WORKSPACE_MANIFEST)
                    .replace("{{members}}", &list(&all))
                    .replace("{{default_member}}", &list(&all[..1])),
            ));
        }
    }
    files
}

/// The `edge-test` dev-dependency line: the checkout cargo-edge was built from when it is still
/// there (`cargo install --path cargo-edge`), else the release of the same version.
/// `$CARGO_EDGE_EDGE_TEST` overrides it (a path to an `edge-test` folder, or a version).
fn edge_test_dependency() -> String {
    let wanted = std::env::var("CARGO_EDGE_EDGE_TEST").ok();
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../edge-test");
    let path = match wanted {
        Some(value) if !Path::new(&value).is_dir() => {
            return format!("edge-test = \"{value}\"");
        }
        Some(value) => PathBuf::from(value),
        None if checkout.join("Cargo.toml").is_file() => checkout,
        None => return format!("edge-test = \"{}\"", env!("CARGO_PKG_VERSION")),
    };
    let path = path.canonicalize().unwrap_or(path);
    let text = path.display().to_string().replace('\\', "/");
    format!("edge-test = {{ path = \"{text}\" }}")
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
    fn every_template_generates_workers_the_manifest_loader_accepts() {
        for template in TEMPLATES {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("my-worker");
            let written = generate(template, "my-worker", &root).unwrap();
            let mut workers = Vec::new();
            for path in &written {
                let text = std::fs::read_to_string(root.join(path)).unwrap();
                assert!(
                    !text.contains("{{"),
                    "{}: unfilled placeholder in {}\n{text}",
                    template.name,
                    path.display()
                );
                if path.ends_with("Cargo.toml") && text.starts_with("[package]") {
                    let loaded = crate::manifest::load_worker(&root.join(path), None)
                        .unwrap_or_else(|e| panic!("{}: {}", template.name, e.render()));
                    assert!(
                        loaded.warnings.is_empty(),
                        "{}: {:?}",
                        template.name,
                        loaded.warnings
                    );
                    workers.push(loaded.worker.name);
                }
            }
            assert!(
                workers.contains(&template.main_package("my-worker")),
                "{}: {workers:?}",
                template.name
            );
            assert_eq!(
                workers.len() > 1,
                template.is_workspace(),
                "{}",
                template.name
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
