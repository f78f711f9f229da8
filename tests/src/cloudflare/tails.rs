//! Tails: `POST …/scripts/{name}/tails` gives a socket URL on this server, `DELETE` ends it.
//! The socket (`/__tail/{id}`, subprotocol `trace-v1` required) takes the filter message first
//! and then receives one event per request made to the hosted worker at
//! `/__worker/{script}/…` that passes the filters. [`super::FakeCloudflare::drop_tail_sockets`]
//! cuts every open socket, as a network hiccup would.

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tokio::sync::broadcast;

use super::envelope::{ok, ApiError, ApiResult, NOT_FOUND};
use super::scripts::script_mut;
use super::state::{lock, unix_now, Shared};

/// A tail of a script.
#[derive(Debug, Clone)]
pub struct Tail {
    pub id: String,
    pub script: String,
    /// Filter messages received, in order (one per connection).
    pub filters: Vec<Value>,
}

/// What the tail sockets listen to.
pub struct Hub {
    pub events: broadcast::Sender<(String, Value)>,
    pub cut: broadcast::Sender<()>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub {
            events: broadcast::channel(256).0,
            cut: broadcast::channel(4).0,
        }
    }
}

/// `POST …/scripts/{name}/tails`.
pub async fn create(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let mut state = lock(&shared);
    let id = state.hex_id("tail");
    script_mut(state.account(&account_id)?, &name)?;
    state.tails.push(Tail {
        id: id.clone(),
        script: name,
        filters: Vec::new(),
    });
    let expires = unix_now() + 6 * 3600;
    ok(
        json!({"id": id, "url": format!("ws://{host}/__tail/{id}"), "expires_at": expires.to_string()}),
    )
}

/// `DELETE …/scripts/{name}/tails/{id}`.
pub async fn delete(
    State(shared): State<Shared>,
    Path((account_id, name, id)): Path<(String, String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    script_mut(state.account(&account_id)?, &name)?;
    let before = state.tails.len();
    state.tails.retain(|t| t.id != id);
    if state.tails.len() == before {
        return Err(ApiError::not_found(
            NOT_FOUND,
            format!("tail {id} not found"),
        ));
    }
    ok(json!({}))
}

/// `GET /__tail/{id}`: the socket, only with the `trace-v1` subprotocol.
pub async fn socket(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let protocol = headers
        .get("sec-websocket-protocol")
        .and_then(|p| p.to_str().ok())
        .unwrap_or("");
    if !protocol.split(',').any(|p| p.trim() == "trace-v1") {
        return (
            StatusCode::BAD_REQUEST,
            "the tail socket needs the trace-v1 subprotocol",
        )
            .into_response();
    }
    let (events, cut) = {
        let state = lock(&shared);
        if !state.tails.iter().any(|t| t.id == id) {
            return (StatusCode::NOT_FOUND, "no such tail").into_response();
        }
        (state.hub.events.subscribe(), state.hub.cut.subscribe())
    };
    upgrade
        .protocols(["trace-v1"])
        .on_upgrade(move |socket| serve(shared, id, socket, events, cut))
}

async fn serve(
    shared: Shared,
    id: String,
    mut socket: WebSocket,
    mut events: broadcast::Receiver<(String, Value)>,
    mut cut: broadcast::Receiver<()>,
) {
    let Some(Ok(Message::Text(first))) = socket.recv().await else {
        return;
    };
    let filters: Value = serde_json::from_str(first.as_str()).unwrap_or(Value::Null);
    let script = {
        let mut state = lock(&shared);
        let Some(tail) = state.tails.iter_mut().find(|t| t.id == id) else {
            return;
        };
        tail.filters.push(filters.clone());
        tail.script.clone()
    };
    loop {
        tokio::select! {
            _ = cut.recv() => return, // dropped without a close frame
            event = events.recv() => {
                let Ok((target, event)) = event else { return };
                if target == script
                    && passes(&filters["filters"], &event)
                    && socket.send(Message::Text(event.to_string().into())).await.is_err()
                {
                    return;
                }
            }
            incoming = socket.recv() => {
                if !matches!(incoming, Some(Ok(_))) {
                    return;
                }
            }
        }
    }
}

/// The filters the trace worker applies: outcome, method, header, client IP, query (in logs).
fn passes(filters: &Value, event: &Value) -> bool {
    let request = &event["event"]["request"];
    filters.as_array().into_iter().flatten().all(|filter| {
        if let Some(outcomes) = filter["outcome"].as_array() {
            return outcomes.contains(&event["outcome"]);
        }
        if let Some(methods) = filter["method"].as_array() {
            return methods.iter().any(|m| {
                m.as_str().is_some_and(|m| {
                    m.eq_ignore_ascii_case(request["method"].as_str().unwrap_or(""))
                })
            });
        }
        if let Some(header) = filter.get("header") {
            let key = header["key"].as_str().unwrap_or("").to_ascii_lowercase();
            let value = &request["headers"][key.as_str()];
            return match header["query"].as_str() {
                Some(query) => value == query,
                None => !value.is_null(),
            };
        }
        if let Some(ips) = filter["client_ip"].as_array() {
            return ips.contains(&request["headers"]["cf-connecting-ip"]);
        }
        if let Some(query) = filter["query"].as_str() {
            return event["logs"].to_string().contains(query)
                || event["exceptions"].to_string().contains(query);
        }
        true
    })
}

/// Any request to `/__worker/{script}/…`: the hosted worker answers, and its tails hear of it.
/// A path containing `fail` throws (500, an exception); every request logs one line.
pub async fn worker(
    State(shared): State<Shared>,
    Path(params): Path<Vec<(String, String)>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    _body: Bytes,
) -> Response {
    let script = params.first().map(|(_, v)| v.clone()).unwrap_or_default();
    let path = uri
        .path()
        .strip_prefix(&format!("/__worker/{script}"))
        .unwrap_or("/")
        .to_string();
    let failed = path.contains("fail");
    let (status, outcome) = if failed {
        (500, "exception")
    } else {
        (200, "ok")
    };
    let mut request_headers = serde_json::Map::new();
    for (name, value) in &headers {
        request_headers.insert(
            name.as_str().to_string(),
            json!(value.to_str().unwrap_or("")),
        );
    }
    let now_ms = (unix_now() * 1000) as i64;
    let exceptions = if failed {
        json!([{"name": "Error", "message": format!("failed on {path}"), "timestamp": now_ms, "stack": "at fetch (shim.mjs:12:5)\nat handle (index.js:40:9)"}])
    } else {
        json!([])
    };
    let event = json!({
        "outcome": outcome,
        "scriptName": script,
        "scriptVersion": {"id": lock(&shared).accounts[0].scripts.get(&script).map(|s| s.version_id()).unwrap_or_default()},
        "eventTimestamp": now_ms,
        "event": {
            "request": {"url": format!("https://{script}.edge-tests.workers.dev{path}"), "method": method.as_str(), "headers": request_headers, "cf": {}},
            "response": {"status": status},
        },
        "logs": [{"message": ["handled", method.as_str(), path], "level": if failed { "error" } else { "log" }, "timestamp": now_ms}],
        "exceptions": exceptions,
    });
    let _ = lock(&shared).hub.events.send((script.clone(), event));
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        format!("{outcome} from {script}"),
    )
        .into_response()
}
