//! Queue consumers: a worker attached to a queue with its batching settings. As on
//! Cloudflare, a queue has at most one consumer.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::envelope::{json_body, ok, ApiError, ApiResult, CONSUMER_EXISTS, QUEUE_NOT_FOUND};
use super::queues::find;
use super::scripts::missing_script;
use super::state::{lock, now, Account, Consumer, Queue, Shared};

/// The consumer object of the API.
pub fn consumer_json(queue: &Queue, consumer: &Consumer) -> Value {
    json!({
        "consumer_id": consumer.id,
        "queue_id": queue.id,
        "queue_name": queue.name,
        "type": "worker",
        "script": consumer.script_name,
        "script_name": consumer.script_name,
        "dead_letter_queue": consumer.dead_letter_queue,
        "settings": consumer.settings,
        "created_on": consumer.created_on,
    })
}

/// The body of a consumer attach or update.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsumerRequest {
    #[serde(rename = "type")]
    kind: String,
    script_name: Option<String>,
    environment_name: Option<String>,
    dead_letter_queue: Option<String>,
    settings: Option<Settings>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Settings {
    batch_size: Option<u32>,
    max_retries: Option<u32>,
    max_wait_time_ms: Option<u32>,
    max_concurrency: Option<u32>,
    retry_delay: Option<u32>,
}

impl Settings {
    /// Check ranges and fill Cloudflare's defaults.
    fn resolve(self) -> Result<Value, ApiError> {
        let check =
            |key: &str, value: Option<u32>, range: std::ops::RangeInclusive<u32>| match value {
                Some(v) if !range.contains(&v) => Err(ApiError::bad(
                    QUEUE_NOT_FOUND,
                    format!("consumer setting {key} = {v} is outside {range:?}"),
                )),
                _ => Ok(()),
            };
        check("batch_size", self.batch_size, 1..=100)?;
        check("max_retries", self.max_retries, 0..=100)?;
        check("max_wait_time_ms", self.max_wait_time_ms, 0..=60_000)?;
        check("max_concurrency", self.max_concurrency, 1..=250)?;
        check("retry_delay", self.retry_delay, 0..=43_200)?;
        Ok(json!({
            "batch_size": self.batch_size.unwrap_or(10),
            "max_retries": self.max_retries.unwrap_or(3),
            "max_wait_time_ms": self.max_wait_time_ms.unwrap_or(5000),
            "max_concurrency": self.max_concurrency,
            "retry_delay": self.retry_delay.unwrap_or(0),
        }))
    }
}

/// Check a consumer request against the account; returns `(script, dead letter queue, settings)`.
fn check_consumer(
    account: &Account,
    queue_id: &str,
    request: ConsumerRequest,
) -> Result<(String, Option<String>, Value), ApiError> {
    let _ = request.environment_name;
    if request.kind != "worker" {
        return Err(ApiError::bad(
            QUEUE_NOT_FOUND,
            format!("unsupported consumer type `{}`", request.kind),
        ));
    }
    let script = request
        .script_name
        .ok_or_else(|| ApiError::bad(QUEUE_NOT_FOUND, "a worker consumer needs a script_name"))?;
    if !account.scripts.contains_key(&script) {
        return Err(missing_script(&script));
    }
    if let Some(dlq) = &request.dead_letter_queue {
        match account.queues.iter().find(|q| &q.name == dlq) {
            None => {
                return Err(ApiError::bad(
                    QUEUE_NOT_FOUND,
                    format!("dead letter queue `{dlq}` does not exist"),
                ))
            }
            Some(q) if q.id == queue_id => {
                return Err(ApiError::bad(
                    QUEUE_NOT_FOUND,
                    "a queue cannot be its own dead letter queue",
                ))
            }
            Some(_) => {}
        }
    }
    let settings = request.settings.unwrap_or_default().resolve()?;
    Ok((script, request.dead_letter_queue, settings))
}

/// `GET /accounts/{a}/queues/{id}/consumers`.
pub async fn list(
    State(shared): State<Shared>,
    Path((account_id, id)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let queue = find(state.account(&account_id)?, &id)?;
    ok(json!(queue
        .consumers
        .iter()
        .map(|c| consumer_json(queue, c))
        .collect::<Vec<_>>()))
}

/// `POST /accounts/{a}/queues/{id}/consumers`: 11004 when the queue already has a consumer.
pub async fn attach(
    State(shared): State<Shared>,
    Path((account_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let request: ConsumerRequest = json_body(&headers, &body)?;
    let mut state = lock(&shared);
    let consumer_id = state.hex_id("consumer");
    let account = state.account(&account_id)?;
    find(account, &id)?;
    let (script_name, dead_letter_queue, settings) = check_consumer(account, &id, request)?;
    let queue = find(account, &id)?;
    if !queue.consumers.is_empty() {
        return Err(ApiError::conflict(
            CONSUMER_EXISTS,
            "workers.api.error.consumer_exists",
        ));
    }
    let consumer = Consumer {
        id: consumer_id,
        script_name,
        dead_letter_queue,
        settings,
        created_on: now(),
    };
    let answer = consumer_json(queue, &consumer);
    queue.consumers.push(consumer);
    ok(answer)
}

/// `PUT /accounts/{a}/queues/{id}/consumers/{consumer_id}`: replace script, DLQ and settings.
pub async fn update(
    State(shared): State<Shared>,
    Path((account_id, id, consumer_id)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let request: ConsumerRequest = json_body(&headers, &body)?;
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    find(account, &id)?;
    let (script_name, dead_letter_queue, settings) = check_consumer(account, &id, request)?;
    let queue = find(account, &id)?;
    let index = consumer_index(queue, &consumer_id)?;
    let consumer = &mut queue.consumers[index];
    consumer.script_name = script_name;
    consumer.dead_letter_queue = dead_letter_queue;
    consumer.settings = settings;
    ok(consumer_json(queue, &queue.consumers[index]))
}

fn consumer_index(queue: &Queue, consumer_id: &str) -> Result<usize, ApiError> {
    queue
        .consumers
        .iter()
        .position(|c| c.id == consumer_id)
        .ok_or_else(|| {
            ApiError::not_found(
                QUEUE_NOT_FOUND,
                format!("consumer {consumer_id} does not exist"),
            )
        })
}

/// `DELETE /accounts/{a}/queues/{id}/consumers/{consumer_id}`.
pub async fn detach(
    State(shared): State<Shared>,
    Path((account_id, id, consumer_id)): Path<(String, String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let queue = find(state.account(&account_id)?, &id)?;
    let index = consumer_index(queue, &consumer_id)?;
    queue.consumers.remove(index);
    ok(Value::Null)
}
