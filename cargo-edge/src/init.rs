//! `cargo edge init`: make an existing crate a worker. Cargo.toml is edited with toml_edit, so
//! comments, ordering and formatting the user wrote stay as they were; only what is missing is
//! added, and running it again changes nothing.

use std::path::{Path, PathBuf};

use toml_edit::{value, Array, DocumentMut, InlineTable, Item, Table};

use crate::new::{COMPATIBILITY_DATE, DEV_VARS_EXAMPLE, GITIGNORE};
use crate::WASM_BINDGEN_VERSION;

/// The `worker` release new projects use; built and tested with [`WASM_BINDGEN_VERSION`].
pub const WORKER_VERSION: &str = "0.8.7";

/// The worker features every template uses, so their `worker` builds are shared.
const WORKER_FEATURES: &[&str] = &["d1", "queue"];

/// The release profile for small, fast wasm. `strip = "debuginfo"`, not `true`: the abort
/// handler needs the target_features section.
const RELEASE_PROFILE: &[(&str, ProfileValue)] = &[
    ("opt-level", ProfileValue::Str("z")),
    ("lto", ProfileValue::Bool(true)),
    ("codegen-units", ProfileValue::Int(1)),
    ("strip", ProfileValue::Str("debuginfo")),
];

enum ProfileValue {
    Str(&'static str),
    Bool(bool),
    Int(i64),
}

/// A starting point for a crate without `src/lib.rs`.
const LIB_RS: &str = r#"use worker::*;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get("/", |_, _| Response::ok("Hello from a Rust worker!"))
        .run(req, env)
        .await
}
"#;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum InitError {
    #[error("could not read {path}: {message}")]
    #[diagnostic(
        code(edge::init::read),
        help("run it in a crate's folder or pass --manifest-path; `cargo edge new NAME` starts a new project")
    )]
    Read { path: String, message: String },
    #[error("{path} is not valid TOML: {message}")]
    #[diagnostic(
        code(edge::init::parse),
        help("fix the file so cargo accepts it, then run init again")
    )]
    Parse { path: String, message: String },
    #[error("{path} has no [package]")]
    #[diagnostic(
        code(edge::init::virtual_manifest),
        help("a workspace's root is not a crate: pass --manifest-path MEMBER/Cargo.toml")
    )]
    NoPackage { path: String },
    #[error("{path}: `{key}` is {found}, expected {expected}")]
    #[diagnostic(
        code(edge::init::shape),
        help("fix that key by hand, then run init again")
    )]
    Shape {
        path: String,
        key: String,
        found: String,
        expected: &'static str,
    },
    #[error("could not write {path}: {message}")]
    #[diagnostic(code(edge::init::write))]
    Write { path: String, message: String },
}

/// What `init` did (or would leave alone), one line each.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub done: Vec<String>,
    pub notes: Vec<String>,
}

/// Make the crate at `manifest` a worker. `workspace_root` is the Cargo.toml of its workspace
/// when that is another file: cargo reads profiles only there.
pub fn init(manifest: &Path, workspace_root: Option<&Path>) -> Result<Changes, InitError> {
    let mut changes = Changes::default();
    let crate_dir = manifest.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut doc = read(manifest)?;
    let display = manifest.display().to_string();
    if !doc.contains_key("package") {
        return Err(InitError::NoPackage { path: display });
    }
    add_cdylib(&mut doc, &display, &mut changes)?;
    add_dependencies(&mut doc, &display, &mut changes)?;
    add_metadata(&mut doc, &display, &mut changes)?;
    match workspace_root {
        Some(root) => {
            let mut root_doc = read(root)?;
            let root_display = root.display().to_string();
            if add_profile(&mut root_doc, &root_display, &mut changes)? {
                write(root, &root_doc.to_string())?;
            }
        }
        None => {
            add_profile(&mut doc, &display, &mut changes)?;
        }
    }
    let text = doc.to_string();
    if std::fs::read_to_string(manifest).ok().as_deref() != Some(text.as_str()) {
        write(manifest, &text)?;
    }
    let lib = crate_dir.join("src/lib.rs");
    if !lib.exists() {
        write(&lib, LIB_RS)?;
        changes
            .done
            .push("wrote src/lib.rs with a fetch handler".into());
    } else if !std::fs::read_to_string(&lib)
        .unwrap_or_default()
        .contains("#[event(")
    {
        changes.notes.push(
            "src/lib.rs has no #[event(fetch)] handler yet: `cargo edge new --list` shows examples"
                .into(),
        );
    }
    extend_gitignore(&crate_dir.join(".gitignore"), &mut changes)?;
    let example = crate_dir.join(".dev.vars.example");
    if !example.exists() {
        write(&example, DEV_VARS_EXAMPLE)?;
        changes.done.push("wrote .dev.vars.example".into());
    }
    Ok(changes)
}

/// The Cargo.toml of the workspace a new crate at `dir` would fall into: the nearest ancestor
/// with a `[workspace]` table that does not exclude `dir`.
pub fn enclosing_workspace(dir: &Path) -> Option<PathBuf> {
    let dir = std::path::absolute(dir).ok()?;
    for ancestor in dir.ancestors().skip(1) {
        let manifest = ancestor.join("Cargo.toml");
        let Ok(doc) = read(&manifest) else {
            continue;
        };
        let Some(workspace) = doc.get("workspace") else {
            continue;
        };
        let excluded = workspace
            .get("exclude")
            .and_then(Item::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_str())
            .any(|e| dir.starts_with(ancestor.join(e)));
        return (!excluded).then_some(manifest);
    }
    None
}

/// Make the new crate at `dir` a member of the workspace whose root is `root`, as `cargo new`
/// does: listed in `members` (unless a pattern there already covers it), with the release
/// profile in the root (cargo ignores a member's profiles, with a warning).
pub fn join_workspace(dir: &Path, root: &Path) -> Result<Changes, InitError> {
    let mut changes = Changes::default();
    let member_manifest = dir.join("Cargo.toml");
    let mut member = read(&member_manifest)?;
    if member.remove("profile").is_some() {
        write(&member_manifest, &member.to_string())?;
    }
    let mut doc = read(root)?;
    let display = root.display().to_string();
    let root_dir = root.parent().unwrap_or(Path::new("."));
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let relative = dir
        .strip_prefix(std::path::absolute(root_dir).unwrap_or_else(|_| root_dir.to_path_buf()))
        .unwrap_or(&dir)
        .to_string_lossy()
        .replace('\\', "/");
    let workspace = table(doc.as_table_mut(), "workspace", &display, "workspace")?;
    let members = workspace
        .entry("members")
        .or_insert_with(|| value(Array::new()));
    let found = members.clone();
    let members = members
        .as_array_mut()
        .ok_or_else(|| shape(&display, "workspace.members", &found, "an array of paths"))?;
    let covered = members
        .iter()
        .filter_map(|m| m.as_str())
        .any(|pattern| member_pattern_matches(pattern, &relative));
    if !covered {
        members.push(relative.as_str());
        changes.done.push(format!(
            "added \"{relative}\" to [workspace] members in {display}"
        ));
    }
    add_profile(&mut doc, &display, &mut changes)?;
    write(root, &doc.to_string())?;
    Ok(changes)
}

/// Whether a `members` entry (a path, `*` matching one segment) names `path`.
fn member_pattern_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    pattern.len() == path.len()
        && pattern.iter().zip(&path).all(|(p, s)| {
            *p == *s || *p == "*" || (p.ends_with('*') && s.starts_with(p.trim_end_matches('*')))
        })
}

fn read(path: &Path) -> Result<DocumentMut, InitError> {
    let text = std::fs::read_to_string(path).map_err(|e| InitError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    text.parse()
        .map_err(|e: toml_edit::TomlError| InitError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })
}

fn write(path: &Path, text: &str) -> Result<(), InitError> {
    let error = |e: std::io::Error| InitError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(error)?;
    }
    std::fs::write(path, text).map_err(error)
}

fn shape(path: &str, key: &str, item: &Item, expected: &'static str) -> InitError {
    InitError::Shape {
        path: path.into(),
        key: key.into(),
        found: item.type_name().into(),
        expected,
    }
}

/// The table at `key` of `doc`, created (as a standard table) when missing.
fn table<'a>(
    parent: &'a mut Table,
    key: &str,
    path: &str,
    full_key: &str,
) -> Result<&'a mut Table, InitError> {
    let item = parent.entry(key).or_insert_with(|| {
        let mut table = Table::new();
        table.set_implicit(true);
        Item::Table(table)
    });
    if let Some(inline) = item.as_inline_table() {
        *item = Item::Table(inline.clone().into_table());
    }
    let found = item.clone();
    item.as_table_mut()
        .ok_or_else(|| shape(path, full_key, &found, "a table"))
}

fn add_cdylib(doc: &mut DocumentMut, path: &str, changes: &mut Changes) -> Result<(), InitError> {
    let lib = table(doc.as_table_mut(), "lib", path, "lib")?;
    lib.set_implicit(false);
    let types = lib
        .entry("crate-type")
        .or_insert_with(|| value(Array::new()));
    let found = types.clone();
    let array = types
        .as_array_mut()
        .ok_or_else(|| shape(path, "lib.crate-type", &found, "an array of strings"))?;
    if !array.iter().any(|t| t.as_str() == Some("cdylib")) {
        array.push("cdylib");
        changes
            .done
            .push("added \"cdylib\" to [lib] crate-type".into());
    }
    Ok(())
}

fn add_dependencies(
    doc: &mut DocumentMut,
    path: &str,
    changes: &mut Changes,
) -> Result<(), InitError> {
    let dependencies = table(doc.as_table_mut(), "dependencies", path, "dependencies")?;
    dependencies.set_implicit(false);
    let wanted = semver::Version::parse(WORKER_VERSION).expect("a valid version");
    match dependencies.get_mut("worker") {
        None => {
            let mut worker = InlineTable::new();
            worker.insert("version", format!("={WORKER_VERSION}").into());
            let mut features = Array::new();
            features.extend(WORKER_FEATURES.iter().copied());
            worker.insert("features", features.into());
            dependencies.insert("worker", value(worker));
            changes.done.push(format!(
                "added worker = \"={WORKER_VERSION}\" (features d1, queue)"
            ));
        }
        Some(item) => {
            let requirement = item
                .as_str()
                .or_else(|| item.get("version").and_then(Item::as_str))
                .map(str::to_string);
            let compatible = requirement
                .as_deref()
                .and_then(|r| semver::VersionReq::parse(r).ok())
                .is_some_and(|r| r.matches(&wanted));
            if !compatible {
                let pinned = format!("={WORKER_VERSION}");
                match item.as_table_like_mut() {
                    Some(table) => {
                        table.insert("version", value(pinned.clone()));
                    }
                    None => *item = value(pinned.clone()),
                }
                changes.done.push(format!(
                    "changed worker from {} to \"{pinned}\": cargo-edge embeds wasm-bindgen {WASM_BINDGEN_VERSION}, which that release is built with",
                    requirement.as_deref().unwrap_or("a path or git dependency"),
                ));
            }
        }
    }
    let pinned = format!("={WASM_BINDGEN_VERSION}");
    let current = dependencies
        .get("wasm-bindgen")
        .and_then(|item| item.as_str().or_else(|| item.get("version")?.as_str()))
        .map(str::to_string);
    if current.as_deref() != Some(pinned.as_str()) {
        match dependencies
            .get_mut("wasm-bindgen")
            .and_then(Item::as_table_like_mut)
        {
            Some(table) => {
                table.insert("version", value(pinned.clone()));
            }
            None => {
                dependencies.insert("wasm-bindgen", value(pinned.clone()));
            }
        }
        changes.done.push(format!(
            "set wasm-bindgen = \"{pinned}\" (it must match the wasm-bindgen cargo-edge embeds)"
        ));
    }
    Ok(())
}

fn add_metadata(doc: &mut DocumentMut, path: &str, changes: &mut Changes) -> Result<(), InitError> {
    let package = table(doc.as_table_mut(), "package", path, "package")?;
    let metadata = table(package, "metadata", path, "package.metadata")?;
    if metadata.contains_key("edge") {
        changes
            .notes
            .push("[package.metadata.edge] is already there: left as it is".into());
        return Ok(());
    }
    let mut edge = Table::new();
    edge.decor_mut().set_prefix(
        "\n# cargo-edge: bindings, triggers and environments of this worker. `cargo edge new --list`\n# shows templates with examples of each.\n",
    );
    edge.insert("compatibility_date", value(COMPATIBILITY_DATE));
    metadata.insert("edge", Item::Table(edge));
    changes.done.push(format!(
        "added [package.metadata.edge] with compatibility_date = \"{COMPATIBILITY_DATE}\""
    ));
    Ok(())
}

/// Add the release profile's missing keys; true when something changed.
fn add_profile(
    doc: &mut DocumentMut,
    path: &str,
    changes: &mut Changes,
) -> Result<bool, InitError> {
    let profile = table(doc.as_table_mut(), "profile", path, "profile")?;
    let release = table(profile, "release", path, "profile.release")?;
    release.set_implicit(false);
    let mut added = Vec::new();
    for (key, wanted) in RELEASE_PROFILE {
        if release.contains_key(key) {
            continue;
        }
        let item = match wanted {
            ProfileValue::Str(s) => value(*s),
            ProfileValue::Bool(b) => value(*b),
            ProfileValue::Int(i) => value(*i),
        };
        release.insert(key, item);
        added.push(*key);
    }
    if release
        .get("strip")
        .is_some_and(|s| s.as_bool() == Some(true) || s.as_str() == Some("symbols"))
    {
        changes.notes.push(format!(
            "{path}: [profile.release] strip = {} removes the section the worker's abort handler needs; strip = \"debuginfo\" keeps it",
            release["strip"].to_string().trim()
        ));
    }
    if added.is_empty() {
        return Ok(false);
    }
    changes.done.push(format!(
        "added {} to [profile.release] in {path}",
        added.join(", ")
    ));
    Ok(true)
}

fn extend_gitignore(path: &PathBuf, changes: &mut Changes) -> Result<(), InitError> {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    let present: Vec<&str> = current.lines().map(str::trim).collect();
    let missing: Vec<&str> = GITIGNORE
        .lines()
        .filter(|line| !line.is_empty() && !present.contains(line))
        // `/target` or `target` already ignore the target folder.
        .filter(|line| !(*line == "/target" && present.contains(&"target")))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut text = current.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&missing.join("\n"));
    text.push('\n');
    write(path, &text)?;
    changes
        .done
        .push(format!(".gitignore: added {}", missing.join(", ")));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER_MANIFEST: &str = r#"# My crate: keep this comment.
[package]
name = "my-api"   # and this one
version = "0.3.0"
edition = "2021"

[dependencies]
serde = { version = "1", features = ["derive"] }   # aligned on purpose
worker = "0.8"

[profile.release]
opt-level = 3
"#;

    fn crate_with(manifest: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
        dir
    }

    #[test]
    fn adds_what_is_missing_and_keeps_the_users_text() {
        let dir = crate_with(USER_MANIFEST);
        let manifest = dir.path().join("Cargo.toml");
        let changes = init(&manifest, None).unwrap();
        let text = std::fs::read_to_string(&manifest).unwrap();
        for kept in [
            "# My crate: keep this comment.",
            "name = \"my-api\"   # and this one",
            "serde = { version = \"1\", features = [\"derive\"] }   # aligned on purpose",
            "worker = \"0.8\"",
            "opt-level = 3",
        ] {
            assert!(text.contains(kept), "lost {kept:?}:\n{text}");
        }
        assert!(text.contains("crate-type = [\"cdylib\"]"), "{text}");
        assert!(text.contains("wasm-bindgen = \"=0.2.130\""), "{text}");
        assert!(text.contains("lto = true") && text.contains("strip = \"debuginfo\""));
        assert!(
            text.contains("[package.metadata.edge]\ncompatibility_date"),
            "{text}"
        );
        assert!(dir.path().join("src/lib.rs").exists());
        assert!(dir.path().join(".dev.vars.example").exists());
        let ignore = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
        assert!(ignore.contains(".dev.vars\n") && ignore.contains("!.dev.vars.example"));
        assert!(changes.done.len() >= 6, "{changes:?}");
        let loaded = crate::manifest::load_worker(&manifest, None).unwrap();
        assert_eq!(loaded.worker.name, "my-api");
    }

    #[test]
    fn a_second_run_changes_nothing() {
        let dir = crate_with(USER_MANIFEST);
        let manifest = dir.path().join("Cargo.toml");
        init(&manifest, None).unwrap();
        let before = std::fs::read_to_string(&manifest).unwrap();
        let again = init(&manifest, None).unwrap();
        assert!(again.done.is_empty(), "{again:?}");
        assert_eq!(std::fs::read_to_string(&manifest).unwrap(), before);
    }

    #[test]
    fn an_incompatible_worker_is_pinned_and_rlib_is_kept() {
        let dir = crate_with(
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"rlib\"]\n\n[dependencies]\nworker = { version = \"0.5\", features = [\"http\"] }\n",
        );
        let manifest = dir.path().join("Cargo.toml");
        let changes = init(&manifest, None).unwrap();
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            text.contains("crate-type = [\"rlib\", \"cdylib\"]"),
            "{text}"
        );
        assert!(
            text.contains("worker = { version = \"=0.8.7\", features = [\"http\"] }"),
            "{text}"
        );
        assert!(changes
            .done
            .iter()
            .any(|c| c.contains("changed worker from 0.5")));
    }

    #[test]
    fn a_workspace_member_gets_the_profile_in_the_workspace_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Cargo.toml");
        std::fs::write(&root, "[workspace]\nmembers = [\"api\"]\n").unwrap();
        std::fs::create_dir(dir.path().join("api")).unwrap();
        let member = dir.path().join("api/Cargo.toml");
        std::fs::write(
            &member,
            "[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        )
        .unwrap();
        init(&member, Some(&root)).unwrap();
        assert!(!std::fs::read_to_string(&member)
            .unwrap()
            .contains("[profile"));
        assert!(std::fs::read_to_string(&root)
            .unwrap()
            .contains("[profile.release]\nopt-level = \"z\""));
    }

    #[test]
    fn a_new_crate_joins_the_enclosing_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Cargo.toml");
        std::fs::write(&root, "# mine\n[workspace]\nmembers = [\"tools/*\"]\n").unwrap();
        let api = dir.path().join("services/api");
        std::fs::create_dir_all(&api).unwrap();
        std::fs::write(
            api.join("Cargo.toml"),
            "[package]\nname = \"api\"\n\n[profile.release]\nopt-level = \"z\"\n",
        )
        .unwrap();
        assert_eq!(enclosing_workspace(&api), Some(root.clone()));
        join_workspace(&api, &root).unwrap();
        let text = std::fs::read_to_string(&root).unwrap();
        assert!(
            text.starts_with("# mine\n[workspace]\nmembers = [\"tools/*\", \"services/api\"]"),
            "{text}"
        );
        assert!(text.contains("[profile.release]"), "{text}");
        let member = std::fs::read_to_string(api.join("Cargo.toml")).unwrap();
        assert!(!member.contains("profile"), "{member}");
        assert!(member_pattern_matches("tools/*", "tools/x"));
        assert!(!member_pattern_matches("tools/*", "tools/x/y"));
        // An excluded folder is not in the workspace.
        std::fs::write(&root, "[workspace]\nexclude = [\"services\"]\n").unwrap();
        assert_eq!(enclosing_workspace(&api), None);
    }

    #[test]
    fn bad_input_is_refused_without_writing() {
        let dir = crate_with("[workspace]\nmembers = []\n");
        let manifest = dir.path().join("Cargo.toml");
        assert!(matches!(
            init(&manifest, None),
            Err(InitError::NoPackage { .. })
        ));
        let dir = crate_with("[package]\nname = \"a\"\n[lib]\ncrate-type = \"cdylib\"\n");
        let manifest = dir.path().join("Cargo.toml");
        let error = init(&manifest, None).unwrap_err().to_string();
        assert!(
            error.contains("`lib.crate-type` is string, expected an array of strings"),
            "{error}"
        );
        assert_eq!(
            std::fs::read_to_string(&manifest).unwrap(),
            "[package]\nname = \"a\"\n[lib]\ncrate-type = \"cdylib\"\n"
        );
        assert!(!dir.path().join("src").exists());
    }
}
