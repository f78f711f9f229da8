//! KV pairs: `keys` (cursor-paginated), `values/{key}` (raw bytes, not the envelope), `bulk`
//! writes and `bulk/delete`.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::envelope::{json_body, ok, ApiError, ApiResult, KV_NOT_FOUND};
use super::state::{lock, Account, KvEntry, Shared};

/// Verified from wrangler issues: "get: 'key not found'" (code 10009).
const KEY_NOT_FOUND: u32 = 10009;
/// Guessed: a bad `limit`, `expiration_ttl` or bulk request.
const KV_BAD_REQUEST: u32 = 10019;

fn namespace<'a>(
    account: &'a mut Account,
    id: &str,
) -> Result<&'a mut std::collections::BTreeMap<String, KvEntry>, ApiError> {
    if !account.kv.iter().any(|n| n.id == id) {
        return Err(ApiError::not_found(KV_NOT_FOUND, "namespace not found"));
    }
    Ok(account.kv_values.entry(id.to_string()).or_default())
}

/// `GET …/keys?limit&prefix&cursor`: up to `limit` (10–1000, default 1000) keys in order;
/// `result_info.cursor` is empty on the last page.
pub async fn keys(
    State(shared): State<Shared>,
    Path((account_id, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
        None => 1000,
        Some(Ok(limit)) if (10..=1000).contains(&limit) => limit,
        Some(_) => {
            return Err(ApiError::bad(
                KV_BAD_REQUEST,
                "limit must be between 10 and 1000",
            ))
        }
    };
    let start: usize = match query.get("cursor").filter(|c| !c.is_empty()) {
        None => 0,
        Some(cursor) => cursor
            .parse()
            .map_err(|_| ApiError::bad(KV_BAD_REQUEST, "invalid cursor"))?,
    };
    let prefix = query.get("prefix").cloned().unwrap_or_default();
    let mut state = lock(&shared);
    let pairs = namespace(state.account(&account_id)?, &id)?;
    let matching: Vec<(&String, &KvEntry)> = pairs
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(limit)
        .map(|(name, entry)| {
            let mut key = json!({"name": name});
            if let Some(expiration) = entry.expiration {
                key["expiration"] = json!(expiration);
            }
            if let Some(metadata) = &entry.metadata {
                key["metadata"] = metadata.clone();
            }
            key
        })
        .collect();
    let next = start + page.len();
    let cursor = if next < matching.len() {
        next.to_string()
    } else {
        String::new()
    };
    let body = json!({
        "success": true, "errors": [], "messages": [],
        "result": page,
        "result_info": {"count": page.len(), "cursor": cursor},
    });
    Ok(axum::Json(body).into_response())
}

/// `GET …/values/{key}`: the bytes as stored.
pub async fn get_value(
    State(shared): State<Shared>,
    Path((account_id, id, key)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let mut state = lock(&shared);
    let pairs = namespace(state.account(&account_id)?, &id)?;
    let entry = pairs
        .get(&key)
        .ok_or_else(|| ApiError::not_found(KEY_NOT_FOUND, "get: 'key not found'"))?;
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        Body::from(entry.value.clone()),
    )
        .into_response())
}

/// `PUT …/values/{key}?expiration_ttl=N`: the body is the value (at least 60 s to live).
pub async fn put_value(
    State(shared): State<Shared>,
    Path((account_id, id, key)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult {
    let expiration = match query.get("expiration_ttl") {
        None => None,
        Some(ttl) => match ttl.parse::<u64>() {
            Ok(ttl) if ttl >= 60 => Some(super::state::unix_now() + ttl),
            _ => {
                return Err(ApiError::bad(
                    KV_BAD_REQUEST,
                    "Invalid expiration_ttl of 0. Expiration TTL must be at least 60.",
                ))
            }
        },
    };
    check_key(&key)?;
    let mut state = lock(&shared);
    let pairs = namespace(state.account(&account_id)?, &id)?;
    pairs.insert(
        key,
        KvEntry {
            value: body.to_vec(),
            expiration,
            metadata: None,
        },
    );
    ok(json!({}))
}

/// `DELETE …/values/{key}`: succeeds whether or not the key exists.
pub async fn delete_value(
    State(shared): State<Shared>,
    Path((account_id, id, key)): Path<(String, String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    namespace(state.account(&account_id)?, &id)?.remove(&key);
    ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pair {
    key: String,
    value: String,
    base64: Option<bool>,
    expiration: Option<u64>,
    expiration_ttl: Option<u64>,
    metadata: Option<Value>,
}

/// `PUT …/bulk [{key, value, base64?, expiration?, expiration_ttl?, metadata?}]`, at most 10 000.
pub async fn bulk_put(
    State(shared): State<Shared>,
    Path((account_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let pairs: Vec<Pair> = json_body(&headers, &body)?;
    if pairs.len() > 10_000 {
        return Err(ApiError::bad(
            KV_BAD_REQUEST,
            "a bulk write takes at most 10000 pairs",
        ));
    }
    let mut entries = Vec::new();
    for pair in pairs {
        check_key(&pair.key)?;
        let value = if pair.base64 == Some(true) {
            decode_base64(&pair.value).ok_or_else(|| {
                ApiError::bad(
                    KV_BAD_REQUEST,
                    format!("the value of `{}` is not base64", pair.key),
                )
            })?
        } else {
            pair.value.into_bytes()
        };
        let expiration = pair
            .expiration
            .or(pair.expiration_ttl.map(|t| super::state::unix_now() + t));
        entries.push((
            pair.key,
            KvEntry {
                value,
                expiration,
                metadata: pair.metadata,
            },
        ));
    }
    let mut state = lock(&shared);
    let namespace = namespace(state.account(&account_id)?, &id)?;
    let count = entries.len();
    namespace.extend(entries);
    ok(json!({"successful_key_count": count, "unsuccessful_keys": []}))
}

/// `POST …/bulk/delete ["key", …]`, at most 10 000.
pub async fn bulk_delete(
    State(shared): State<Shared>,
    Path((account_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let keys: Vec<String> = json_body(&headers, &body)?;
    if keys.len() > 10_000 {
        return Err(ApiError::bad(
            KV_BAD_REQUEST,
            "a bulk delete takes at most 10000 keys",
        ));
    }
    let mut state = lock(&shared);
    let namespace = namespace(state.account(&account_id)?, &id)?;
    for key in &keys {
        namespace.remove(key);
    }
    ok(json!({"successful_key_count": keys.len(), "unsuccessful_keys": []}))
}

/// KV's key rule: 1–512 bytes, not `.` or `..`.
fn check_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.len() > 512 || key == "." || key == ".." {
        return Err(ApiError::bad(
            KV_BAD_REQUEST,
            format!("invalid key `{key}`: 1 to 512 bytes, not `.` or `..`"),
        ));
    }
    Ok(())
}

/// Standard base64 (with or without padding).
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits: Vec<u8> = text.bytes().filter(|c| *c != b'=').collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_decodes() {
        assert_eq!(super::decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(super::decode_base64("aGk").unwrap(), b"hi");
        assert!(super::decode_base64("a*").is_none());
    }
}
