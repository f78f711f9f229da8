//! A built worker on disk: its modules, in upload order, and `bundle.json` describing them.
//!
//! The content hash is SHA-256 over every module in order, each framed as
//! `name NUL type NUL length(u64 LE) bytes`, so renaming or retyping a module changes it too.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::build::Exports;
use crate::error::{Error, Result};

pub const BUNDLE_JSON: &str = "bundle.json";

/// How workerd and the upload API should load a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleType {
    Esm,
    Wasm,
    Text,
    Data,
    Json,
}

impl ModuleType {
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleType::Esm => "esm",
            ModuleType::Wasm => "wasm",
            ModuleType::Text => "text",
            ModuleType::Data => "data",
            ModuleType::Json => "json",
        }
    }

    /// The MIME type of this module in a Cloudflare multipart upload.
    pub fn upload_content_type(self) -> &'static str {
        match self {
            ModuleType::Esm => "application/javascript+module",
            ModuleType::Wasm => "application/wasm",
            ModuleType::Text => "text/plain",
            ModuleType::Data => "application/octet-stream",
            ModuleType::Json => "application/json",
        }
    }
}

/// One module as `bundle.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleEntry {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ModuleType,
    pub sha256: String,
    pub size: u64,
}

/// A module's bytes before they are written.
#[derive(Debug, Clone)]
pub struct ModuleSource {
    pub name: String,
    pub kind: ModuleType,
    pub bytes: Vec<u8>,
}

/// `bundle.json`, and the folder it describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    pub worker: String,
    pub main_module: String,
    pub modules: Vec<ModuleEntry>,
    pub content_hash: String,
    pub wasm_bindgen: String,
    pub profile: String,
    pub exports: Exports,
    #[serde(skip)]
    pub dir: PathBuf,
}

/// Everything a bundle is made of, before it is on disk.
#[derive(Debug, Clone)]
pub struct BundleSource {
    pub worker: String,
    pub wasm_bindgen: String,
    pub profile: String,
    pub exports: Exports,
    /// The first module is the main module.
    pub modules: Vec<ModuleSource>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bundle's content hash: SHA-256 over its framed modules, in order.
pub fn content_hash(modules: &[ModuleSource]) -> String {
    let mut hasher = Sha256::new();
    for module in modules {
        hasher.update(module.name.as_bytes());
        hasher.update([0]);
        hasher.update(module.kind.as_str().as_bytes());
        hasher.update([0]);
        hasher.update((module.bytes.len() as u64).to_le_bytes());
        hasher.update(&module.bytes);
    }
    hex(&hasher.finalize())
}

impl BundleSource {
    /// Write the modules and `bundle.json` into `dir`, replacing what was there in one step:
    /// the new bundle is written beside it and renamed into place, so a concurrent reader
    /// (workerd, a second build) never sees half of one and half of another.
    pub fn write(self, dir: &Path) -> Result<Bundle> {
        let bundle = Bundle {
            worker: self.worker,
            main_module: self
                .modules
                .first()
                .map(|m| m.name.clone())
                .unwrap_or_default(),
            content_hash: content_hash(&self.modules),
            modules: self
                .modules
                .iter()
                .map(|m| ModuleEntry {
                    name: m.name.clone(),
                    kind: m.kind,
                    sha256: sha256_hex(&m.bytes),
                    size: m.bytes.len() as u64,
                })
                .collect(),
            wasm_bindgen: self.wasm_bindgen,
            profile: self.profile,
            exports: self.exports,
            dir: dir.to_path_buf(),
        };
        let parent = dir.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(Error::io("creating", parent))?;
        // Two builds of one worker at once (an editor's and a terminal's) take turns.
        let _lock = lock_file(&parent.join(format!(".{}.lock", bundle.worker)))?;
        let staging = tempdir_in(parent)?;
        for module in &self.modules {
            let path = staging.join(&module.name);
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder).map_err(Error::io("creating", folder))?;
            }
            std::fs::write(&path, &module.bytes).map_err(Error::io("writing", &path))?;
        }
        let json = serde_json::to_vec_pretty(&bundle).expect("a bundle always serializes");
        let manifest = staging.join(BUNDLE_JSON);
        let mut file = std::fs::File::create(&manifest).map_err(Error::io("writing", &manifest))?;
        file.write_all(&json)
            .and_then(|_| file.write_all(b"\n"))
            .map_err(Error::io("writing", &manifest))?;
        replace_dir(&staging, dir)?;
        Ok(bundle)
    }
}

/// An exclusive lock held until the returned file is dropped.
fn lock_file(path: &Path) -> Result<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(Error::io("opening", path))?;
    file.lock().map_err(Error::io("locking", path))?;
    Ok(file)
}

fn tempdir_in(parent: &Path) -> Result<PathBuf> {
    for attempt in 0..100u32 {
        let path = parent.join(format!(".staging-{}-{attempt}", std::process::id()));
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io("creating", &path)(e)),
        }
    }
    Err(Error::io("creating a staging folder in", parent)(
        std::io::Error::other("too many attempts"),
    ))
}

/// Move `staging` to `dir`, whether or not `dir` exists.
fn replace_dir(staging: &Path, dir: &Path) -> Result<()> {
    if dir.exists() {
        let old = staging.with_extension("old");
        std::fs::rename(dir, &old).map_err(Error::io("moving aside", dir))?;
        std::fs::rename(staging, dir).map_err(Error::io("moving into place", dir))?;
        std::fs::remove_dir_all(&old).map_err(Error::io("removing", &old))?;
    } else {
        std::fs::rename(staging, dir).map_err(Error::io("moving into place", dir))?;
    }
    Ok(())
}

impl Bundle {
    /// Read `bundle.json` from a bundle folder.
    pub fn load(dir: &Path) -> Result<Bundle> {
        let path = dir.join(BUNDLE_JSON);
        let text = std::fs::read_to_string(&path).map_err(Error::io("reading", &path))?;
        let mut bundle: Bundle = serde_json::from_str(&text).map_err(|e| Error::InvalidBundle {
            path: path.clone(),
            message: e.to_string(),
        })?;
        bundle.dir = dir.to_path_buf();
        Ok(bundle)
    }

    /// Where a module's bytes are.
    pub fn module_path(&self, module: &ModuleEntry) -> PathBuf {
        self.dir.join(&module.name)
    }

    pub fn total_size(&self) -> u64 {
        self.modules.iter().map(|m| m.size).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(name: &str, kind: ModuleType, bytes: &[u8]) -> ModuleSource {
        ModuleSource {
            name: name.into(),
            kind,
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn content_hash_covers_names_types_order_and_bytes() {
        let base = vec![
            module("a.mjs", ModuleType::Esm, b"x"),
            module("b.wasm", ModuleType::Wasm, b"y"),
        ];
        let hash = content_hash(&base);
        assert_eq!(hash, content_hash(&base.clone()));
        let variants = [
            vec![
                module("a.mjs", ModuleType::Esm, b"x"),
                module("b.wasm", ModuleType::Wasm, b"z"),
            ],
            vec![
                module("a.mjs", ModuleType::Esm, b"x"),
                module("c.wasm", ModuleType::Wasm, b"y"),
            ],
            vec![
                module("a.mjs", ModuleType::Esm, b"x"),
                module("b.wasm", ModuleType::Data, b"y"),
            ],
            vec![
                module("b.wasm", ModuleType::Wasm, b"y"),
                module("a.mjs", ModuleType::Esm, b"x"),
            ],
            // Moving a byte across a module boundary must not collide.
            vec![
                module("a.mjs", ModuleType::Esm, b"xy"),
                module("b.wasm", ModuleType::Wasm, b""),
            ],
        ];
        for variant in variants {
            assert_ne!(content_hash(&variant), hash, "{variant:?}");
        }
    }

    #[test]
    fn write_then_load_round_trips_and_replaces() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("edge").join("w");
        let source = |body: &[u8]| BundleSource {
            worker: "w".into(),
            wasm_bindgen: "0.2.130".into(),
            profile: "release".into(),
            exports: Exports::default(),
            modules: vec![
                module("shim.mjs", ModuleType::Esm, b"export default {}"),
                module("snippets/x/inline0.js", ModuleType::Esm, body),
            ],
        };
        let first = source(b"1").write(&dir).unwrap();
        assert_eq!(Bundle::load(&dir).unwrap(), first);
        assert_eq!(first.main_module, "shim.mjs");
        let second = source(b"22").write(&dir).unwrap();
        assert_ne!(first.content_hash, second.content_hash);
        assert_eq!(
            std::fs::read(dir.join("snippets/x/inline0.js")).unwrap(),
            b"22"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.starts_with(".staging"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "staging folders are cleaned up: {leftovers:?}"
        );
    }

    #[test]
    fn concurrent_writes_of_one_worker_take_turns() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("w");
        let threads: Vec<_> = (0..8u8)
            .map(|i| {
                let dir = dir.clone();
                std::thread::spawn(move || {
                    BundleSource {
                        worker: "w".into(),
                        wasm_bindgen: "0.2.130".into(),
                        profile: "release".into(),
                        exports: Exports::default(),
                        modules: vec![module("shim.mjs", ModuleType::Esm, &[i; 64])],
                    }
                    .write(&dir)
                    .unwrap()
                })
            })
            .collect();
        let hashes: Vec<String> = threads
            .into_iter()
            .map(|t| t.join().unwrap().content_hash)
            .collect();
        let on_disk = Bundle::load(&dir).unwrap();
        assert!(hashes.contains(&on_disk.content_hash));
        let shim = std::fs::read(dir.join("shim.mjs")).unwrap();
        assert_eq!(
            sha256_hex(&shim),
            on_disk.modules[0].sha256,
            "bundle.json matches the files beside it"
        );
    }
}
