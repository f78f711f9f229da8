//! R2 multipart uploads (create, upload part, complete, abort). Parts live like objects: inline
//! when small, files when large.

use axum::http::StatusCode;
use axum::response::Response;
use md5::{Digest, Md5};
use rusqlite::{params, OptionalExtension};
use serde_json::{json, Value};

use super::r2::{fields, Failure};
use super::r2_store::{Bucket, Location};
use super::r2_wire::{self as wire, Include, Object};
use super::store::{lock, now_ms, random_id};

/// R2's smallest part, except for the last one.
pub const MIN_PART: u64 = 5 * 1024 * 1024;

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
    let parts = match listed_parts(bucket, upload_id, request)? {
        Ok(parts) => parts,
        Err(refusal) => return Ok(*refusal),
    };
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

/// The parts a completion lists, in its order, or R2's refusal: a part missing or with another
/// etag, or a part other than the last smaller than [`MIN_PART`].
fn listed_parts(
    bucket: &Bucket,
    upload_id: &str,
    request: &Value,
) -> rusqlite::Result<Result<Vec<Part>, Box<Response>>> {
    let listed = request["parts"].as_array().cloned().unwrap_or_default();
    let mut parts = Vec::new();
    for (i, entry) in listed.iter().enumerate() {
        let found = load_part(bucket, upload_id, entry["part"].as_u64().unwrap_or(0))?;
        let Some(part) = found.filter(|p| Some(p.0.as_str()) == entry["etag"].as_str()) else {
            let msg = "One or more of the specified parts could not be found.";
            return Ok(Err(Box::new(wire::error(
                StatusCode::BAD_REQUEST,
                10025,
                msg,
            ))));
        };
        if i + 1 < listed.len() && part.1 < MIN_PART {
            let msg = "Your proposed upload is smaller than the minimum allowed object size.";
            return Ok(Err(Box::new(wire::error(
                StatusCode::BAD_REQUEST,
                10011,
                msg,
            ))));
        }
        parts.push(part);
    }
    Ok(Ok(parts))
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
