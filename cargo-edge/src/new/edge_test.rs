//! Where a generated project gets the `edge-test` crate its example test (`tests/worker.rs`)
//! uses. edge-test is not on crates.io yet, and a dev-dependency cargo cannot resolve breaks
//! every cargo command in the project (`cargo edge build` too: the lock file covers
//! dev-dependencies), so the project only names edge-test where it can be found.

use std::path::{Path, PathBuf};

use super::NewError;

/// Whether edge-test is on crates.io at cargo-edge's own version. Set it to `true` in the
/// release that publishes both crates (they share the workspace's version).
const PUBLISHED: bool = false;

/// Chooses the source: a folder holding edge-test's Cargo.toml, a version, or `none`.
pub const ENV: &str = "CARGO_EDGE_EDGE_TEST";

/// The file that needs edge-test; it is left out when there is no source.
pub const TEST_FILE: &str = "tests/worker.rs";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A path dependency: the checkout cargo-edge was built from, or `$CARGO_EDGE_EDGE_TEST`.
    Path(PathBuf),
    /// A crates.io version.
    Version(String),
    /// None found: the project has no example test, and its Cargo.toml says how to add one.
    Missing,
}

/// The source for this cargo-edge: `$CARGO_EDGE_EDGE_TEST`, else the checkout beside the source
/// cargo-edge was built from (`cargo install --path cargo-edge` or `--git` keep it), else the
/// crates.io release of the same version once there is one.
pub fn source() -> Result<Source, NewError> {
    let wanted = std::env::var(ENV).ok().filter(|v| !v.trim().is_empty());
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../edge-test");
    choose(wanted.as_deref(), &checkout, PUBLISHED)
}

fn choose(wanted: Option<&str>, checkout: &Path, published: bool) -> Result<Source, NewError> {
    let crate_at = |dir: &Path| dir.join("Cargo.toml").is_file();
    match wanted.map(str::trim) {
        Some("none") => Ok(Source::Missing),
        Some(value) if looks_like_a_path(value) => {
            let dir = Path::new(value);
            if !crate_at(dir) {
                return Err(NewError::EdgeTest {
                    value: value.into(),
                });
            }
            Ok(Source::Path(canonical(dir)))
        }
        Some(version) => Ok(Source::Version(version.into())),
        None if crate_at(checkout) => Ok(Source::Path(canonical(checkout))),
        None if published => Ok(Source::Version(env!("CARGO_PKG_VERSION").into())),
        None => Ok(Source::Missing),
    }
}

fn looks_like_a_path(value: &str) -> bool {
    value.contains(['/', '\\']) || value.starts_with('.') || Path::new(value).is_dir()
}

fn canonical(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

/// The generated Cargo.toml's dev-dependencies for the example test.
pub fn dev_dependencies(source: &Source) -> String {
    let line = match source {
        Source::Path(path) => {
            let text = path.display().to_string().replace('\\', "/");
            format!("edge-test = {{ path = \"{text}\" }}")
        }
        Source::Version(version) => format!("edge-test = \"{version}\""),
        Source::Missing => return MISSING.to_string(),
    };
    format!("{FOUND_HEAD}[dev-dependencies]\n{line}\n\n{TOKIO}")
}

const FOUND_HEAD: &str = "# `cargo test` drives the worker with edge-test (tests/worker.rs); the crate builds for wasm32,
# the tests run natively.
";

const TOKIO: &str = "[target.'cfg(not(target_arch = \"wasm32\"))'.dev-dependencies]
tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }
";

const MISSING: &str =
    "# `cargo test` can drive this worker with edge-test (\"Testing your worker\" in cargo-edge's
# README). It is not on crates.io yet and cargo-edge was not built from a checkout, so it is not
# added here: with a cargo-edge checkout, uncomment these lines, set the path and add a test in
# tests/ (or run `CARGO_EDGE_EDGE_TEST=/path/to/cargo-edge/edge-test cargo edge new ...`).
# [dev-dependencies]
# edge-test = { path = \"/path/to/cargo-edge/edge-test\" }
#
# [target.'cfg(not(target_arch = \"wasm32\"))'.dev-dependencies]
# tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }
";

/// What `cargo edge new` says when the example test was left out.
pub fn note(source: &Source) -> Option<String> {
    (source == &Source::Missing).then(|| {
        format!(
            "{TEST_FILE} (an edge-test example) was left out: edge-test is not on crates.io yet \
             and no checkout was found; set ${ENV} to a cargo-edge checkout's edge-test folder \
             to include it (Cargo.toml says how to add it by hand)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_is_the_variable_then_the_checkout_then_crates_io() {
        let dir = tempfile::tempdir().unwrap();
        let checkout = dir.path().join("edge-test");
        let gone = dir.path().join("gone");
        std::fs::create_dir(&checkout).unwrap();
        std::fs::write(checkout.join("Cargo.toml"), "[package]\n").unwrap();
        let found = Source::Path(checkout.canonicalize().unwrap());
        assert_eq!(choose(None, &checkout, false).unwrap(), found);
        assert_eq!(choose(None, &gone, false).unwrap(), Source::Missing);
        let release = Source::Version(env!("CARGO_PKG_VERSION").into());
        assert_eq!(choose(None, &gone, true).unwrap(), release);
        let path = checkout.to_str().unwrap();
        assert_eq!(choose(Some(path), &gone, false).unwrap(), found);
        let version = Source::Version("0.2".into());
        assert_eq!(choose(Some("0.2"), &checkout, false).unwrap(), version);
        assert_eq!(
            choose(Some("none"), &checkout, true).unwrap(),
            Source::Missing
        );
        let typo = choose(Some(gone.to_str().unwrap()), &checkout, false).unwrap_err();
        assert!(matches!(typo, NewError::EdgeTest { .. }), "{typo}");
    }

    #[test]
    fn every_source_renders_a_manifest_cargo_reads() {
        let sources = [
            Source::Path(PathBuf::from("/x/edge-test")),
            Source::Version("0.1.0".into()),
            Source::Missing,
        ];
        for source in &sources {
            let text = format!("[package]\nname = \"a\"\n\n{}", dev_dependencies(source));
            let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
            let named = doc
                .get("dev-dependencies")
                .and_then(|d| d.get("edge-test"))
                .is_some();
            assert_eq!(named, source != &Source::Missing, "{text}");
        }
        assert!(note(&Source::Missing).unwrap().contains(ENV));
        assert_eq!(note(&Source::Version("1".into())), None);
    }
}
