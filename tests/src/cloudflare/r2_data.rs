//! R2 objects over the REST API: `objects/{key…}` GET (raw bytes), PUT (the body is the
//! object), DELETE, and the cursor-paginated listing.

use std::collections::{BTreeMap, HashMap};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::envelope::{ok, ApiError, ApiResult, R2_NOT_FOUND};
use super::state::{hex, lock, Account, Shared};

/// From R2's documented error codes (`NoSuchKey`).
const NO_SUCH_KEY: u32 = 10007;
/// Guessed: a bad listing parameter.
const R2_BAD_REQUEST: u32 = 10040;

fn bucket<'a>(
    account: &'a mut Account,
    name: &str,
) -> Result<&'a mut BTreeMap<String, Vec<u8>>, ApiError> {
    if !account.r2.iter().any(|b| b.name == name) {
        return Err(ApiError::not_found(
            R2_NOT_FOUND,
            "The specified bucket does not exist.",
        ));
    }
    Ok(account.r2_objects.entry(name.to_string()).or_default())
}

fn etag(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes)[..16])
}

/// `GET …/objects/{key}`.
pub async fn get(
    State(shared): State<Shared>,
    Path((account_id, name, key)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let mut state = lock(&shared);
    let objects = bucket(state.account(&account_id)?, &name)?;
    let bytes = objects
        .get(&key)
        .ok_or_else(|| ApiError::not_found(NO_SUCH_KEY, "The specified key does not exist."))?;
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        Body::from(bytes.clone()),
    )
        .into_response())
}

/// `PUT …/objects/{key}`: the body is the object.
pub async fn put(
    State(shared): State<Shared>,
    Path((account_id, name, key)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult {
    let mut state = lock(&shared);
    let objects = bucket(state.account(&account_id)?, &name)?;
    let answer = json!({"key": key, "size": body.len(), "etag": etag(&body)});
    objects.insert(key, body.to_vec());
    ok(answer)
}

/// `DELETE …/objects/{key}`: succeeds whether or not it exists, like R2.
pub async fn delete(
    State(shared): State<Shared>,
    Path((account_id, name, key)): Path<(String, String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    bucket(state.account(&account_id)?, &name)?.remove(&key);
    ok(json!({}))
}

/// `GET …/objects?per_page&prefix&cursor`: keys in order, at most `per_page` (1–1000).
pub async fn list(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let per_page = match query.get("per_page").map(|p| p.parse::<usize>()) {
        None => 1000,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::bad(
                R2_BAD_REQUEST,
                "per_page must be between 1 and 1000",
            ))
        }
    };
    let start: usize = match query.get("cursor").filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => c
            .parse()
            .map_err(|_| ApiError::bad(R2_BAD_REQUEST, "invalid cursor"))?,
    };
    let prefix = query.get("prefix").cloned().unwrap_or_default();
    let mut state = lock(&shared);
    let objects = bucket(state.account(&account_id)?, &name)?;
    let matching: Vec<(&String, &Vec<u8>)> = objects
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(per_page)
        .map(|(key, bytes)| json!({"key": key, "size": bytes.len(), "etag": etag(bytes), "last_modified": "2026-01-01T00:00:00.000Z"}))
        .collect();
    let next = start + page.len();
    let truncated = next < matching.len();
    let body = json!({
        "success": true, "errors": [], "messages": [],
        "result": page,
        "result_info": {"cursor": if truncated { next.to_string() } else { String::new() }, "is_truncated": truncated, "per_page": per_page},
    });
    Ok(axum::Json(body).into_response())
}
