//! Seeding and inspecting the worker's bindings from the test, through the real binding
//! objects inside workerd (so a value seeded here reads back in the worker exactly as one the
//! worker wrote itself): [`Kv`], [`D1`], [`R2`], [`Queue`], [`DurableObject`].

use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::Worker;

pub use cargo_edge::dev::email_in::{Delivery, Outcome as EmailOutcome, Sent};

/// The header control requests carry this worker's token in.
const TOKEN_HEADER: &str = cargo_edge::dev::test_entry::TOKEN_HEADER;

impl Worker {
    /// Ask the worker's control route to run `call` on a binding; its `value` on success.
    pub(crate) async fn control(&self, call: Value) -> Result<Value> {
        let answer = self
            .client
            .post(format!("{}/__edge_test", self.control_url))
            .header(TOKEN_HEADER, &self.token)
            .body(call.to_string())
            .send()
            .await
            .map_err(|e| Error::Http(e.to_string()))?;
        let status = answer.status();
        let text = answer
            .text()
            .await
            .map_err(|e| Error::Http(e.to_string()))?;
        let body: Value = serde_json::from_str(&text)
            .map_err(|_| Error::Binding(format!("the control route answered {status}: {text}")))?;
        match body["ok"].as_bool() {
            Some(true) => Ok(body["value"].clone()),
            _ => Err(Error::Binding(
                body["error"].as_str().unwrap_or(&text).to_string(),
            )),
        }
    }

    /// The KV namespace bound as `binding`.
    pub fn kv(&self, binding: &str) -> Kv<'_> {
        Kv {
            worker: self,
            binding: binding.into(),
        }
    }

    /// The D1 database bound as `binding`.
    pub fn d1(&self, binding: &str) -> D1<'_> {
        D1 {
            worker: self,
            binding: binding.into(),
        }
    }

    /// The R2 bucket bound as `binding`.
    pub fn r2(&self, binding: &str) -> R2<'_> {
        R2 {
            worker: self,
            binding: binding.into(),
        }
    }

    /// The queue producer bound as `binding`.
    pub fn queue(&self, binding: &str) -> Queue<'_> {
        Queue {
            worker: self,
            binding: binding.into(),
        }
    }

    /// The Durable Object namespace bound as `binding`.
    pub fn durable_object(&self, binding: &str) -> DurableObject<'_> {
        DurableObject {
            worker: self,
            binding: binding.into(),
        }
    }

    /// Wait until every message sent to a queue this session consumes has been delivered and
    /// acknowledged, or given up on into its dead-letter queue (retries and their delays
    /// included); at most 30 s.
    pub async fn queues_idle(&self) -> Result<()> {
        self.queues_idle_within(Duration::from_secs(30)).await
    }

    /// [`queues_idle`](Worker::queues_idle) with another limit.
    pub async fn queues_idle_within(&self, limit: Duration) -> Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            let pending = self.instance().pending_messages().map_err(Error::Binding)?;
            let busy: Vec<String> = pending
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(q, n)| format!("`{q}`: {n}"))
                .collect();
            if busy.is_empty() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::Timeout(format!(
                    "queues still hold messages after {} s ({}); see worker.logs() for the consumer's errors",
                    limit.as_secs(),
                    busy.join(", ")
                )));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Fire the cron `expression` (as written in `crons`) now and wait for its handler.
    pub async fn scheduled(&self, expression: &str) -> Result<Scheduled> {
        let answer = self
            .instance()
            .trigger_cron(expression)
            .await
            .map_err(Error::Binding)?;
        Ok(Scheduled {
            outcome: answer["outcome"].as_str().unwrap_or("unknown").to_string(),
            no_retry: answer["noRetry"].as_bool().unwrap_or(false),
        })
    }
}

impl Worker {
    /// Deliver an email (envelope `from` → `to`, `raw` the RFC 5322 message) to the worker's
    /// `#[event(email)]` handler, as Email Routing does, and return what the handler did: its
    /// verdict, and the replies and forwards it sent (written as `.eml` files).
    pub async fn email(&self, from: &str, to: &str, raw: impl Into<Vec<u8>>) -> Result<Delivery> {
        let email = cargo_edge::dev::email_in::IncomingEmail {
            from: from.into(),
            to: to.into(),
            raw: raw.into(),
        };
        let instance = self.instance();
        instance.trigger_email(&email).await.map_err(Error::Binding)
    }
}

/// What a cron's handler did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    /// `"ok"`, or `"exception"` when the handler failed (its error is in the logs).
    pub outcome: String,
    /// Whether the handler called `noRetry()`.
    pub no_retry: bool,
}

impl Scheduled {
    /// Whether the handler finished without an error.
    pub fn is_ok(&self) -> bool {
        self.outcome == "ok"
    }
}

/// A KV namespace of the running worker.
pub struct Kv<'w> {
    worker: &'w Worker,
    binding: String,
}

impl Kv<'_> {
    async fn call(&self, op: &str, extra: Value) -> Result<Value> {
        let mut call = json!({"kind": "kv", "binding": self.binding, "op": op});
        merge(&mut call, extra);
        self.worker.control(call).await
    }

    /// Store `value` under `key`.
    pub async fn put(&self, key: &str, value: &str) -> Result<()> {
        self.call("put", json!({"key": key, "value": value}))
            .await
            .map(drop)
    }

    /// Store `value` under `key`, expiring after `ttl_seconds` (at least 60, as on Cloudflare).
    pub async fn put_with_ttl(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<()> {
        let options = json!({"expirationTtl": ttl_seconds});
        self.call(
            "put",
            json!({"key": key, "value": value, "options": options}),
        )
        .await
        .map(drop)
    }

    /// The value under `key`, as text.
    pub async fn get(&self, key: &str) -> Result<Option<String>> {
        let value = self.call("get", json!({"key": key})).await?;
        Ok(value.as_str().map(str::to_string))
    }

    /// Delete `key`.
    pub async fn delete(&self, key: &str) -> Result<()> {
        self.call("delete", json!({"key": key})).await.map(drop)
    }

    /// The keys starting with `prefix`, in order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        strings(self.call("list", json!({"prefix": prefix})).await?)
    }
}

/// A D1 database of the running worker.
pub struct D1<'w> {
    worker: &'w Worker,
    binding: String,
}

impl D1<'_> {
    /// The rows of one statement, each an object by column name.
    pub async fn query(&self, sql: &str) -> Result<Vec<Value>> {
        self.query_with(sql, &[]).await
    }

    /// [`query`](D1::query) with `?` parameters.
    pub async fn query_with(&self, sql: &str, params: &[Value]) -> Result<Vec<Value>> {
        let call = json!({"kind": "d1", "binding": self.binding, "op": "query", "sql": sql, "params": params});
        match self.worker.control(call).await? {
            Value::Array(rows) => Ok(rows),
            other => Err(Error::Binding(format!(
                "D1 answered {other} instead of rows"
            ))),
        }
    }

    /// Run one or more statements (`;`-separated, no parameters); the number run.
    pub async fn exec(&self, sql: &str) -> Result<u64> {
        let call = json!({"kind": "d1", "binding": self.binding, "op": "exec", "sql": sql});
        Ok(self.worker.control(call).await?.as_u64().unwrap_or(0))
    }
}

/// An R2 bucket of the running worker.
pub struct R2<'w> {
    worker: &'w Worker,
    binding: String,
}

impl R2<'_> {
    async fn call(&self, op: &str, extra: Value) -> Result<Value> {
        let mut call = json!({"kind": "r2", "binding": self.binding, "op": op});
        merge(&mut call, extra);
        self.worker.control(call).await
    }

    /// Store `bytes` as object `key`.
    pub async fn put(&self, key: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
        let value = base64::engine::general_purpose::STANDARD.encode(bytes);
        self.call("put", json!({"key": key, "value": value}))
            .await
            .map(drop)
    }

    /// Object `key`'s bytes.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let value = self.call("get", json!({"key": key})).await?;
        let Some(text) = value.as_str() else {
            return Ok(None);
        };
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(Some)
            .map_err(|e| Error::Binding(format!("R2 object `{key}`: {e}")))
    }

    /// Delete object `key`.
    pub async fn delete(&self, key: &str) -> Result<()> {
        self.call("delete", json!({"key": key})).await.map(drop)
    }

    /// The keys starting with `prefix`, in order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        strings(self.call("list", json!({"prefix": prefix})).await?)
    }
}

/// A queue producer of the running worker.
pub struct Queue<'w> {
    worker: &'w Worker,
    binding: String,
}

impl Queue<'_> {
    /// Send one JSON message (delivered to its consumer like one the worker sent).
    pub async fn send(&self, body: Value) -> Result<()> {
        let call = json!({"kind": "queue", "binding": self.binding, "op": "send", "body": body});
        self.worker.control(call).await.map(drop)
    }

    /// Send JSON messages in one batch.
    pub async fn send_batch(&self, bodies: Vec<Value>) -> Result<()> {
        let call =
            json!({"kind": "queue", "binding": self.binding, "op": "sendBatch", "bodies": bodies});
        self.worker.control(call).await.map(drop)
    }
}

/// A Durable Object namespace of the running worker.
pub struct DurableObject<'w> {
    worker: &'w Worker,
    binding: String,
}

impl<'w> DurableObject<'w> {
    /// The storage of the object `idFromName(name)` (the object is created if it did not exist).
    pub fn storage(&self, name: &str) -> Storage<'w> {
        Storage {
            worker: self.worker,
            binding: self.binding.clone(),
            name: name.into(),
        }
    }
}

/// One Durable Object's storage (`ctx.storage`'s key-value API), values as JSON.
pub struct Storage<'w> {
    worker: &'w Worker,
    binding: String,
    name: String,
}

impl Storage<'_> {
    async fn call(&self, op: &str, extra: Value) -> Result<Value> {
        let mut call =
            json!({"kind": "durable_object", "binding": self.binding, "name": self.name, "op": op});
        merge(&mut call, extra);
        self.worker.control(call).await
    }

    /// The value under `key` (`None` when absent).
    pub async fn get(&self, key: &str) -> Result<Option<Value>> {
        let value = self.call("get", json!({"key": key})).await?;
        Ok((!value.is_null()).then_some(value))
    }

    /// Store `value` under `key`.
    pub async fn put(&self, key: &str, value: Value) -> Result<()> {
        self.call("put", json!({"key": key, "value": value}))
            .await
            .map(drop)
    }

    /// Delete `key`.
    pub async fn delete(&self, key: &str) -> Result<()> {
        self.call("delete", json!({"key": key})).await.map(drop)
    }

    /// Every key and value.
    pub async fn list(&self) -> Result<serde_json::Map<String, Value>> {
        match self.call("list", json!({})).await? {
            Value::Object(map) => Ok(map),
            other => Err(Error::Binding(format!("storage answered {other}"))),
        }
    }
}

fn merge(call: &mut Value, extra: Value) {
    if let (Value::Object(call), Value::Object(extra)) = (call, extra) {
        call.extend(extra);
    }
}

fn strings(value: Value) -> Result<Vec<String>> {
    serde_json::from_value(value).map_err(|e| Error::Binding(e.to_string()))
}
