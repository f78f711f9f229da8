//! `cargo edge tail`: live events of a deployed worker. A tail is created through the API,
//! its WebSocket is opened with the `trace-v1` subprotocol and sent the filters, and every event
//! is handed on; a dropped socket is reopened with backoff (a new tail when the old one is
//! gone), and the tail is deleted when the session ends.

pub mod event;
pub mod filters;

use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use crate::deploy::client::{Body, Client};
use crate::deploy::error::DeployError;
use filters::TailFilters;

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

/// What happened in a session, for the summary line and the tests.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct TailSummary {
    pub events: usize,
    /// Connections made again after one dropped.
    pub reconnects: usize,
    pub tails_created: usize,
}

struct Tail {
    id: String,
    url: String,
}

fn create(client: &Client, script: &str) -> Result<Tail, DeployError> {
    let result = client.call(
        Method::POST,
        &format!("{script}/tails"),
        Body::Json(&serde_json::json!({})),
    )?;
    let text = |key: &str| result[key].as_str().map(str::to_string);
    match (text("id"), text("url")) {
        (Some(id), Some(url)) => Ok(Tail { id, url }),
        _ => Err(DeployError::Decode {
            path: format!("{script}/tails"),
            message: format!("no id and url in {result}"),
        }),
    }
}

fn delete(client: &Client, script: &str, tail: &Tail) {
    if let Err(error) = client.call(
        Method::DELETE,
        &format!("{script}/tails/{}", tail.id),
        Body::None,
    ) {
        tracing::warn!("could not delete tail {}: {error}", tail.id);
    }
}

/// Open the socket with `trace-v1` and send the filters.
fn connect(tail: &Tail, message: &Value) -> Result<Socket, String> {
    let mut request = tail
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "trace-v1".parse().expect("a header value"),
    );
    let (mut socket, _) = tungstenite::connect(request).map_err(|e| e.to_string())?;
    // Reads wake up every 200 ms so Ctrl-C is noticed.
    let timeout = Some(Duration::from_millis(200));
    let _ = match socket.get_mut() {
        MaybeTlsStream::Plain(stream) => stream.set_read_timeout(timeout),
        MaybeTlsStream::Rustls(stream) => stream.get_mut().set_read_timeout(timeout),
        _ => Ok(()),
    };
    socket
        .send(Message::text(message.to_string()))
        .map_err(|e| e.to_string())?;
    Ok(socket)
}

/// Run a session until `stop` is set (Ctrl-C) or `max_events` have been handed to `on_event`.
pub fn run(
    client: &Client,
    script: &str,
    filters: &TailFilters,
    stop: &AtomicBool,
    max_events: Option<usize>,
    mut on_event: impl FnMut(&Value),
    mut on_status: impl FnMut(&str),
) -> Result<TailSummary, DeployError> {
    let message = filters.message().map_err(|e| DeployError::Rollout {
        message: e,
        help: "see `cargo edge tail --help`".into(),
    })?;
    let mut summary = TailSummary::default();
    let mut tail = create(client, script)?;
    summary.tails_created += 1;
    let mut failures = 0u32;
    let mut dropped = false;
    let outcome = loop {
        if stop.load(Ordering::SeqCst) || max_events.is_some_and(|m| summary.events >= m) {
            break Ok(());
        }
        let mut socket = match connect(&tail, &message) {
            Ok(socket) => socket,
            Err(error) => {
                failures += 1;
                on_status(&format!("could not connect ({error}); retrying"));
                if failures.is_multiple_of(3) {
                    // The tail may be gone (expired or deleted): make a new one.
                    delete(client, script, &tail);
                    tail = match create(client, script) {
                        Ok(tail) => tail,
                        Err(error) => break Err(error),
                    };
                    summary.tails_created += 1;
                }
                sleep_unless_stopped(backoff(failures), stop);
                continue;
            }
        };
        if dropped || failures > 0 {
            on_status("connected again");
        } else {
            on_status("connected; waiting for events (Ctrl-C to stop)");
        }
        failures = 0;
        if dropped {
            summary.reconnects += 1;
        }
        read(
            &mut socket,
            filters,
            stop,
            max_events,
            &mut summary,
            &mut on_event,
        );
        let _ = socket.close(None);
        // A Ctrl-C can end the read a moment before `stop` is set: give it that moment.
        sleep_unless_stopped(Duration::from_millis(100), stop);
        dropped = !stop.load(Ordering::SeqCst) && max_events.is_none_or(|m| summary.events < m);
        if dropped {
            on_status("the connection dropped; reconnecting");
            sleep_unless_stopped(backoff(1), stop);
        }
    };
    delete(client, script, &tail);
    outcome.map(|()| summary)
}

/// Read events until the socket ends, `stop` is set, or enough events arrived.
fn read(
    socket: &mut Socket,
    filters: &TailFilters,
    stop: &AtomicBool,
    max_events: Option<usize>,
    summary: &mut TailSummary,
    on_event: &mut impl FnMut(&Value),
) {
    loop {
        if stop.load(Ordering::SeqCst) || max_events.is_some_and(|m| summary.events >= m) {
            return;
        }
        let message = match socket.read() {
            Ok(message) => message,
            // A read timeout, or a signal (Ctrl-C) interrupting the read: look at `stop` again.
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(_) => return,
        };
        let text = match &message {
            Message::Text(text) => text.as_str().to_string(),
            Message::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            Message::Close(_) => return,
            _ => continue,
        };
        let Ok(event) = serde_json::from_str::<Value>(&text) else {
            tracing::warn!("a tail message that is not JSON: {text}");
            continue;
        };
        if filters.keeps(&event) {
            summary.events += 1;
            on_event(&event);
        }
    }
}

/// 0.5 s, 1 s, 2 s, … up to 10 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << failures.saturating_sub(1).min(5)))
        .min(Duration::from_secs(10))
}

fn sleep_unless_stopped(duration: Duration, stop: &AtomicBool) {
    let deadline = std::time::Instant::now() + duration;
    while std::time::Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
    }
}
