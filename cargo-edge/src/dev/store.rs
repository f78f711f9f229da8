//! The state directory: one SQLite file per namespace, bucket, database and queue, opened once and
//! shared by every request (and every worker) that names the same resource.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use super::error::{DevError, Result};

/// A shared SQLite connection.
pub type Db = Arc<Mutex<Connection>>;

/// How hard a store's writes must reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=NORMAL` in WAL mode: safe against process crashes, fast.
    Normal,
    /// `synchronous=FULL`: an acknowledged write survives a power loss too (queues).
    Full,
}

/// Every store under one state directory.
#[derive(Debug)]
pub struct Stores {
    root: PathBuf,
    open: Mutex<HashMap<PathBuf, Db>>,
}

impl Stores {
    /// Use `root` (created if missing) as the state directory.
    pub fn new(root: &Path) -> Result<Stores> {
        std::fs::create_dir_all(root).map_err(|source| DevError::StateDir {
            path: root.to_path_buf(),
            source,
        })?;
        Ok(Stores {
            root: root.to_path_buf(),
            open: Mutex::new(HashMap::new()),
        })
    }

    /// The state directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of `resource` in the `kind` folder, e.g. `kv/<name>.sqlite`.
    pub fn path(&self, kind: &str, resource: &str) -> PathBuf {
        self.root
            .join(kind)
            .join(format!("{}.sqlite", file_stem(resource)))
    }

    /// Open (once) the database of `resource`, running `schema` the first time it is opened.
    pub fn open(
        &self,
        kind: &str,
        resource: &str,
        schema: &str,
        durability: Durability,
    ) -> Result<Db> {
        let path = self.path(kind, resource);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(db) = open.get(&path) {
            return Ok(db.clone());
        }
        let db = Arc::new(Mutex::new(open_file(&path, schema, durability)?));
        open.insert(path, db.clone());
        Ok(db)
    }
}

/// Open a SQLite file with WAL journaling and apply `schema`.
pub fn open_file(path: &Path, schema: &str, durability: Durability) -> Result<Connection> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(DevError::io(dir))?;
    }
    let sqlite = |source| DevError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let conn = Connection::open(path).map_err(sqlite)?;
    let sync = match durability {
        Durability::Normal => "NORMAL",
        Durability::Full => "FULL",
    };
    conn.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA busy_timeout=5000; {schema}"
    ))
    .map_err(sqlite)?;
    Ok(conn)
}

/// A file name for a resource name: ASCII letters, digits, `-` and `_` are kept, every other byte
/// is written `%XX`, so distinct names never share a file and no name escapes its folder.
pub fn file_stem(resource: &str) -> String {
    let mut out = String::with_capacity(resource.len());
    for byte in resource.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A fresh random hex id (message ids, object versions, upload ids).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    let _ = getrandom::fill(&mut bytes);
    hex::encode(bytes)
}

/// Lock a shared connection, recovering from a panicked holder.
pub fn lock(db: &Db) -> std::sync::MutexGuard<'_, Connection> {
    db.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_stems_cannot_escape_or_collide() {
        assert_eq!(super::file_stem("app-cache_1"), "app-cache_1");
        assert_eq!(super::file_stem("../x"), "%2E%2E%2Fx");
        assert_ne!(super::file_stem("a b"), super::file_stem("a%20b"));
    }
}
