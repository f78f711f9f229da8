//! The queue consumer engine: one task per configured consumer gathers a batch (delivered when it
//! is full, or when its oldest message has waited `max_wait_ms`), hands it to the worker through the
//! dispatcher, then applies the acks and retries: a retried message comes back after its delay
//! (per-message, per-batch, or the consumer's `retry_delay`), and after `max_retries` retries it
//! moves to the dead-letter queue, or is dropped with a warning when there is none.
//! Batches of one queue are delivered one at a time (`max_concurrency` is not modelled).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::dispatch::{DispatchError, Dispatcher};
use super::queues::{self, Message, Queues};
use super::server::ConsumerSpec;
use super::store::now_ms;

/// Start the consumer task of `spec`; it stops when `shutdown` turns true.
pub fn spawn(
    queues: Arc<Queues>,
    dispatcher: Arc<Dispatcher>,
    spec: ConsumerSpec,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let waker = queues.waker(&spec.consumer.queue);
        loop {
            let wait = match step(&queues, &dispatcher, &spec).await {
                Ok(wait) => wait,
                Err(e) => {
                    tracing::error!("queue `{}`: {e}", spec.consumer.queue);
                    Some(Duration::from_secs(1))
                }
            };
            let sleep = wait.unwrap_or(Duration::from_secs(3600));
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = waker.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
            }
            if *shutdown.borrow() {
                return;
            }
        }
    })
}

/// Deliver one batch if one is due; returns how long to wait before looking again
/// (`Some(ZERO)` after a delivery, `None` when the queue is empty).
async fn step(
    queues: &Queues,
    dispatcher: &Dispatcher,
    spec: &ConsumerSpec,
) -> super::error::Result<Option<Duration>> {
    let consumer = &spec.consumer;
    let db = queues.db(&consumer.queue)?;
    let now = now_ms();
    let batch = queues::ready(&db, now, consumer.max_batch_size.max(1))?;
    let Some(oldest) = batch.iter().map(|m| m.visible_at).min() else {
        let next = queues::next_visible(&db)?;
        return Ok(next.map(|at| Duration::from_millis((at - now).max(1) as u64)));
    };
    let due_at = oldest + i64::from(consumer.max_wait_ms);
    if (batch.len() as u32) < consumer.max_batch_size && now < due_at {
        return Ok(Some(Duration::from_millis((due_at - now) as u64)));
    }
    let request = json!({
        "worker": spec.worker,
        "queue": consumer.queue,
        "messages": batch.iter().map(encode).collect::<Vec<_>>(),
    });
    let result = match dispatcher.post("/queue", request).await {
        Ok(result) => result,
        Err(DispatchError::Unreachable(e)) => {
            tracing::debug!("queue `{}`: {e}; will retry", consumer.queue);
            return Ok(Some(Duration::from_millis(250)));
        }
        Err(DispatchError::Failed(e)) => {
            tracing::warn!("queue `{}`: the consumer failed: {e}", consumer.queue);
            json!({ "outcome": "exception" })
        }
    };
    apply(queues, spec, &batch, &result)?;
    Ok(Some(Duration::ZERO))
}

/// A message as the dispatcher expects it: JSON and text bodies as text, others base64.
fn encode(message: &Message) -> Value {
    let body = match message.content_type.as_str() {
        "json" | "text" => json!(String::from_utf8_lossy(&message.body)),
        _ => json!(base64::engine::general_purpose::STANDARD.encode(&message.body)),
    };
    json!({
        "id": message.id,
        "timestamp": message.timestamp,
        "body": body,
        "contentType": message.content_type,
        "attempts": message.attempts + 1,
    })
}

/// What happens to one message after a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Ack,
    /// Retry after this many seconds (`None`: the consumer's `retry_delay`).
    Retry(Option<u64>),
}

/// The fate of every message of a batch, from the handler's result. Explicit per-message calls
/// win over batch-wide ones; a handler that threw retries everything it did not ack.
pub fn fates(batch: &[Message], result: &Value) -> HashMap<String, Fate> {
    let acked: HashSet<&str> = result["explicitAcks"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let retried: HashMap<&str, Option<u64>> = result["retryMessages"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| Some((r["msgId"].as_str()?, r["delaySeconds"].as_u64())))
                .collect()
        })
        .unwrap_or_default();
    let ok = result["outcome"] == "ok";
    let retry_all = result["retryBatch"]["retry"].as_bool().unwrap_or(false) || !ok;
    let batch_delay = result["retryBatch"]["delaySeconds"].as_u64();
    let ack_all = result["ackAll"].as_bool().unwrap_or(false);
    batch
        .iter()
        .map(|m| {
            let fate = if acked.contains(m.id.as_str()) {
                Fate::Ack
            } else if let Some(delay) = retried.get(m.id.as_str()) {
                Fate::Retry(*delay)
            } else if ack_all && ok {
                Fate::Ack
            } else if retry_all {
                Fate::Retry(batch_delay)
            } else {
                Fate::Ack
            };
            (m.id.clone(), fate)
        })
        .collect()
}

/// Ack, retry or dead-letter every message of a delivered batch.
fn apply(
    queues: &Queues,
    spec: &ConsumerSpec,
    batch: &[Message],
    result: &Value,
) -> super::error::Result<()> {
    let consumer = &spec.consumer;
    let db = queues.db(&consumer.queue)?;
    let fates = fates(batch, result);
    let (mut acked, mut retried, mut dead) = (0, 0, 0);
    for message in batch {
        let attempts = message.attempts + 1;
        match fates.get(&message.id).copied().unwrap_or(Fate::Ack) {
            Fate::Ack => {
                acked += 1;
                queues::remove(&db, &message.id)?
            }
            Fate::Retry(_) if attempts > consumer.max_retries => {
                dead += 1;
                dead_letter(queues, spec, message)?;
                queues::remove(&db, &message.id)?;
            }
            Fate::Retry(delay) => {
                retried += 1;
                let delay = delay.unwrap_or(u64::from(consumer.retry_delay));
                queues::retry(&db, &message.id, attempts, now_ms() + delay as i64 * 1000)?;
            }
        }
    }
    tracing::info!(
        target: "edge::activity",
        "queue `{}`: batch of {}, {}: {acked} acked, {retried} to retry, {dead} given up",
        consumer.queue,
        batch.len(),
        result["outcome"].as_str().unwrap_or("no outcome"),
    );
    Ok(())
}

fn dead_letter(
    queues: &Queues,
    spec: &ConsumerSpec,
    message: &Message,
) -> super::error::Result<()> {
    let queue = &spec.consumer.queue;
    match &spec.consumer.dead_letter_queue {
        Some(dlq) => {
            tracing::warn!(
                "queue `{queue}`: message {} moved to `{dlq}` after {} attempts",
                message.id,
                message.attempts + 1
            );
            let moved = Message {
                attempts: 0,
                visible_at: now_ms(),
                ..message.clone()
            };
            queues.enqueue(dlq, &[moved])
        }
        None => {
            tracing::warn!(
                "queue `{queue}`: message {} dropped after {} attempts (no dead_letter_queue)",
                message.id,
                message.attempts + 1
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{fates, Fate, Message};

    fn batch() -> Vec<Message> {
        ["a", "b", "c"]
            .iter()
            .map(|id| Message {
                id: id.to_string(),
                body: vec![],
                content_type: "text".into(),
                timestamp: 0,
                visible_at: 0,
                attempts: 0,
            })
            .collect()
    }

    #[test]
    fn per_message_calls_win_over_batch_calls() {
        let result = json!({"outcome": "ok", "ackAll": false, "retryBatch": {"retry": true, "delaySeconds": 7},
            "explicitAcks": ["a"], "retryMessages": [{"msgId": "b", "delaySeconds": 2}]});
        let f = fates(&batch(), &result);
        assert_eq!(
            (f["a"], f["b"], f["c"]),
            (Fate::Ack, Fate::Retry(Some(2)), Fate::Retry(Some(7)))
        );
    }

    #[test]
    fn success_acks_and_an_exception_retries_what_was_not_acked() {
        let ok = fates(
            &batch(),
            &json!({"outcome": "ok", "explicitAcks": [], "retryMessages": []}),
        );
        assert!(ok.values().all(|f| *f == Fate::Ack));
        let thrown = fates(
            &batch(),
            &json!({"outcome": "exception", "explicitAcks": ["c"], "retryMessages": []}),
        );
        assert_eq!((thrown["a"], thrown["c"]), (Fate::Retry(None), Fate::Ack));
    }
}
