//! An R2 bucket's storage: object metadata in `r2/<bucket>.sqlite`, small objects inline, large
//! objects (and parts) as content-addressed files in `r2/<bucket>.blobs/`, deleted when no
//! object or part refers to them any more.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use md5::Digest;
use rusqlite::{params, OptionalExtension};
use serde_json::Value;

use super::r2_wire::Object;
use super::store::{file_stem, lock, Db, Durability, Stores};

/// Objects (and parts) larger than this are stored as files beside the database.
pub const INLINE_LIMIT: usize = 1024 * 1024;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, version TEXT NOT NULL, size INTEGER NOT NULL,
  etag TEXT NOT NULL, uploaded INTEGER NOT NULL, http TEXT NOT NULL, custom TEXT NOT NULL,
  checksums TEXT NOT NULL, data BLOB, file TEXT);
CREATE TABLE IF NOT EXISTS uploads (upload_id TEXT PRIMARY KEY, key TEXT NOT NULL, http TEXT NOT NULL,
  custom TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS parts (upload_id TEXT NOT NULL, part INTEGER NOT NULL, etag TEXT NOT NULL,
  size INTEGER NOT NULL, data BLOB, file TEXT, PRIMARY KEY (upload_id, part));";

/// Where an object's bytes are.
#[derive(Debug, Clone)]
pub enum Location {
    Inline(Vec<u8>),
    File(String),
}

/// One bucket: its database and its folder of large objects.
pub struct Bucket {
    pub db: Db,
    pub blobs: PathBuf,
}

impl Bucket {
    /// Open the bucket `resource`.
    pub fn open(stores: &Stores, resource: &str) -> super::error::Result<Bucket> {
        let db = stores.open("r2", resource, SCHEMA, Durability::Normal)?;
        let blobs = stores
            .root()
            .join("r2")
            .join(format!("{}.blobs", file_stem(resource)));
        Ok(Bucket { db, blobs })
    }

    /// The object stored under `key`, with where its bytes are.
    pub fn load(&self, key: &str) -> rusqlite::Result<Option<(Object, Location)>> {
        lock(&self.db)
            .query_row(
                "SELECT key, version, size, etag, uploaded, http, custom, checksums, data, file \
                 FROM objects WHERE key = ?1",
                [key],
                |r| {
                    let location = match r.get::<_, Option<String>>(9)? {
                        Some(file) => Location::File(file),
                        None => {
                            Location::Inline(r.get::<_, Option<Vec<u8>>>(8)?.unwrap_or_default())
                        }
                    };
                    Ok((object_from_row(r)?, location))
                },
            )
            .optional()
    }

    /// `length` bytes at `offset` of an object.
    pub fn read(&self, location: &Location, offset: u64, length: u64) -> std::io::Result<Vec<u8>> {
        match location {
            Location::Inline(bytes) => {
                let start = (offset as usize).min(bytes.len());
                let end = (start + length as usize).min(bytes.len());
                Ok(bytes[start..end].to_vec())
            }
            Location::File(name) => {
                let mut file = std::fs::File::open(self.blobs.join(name))?;
                file.seek(SeekFrom::Start(offset))?;
                let mut out = Vec::with_capacity(length as usize);
                file.take(length).read_to_end(&mut out)?;
                Ok(out)
            }
        }
    }

    /// Keep `bytes` inline when small, else as a content-addressed file; returns (data, file).
    pub fn place(&self, bytes: &[u8]) -> std::io::Result<(Option<Vec<u8>>, Option<String>)> {
        if bytes.len() <= INLINE_LIMIT {
            return Ok((Some(bytes.to_vec()), None));
        }
        std::fs::create_dir_all(&self.blobs)?;
        let name = hex::encode(sha2::Sha256::digest(bytes));
        let path = self.blobs.join(&name);
        if !path.exists() {
            let partial = self.blobs.join(format!("{name}.partial"));
            std::fs::write(&partial, bytes)?;
            std::fs::rename(&partial, &path)?;
        }
        Ok((None, Some(name)))
    }

    /// Delete a blob file no object or part refers to any more.
    pub fn release(&self, file: Option<String>) {
        let Some(file) = file else { return };
        let used: bool = lock(&self.db)
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM objects WHERE file = ?1) OR \
                 EXISTS(SELECT 1 FROM parts WHERE file = ?1)",
                [&file],
                |r| r.get(0),
            )
            .unwrap_or(true);
        if !used {
            let _ = std::fs::remove_file(self.blobs.join(file));
        }
    }

    /// Store `object` (replacing any object of the same key) and release the replaced file.
    pub fn save(
        &self,
        object: &Object,
        data: Option<Vec<u8>>,
        file: Option<String>,
    ) -> rusqlite::Result<()> {
        let old: Option<String> = {
            let conn = lock(&self.db);
            let old = conn
                .query_row(
                    "SELECT file FROM objects WHERE key = ?1",
                    [&object.key],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            conn.execute(
                "INSERT OR REPLACE INTO objects VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    object.key,
                    object.version,
                    object.size as i64,
                    object.etag,
                    object.uploaded,
                    object.http.to_string(),
                    object.custom.to_string(),
                    object.checksums.to_string(),
                    data,
                    file
                ],
            )?;
            old
        };
        if old != file {
            self.release(old);
        }
        Ok(())
    }
}

/// An [`Object`] from the first eight columns of an `objects` row.
pub fn object_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Object> {
    let parse = |i: usize| -> rusqlite::Result<Value> {
        Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or(Value::Null))
    };
    Ok(Object {
        key: r.get(0)?,
        version: r.get(1)?,
        size: r.get::<_, i64>(2)? as u64,
        etag: r.get(3)?,
        uploaded: r.get(4)?,
        http: parse(5)?,
        custom: parse(6)?,
        checksums: parse(7)?,
    })
}
