//! The Cache API (`caches.default`, `caches.open(name)`) over the protocol workerd speaks to its
//! `cacheApiOutbound` service:
//! - `cache.match()`: `GET <url>` with `Cache-Control: only-if-cached`; the answer must carry
//!   `CF-Cache-Status: HIT` (the stored response follows) or `MISS`;
//! - `cache.put()`: `PUT <url>` whose body is the serialised response (status line, headers,
//!   blank line, body); `204` when stored, `413` when refused;
//! - `cache.delete()`: `PURGE <url>`; `200` when something was deleted, `404` otherwise.
//!
//! `caches.open(name)` adds `cf-cache-namespace: <name>`. Each namespace is one SQLite file
//! (`cache/<name>.sqlite`, `default` for `caches.default`), so entries survive a restart; what
//! is stored and for how long follows [`super::cache_policy`]. With `--no-cache`
//! ([`Mode::Off`]) nothing is stored and every match is a miss.

use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use rusqlite::{params, OptionalExtension};

use super::cache_policy;
use super::http::{internal, Call};
use super::store::{lock, now_ms, Durability, Stores};

/// Whether the cache keeps anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    On,
    /// `cargo edge dev --no-cache`: every `match` misses, `put` stores nothing.
    Off,
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY, status INTEGER NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL,
    stored_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);";

/// Serve one Cache API call.
pub fn handle(stores: &Stores, mode: Mode, call: &Call) -> Response {
    let namespace = call.header("cf-cache-namespace").unwrap_or("default");
    let key = cache_key(call);
    let db = match stores.open("cache", namespace, SCHEMA, Durability::Normal) {
        Ok(db) => db,
        Err(e) => return internal(e),
    };
    let conn = lock(&db);
    let result = match (call.method.as_str(), mode) {
        ("GET", Mode::On) => matched(&conn, &key, call),
        ("GET", Mode::Off) => Ok(miss()),
        ("PUT", Mode::On) => put(&conn, &key, &call.body),
        ("PUT", Mode::Off) => Ok(status(StatusCode::PAYLOAD_TOO_LARGE)),
        ("PURGE", _) => purge(&conn, &key),
        _ => Ok(status(StatusCode::METHOD_NOT_ALLOWED)),
    };
    result.unwrap_or_else(internal)
}

/// The URL workerd asked for: `http://host/path?query`.
fn cache_key(call: &Call) -> String {
    let host = call.header("host").unwrap_or("localhost");
    let query: Vec<String> = call.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    match query.is_empty() {
        true => format!("http://{host}/{}", call.path),
        false => format!("http://{host}/{}?{}", call.path, query.join("&")),
    }
}

fn status(code: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = code;
    response
}

fn miss() -> Response {
    let mut response = status(StatusCode::GATEWAY_TIMEOUT);
    response
        .headers_mut()
        .insert("cf-cache-status", HeaderValue::from_static("MISS"));
    response
}

type Row = (u16, String, Vec<u8>, i64);

fn matched(conn: &rusqlite::Connection, key: &str, call: &Call) -> rusqlite::Result<Response> {
    let row: Option<Row> = conn
        .query_row(
            "SELECT status, headers, body, stored_ms FROM entries WHERE key = ?1 AND expires_ms > ?2",
            params![key, now_ms()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((code, headers, body, stored_ms)) = row else {
        conn.execute(
            "DELETE FROM entries WHERE key = ?1 AND expires_ms <= ?2",
            params![key, now_ms()],
        )?;
        return Ok(miss());
    };
    let headers: Vec<(String, String)> = serde_json::from_str(&headers).unwrap_or_default();
    let not_modified = revalidated(call, &headers);
    let mut response = Response::new(match not_modified {
        true => Body::empty(),
        false => Body::from(body),
    });
    *response.status_mut() = match not_modified {
        true => StatusCode::NOT_MODIFIED,
        false => StatusCode::from_u16(code).unwrap_or(StatusCode::OK),
    };
    let out = response.headers_mut();
    for (name, value) in &headers {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            out.append(name, value);
        }
    }
    let age = (now_ms() - stored_ms).max(0) / 1000;
    out.insert("age", HeaderValue::from(age));
    out.insert("cf-cache-status", HeaderValue::from_static("HIT"));
    Ok(response)
}

/// `If-None-Match` naming the stored ETag, or `If-Modified-Since` not before `Last-Modified`.
fn revalidated(call: &Call, headers: &[(String, String)]) -> bool {
    let stored = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    let bare = |tag: &str| {
        tag.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string()
    };
    if let (Some(wanted), Some(etag)) = (call.header("if-none-match"), stored("etag")) {
        return wanted.trim() == "*" || wanted.split(',').any(|t| bare(t) == bare(etag));
    }
    let date = |text: &str| httpdate::parse_http_date(text.trim()).ok();
    match (
        call.header("if-modified-since").and_then(date),
        stored("last-modified").and_then(date),
    ) {
        (Some(since), Some(modified)) => modified <= since,
        _ => false,
    }
}

fn put(conn: &rusqlite::Connection, key: &str, payload: &[u8]) -> rusqlite::Result<Response> {
    let Some(Serialised {
        status: code,
        headers,
        body,
    }) = parse_response(payload)
    else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    let Some(keep) = cache_policy::storable(code, &headers, SystemTime::now()) else {
        return Ok(status(StatusCode::PAYLOAD_TOO_LARGE));
    };
    let now = now_ms();
    let expires = now.saturating_add(millis(keep.ttl));
    let headers = serde_json::to_string(&keep.headers).unwrap_or_else(|_| "[]".into());
    conn.execute(
        "INSERT OR REPLACE INTO entries (key, status, headers, body, stored_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![key, code, headers, body, now, expires],
    )?;
    Ok(status(StatusCode::NO_CONTENT))
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn purge(conn: &rusqlite::Connection, key: &str) -> rusqlite::Result<Response> {
    let deleted = conn.execute(
        "DELETE FROM entries WHERE key = ?1 AND expires_ms > ?2",
        params![key, now_ms()],
    )?;
    conn.execute("DELETE FROM entries WHERE key = ?1", params![key])?;
    Ok(status(match deleted {
        0 => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    }))
}

/// A response as `cache.put()` serialised it.
struct Serialised {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// `HTTP/1.1 200 OK\r\nName: value\r\n\r\nbody` → status, headers, body.
fn parse_response(payload: &[u8]) -> Option<Serialised> {
    let end = payload.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&payload[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let code = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Serialised {
        status: code,
        headers,
        body: payload[end + 4..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn serialised_responses_parse() {
        let payload = b"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nX-A: b\r\n\r\nhello";
        let parsed = super::parse_response(payload).unwrap();
        assert_eq!(parsed.status, 200);
        assert_eq!(parsed.headers[1], ("X-A".to_string(), "b".to_string()));
        assert_eq!(parsed.body, b"hello");
        assert!(super::parse_response(b"garbage").is_none());
    }
}
