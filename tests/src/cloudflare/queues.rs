//! Queues: create, list, get, delete.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::consumers::consumer_json;
use super::envelope::{json_body, ok, paged, ApiError, ApiResult, QUEUE_EXISTS, QUEUE_NOT_FOUND};
use super::state::{lock, now, Account, Queue, Shared};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewQueue {
    queue_name: String,
    settings: Option<Value>,
}

/// The queue object, with the workers producing to it (from their live bindings).
fn queue_json(account: &Account, queue: &Queue) -> Value {
    let producers: Vec<Value> = account
        .scripts
        .values()
        .filter(|s| {
            s.live().is_some_and(|v| {
                v.bindings
                    .iter()
                    .any(|b| b["type"] == "queue" && b["queue_name"] == queue.name.as_str())
            })
        })
        .map(|s| json!({"type": "worker", "script": s.name}))
        .collect();
    let consumers: Vec<Value> = queue
        .consumers
        .iter()
        .map(|c| consumer_json(queue, c))
        .collect();
    json!({
        "queue_id": queue.id,
        "queue_name": queue.name,
        "created_on": queue.created_on,
        "modified_on": queue.created_on,
        "producers_total_count": producers.len(),
        "producers": producers,
        "consumers_total_count": consumers.len(),
        "consumers": consumers,
    })
}

pub(super) fn find<'a>(account: &'a mut Account, id: &str) -> Result<&'a mut Queue, ApiError> {
    account
        .queues
        .iter_mut()
        .find(|q| q.id == id)
        .ok_or_else(|| ApiError::not_found(QUEUE_NOT_FOUND, format!("Queue {id} does not exist")))
}

/// `POST /accounts/{a}/queues {queue_name}`: 11009 when the name is taken.
pub async fn create(
    State(shared): State<Shared>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let request: NewQueue = json_body(&headers, &body)?;
    let _ = request.settings;
    let name = request.queue_name;
    let valid = (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !valid {
        return Err(ApiError::bad(
            QUEUE_NOT_FOUND,
            format!("Queue name `{name}` is invalid"),
        ));
    }
    let mut state = lock(&shared);
    let id = state.hex_id("queue");
    let account = state.account(&account_id)?;
    if account.queues.iter().any(|q| q.name == name) {
        return Err(ApiError::conflict(QUEUE_EXISTS, "Queue name already taken"));
    }
    let queue = Queue {
        id,
        name,
        created_on: now(),
        consumers: Vec::new(),
    };
    let answer = queue_json(account, &queue);
    account.queues.push(queue);
    ok(answer)
}

/// `GET /accounts/{a}/queues[?name=]`: paginated.
pub async fn list(
    State(shared): State<Shared>,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    let items = account
        .queues
        .iter()
        .filter(|q| query.get("name").is_none_or(|n| *n == q.name))
        .map(|q| queue_json(account, q))
        .collect();
    paged(items, &query, 100, 1000)
}

/// `GET /accounts/{a}/queues/{id}`.
pub async fn get(
    State(shared): State<Shared>,
    Path((account_id, id)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    let queue = find(account, &id)?.clone();
    ok(queue_json(account, &queue))
}

/// `POST /accounts/{a}/queues/{id}/purge {delete_messages_permanently: true}`: the fake holds
/// no messages, so the purge is done at once.
pub async fn purge(
    State(shared): State<Shared>,
    Path((account_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let request: Value = json_body(&headers, &body)?;
    if request["delete_messages_permanently"] != true {
        return Err(ApiError::invalid(
            "delete_messages_permanently must be true to purge a queue",
        ));
    }
    let mut state = lock(&shared);
    find(state.account(&account_id)?, &id)?;
    ok(json!({"started_on": now()}))
}

/// `GET /accounts/{a}/queues/{id}/purge`: whether the last purge completed.
pub async fn purge_status(
    State(shared): State<Shared>,
    Path((account_id, id)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    find(state.account(&account_id)?, &id)?;
    ok(json!({"completed": "true", "started_on": now()}))
}

/// `DELETE /accounts/{a}/queues/{id}`.
pub async fn delete(
    State(shared): State<Shared>,
    Path((account_id, id)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    find(account, &id)?;
    account.queues.retain(|q| q.id != id);
    ok(Value::Null)
}
