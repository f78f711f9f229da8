//! Workspace members, read from the root Cargo.toml's `[workspace] members` (with `*` and `?`
//! globs per path segment) and `exclude`, plus the root package itself.

use std::path::{Path, PathBuf};

use super::document::Document;

/// The Cargo.toml of every member, the root package first, in a stable order.
pub fn member_manifests(root: &Document, root_dir: &Path) -> Vec<PathBuf> {
    let mut manifests = Vec::new();
    if root.table_at(&["package"]).is_some() {
        manifests.push(root.source.path.clone());
    }
    let excluded = strings(root, "exclude");
    let mut members: Vec<PathBuf> = strings(root, "members")
        .iter()
        .flat_map(|pattern| expand(root_dir, pattern))
        .filter(|dir| !excluded.iter().any(|e| dir.starts_with(root_dir.join(e))))
        .map(|dir| dir.join("Cargo.toml"))
        .filter(|manifest| manifest.is_file() && *manifest != root.source.path)
        .collect();
    members.sort();
    members.dedup();
    manifests.extend(members);
    manifests
}

fn strings(root: &Document, key: &str) -> Vec<String> {
    let Some((item, _)) = root.table_at(&["workspace", key]) else {
        return Vec::new();
    };
    let values = item.as_array().into_iter().flat_map(|a| a.iter());
    values
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The folders a member pattern names, matching `*` and `?` within each segment.
fn expand(root: &Path, pattern: &str) -> Vec<PathBuf> {
    let mut dirs = vec![root.to_path_buf()];
    for segment in pattern.split('/').filter(|s| !s.is_empty() && *s != ".") {
        dirs = dirs.iter().flat_map(|dir| matching(dir, segment)).collect();
    }
    dirs
}

fn matching(dir: &Path, segment: &str) -> Vec<PathBuf> {
    if !segment.contains(['*', '?']) {
        return vec![dir.join(segment)];
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let names = entries.filter_map(|e| e.ok()).filter(|e| e.path().is_dir());
    names
        .filter(|e| {
            glob_match(
                segment.as_bytes(),
                e.file_name().to_string_lossy().as_bytes(),
            )
        })
        .map(|e| e.path())
        .collect()
}

/// Matches one path segment against a pattern with `*` (any run) and `?` (any one byte).
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob_match(&pattern[1..], name) || (!name.is_empty() && glob_match(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => glob_match(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => glob_match(&pattern[1..], &name[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs_match_within_a_segment() {
        assert!(glob_match(b"*", b"api"));
        assert!(glob_match(b"worker-*", b"worker-auth"));
        assert!(glob_match(b"a?c", b"abc"));
        assert!(!glob_match(b"worker-*", b"api"));
    }
}
