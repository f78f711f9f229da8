//! Finding workerd, installing the pinned release when asked, and what the binary says about
//! itself (its compatibility date caps the config's).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use miette::Diagnostic;
use thiserror::Error;

use crate::WORKERD_NPM_VERSION;

/// The path of this platform's binary from the `workerd` npm package, inside the parent of a
/// `node_modules` folder (npm installs only the `@cloudflare/workerd-<platform>` that matches).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub const NPM_BINARY: &str = "node_modules/@cloudflare/workerd-linux-64/bin/workerd";
#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
pub const NPM_BINARY: &str = "node_modules/@cloudflare/workerd-linux-arm64/bin/workerd";
#[cfg(all(target_os = "macos", target_arch = "x86_64"))]
pub const NPM_BINARY: &str = "node_modules/@cloudflare/workerd-darwin-64/bin/workerd";
#[cfg(all(target_os = "macos", target_arch = "aarch64"))]
pub const NPM_BINARY: &str = "node_modules/@cloudflare/workerd-darwin-arm64/bin/workerd";
#[cfg(all(target_os = "windows", target_arch = "x86_64"))]
pub const NPM_BINARY: &str = "node_modules/@cloudflare/workerd-windows-64/bin/workerd.exe";
/// workerd's npm package has no binary for this platform: only `--workerd`/`$WORKERD`/`PATH`.
#[cfg(not(any(
    all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ),
    all(
        target_os = "macos",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ),
    all(target_os = "windows", target_arch = "x86_64"),
)))]
pub const NPM_BINARY: &str = "node_modules/@cloudflare/workerd-unsupported-platform/bin/workerd";

/// A workerd binary and the compatibility date it supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workerd {
    pub path: PathBuf,
    /// `YYYY-MM-DD`, from `workerd --version`.
    pub compatibility_date: String,
    /// Where it was found, for the banner.
    pub source: &'static str,
}

#[derive(Debug, Error, Diagnostic)]
pub enum WorkerdError {
    #[error("workerd was not found")]
    #[diagnostic(
        code(edge::setup::no_workerd),
        help("install the tested release with `cargo edge dev --install-workerd` (runs `npm install --prefix {cache} workerd@{version}`), or pass `--workerd PATH`, or set $WORKERD")
    )]
    NotFound {
        cache: String,
        version: &'static str,
    },

    #[error("`{path}` does not run as workerd: {reason}")]
    #[diagnostic(code(edge::setup::bad_workerd), help("point `--workerd` or $WORKERD at a workerd binary (`workerd --version` prints `workerd YYYY-MM-DD`)"))]
    NotWorkerd { path: String, reason: String },

    #[error("installing workerd with npm failed: {reason}")]
    #[diagnostic(
        code(edge::setup::install_workerd),
        help("run `npm install --prefix {cache} workerd@{version}` yourself to see npm's error")
    )]
    Install {
        reason: String,
        cache: String,
        version: &'static str,
    },
}

/// Where a user asked us to look.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// `--workerd PATH`.
    pub explicit: Option<PathBuf>,
    /// Folder whose ancestors' `node_modules` are searched (the crate's folder).
    pub project_dir: PathBuf,
    /// `--install-workerd`: install without asking.
    pub install: bool,
}

/// The folder cargo-edge installs workerd into: `$CARGO_EDGE_CACHE` or `~/.cache/cargo-edge`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_EDGE_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        // Windows has no HOME; its per-user cache folder is LOCALAPPDATA.
        .or_else(|| std::env::var_os("LOCALAPPDATA").map(PathBuf::from))
        .unwrap_or_else(std::env::temp_dir);
    base.join("cargo-edge")
        .join(format!("workerd-{WORKERD_NPM_VERSION}"))
}

/// Find workerd in order: `--workerd`, `$WORKERD`, `PATH`, `node_modules` above the project,
/// cargo-edge's cache; install it into the cache when allowed (or agreed to on a terminal).
pub fn locate(search: &Search) -> Result<Workerd, WorkerdError> {
    if let Some((path, source)) = find(search) {
        return inspect(&path, source);
    }
    let cache = cache_dir();
    let agreed = search.install || ask_to_install(&cache);
    if !agreed {
        return Err(WorkerdError::NotFound {
            cache: cache.display().to_string(),
            version: WORKERD_NPM_VERSION,
        });
    }
    install(&cache)?;
    inspect(
        &cache.join(NPM_BINARY),
        "cargo-edge's cache, just installed",
    )
}

/// [`locate`] without installing or asking: for tests, which must never wait on a prompt.
pub fn locate_installed(search: &Search) -> Result<Workerd, WorkerdError> {
    match find(search) {
        Some((path, source)) => inspect(&path, source),
        None => Err(WorkerdError::NotFound {
            cache: cache_dir().display().to_string(),
            version: WORKERD_NPM_VERSION,
        }),
    }
}

fn find(search: &Search) -> Option<(PathBuf, &'static str)> {
    if let Some(path) = &search.explicit {
        return Some((path.clone(), "--workerd"));
    }
    if let Some(path) = std::env::var_os("WORKERD").map(PathBuf::from) {
        return Some((path, "$WORKERD"));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(format!("workerd{}", std::env::consts::EXE_SUFFIX)))
            .find(|candidate| candidate.is_file())
    });
    if let Some(path) = on_path {
        return Some((path, "PATH"));
    }
    let in_project = search.project_dir.ancestors().find_map(|dir| {
        [dir.join("node_modules/.bin/workerd"), dir.join(NPM_BINARY)]
            .into_iter()
            .find(|c| c.is_file())
    });
    if let Some(path) = in_project {
        return Some((path, "node_modules"));
    }
    let cached = cache_dir().join(NPM_BINARY);
    cached.is_file().then_some((cached, "cargo-edge cache"))
}

/// On a terminal, ask before installing; elsewhere, never.
fn ask_to_install(cache: &Path) -> bool {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return false;
    }
    eprint!(
        "workerd was not found. Install workerd@{WORKERD_NPM_VERSION} with npm into {}? [Y/n] ",
        cache.display()
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "" | "y" | "Y" | "yes")
}

fn install(cache: &Path) -> Result<(), WorkerdError> {
    let failed = |reason: String| WorkerdError::Install {
        reason,
        cache: cache.display().to_string(),
        version: WORKERD_NPM_VERSION,
    };
    std::fs::create_dir_all(cache).map_err(|e| failed(e.to_string()))?;
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
        ])
        .arg(cache)
        .arg(format!("workerd@{WORKERD_NPM_VERSION}"))
        .status()
        .map_err(|e| failed(format!("could not run npm ({e}); install Node.js and npm")))?;
    if !status.success() {
        return Err(failed(format!("npm exited with {status}")));
    }
    Ok(())
}

/// Run `workerd --version` and read its date.
pub fn inspect(path: &Path, source: &'static str) -> Result<Workerd, WorkerdError> {
    let not_workerd = |reason: String| WorkerdError::NotWorkerd {
        path: path.display().to_string(),
        reason,
    };
    let output = Command::new(path)
        .arg("--version")
        .output()
        .map_err(|e| not_workerd(e.to_string()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let date = parse_version(&text)
        .ok_or_else(|| not_workerd(format!("`--version` printed {:?}", text.trim())))?;
    Ok(Workerd {
        path: path.to_path_buf(),
        compatibility_date: date,
        source,
    })
}

/// `workerd 2026-11-17` → `2026-11-17`.
fn parse_version(text: &str) -> Option<String> {
    let date = text
        .trim()
        .strip_prefix("workerd ")?
        .split_whitespace()
        .next()?;
    let valid = date.len() == 10
        && date.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    valid.then(|| date.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_parsed() {
        assert_eq!(
            parse_version("workerd 2026-11-17\n").as_deref(),
            Some("2026-11-17")
        );
        assert_eq!(parse_version("workerd 2026-1-17"), None);
        assert_eq!(parse_version("node v20"), None);
    }

    #[test]
    fn an_explicit_path_wins_and_a_non_workerd_is_refused() {
        let search = Search {
            explicit: Some(PathBuf::from("/bin/true")),
            ..Search::default()
        };
        let (path, source) = find(&search).unwrap();
        assert_eq!(
            (path.as_path(), source),
            (Path::new("/bin/true"), "--workerd")
        );
        let error = inspect(&path, source).unwrap_err();
        assert!(
            error.to_string().contains("does not run as workerd"),
            "{error}"
        );
    }
}
