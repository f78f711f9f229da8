//! Finding the workerd binary, and what it says about itself.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The npm package path of the Linux x64 binary inside a `node_modules` folder.
pub const NPM_BINARY: &str = "node_modules/@cloudflare/workerd-linux-64/bin/workerd";

/// Look for workerd: `$WORKERD`, then `PATH`, then `node_modules` in `search_root` and its parents.
pub fn find(search_root: &Path) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WORKERD").map(PathBuf::from) {
        return Some(path);
    }
    if let Some(path) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("workerd"))
            .find(|candidate| candidate.is_file())
    }) {
        return Some(path);
    }
    search_root.ancestors().find_map(|dir| {
        [dir.join("node_modules/.bin/workerd"), dir.join(NPM_BINARY)]
            .into_iter()
            .find(|candidate| candidate.is_file())
    })
}

/// The binary's compatibility date (`workerd --version` prints `workerd 2026-11-17`).
pub fn compatibility_date(binary: &Path) -> Option<String> {
    let output = Command::new(binary).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace().nth(1).map(str::to_string)
}
