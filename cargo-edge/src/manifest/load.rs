//! The pipeline for one package: parse, shape-check, read, check every table, layer workspace
//! defaults, package table and environment, check the result as a whole, resolve.

use std::path::{Path, PathBuf};

use super::date::{today_utc, Date};
use super::document::Document;
use super::error::{ManifestError, Problem};
use super::keys::{PACKAGE_KEYS, WORKSPACE_KEYS};
use super::migrations::check_migrations;
use super::overlay::overlay;
use super::resolve::{resolve, Context};
use super::suggest::did_you_mean;
use super::validate::{check_duplicates, check_table};
use super::written::EdgeTable;
use crate::model::Worker;

/// A worker that resolved, with the warnings found on the way.
#[derive(Debug)]
pub struct Loaded {
    pub worker: Worker,
    pub warnings: Vec<Problem>,
}

/// What one package yields: the worker if it resolved, the layered table and every problem.
pub struct Outcome {
    pub worker: Option<Worker>,
    pub table: EdgeTable,
    /// The worker's name outside any environment (`name`, or the package name).
    pub base_name: String,
    pub problems: Vec<Problem>,
}

impl Outcome {
    fn failed(problem: Problem) -> Outcome {
        Outcome {
            worker: None,
            table: EdgeTable::default(),
            base_name: String::new(),
            problems: vec![problem],
        }
    }

    /// The worker and its warnings, or every problem found.
    pub fn finish(mut self) -> Result<Loaded, ManifestError> {
        sort_problems(&mut self.problems);
        let has_error = self.problems.iter().any(Problem::is_error);
        match self.worker {
            Some(worker) if !has_error => Ok(Loaded {
                worker,
                warnings: self.problems,
            }),
            _ => Err(ManifestError {
                problems: self.problems,
            }),
        }
    }
}

/// How to load: the environment, where message paths are relative to, and "today".
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--env NAME`.
    pub env: Option<String>,
    /// Messages name files relative to this folder (default: the current directory).
    pub display_root: Option<PathBuf>,
    /// The date compatibility dates must not be after (default: today, UTC).
    pub today: Option<Date>,
}

impl LoadOptions {
    /// Options for `--env` (or none), everything else by default.
    pub fn env(env: Option<&str>) -> LoadOptions {
        LoadOptions {
            env: env.map(str::to_string),
            ..LoadOptions::default()
        }
    }

    pub fn display_root(&self) -> PathBuf {
        self.display_root
            .clone()
            .unwrap_or_else(|| std::env::current_dir().unwrap_or_default())
    }

    pub fn today(&self) -> Date {
        self.today.unwrap_or_else(today_utc)
    }
}

/// Puts problems in reading order (by file, then position; unplaced ones first) and drops
/// repeats (workspace defaults are checked once per member).
pub fn sort_problems(problems: &mut Vec<Problem>) {
    let key = |p: &Problem| {
        let loc = p.loc.as_ref();
        let file = loc.map(|l| l.source.display().to_string());
        let start = loc.and_then(|l| l.span.as_ref().map(|s| s.start));
        (file, start, p.message.clone())
    };
    problems.sort_by_cached_key(key);
    problems.dedup_by(|a, b| key(a) == key(b));
}

/// Loads one package's worker from the Cargo.toml at `manifest_path`, with the defaults of its
/// workspace. Messages name files relative to the current directory.
pub fn load_worker(manifest_path: &Path, env: Option<&str>) -> Result<Loaded, ManifestError> {
    load_worker_with(manifest_path, &LoadOptions::env(env))
}

/// [`load_worker`] with every option.
pub fn load_worker_with(
    manifest_path: &Path,
    options: &LoadOptions,
) -> Result<Loaded, ManifestError> {
    let display_root = options.display_root();
    let doc = read_document(manifest_path, &display_root)?;
    let workspace = find_workspace(&doc, &display_root)?;
    let ws = workspace.as_ref().unwrap_or(&doc);
    let ws = ws.is_workspace_root().then_some(ws);
    load_package(&doc, ws, options.env.as_deref(), options.today()).finish()
}

/// Loads a worker from Cargo.toml text; `path_for_messages` names the file in messages and
/// locates the crate (for D1 migration folders). A `[workspace.metadata.edge]` in the same text
/// supplies defaults. Never panics, whatever the text.
pub fn parse_str(
    text: &str,
    path_for_messages: &Path,
    env: Option<&str>,
) -> Result<Loaded, ManifestError> {
    let display = path_for_messages.display().to_string();
    let doc = Document::parse(path_for_messages, &display, text.to_string())?;
    let ws = doc.is_workspace_root().then_some(&doc);
    load_package(&doc, ws, env, today_utc()).finish()
}

/// Reads and parses a Cargo.toml, naming it relative to `display_root`.
pub fn read_document(path: &Path, display_root: &Path) -> Result<Document, ManifestError> {
    let display = display_path(path, display_root);
    match std::fs::read_to_string(path) {
        Ok(text) => Document::parse(path, &display, text),
        Err(e) => Err(
            Problem::unplaced("read", format!("could not read `{display}`: {e}"))
                .help("check the path (`--manifest-path`) points at a package's Cargo.toml")
                .into(),
        ),
    }
}

/// `path` relative to `root` when it is inside it, else as given.
pub fn display_path(path: &Path, root: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let path = abs(path);
    path.strip_prefix(abs(root))
        .unwrap_or(&path)
        .display()
        .to_string()
}

/// The workspace root of a package other than itself: `package.workspace` if set, else the
/// nearest ancestor Cargo.toml with a `[workspace]` table.
fn find_workspace(doc: &Document, display_root: &Path) -> Result<Option<Document>, ManifestError> {
    if doc.is_workspace_root() {
        return Ok(None);
    }
    let dir = std::path::absolute(doc.source.dir()).unwrap_or_else(|_| doc.source.dir());
    if let Some((item, _)) = doc.table_at(&["package", "workspace"]) {
        let root: PathBuf = dir.join(item.as_str().unwrap_or(".")).join("Cargo.toml");
        return read_document(&root, display_root).map(Some);
    }
    for ancestor in dir.ancestors().skip(1) {
        let candidate = ancestor.join("Cargo.toml");
        if candidate.is_file() {
            let parent = read_document(&candidate, display_root)?;
            if parent.is_workspace_root() {
                return Ok(Some(parent));
            }
        }
    }
    Ok(None)
}

/// Runs the whole pipeline for the package in `doc`, with `ws` supplying defaults.
pub fn load_package(
    doc: &Document,
    ws: Option<&Document>,
    env: Option<&str>,
    today: Date,
) -> Outcome {
    let Some(package) = doc.package_name() else {
        let loc = doc.root();
        return Outcome::failed(
            Problem::error("no_package", &loc, format!("`{}` has no `[package]` with a `name`", doc.source.display()))
                .help("point at a package's Cargo.toml (not a virtual workspace), with `[package] name = \"...\"`"),
        );
    };
    let mut out = Vec::new();
    let (defaults, base) = read_tables(doc, ws, &mut out);
    let shapes_ok = !out.iter().any(Problem::is_error);
    let envs = base
        .env
        .values()
        .chain(defaults.env.values())
        .map(|e| &e.value);
    for table in [&defaults, &base].into_iter().chain(envs) {
        check_table(table, today, &mut out);
    }
    let (selected, workspace_env) = select_env(&base, &defaults, env, &mut out);
    let top = selected.map(|e| e.value.clone()).unwrap_or_default();
    let middle = workspace_env.map(|e| e.value.clone()).unwrap_or_default();
    // Workspace defaults < the package's table < the workspace's environment < the package's.
    let table = overlay(&overlay(&overlay(&defaults, &base), &middle), &top);
    check_migrations(&table, &mut out);
    check_duplicates(&table, &mut out);
    let env_ok = env.is_none() || selected.is_some() || workspace_env.is_some();
    let cx = Context {
        package: &package,
        manifest_path: &doc.source.path,
        env,
        env_sets_name: top.name.is_some(),
        today,
    };
    let worker = (shapes_ok && env_ok)
        .then(|| resolve(&table, &cx, &mut out))
        .flatten();
    let base_name = base
        .name
        .as_ref()
        .map_or(package.clone(), |n| n.value.clone());
    Outcome {
        worker,
        table,
        base_name,
        problems: out,
    }
}

/// The workspace defaults and the package table, shape-checked and read (empty when absent).
fn read_tables(
    doc: &Document,
    ws: Option<&Document>,
    out: &mut Vec<Problem>,
) -> (EdgeTable, EdgeTable) {
    let defaults = ws
        .and_then(|w| w.edge_table(&["workspace", "metadata", "edge"], WORKSPACE_KEYS, out))
        .unwrap_or_default();
    let base = doc
        .edge_table(&["package", "metadata", "edge"], PACKAGE_KEYS, out)
        .unwrap_or_else(|| EdgeTable {
            loc: doc.table_at(&["package"]).map(|(_, loc)| loc),
            ..EdgeTable::default()
        });
    (defaults, base)
}

type EnvTable<'a> = Option<&'a super::source::Spanned<EdgeTable>>;

/// The package's and the workspace's `env.<NAME>` tables `--env` names (either may be
/// missing, not both); a problem with did-you-mean when neither has it.
fn select_env<'a>(
    base: &'a EdgeTable,
    defaults: &'a EdgeTable,
    env: Option<&str>,
    out: &mut Vec<Problem>,
) -> (EnvTable<'a>, EnvTable<'a>) {
    let Some(name) = env else {
        return (None, None);
    };
    let found = (base.env.get(name), defaults.env.get(name));
    if found.0.is_some() || found.1.is_some() {
        return found;
    }
    let mut known: Vec<&str> = base
        .env
        .keys()
        .chain(defaults.env.keys())
        .map(String::as_str)
        .collect();
    known.sort_unstable();
    known.dedup();
    let help = match (did_you_mean(name, &known), known.is_empty()) {
        (Some(best), _) => format!("did you mean `{best}`? (`--env {best}`)"),
        (None, true) => format!(
            "this package defines no environments; add one as `[package.metadata.edge.env.{name}]`"
        ),
        (None, false) => format!("environments defined here: {}", known.join(", ")),
    };
    let message = format!("`--env {name}`: there is no environment `{name}`");
    out.push(
        Problem::error_near("unknown_env", base.loc.as_ref(), message)
            .label("environments are declared under this table's `env`")
            .help(help),
    );
    (None, None)
}
