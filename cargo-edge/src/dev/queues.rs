//! Queues: the producer side of workerd's queue binding (`POST /message`, `POST /batch`) and the
//! durable message store the consumer engine reads. A message is committed (`synchronous=FULL`)
//! before the producer gets its 200, so a restart loses nothing acknowledged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use axum::response::Response;
use base64::Engine;
use rusqlite::params;
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::error::Result;
use super::http::{internal, json, with_reason, Call, Refusal};
use super::store::{lock, now_ms, Db, Durability, Stores};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, \
    id TEXT NOT NULL UNIQUE, body BLOB NOT NULL, content_type TEXT NOT NULL, timestamp INTEGER NOT NULL, \
    visible_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);";

/// Cloudflare's limits: message size, batch length, delay.
pub const MAX_MESSAGE: usize = 128_000;
pub const MAX_BATCH_BYTES: usize = 256_000;
pub const MAX_BATCH: usize = 100;
pub const MAX_DELAY_SECS: u64 = 43_200;

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub body: Vec<u8>,
    /// `json`, `text`, `bytes` or `v8`, as the producer sent it.
    pub content_type: String,
    /// When it was sent, ms since the epoch.
    pub timestamp: i64,
    /// When it may be delivered, ms since the epoch.
    pub visible_at: i64,
    /// Deliveries so far.
    pub attempts: u32,
}

/// Every queue's store, and a wake-up signal per queue for its consumer.
#[derive(Debug)]
pub struct Queues {
    stores: Arc<Stores>,
    wakers: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Queues {
    pub fn new(stores: Arc<Stores>) -> Queues {
        Queues {
            stores,
            wakers: Mutex::new(HashMap::new()),
        }
    }

    /// The store of `queue`.
    pub fn db(&self, queue: &str) -> Result<Db> {
        self.stores.open("queues", queue, SCHEMA, Durability::Full)
    }

    /// The signal raised whenever a message is added to `queue`.
    pub fn waker(&self, queue: &str) -> Arc<Notify> {
        let mut wakers = self.wakers.lock().unwrap_or_else(|e| e.into_inner());
        wakers.entry(queue.to_string()).or_default().clone()
    }

    /// Commit `messages` to `queue` in one transaction, then wake its consumer.
    pub fn enqueue(&self, queue: &str, messages: &[Message]) -> Result<()> {
        let db = self.db(queue)?;
        {
            let mut conn = lock(&db);
            let tx = conn.transaction()?;
            for m in messages {
                tx.execute(
                    "INSERT OR IGNORE INTO messages (id, body, content_type, timestamp, visible_at, attempts) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![m.id, m.body, m.content_type, m.timestamp, m.visible_at, m.attempts],
                )?;
            }
            tx.commit()?;
        }
        self.waker(queue).notify_one();
        Ok(())
    }
}

/// Up to `limit` messages visible at `now`, oldest first.
pub fn ready(db: &Db, now: i64, limit: u32) -> Result<Vec<Message>> {
    let conn = lock(db);
    let mut stmt = conn.prepare(
        "SELECT id, body, content_type, timestamp, visible_at, attempts FROM messages \
         WHERE visible_at <= ?1 ORDER BY visible_at, seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![now, limit], |r| {
        Ok(Message {
            id: r.get(0)?,
            body: r.get(1)?,
            content_type: r.get(2)?,
            timestamp: r.get(3)?,
            visible_at: r.get(4)?,
            attempts: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When the next message becomes visible, if any is waiting.
pub fn next_visible(db: &Db) -> Result<Option<i64>> {
    Ok(lock(db).query_row("SELECT MIN(visible_at) FROM messages", [], |r| r.get(0))?)
}

/// Remove a message (acknowledged, or moved to a dead-letter queue).
pub fn remove(db: &Db, id: &str) -> Result<()> {
    lock(db).execute("DELETE FROM messages WHERE id = ?1", [id])?;
    Ok(())
}

/// Put a message back for another delivery at `visible_at`, counting the attempt.
pub fn retry(db: &Db, id: &str, attempts: u32, visible_at: i64) -> Result<()> {
    lock(db).execute(
        "UPDATE messages SET attempts = ?2, visible_at = ?3 WHERE id = ?1",
        params![id, attempts, visible_at],
    )?;
    Ok(())
}

/// A new random message id.
pub fn new_id() -> String {
    super::store::random_id()
}

/// Serve one producer call for `queue`.
pub fn handle(queues: &Queues, queue: &str, call: &Call) -> Response {
    let messages = match (&call.method, call.path.as_str()) {
        (&Method::POST, "message") => single(call),
        (&Method::POST, "batch") => batch(call),
        _ => Err(Box::new(with_reason(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
        ))),
    };
    let messages = match messages {
        Ok(messages) => messages,
        Err(refusal) => return *refusal,
    };
    if let Err(e) = queues.enqueue(queue, &messages) {
        return internal(e);
    }
    let metrics = json!({"backlogCount": 0, "backlogBytes": 0, "oldestMessageTimestamp": 0});
    json(
        StatusCode::OK,
        &json!({ "metadata": { "metrics": metrics } }),
    )
}

/// A message ready to store; `delay` in seconds.
fn message(body: Vec<u8>, content_type: &str, delay: u64) -> std::result::Result<Message, Refusal> {
    if body.len() > MAX_MESSAGE {
        let msg = format!(
            "message length of {} bytes exceeds limit of {MAX_MESSAGE}",
            body.len()
        );
        return Err(Box::new(with_reason(StatusCode::PAYLOAD_TOO_LARGE, &msg)));
    }
    if delay > MAX_DELAY_SECS {
        let msg = format!("delaySeconds must be at most {MAX_DELAY_SECS}");
        return Err(Box::new(with_reason(StatusCode::BAD_REQUEST, &msg)));
    }
    let now = now_ms();
    Ok(Message {
        id: new_id(),
        body,
        content_type: content_type.to_string(),
        timestamp: now,
        visible_at: now + delay as i64 * 1000,
        attempts: 0,
    })
}

/// The delay of a send: `X-Msg-Delay-Secs` when the worker gave one, else the producer's
/// `delivery_delay` (injected by workerd as `X-Edge-Delivery-Delay`), else none.
fn delay_header(call: &Call) -> u64 {
    ["X-Msg-Delay-Secs", "X-Edge-Delivery-Delay"]
        .iter()
        .find_map(|name| call.header(name).and_then(|d| d.parse().ok()))
        .unwrap_or(0)
}

fn single(call: &Call) -> std::result::Result<Vec<Message>, Refusal> {
    let format = call.header("X-Msg-Fmt").unwrap_or("v8");
    Ok(vec![message(
        call.body.to_vec(),
        format,
        delay_header(call),
    )?])
}

fn batch(call: &Call) -> std::result::Result<Vec<Message>, Refusal> {
    let invalid = || Box::new(with_reason(StatusCode::BAD_REQUEST, "invalid batch body"));
    let request: Value = serde_json::from_slice(&call.body).map_err(|_| invalid())?;
    let items = request["messages"].as_array().cloned().unwrap_or_default();
    if items.len() > MAX_BATCH {
        let msg = format!(
            "batch message count of {} exceeds limit of {MAX_BATCH}",
            items.len()
        );
        return Err(Box::new(with_reason(StatusCode::PAYLOAD_TOO_LARGE, &msg)));
    }
    let batch_delay = delay_header(call);
    let messages = items
        .iter()
        .map(|item| {
            let body = base64::engine::general_purpose::STANDARD
                .decode(item["body"].as_str().unwrap_or_default())
                .map_err(|_| invalid())?;
            let format = item["contentType"].as_str().unwrap_or("v8");
            message(
                body,
                format,
                item["delaySecs"].as_u64().unwrap_or(batch_delay),
            )
        })
        .collect::<std::result::Result<Vec<Message>, Refusal>>()?;
    let bytes: usize = messages.iter().map(|m| m.body.len()).sum();
    if bytes > MAX_BATCH_BYTES {
        let msg = format!("batch size of {bytes} bytes exceeds limit of {MAX_BATCH_BYTES}");
        return Err(Box::new(with_reason(StatusCode::PAYLOAD_TOO_LARGE, &msg)));
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn message(id: &str, visible_at: i64) -> Message {
        Message {
            id: id.into(),
            body: id.as_bytes().to_vec(),
            content_type: "text".into(),
            timestamp: 0,
            visible_at,
            attempts: 0,
        }
    }

    #[test]
    fn messages_wait_for_their_time_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let queues = Queues::new(Arc::new(Stores::new(dir.path()).unwrap()));
        queues
            .enqueue("q", &[message("late", 500), message("now", 100)])
            .unwrap();
        let db = queues.db("q").unwrap();
        let ids = |at| {
            ready(&db, at, 10)
                .unwrap()
                .into_iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(100), ["now"]);
        assert_eq!(next_visible(&db).unwrap(), Some(100));
        retry(&db, "now", 1, 900).unwrap();
        assert_eq!(ids(600), ["late"]);
        remove(&db, "late").unwrap();
        drop((db, queues));
        let reopened = Queues::new(Arc::new(Stores::new(dir.path()).unwrap()));
        let left = ready(&reopened.db("q").unwrap(), 1000, 10).unwrap();
        assert_eq!((left[0].id.as_str(), left[0].attempts), ("now", 1));
    }
}
