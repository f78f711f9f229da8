//! The Rust side of the dispatcher worker (`dispatcher.js`): workerd runs it beside the user's
//! worker and it turns `POST /queue` and `POST /scheduled` into `env.<WORKER>.queue(...)` and
//! `env.<WORKER>.scheduled(...)`. Its URL is known once workerd listens, so it can be set late.

use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

/// The source of the dispatcher worker, an ES module.
pub const DISPATCHER_JS: &str = include_str!("dispatcher.js");

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
}

impl Dispatcher {
    /// A client that sends `token` in `X-Edge-Token`; `url` may come later ([`Self::set_url`]).
    pub fn new(url: Option<String>, token: String) -> Dispatcher {
        Dispatcher {
            url: watch::Sender::new(url),
            token,
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
        let token = self.token.clone();
        tokio::task::spawn_blocking(move || post_blocking(&url, &token, &body))
            .await
            .map_err(|e| DispatchError::Failed(e.to_string()))?
    }
}

fn post_blocking(url: &str, token: &str, body: &Value) -> Result<Value, DispatchError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(15 * 60)))
        .build()
        .into();
    let sent = agent
        .post(url)
        .header("X-Edge-Token", token)
        .header("content-type", "application/json")
        .send(body.to_string());
    let mut response = match sent {
        Ok(response) => response,
        Err(
            e @ (ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::HostNotFound),
        ) => return Err(DispatchError::Unreachable(e.to_string())),
        Err(e) => return Err(DispatchError::Failed(e.to_string())),
    };
    let status = response.status();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| DispatchError::Failed(e.to_string()))?;
    if !status.is_success() {
        return Err(DispatchError::Failed(format!("{status}: {text}")));
    }
    serde_json::from_str(&text).map_err(|e| DispatchError::Failed(format!("{e}: {text}")))
}
