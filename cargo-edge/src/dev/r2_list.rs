//! R2 listing: `prefix`, `delimiter` (→ `delimitedPrefixes`), `cursor`, `startAfter`, `limit`
//! (at most 1000) and `include` (`httpMetadata` = 0, `customMetadata` = 1).

use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use rusqlite::params;
use serde_json::{json, Value};

use super::r2::Failure;
use super::r2_store::{object_from_row, Bucket};
use super::r2_wire::{self as wire, Include, Object};
use super::store::lock;

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
            None => entries.push(Entry::Object(object_from_row(row)?)),
        }
        if entries.len() >= take {
            break;
        }
    }
    Ok(entries)
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
