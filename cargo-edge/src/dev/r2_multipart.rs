//! R2 listing (prefix, delimiter, cursor, include) and multipart uploads (create, upload part,
//! complete, abort). Parts live like objects: inline when small, files when large.

use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use md5::{Digest, Md5};
use rusqlite::{params, OptionalExtension};
use serde_json::{json, Value};

use super::r2::{fields, random_id, Bucket, Failure, Location};
use super::r2_wire::{self as wire, Include, Object};
use super::store::{lock, now_ms};

/// R2's smallest part, except for the last one.
pub const MIN_PART: u64 = 5 * 1024 * 1024;
const MAX_LIST: usize = 1000;

/// One entry of a listing: an object, or a prefix that groups objects up to the delimiter.
enum Entry {
    Object(Object),
    Prefix(String),
}

/// `list`: objects after `cursor`/`startAfter` under `prefix`, grouped by `delimiter`.
pub fn list(bucket: &Bucket, request: &Value) -> Result<Response, Failure> {
    let limit = request["limit"]
        .as_u64()
        .filter(|l| (1..=MAX_LIST as u64).contains(l))
        .unwrap_or(MAX_LIST as u64) as usize;
    let prefix = request["prefix"].as_str().unwrap_or("");
    let delimiter = request["delimiter"].as_str().filter(|d| !d.is_empty());
    let cursor = request["cursor"]
        .as_str()
        .and_then(|c| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c)
                .ok()
        })
        .map(|c| String::from_utf8_lossy(&c).into_owned());
    let start_after = request["startAfter"].as_str().unwrap_or("").to_string();
    let after = cursor.clone().unwrap_or_default().max(start_after);
    let includes: Vec<u64> = request["include"]
        .as_array()
        .map(|i| i.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    let include = Include {
        http: includes.contains(&0),
        custom: includes.contains(&1),
    };
    let entries = scan(bucket, prefix, delimiter, &after, limit + 1)?;
    Ok(wire::success(
        StatusCode::OK,
        &page(entries, limit, include),
        vec![],
    ))
}

/// Up to `take` entries in key order after `after`; a listing resumed after a delimited prefix
/// skips that prefix's keys.
fn scan(
    bucket: &Bucket,
    prefix: &str,
    delimiter: Option<&str>,
    after: &str,
    take: usize,
) -> rusqlite::Result<Vec<Entry>> {
    let conn = lock(&bucket.db);
    let mut stmt = conn.prepare(
        "SELECT key, version, size, etag, uploaded, http, custom, checksums FROM objects \
         WHERE key > ?1 AND substr(key, 1, ?2) = ?3 ORDER BY key",
    )?;
    let mut rows = stmt.query(params![after, prefix.chars().count() as i64, prefix])?;
    let mut entries: Vec<Entry> = Vec::new();
    while let Some(row) = rows.next()? {
        let key: String = row.get(0)?;
        let group = delimiter.and_then(|d| {
            key[prefix.len()..]
                .find(d)
                .map(|at| key[..prefix.len() + at + d.len()].to_string())
        });
        match group {
            Some(group) if group == after => continue,
            Some(group) => {
                if matches!(entries.last(), Some(Entry::Prefix(p)) if *p == group) {
                    continue;
                }
                entries.push(Entry::Prefix(group));
            }
            None => entries.push(Entry::Object(object_of(row)?)),
        }
        if entries.len() >= take {
            break;
        }
    }
    Ok(entries)
}

fn object_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Object> {
    let parse = |i: usize| -> rusqlite::Result<Value> {
        Ok(serde_json::from_str(&row.get::<_, String>(i)?).unwrap_or(Value::Null))
    };
    Ok(Object {
        key: row.get(0)?,
        version: row.get(1)?,
        size: row.get::<_, i64>(2)? as u64,
        etag: row.get(3)?,
        uploaded: row.get(4)?,
        http: parse(5)?,
        custom: parse(6)?,
        checksums: parse(7)?,
    })
}

/// The `R2ListResponse` of the first `limit` entries.
fn page(mut entries: Vec<Entry>, limit: usize, include: Include) -> Value {
    let truncated = entries.len() > limit;
    entries.truncate(limit);
    let mut objects = Vec::new();
    let mut prefixes = Vec::new();
    let mut last = String::new();
    for entry in entries {
        match entry {
            Entry::Object(o) => {
                last = o.key.clone();
                objects.push(o.to_json(include, None));
            }
            Entry::Prefix(p) => {
                last = p.clone();
                prefixes.push(p);
            }
        }
    }
    let mut out =
        json!({"objects": objects, "truncated": truncated, "delimitedPrefixes": prefixes});
    if truncated {
        out["cursor"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last));
    }
    out
}

/// The multipart methods.
pub fn handle(
    bucket: &Bucket,
    method: &str,
    request: &Value,
    payload: &[u8],
) -> Result<Response, Failure> {
    let key = request["object"].as_str().unwrap_or_default();
    let upload_id = request["uploadId"].as_str().unwrap_or_default();
    match method {
        "createMultipartUpload" => {
            let id = random_id();
            lock(&bucket.db).execute(
                "INSERT INTO uploads VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id,
                    key,
                    fields(&request["httpFields"], json!({})).to_string(),
                    fields(&request["customFields"], json!([])).to_string(),
                    now_ms()
                ],
            )?;
            Ok(wire::success(
                StatusCode::OK,
                &json!({"uploadId": id}),
                vec![],
            ))
        }
        "uploadPart" => upload_part(bucket, key, upload_id, request, payload),
        "completeMultipartUpload" => complete(bucket, key, upload_id, request),
        _ => {
            if upload_key(bucket, upload_id)?.as_deref() != Some(key) {
                return Ok(wire::no_such_upload());
            }
            drop_upload(bucket, upload_id)?;
            Ok(wire::success(StatusCode::OK, &json!({}), vec![]))
        }
    }
}

fn upload_key(bucket: &Bucket, upload_id: &str) -> rusqlite::Result<Option<String>> {
    lock(&bucket.db)
        .query_row(
            "SELECT key FROM uploads WHERE upload_id = ?1",
            [upload_id],
            |r| r.get(0),
        )
        .optional()
}

fn upload_part(
    bucket: &Bucket,
    key: &str,
    upload_id: &str,
    request: &Value,
    payload: &[u8],
) -> Result<Response, Failure> {
    if upload_key(bucket, upload_id)?.as_deref() != Some(key) {
        return Ok(wire::no_such_upload());
    }
    let part = request["partNumber"].as_u64().unwrap_or(0);
    if !(1..=10000).contains(&part) {
        return Ok(wire::invalid_argument(
            "Part number must be between 1 and 10000 (inclusive).",
        ));
    }
    let etag = hex::encode(Md5::digest(payload));
    let (data, file) = bucket.place(payload)?;
    let old: Option<String> = {
        let conn = lock(&bucket.db);
        let old = conn
            .query_row(
                "SELECT file FROM parts WHERE upload_id = ?1 AND part = ?2",
                params![upload_id, part],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        conn.execute(
            "INSERT OR REPLACE INTO parts VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![upload_id, part, etag, payload.len() as i64, data, file],
        )?;
        old
    };
    if old != file {
        bucket.release(old);
    }
    Ok(wire::success(
        StatusCode::OK,
        &json!({"etag": etag}),
        vec![],
    ))
}

/// A stored part: etag, size and location.
type Part = (String, u64, Location);

fn load_part(bucket: &Bucket, upload_id: &str, part: u64) -> rusqlite::Result<Option<Part>> {
    lock(&bucket.db)
        .query_row(
            "SELECT etag, size, data, file FROM parts WHERE upload_id = ?1 AND part = ?2",
            params![upload_id, part],
            |r| {
                let location = match r.get::<_, Option<String>>(3)? {
                    Some(file) => Location::File(file),
                    None => Location::Inline(r.get::<_, Option<Vec<u8>>>(2)?.unwrap_or_default()),
                };
                Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, location))
            },
        )
        .optional()
}

/// Join the listed parts into the object; the etag is R2's `md5(part md5s)-<count>`.
fn complete(
    bucket: &Bucket,
    key: &str,
    upload_id: &str,
    request: &Value,
) -> Result<Response, Failure> {
    if upload_key(bucket, upload_id)?.as_deref() != Some(key) {
        return Ok(wire::no_such_upload());
    }
    let listed = request["parts"].as_array().cloned().unwrap_or_default();
    let mut parts = Vec::new();
    for (i, entry) in listed.iter().enumerate() {
        let number = entry["part"].as_u64().unwrap_or(0);
        let found = load_part(bucket, upload_id, number)?;
        let Some((etag, size, location)) =
            found.filter(|p| Some(p.0.as_str()) == entry["etag"].as_str())
        else {
            let msg = "One or more of the specified parts could not be found.";
            return Ok(wire::error(StatusCode::BAD_REQUEST, 10025, msg));
        };
        if i + 1 < listed.len() && size < MIN_PART {
            let msg = "Your proposed upload is smaller than the minimum allowed object size.";
            return Ok(wire::error(StatusCode::BAD_REQUEST, 10011, msg));
        }
        parts.push((etag, size, location));
    }
    let mut bytes = Vec::new();
    let mut digests = Vec::new();
    for (etag, size, location) in &parts {
        bytes.extend(bucket.read(location, 0, *size)?);
        digests.extend(hex::decode(etag).unwrap_or_default());
    }
    let (http, custom): (String, String) = lock(&bucket.db).query_row(
        "SELECT http, custom FROM uploads WHERE upload_id = ?1",
        [upload_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let object = Object {
        key: key.to_string(),
        version: random_id(),
        size: bytes.len() as u64,
        etag: format!("{}-{}", hex::encode(Md5::digest(&digests)), parts.len()),
        uploaded: now_ms(),
        http: serde_json::from_str(&http).unwrap_or(json!({})),
        custom: serde_json::from_str(&custom).unwrap_or(json!([])),
        checksums: json!({}),
    };
    let (data, file) = bucket.place(&bytes)?;
    bucket.save(&object, data, file)?;
    drop_upload(bucket, upload_id)?;
    Ok(wire::success(
        StatusCode::OK,
        &object.to_json(Include::ALL, None),
        vec![],
    ))
}

/// Forget an upload and its parts, releasing their files.
fn drop_upload(bucket: &Bucket, upload_id: &str) -> rusqlite::Result<()> {
    let files: Vec<Option<String>> = {
        let conn = lock(&bucket.db);
        let mut stmt = conn.prepare("DELETE FROM parts WHERE upload_id = ?1 RETURNING file")?;
        let files = stmt
            .query_map([upload_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        conn.execute("DELETE FROM uploads WHERE upload_id = ?1", [upload_id])?;
        files
    };
    for file in files {
        bucket.release(file);
    }
    Ok(())
}
