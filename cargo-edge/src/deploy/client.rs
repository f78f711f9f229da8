//! A small Cloudflare API client: the v4 envelope, errors that say what to do, retries with
//! backoff and jitter on 429/5xx/timeouts (honouring `Retry-After`), pagination. The token is
//! kept in a type whose `Debug` never shows it.

use std::time::Duration;

use reqwest::blocking::{multipart::Form, RequestBuilder, Response};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::error::{ApiError, DeployError};
use super::record::{Recorded, Recorder};

pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

/// A credential: never printed, never logged.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone)]
pub enum Auth {
    Token(Secret),
    Key { key: Secret, email: String },
}

impl Auth {
    /// `CLOUDFLARE_API_TOKEN`, or `CLOUDFLARE_API_KEY` with `CLOUDFLARE_EMAIL`.
    pub fn from_env() -> Option<Auth> {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        if let Some(token) = var("CLOUDFLARE_API_TOKEN") {
            return Some(Auth::Token(Secret::new(token)));
        }
        match (var("CLOUDFLARE_API_KEY"), var("CLOUDFLARE_EMAIL")) {
            (Some(key), Some(email)) => Some(Auth::Key {
                key: Secret::new(key),
                email,
            }),
            _ => None,
        }
    }

    fn apply(&self, request: RequestBuilder) -> RequestBuilder {
        match self {
            Auth::Token(token) => request.bearer_auth(token.expose()),
            Auth::Key { key, email } => request
                .header("X-Auth-Key", key.expose())
                .header("X-Auth-Email", email),
        }
    }
}

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base_delay: Duration,
    /// `Retry-After` values above this are not waited for: the error is reported instead.
    pub max_delay: Duration,
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(60),
            timeout: Duration::from_secs(60),
        }
    }
}

/// Cloudflare's response envelope.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub success: bool,
    #[serde(default)]
    pub errors: Vec<ApiMessage>,
    #[serde(default)]
    pub result: Value,
    #[serde(default)]
    pub result_info: Option<ResultInfo>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApiMessage {
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ResultInfo {
    #[serde(default)]
    pub page: Option<u32>,
    #[serde(default)]
    pub total_pages: Option<u32>,
}

/// A request body.
pub enum Body<'a> {
    None,
    Json(&'a Value),
    /// Built anew for every attempt (a multipart form cannot be replayed).
    Multipart(&'a dyn Fn() -> Form, &'a Value),
}

/// Whether requests are really sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything is sent.
    Live,
    /// Reads are sent, writes only recorded (`--dry-run` with credentials).
    DryRun,
    /// Nothing is sent: reads find nothing, writes are recorded (`--dry-run` without
    /// credentials plans a first deploy).
    Offline,
}

pub struct Client {
    http: reqwest::blocking::Client,
    base: String,
    auth: Auth,
    retry: RetryPolicy,
    mode: Mode,
    pub recorder: Recorder,
}

impl Client {
    pub fn new(
        base: &str,
        auth: Auth,
        retry: RetryPolicy,
        mode: Mode,
    ) -> Result<Client, DeployError> {
        let http = reqwest::blocking::Client::builder()
            .timeout(retry.timeout)
            .user_agent(concat!("cargo-edge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DeployError::Http {
                message: e.to_string(),
            })?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_string(),
            auth,
            retry,
            mode,
            recorder: Recorder::default(),
        })
    }

    /// The base URL from `CLOUDFLARE_API_BASE_URL`, or Cloudflare's.
    pub fn base_url_from_env() -> String {
        std::env::var("CLOUDFLARE_API_BASE_URL")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_BASE_URL.into())
    }

    /// Send a request and return the envelope's `result`, retrying what can be retried.
    pub fn call(&self, method: Method, path: &str, body: Body) -> Result<Value, DeployError> {
        Ok(self.call_envelope(method, path, body)?.result)
    }

    /// [`Client::call`] with another credential (the asset upload session's token).
    pub fn call_as(
        &self,
        auth: &Auth,
        method: Method,
        path: &str,
        body: Body,
    ) -> Result<Value, DeployError> {
        Ok(self.call_envelope_as(auth, method, path, body)?.result)
    }

    /// GET every page of a list endpoint.
    pub fn list<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, DeployError> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        for page in 1..=1000u32 {
            let envelope = self.call_envelope(
                Method::GET,
                &format!("{path}{separator}page={page}&per_page=100"),
                Body::None,
            )?;
            let batch: Vec<T> =
                serde_json::from_value(envelope.result).map_err(|e| DeployError::Decode {
                    path: path.into(),
                    message: e.to_string(),
                })?;
            let done = batch.is_empty()
                || envelope
                    .result_info
                    .as_ref()
                    .is_none_or(|i| i.page.unwrap_or(page) >= i.total_pages.unwrap_or(page));
            items.extend(batch);
            if done {
                break;
            }
        }
        Ok(items)
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    fn call_envelope(
        &self,
        method: Method,
        path: &str,
        body: Body,
    ) -> Result<Envelope, DeployError> {
        self.call_envelope_as(&self.auth, method, path, body)
    }

    fn call_envelope_as(
        &self,
        auth: &Auth,
        method: Method,
        path: &str,
        body: Body,
    ) -> Result<Envelope, DeployError> {
        self.recorder.record(Recorded::new(&method, path, &body));
        let sent = match self.mode {
            Mode::Live => true,
            Mode::DryRun => method == Method::GET,
            Mode::Offline => false,
        };
        if !sent {
            return simulated(&method, path);
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.attempt(auth, &method, path, &body);
            let delay = match &outcome {
                Ok(response) => retry_delay(response, attempt, &self.retry),
                Err(error) if error.is_timeout() || error.is_connect() || error.is_request() => {
                    Some(backoff(attempt, &self.retry))
                }
                Err(_) => None,
            };
            match delay {
                Some(delay) if attempt < self.retry.attempts && delay <= self.retry.max_delay => {
                    tracing::info!(%method, path, attempt, ?delay, "retrying");
                    std::thread::sleep(delay);
                }
                _ => return self.finish(method, path, outcome),
            }
        }
    }

    fn attempt(
        &self,
        auth: &Auth,
        method: &Method,
        path: &str,
        body: &Body,
    ) -> reqwest::Result<Response> {
        let url = format!("{}{path}", self.base);
        let request = auth.apply(self.http.request(method.clone(), url));
        let request = match body {
            Body::None => request,
            Body::Json(value) => request.json(value),
            Body::Multipart(form, _) => request.multipart(form()),
        };
        request.send()
    }

    fn finish(
        &self,
        method: Method,
        path: &str,
        outcome: reqwest::Result<Response>,
    ) -> Result<Envelope, DeployError> {
        let response = outcome.map_err(|e| DeployError::Unreachable {
            method: method.to_string(),
            path: path.into(),
            message: redact(&e.to_string(), &self.auth),
        })?;
        let status = response.status();
        let text = response.text().unwrap_or_default();
        let envelope = if text.trim().is_empty() && status.is_success() {
            Envelope {
                success: true,
                errors: vec![],
                result: Value::Null,
                result_info: None,
            }
        } else {
            serde_json::from_str::<Envelope>(&text).map_err(|_| {
                DeployError::Api(ApiError {
                    method: method.to_string(),
                    path: path.into(),
                    status: status.as_u16(),
                    errors: vec![ApiMessage {
                        code: 0,
                        message: truncate(&text),
                    }],
                })
            })?
        };
        if !status.is_success() || !envelope.success {
            return Err(DeployError::Api(ApiError {
                method: method.to_string(),
                path: path.into(),
                status: status.as_u16(),
                errors: envelope.errors,
            }));
        }
        Ok(envelope)
    }
}

/// The answer a request that is not sent stands for: reads find nothing; writes succeed with
/// placeholder ids.
fn simulated(method: &Method, path: &str) -> Result<Envelope, DeployError> {
    let empty = |result| {
        Ok(Envelope {
            success: true,
            errors: vec![],
            result,
            result_info: None,
        })
    };
    if *method != Method::GET {
        let id = format!("<id from {method} {path}>");
        return empty(serde_json::json!({"id": id, "uuid": id, "queue_id": id}));
    }
    if path.ends_with("/script-settings") || path.contains("/workers/services/") {
        return Err(DeployError::Api(ApiError {
            method: method.to_string(),
            path: path.into(),
            status: 404,
            errors: vec![ApiMessage {
                code: 10007,
                message: "not found (offline dry run)".into(),
            }],
        }));
    }
    if path.ends_with("/r2/buckets") {
        return empty(serde_json::json!({"buckets": []}));
    }
    empty(serde_json::json!([]))
}

/// How long to wait before retrying this response, if it should be retried at all.
fn retry_delay(response: &Response, attempt: u32, policy: &RetryPolicy) -> Option<Duration> {
    let status = response.status();
    if status.as_u16() != 429 && !status.is_server_error() {
        return None;
    }
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    Some(retry_after.unwrap_or_else(|| backoff(attempt, policy)))
}

/// Exponential backoff with up to 50% jitter.
fn backoff(attempt: u32, policy: &RetryPolicy) -> Duration {
    let exponential = policy.base_delay.saturating_mul(1 << attempt.min(10));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = exponential.mul_f64(f64::from(nanos % 1000) / 2000.0);
    (exponential + jitter).min(policy.max_delay)
}

/// Remove the credential from a message, whatever printed it.
fn redact(message: &str, auth: &Auth) -> String {
    let secret = match auth {
        Auth::Token(token) => token.expose(),
        Auth::Key { key, .. } => key.expose(),
    };
    if secret.is_empty() {
        message.to_string()
    } else {
        message.replace(secret, "***")
    }
}

fn truncate(text: &str) -> String {
    let mut text: String = text.chars().take(300).collect();
    if text.is_empty() {
        text = "(empty response)".into();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_debug_print() {
        let auth = Auth::Token(Secret::new("tok-123"));
        assert!(!format!("{auth:?}").contains("tok-123"));
        assert_eq!(redact("bad header tok-123", &auth), "bad header ***");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..Default::default()
        };
        assert!(backoff(1, &policy) >= Duration::from_millis(200));
        assert!(backoff(1, &policy) <= Duration::from_millis(300));
        assert_eq!(backoff(9, &policy), Duration::from_secs(1));
    }
}
