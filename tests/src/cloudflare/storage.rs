//! KV namespaces and R2 buckets: create, list, delete.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::envelope::{
    json_body, ok, paged, ApiError, ApiResult, KV_EXISTS, KV_NOT_FOUND, R2_EXISTS, R2_NOT_FOUND,
};
use super::state::{lock, now, KvNamespace, R2Bucket, Shared};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNamespace {
    title: String,
}

fn namespace_json(namespace: &KvNamespace) -> Value {
    json!({"id": namespace.id, "title": namespace.title, "supports_url_encoding": true})
}

/// `POST /accounts/{a}/storage/kv/namespaces {title}`: 10014 when the title is taken.
pub async fn create_kv(
    State(shared): State<Shared>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let request: NewNamespace = json_body(&headers, &body)?;
    if request.title.trim().is_empty() {
        return Err(ApiError::invalid("a namespace needs a title"));
    }
    let mut state = lock(&shared);
    let id = state.hex_id("kv");
    let account = state.account(&account_id)?;
    if account.kv.iter().any(|n| n.title == request.title) {
        return Err(ApiError::bad(
            KV_EXISTS,
            "a namespace with this account ID and title already exists",
        ));
    }
    let namespace = KvNamespace {
        id,
        title: request.title,
    };
    let answer = namespace_json(&namespace);
    account.kv.push(namespace);
    ok(answer)
}

/// `GET /accounts/{a}/storage/kv/namespaces?page=&per_page=`: 20 a page by default, 100 at most.
pub async fn list_kv(
    State(shared): State<Shared>,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    let items = account.kv.iter().map(namespace_json).collect();
    paged(items, &query, 20, 100)
}

/// `DELETE /accounts/{a}/storage/kv/namespaces/{id}`.
pub async fn delete_kv(
    State(shared): State<Shared>,
    Path((account_id, id)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    let before = account.kv.len();
    account.kv.retain(|n| n.id != id);
    if account.kv.len() == before {
        return Err(ApiError::not_found(KV_NOT_FOUND, "namespace not found"));
    }
    ok(Value::Null)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewBucket {
    name: String,
    location_hint: Option<String>,
    storage_class: Option<String>,
}

/// R2's naming rule: 3–63 characters of lower-case letters, digits and hyphens, not starting
/// or ending with a hyphen.
fn valid_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// `POST /accounts/{a}/r2/buckets {name}`: 10004 when it exists.
pub async fn create_r2(
    State(shared): State<Shared>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let request: NewBucket = json_body(&headers, &body)?;
    let _ = request.storage_class;
    if !valid_bucket_name(&request.name) {
        return Err(ApiError::invalid(format!(
            "The bucket name `{}` is not valid.",
            request.name
        )));
    }
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    if account.r2.iter().any(|b| b.name == request.name) {
        return Err(ApiError::conflict(
            R2_EXISTS,
            "The bucket you tried to create already exists, and you own it.",
        ));
    }
    let bucket = R2Bucket {
        name: request.name,
        creation_date: now(),
        location: request.location_hint.unwrap_or_else(|| "ENAM".into()),
    };
    let answer = bucket_json(&bucket);
    account.r2.push(bucket);
    ok(answer)
}

fn bucket_json(bucket: &R2Bucket) -> Value {
    json!({"name": bucket.name, "creation_date": bucket.creation_date, "location": bucket.location})
}

/// `GET /accounts/{a}/r2/buckets`: `result.buckets[]`.
/// `GET /accounts/{a}/r2/buckets/{name}` (wrangler asks before it provisions a bucket).
pub async fn get_r2(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    match account.r2.iter().find(|b| b.name == name) {
        Some(bucket) => ok(bucket_json(bucket)),
        None => Err(ApiError::not_found(
            R2_NOT_FOUND,
            "The specified bucket does not exist.",
        )),
    }
}

/// From R2's documented error codes (`BucketNotEmpty`).
const R2_NOT_EMPTY: u32 = 10008;

/// `DELETE /accounts/{a}/r2/buckets/{name}`: refused while it holds objects.
pub async fn delete_r2(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    if account.r2_objects.get(&name).is_some_and(|o| !o.is_empty()) {
        return Err(ApiError::conflict(
            R2_NOT_EMPTY,
            "The bucket you tried to delete is not empty.",
        ));
    }
    let before = account.r2.len();
    account.r2.retain(|b| b.name != name);
    if account.r2.len() == before {
        return Err(ApiError::not_found(
            R2_NOT_FOUND,
            "The specified bucket does not exist.",
        ));
    }
    ok(Value::Null)
}

pub async fn list_r2(State(shared): State<Shared>, Path(account_id): Path<String>) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    let buckets: Vec<Value> = account.r2.iter().map(bucket_json).collect();
    ok(json!({ "buckets": buckets }))
}
