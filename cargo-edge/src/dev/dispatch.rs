//! The Rust side of the dispatcher worker (`dispatcher.js`): workerd runs it beside the user's
//! worker and it turns `POST /queue` and `POST /scheduled` into `env.<WORKER>.queue(...)` and
//! `env.<WORKER>.scheduled(...)`. Its URL is known once workerd listens, so it can be set late.

use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

/// The source of the dispatcher worker, an ES module.
pub const DISPATCHER_JS: &str = include_str!("dispatcher.js");

/// Its module that delivers incoming email (`POST /email`), imported by [`DISPATCHER_JS`].
pub const DISPATCHER_EMAIL_JS: &str = include_str!("dispatcher_email.js");

/// Why a dispatch did not produce a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DispatchError {
    /// workerd is not (yet) listening: nothing was delivered.
    Unreachable(String),
    /// The dispatcher answered with a failure (e.g. the worker has no such handler).
    Failed(String),
}

impl std::fmt::Display for DispatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DispatchError::Unreachable(e) => write!(f, "dispatcher unreachable: {e}"),
            DispatchError::Failed(e) => write!(f, "dispatcher failed: {e}"),
        }
    }
}

/// A client of the dispatcher worker.
#[derive(Debug)]
pub struct Dispatcher {
    url: watch::Sender<Option<String>>,
    token: String,
    client: reqwest::Client,
}

impl Dispatcher {
    /// A client that sends `token` in `X-Edge-Token`; `url` may come later ([`Self::set_url`]).
    pub fn new(url: Option<String>, token: String) -> Dispatcher {
        Dispatcher {
            url: watch::Sender::new(url),
            token,
            // A queue batch or a cron may run long; the dispatcher answers when it is done.
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(15 * 60))
                .build()
                .unwrap_or_default(),
        }
    }

    /// Point at the dispatcher's socket, e.g. `http://127.0.0.1:8788`.
    pub fn set_url(&self, url: String) {
        self.url.send_replace(Some(url));
    }

    /// The URL, waiting until one is set.
    pub async fn url(&self) -> String {
        let mut rx = self.url.subscribe();
        loop {
            if let Some(url) = rx.borrow_and_update().clone() {
                return url;
            }
            if rx.changed().await.is_err() {
                return String::new();
            }
        }
    }

    /// POST `body` to `path` and return the JSON answer.
    pub async fn post(&self, path: &str, body: Value) -> Result<Value, DispatchError> {
        let url = format!("{}{path}", self.url().await.trim_end_matches('/'));
        let sent = self
            .client
            .post(&url)
            .header("X-Edge-Token", &self.token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            // Not connected, or the connection dropped (workerd restarting): not delivered.
            Err(e) if e.is_connect() || (e.is_request() && !e.is_timeout()) => {
                return Err(DispatchError::Unreachable(e.to_string()))
            }
            Err(e) => return Err(DispatchError::Failed(e.to_string())),
        };
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| DispatchError::Failed(e.to_string()))?;
        if !status.is_success() {
            return Err(DispatchError::Failed(format!("{status}: {text}")));
        }
        serde_json::from_str(&text).map_err(|e| DispatchError::Failed(format!("{e}: {text}")))
    }
}
