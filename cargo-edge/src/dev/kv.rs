//! Workers KV over workerd's KV wire protocol (`GET|PUT|DELETE /<key>?urlencoded=true`,
//! `GET /?prefix=&key_count_limit=&cursor=`, `POST /bulk/get`), with Cloudflare's limits.
//!
//! workerd reports a failed call as `KV <OP> failed: <status> <reason>`, so every refusal here puts
//! Cloudflare's message in the HTTP reason phrase.

use axum::http::{Method, StatusCode};
use axum::response::Response;
use base64::Engine;
use rusqlite::{params, OptionalExtension};
use serde_json::{json, Value};

use super::http::{internal, json, with_reason, Call, Refusal};
use super::store::{lock, now_ms, Db, Durability, Stores};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, \
                      expiration INTEGER, metadata TEXT);";

/// Cloudflare's limits, in bytes.
pub const MAX_KEY: usize = 512;
pub const MAX_VALUE: usize = 25 * 1024 * 1024;
pub const MAX_METADATA: usize = 1024;
/// The smallest `expiration_ttl`, and how far in the future an `expiration` must be, in seconds.
pub const MIN_TTL: i64 = 60;
const MAX_LIST: usize = 1000;
const MAX_BULK: usize = 100;

/// Serve one KV call for namespace `resource`.
pub fn handle(stores: &Stores, resource: &str, call: &Call) -> Response {
    let db = match stores.open("kv", resource, SCHEMA, Durability::Normal) {
        Ok(db) => db,
        Err(e) => return internal(e),
    };
    let result = match (&call.method, call.path.as_str()) {
        (&Method::GET, "") => list(&db, call),
        (&Method::POST, "bulk/get") => bulk_get(&db, call),
        (&Method::GET, key) => get(&db, key),
        (&Method::PUT, key) => put(&db, key, call),
        (&Method::DELETE, key) => delete(&db, key),
        _ => Ok(with_reason(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
        )),
    };
    result.unwrap_or_else(internal)
}

fn now_s() -> i64 {
    now_ms() / 1000
}

/// A live entry: value and metadata JSON, or `None` when missing or expired (then purged).
fn read(db: &Db, key: &str) -> rusqlite::Result<Option<(Vec<u8>, Option<String>)>> {
    let conn = lock(db);
    let row = conn
        .query_row(
            "SELECT value, metadata, expiration FROM kv WHERE key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<i64>>(2)?)),
        )
        .optional()?;
    match row {
        Some((_, _, Some(exp))) if exp <= now_s() => {
            conn.execute("DELETE FROM kv WHERE key = ?1", [key])?;
            Ok(None)
        }
        Some((value, metadata, _)) => Ok(Some((value, metadata))),
        None => Ok(None),
    }
}

fn get(db: &Db, key: &str) -> rusqlite::Result<Response> {
    if let Some(refusal) = check_key(key) {
        return Ok(refusal);
    }
    let Some((value, metadata)) = read(db, key)? else {
        return Ok(with_reason(StatusCode::NOT_FOUND, "Not Found"));
    };
    let mut response = Response::new(value.into());
    if let Some(meta) = metadata.and_then(|m| m.parse().ok()) {
        response.headers_mut().insert("CF-KV-Metadata", meta);
    }
    Ok(response)
}

fn bulk_get(db: &Db, call: &Call) -> rusqlite::Result<Response> {
    let Ok(request) = serde_json::from_slice::<Value>(&call.body) else {
        return Ok(with_reason(
            StatusCode::BAD_REQUEST,
            "Invalid bulk get request body.",
        ));
    };
    let keys: Vec<&str> = request["keys"]
        .as_array()
        .map(|k| k.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let as_json = match request["type"].as_str().unwrap_or("text") {
        "text" => false,
        "json" => true,
        other => {
            let msg = format!("\"{other}\" is not a valid type. Use \"json\" or \"text\"");
            return Ok(with_reason(StatusCode::BAD_REQUEST, &msg));
        }
    };
    if keys.len() > MAX_BULK {
        let msg = format!("You can request a maximum of {MAX_BULK} keys");
        return Ok(with_reason(StatusCode::BAD_REQUEST, &msg));
    }
    let with_metadata = request["withMetadata"].as_bool().unwrap_or(false);
    let mut out = serde_json::Map::new();
    for key in keys {
        let entry = read(db, key)?.map(|(value, metadata)| {
            let text = String::from_utf8_lossy(&value).into_owned();
            let value = match as_json {
                true => serde_json::from_str(&text).unwrap_or(Value::Null),
                false => Value::String(text),
            };
            match with_metadata {
                true => json!({"value": value, "metadata": parse_meta(metadata)}),
                false => value,
            }
        });
        out.insert(key.to_string(), entry.unwrap_or(Value::Null));
    }
    Ok(json(StatusCode::OK, &Value::Object(out)))
}

fn parse_meta(metadata: Option<String>) -> Value {
    metadata
        .and_then(|m| serde_json::from_str(&m).ok())
        .unwrap_or(Value::Null)
}

fn delete(db: &Db, key: &str) -> rusqlite::Result<Response> {
    if let Some(refusal) = check_key(key) {
        return Ok(refusal);
    }
    lock(db).execute("DELETE FROM kv WHERE key = ?1", [key])?;
    Ok(with_reason(StatusCode::OK, "OK"))
}

/// Refuse key names Cloudflare refuses.
fn check_key(key: &str) -> Option<Response> {
    if key.is_empty() || key == "." || key == ".." {
        let msg = format!("Illegal key name \"{key}\". Please use a different name.");
        return Some(with_reason(StatusCode::BAD_REQUEST, &msg));
    }
    (key.len() > MAX_KEY).then(|| {
        let msg = format!(
            "UTF-8 encoded length of {} exceeds key length limit of {MAX_KEY}.",
            key.len()
        );
        with_reason(StatusCode::URI_TOO_LONG, &msg)
    })
}

fn put(db: &Db, key: &str, call: &Call) -> rusqlite::Result<Response> {
    let expiration = match expiration(call) {
        Ok(expiration) => expiration,
        Err(refusal) => return Ok(*refusal),
    };
    if let Some(refusal) = check_key(key) {
        return Ok(refusal);
    }
    if call.body.len() > MAX_VALUE {
        let msg = format!(
            "Value length of {} exceeds limit of {MAX_VALUE}.",
            call.body.len()
        );
        return Ok(with_reason(StatusCode::PAYLOAD_TOO_LARGE, &msg));
    }
    let metadata = call.header("CF-KV-Metadata").map(str::to_string);
    if let Some(meta) = &metadata {
        if meta.len() > MAX_METADATA {
            let msg = format!(
                "Metadata length of {} exceeds limit of {MAX_METADATA}.",
                meta.len()
            );
            return Ok(with_reason(StatusCode::PAYLOAD_TOO_LARGE, &msg));
        }
        if serde_json::from_str::<Value>(meta).is_err() {
            return Ok(with_reason(
                StatusCode::BAD_REQUEST,
                "Metadata is not valid JSON.",
            ));
        }
    }
    lock(db).execute(
        "INSERT OR REPLACE INTO kv (key, value, expiration, metadata) VALUES (?1, ?2, ?3, ?4)",
        params![key, &call.body[..], expiration, metadata],
    )?;
    Ok(with_reason(StatusCode::OK, "OK"))
}

/// The absolute expiration (seconds) a put asks for, or Cloudflare's refusal.
fn expiration(call: &Call) -> Result<Option<i64>, Refusal> {
    let now = now_s();
    if let Some(ttl) = call.param("expiration_ttl") {
        return match ttl.parse::<i64>() {
            Ok(t) if t >= MIN_TTL => Ok(Some(now + t)),
            Ok(t) if t > 0 => Err(refuse(format!(
                "Invalid expiration_ttl of {ttl}. Expiration TTL must be at least {MIN_TTL}."
            ))),
            _ => Err(refuse(format!(
                "Invalid expiration_ttl of {ttl}. Please specify integer greater than 0."
            ))),
        };
    }
    let Some(at) = call.param("expiration") else {
        return Ok(None);
    };
    match at.parse::<i64>() {
        Ok(t) if t >= now + MIN_TTL => Ok(Some(t)),
        Ok(t) if t > now => Err(refuse(format!(
            "Invalid expiration of {at}. Expiration times must be at least {MIN_TTL} seconds in the future."
        ))),
        _ => Err(refuse(format!(
            "Invalid expiration of {at}. Please specify integer greater than the current number of seconds since the UNIX epoch."
        ))),
    }
}

fn refuse(message: String) -> Refusal {
    Box::new(with_reason(StatusCode::BAD_REQUEST, &message))
}

fn list(db: &Db, call: &Call) -> rusqlite::Result<Response> {
    let limit = match list_limit(call) {
        Ok(limit) => limit,
        Err(refusal) => return Ok(*refusal),
    };
    let prefix = call.param("prefix").unwrap_or("");
    let after = call
        .param("cursor")
        .filter(|c| !c.is_empty())
        .and_then(|c| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c)
                .ok()
        })
        .map(|c| String::from_utf8_lossy(&c).into_owned())
        .unwrap_or_default();
    let keys = list_keys(db, prefix, &after, limit + 1)?;
    Ok(json(StatusCode::OK, &list_page(keys, limit)))
}

/// `key_count_limit`: 1 to 1000, default 1000.
fn list_limit(call: &Call) -> Result<usize, Refusal> {
    match call.param("key_count_limit") {
        None => Ok(MAX_LIST),
        Some(text) => text
            .parse()
            .ok()
            .filter(|n| (1..=MAX_LIST).contains(n))
            .ok_or_else(|| {
                refuse(format!(
                    "Invalid key_count_limit of {text}. Please specify an integer between 1 and {MAX_LIST}."
                ))
            }),
    }
}

/// Up to `take` live keys under `prefix` after `after`, as list entries; purges expired keys.
fn list_keys(db: &Db, prefix: &str, after: &str, take: usize) -> rusqlite::Result<Vec<Value>> {
    let conn = lock(db);
    conn.execute(
        "DELETE FROM kv WHERE expiration IS NOT NULL AND expiration <= ?1",
        [now_s()],
    )?;
    let mut stmt = conn.prepare(
        "SELECT key, expiration, metadata FROM kv WHERE key > ?1 AND substr(key, 1, ?2) = ?3 \
         ORDER BY key LIMIT ?4",
    )?;
    let params = params![after, prefix.chars().count() as i64, prefix, take as i64];
    let rows = stmt.query_map(params, |r| {
        let mut key = json!({ "name": r.get::<_, String>(0)? });
        if let Some(exp) = r.get::<_, Option<i64>>(1)? {
            key["expiration"] = json!(exp);
        }
        if let Some(meta) = r.get::<_, Option<String>>(2)? {
            key["metadata"] = parse_meta(Some(meta));
        }
        Ok(key)
    })?;
    rows.collect()
}

/// One page of a listing: `limit` keys, and a cursor when more follow.
fn list_page(mut keys: Vec<Value>, limit: usize) -> Value {
    let complete = keys.len() <= limit;
    keys.truncate(limit);
    let mut page = json!({ "keys": keys, "list_complete": complete });
    if !complete {
        let last = keys.last().and_then(|k| k["name"].as_str()).unwrap_or("");
        page["cursor"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last));
    }
    page
}
