//! The files of an assets folder, as Cloudflare's direct upload sees them: every file below the
//! folder (symlinks to files followed, directories not), minus `.assetsignore`, `_redirects`,
//! `_headers` and what `.assetsignore` lists (gitignore syntax), each within Cloudflare's limits.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::hash::asset_hash;

/// Cloudflare's largest asset (25 MiB).
pub const MAX_ASSET_SIZE: u64 = 25 * 1024 * 1024;
/// Cloudflare's most assets in one worker version.
pub const MAX_ASSET_COUNT: usize = 100_000;
pub const IGNORE_FILE: &str = ".assetsignore";

/// One file to serve or upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetFile {
    pub hash: String,
    pub size: u64,
    #[serde(skip)]
    pub path: PathBuf,
}

/// `{"/path": {hash, size}}`, sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetManifest {
    pub files: BTreeMap<String, AssetFile>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CollectError {
    #[error("`{path}` is {size} bytes, over Cloudflare's limit of 25 MiB per asset")]
    TooLarge { path: String, size: u64 },
    #[error("the folder holds {count} files, over Cloudflare's limit of {MAX_ASSET_COUNT} assets per version")]
    TooMany { count: usize },
    #[error("could not read `{path}`: {message}")]
    Io { path: String, message: String },
}

/// The ignore rules of `dir`: the built-in ones and `.assetsignore`'s.
pub fn ignore_rules(dir: &Path) -> Gitignore {
    let mut builder = GitignoreBuilder::new(dir);
    for line in [
        format!("/{IGNORE_FILE}"),
        "/_redirects".into(),
        "/_headers".into(),
    ] {
        let _ = builder.add_line(None, &line);
    }
    if let Ok(text) = std::fs::read_to_string(dir.join(IGNORE_FILE)) {
        for line in text.lines() {
            let _ = builder.add_line(None, line);
        }
    }
    builder.build().unwrap_or_else(|_| Gitignore::empty())
}

/// Whether `relative` (a path below the folder, `/`-separated, no leading `/`) is ignored.
pub fn is_ignored(rules: &Gitignore, relative: &str, is_dir: bool) -> bool {
    !relative.is_empty()
        && rules
            .matched_path_or_any_parents(relative, is_dir)
            .is_ignore()
}

/// Every file served, with its size, checked against the limits (no hashing).
pub fn list(dir: &Path) -> Result<Vec<(String, PathBuf, u64)>, CollectError> {
    list_within(dir, MAX_ASSET_COUNT)
}

/// [`list`] with another most files.
pub fn list_within(dir: &Path, most: usize) -> Result<Vec<(String, PathBuf, u64)>, CollectError> {
    let rules = ignore_rules(dir);
    let mut out = Vec::new();
    walk(dir, "", &rules, &mut out)?;
    if out.len() > most {
        return Err(CollectError::TooMany { count: out.len() });
    }
    out.sort();
    Ok(out)
}

fn walk(
    dir: &Path,
    prefix: &str,
    rules: &Gitignore,
    out: &mut Vec<(String, PathBuf, u64)>,
) -> Result<(), CollectError> {
    let io = |path: &Path, e: std::io::Error| CollectError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{prefix}{name}");
        let path = entry.path();
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_ignored(rules, &relative, is_dir) {
            continue;
        }
        if is_dir {
            walk(&path, &format!("{relative}/"), rules, out)?;
            continue;
        }
        // A symlink counts when it points at a file (wrangler stats through it).
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        if meta.len() > MAX_ASSET_SIZE {
            return Err(CollectError::TooLarge {
                path: relative,
                size: meta.len(),
            });
        }
        out.push((format!("/{relative}"), path, meta.len()));
    }
    Ok(())
}

impl AssetManifest {
    /// Walk and hash the folder.
    pub fn build(dir: &Path) -> Result<AssetManifest, CollectError> {
        let mut files = BTreeMap::new();
        for (url_path, path, _) in list(dir)? {
            let bytes = std::fs::read(&path).map_err(|e| CollectError::Io {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            let file = AssetFile {
                hash: asset_hash(&bytes, &url_path),
                size: bytes.len() as u64,
                path,
            };
            files.insert(url_path, file);
        }
        Ok(AssetManifest { files })
    }

    /// The manifest in the upload session's shape.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.files).unwrap_or_default()
    }

    pub fn total_size(&self) -> u64 {
        self.files.values().map(|f| f.size).sum()
    }

    /// A digest of paths and hashes: it joins the bundle's content hash, so a changed,
    /// added or removed file makes a deploy.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for (path, file) in &self.files {
            hasher.update(path.as_bytes());
            hasher.update([0]);
            hasher.update(file.hash.as_bytes());
            hasher.update([b'\n']);
        }
        hex::encode(hasher.finalize())
    }

    /// The first path whose contents hash to `hash`.
    pub fn path_of(&self, hash: &str) -> Option<(&str, &AssetFile)> {
        self.files
            .iter()
            .find(|(_, f)| f.hash == hash)
            .map(|(p, f)| (p.as_str(), f))
    }
}

/// The bundle's content hash with the assets joined in (unchanged when there are none).
pub fn joined_content_hash(bundle_hash: &str, manifest: Option<&AssetManifest>) -> String {
    match manifest {
        None => bundle_hash.to_string(),
        Some(manifest) => {
            let digest = Sha256::digest(format!("{bundle_hash}\0{}", manifest.digest()));
            hex::encode(digest)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, body) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
        dir
    }

    #[test]
    fn assetsignore_and_builtins_are_left_out() {
        let dir = tree(&[
            ("index.html", "<h1>hi</h1>"),
            ("_headers", "/*\n  X: y"),
            ("_redirects", "/a /b"),
            (".assetsignore", "*.map\ndrafts/\n"),
            ("app.js", "1"),
            ("app.js.map", "{}"),
            ("drafts/a.html", "x"),
            ("nested/deep/page.html", "p"),
        ]);
        let manifest = AssetManifest::build(dir.path()).unwrap();
        let paths: Vec<&str> = manifest.files.keys().map(String::as_str).collect();
        assert_eq!(paths, ["/app.js", "/index.html", "/nested/deep/page.html"]);
        assert_eq!(manifest.files["/app.js"].size, 1);
        assert_eq!(
            manifest.to_json()["/app.js"]["hash"]
                .as_str()
                .unwrap()
                .len(),
            32
        );
    }

    #[test]
    fn a_changed_file_changes_the_digest() {
        let dir = tree(&[("a.txt", "1"), ("b.txt", "2")]);
        let before = AssetManifest::build(dir.path()).unwrap();
        std::fs::write(dir.path().join("b.txt"), "3").unwrap();
        let after = AssetManifest::build(dir.path()).unwrap();
        assert_ne!(before.digest(), after.digest());
        assert_eq!(before.files["/a.txt"], after.files["/a.txt"]);
        assert_ne!(
            joined_content_hash("x", Some(&before)),
            joined_content_hash("x", Some(&after))
        );
        assert_eq!(joined_content_hash("x", None), "x");
    }

    #[test]
    fn more_files_than_the_limit_are_refused() {
        let dir = tree(&[("a.txt", "1"), ("b/c.txt", "2"), ("d.txt", "3")]);
        assert_eq!(list_within(dir.path(), 3).unwrap().len(), 3);
        assert_eq!(
            list_within(dir.path(), 2).unwrap_err(),
            CollectError::TooMany { count: 3 }
        );
        assert!(CollectError::TooMany { count: 3 }
            .to_string()
            .contains("100000 assets per version"));
    }

    #[test]
    fn a_file_over_25_mib_is_refused() {
        let dir = tree(&[("small.txt", "1")]);
        let big = std::fs::File::create(dir.path().join("big.bin")).unwrap();
        big.set_len(MAX_ASSET_SIZE + 1).unwrap();
        let error = list(dir.path()).unwrap_err();
        assert_eq!(
            error,
            CollectError::TooLarge {
                path: "big.bin".into(),
                size: MAX_ASSET_SIZE + 1
            }
        );
    }
}
