//! The front door of `cargo edge dev`: a loopback HTTP proxy on the user's port that forwards
//! to whichever workerd is current. While workerd restarts, requests wait for the new one
//! instead of failing; a restart waits for requests in flight to finish first.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::output::Output;
use super::request_log::RequestLog;

pub type Body = BoxBody<Bytes, hyper::Error>;

/// Where requests go now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// workerd is (re)starting: hold requests.
    Restarting,
    /// workerd listens on this loopback port.
    Ready(u16),
    /// workerd is down: answer every request with this page (a crash report) until it is back.
    Failed(Arc<str>),
}

/// A request to fire a cron now (`POST /__edge/trigger/cron?cron=...` on the dev port), or to
/// deliver an email (`POST /cdn-cgi/handler/email?from=...&to=...`).
pub enum Trigger {
    Cron {
        cron: String,
        /// The worker's answer, or why it could not be fired.
        reply: tokio::sync::oneshot::Sender<Result<String, String>>,
    },
    Email {
        email: super::email_in::IncomingEmail,
        /// `?format=json`: the whole delivery as JSON.
        json: bool,
        /// The status and body to answer with.
        reply: tokio::sync::oneshot::Sender<(u16, String)>,
    },
}

/// The path of the local endpoint that fires a cron now.
pub const TRIGGER_CRON_PATH: &str = "/__edge/trigger/cron";

/// wrangler's (Miniflare's) path for an incoming email: `POST` with `?from=&to=` and the raw
/// message as the body; `cargo edge trigger email` uses it too.
pub const EMAIL_PATH: &str = "/cdn-cgi/handler/email";

/// wrangler's path for the same (`wrangler dev --test-scheduled`): `/__scheduled?cron=...`,
/// with any method, so the URL wrangler users already have in their scripts works.
pub const WRANGLER_SCHEDULED_PATH: &str = "/__scheduled";

/// Controls a running proxy.
#[derive(Clone)]
pub struct ProxyHandle {
    upstream: watch::Sender<Upstream>,
    /// The served worker's static assets, answered here without a workerd hop.
    assets: FrontAssets,
    in_flight: Arc<AtomicUsize>,
    output: Arc<Mutex<Option<Output>>>,
    answered: Arc<AtomicUsize>,
    /// One line per request (see [`super::request_log`]).
    pub log: Arc<RequestLog>,
    accept: tokio::task::AbortHandle,
    pub addr: SocketAddr,
}

type FrontAssets = Arc<std::sync::RwLock<Option<Arc<super::assets::AssetServer>>>>;

impl ProxyHandle {
    /// Serve these static assets in front of the worker (or none).
    pub fn set_assets(&self, assets: Option<Arc<super::assets::AssetServer>>) {
        if let Ok(mut slot) = self.assets.write() {
            *slot = assets;
        }
    }

    /// Read what the current workerd prints, to answer as production does when it cancels a
    /// request (see [`super::canceled`]).
    pub fn watch_output(&self, output: Output) {
        *self.output.lock().unwrap_or_else(|e| e.into_inner()) = Some(output);
    }

    /// How many responses workerd has given through the proxy so far.
    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::SeqCst)
    }

    /// Send requests to workerd on `port` (a new version: no longer stale).
    pub fn ready(&self, port: u16) {
        self.log.current();
        self.upstream.send_replace(Upstream::Ready(port));
    }

    /// Answer every request with `page` (500) until the next [`Self::ready`] or restart.
    pub fn failed(&self, page: &str) {
        self.upstream
            .send_replace(Upstream::Failed(Arc::from(page)));
    }

    /// Stop accepting connections (those open finish their requests).
    pub fn stop(&self) {
        self.accept.abort();
    }

    /// Whether the port is closed: after [`Self::stop`], once the runtime has ended the task.
    pub fn stopped(&self) -> bool {
        self.accept.is_finished()
    }

    /// Hold new requests, then wait (up to `drain`) for those in flight to finish.
    pub async fn restarting(&self, drain: Duration) {
        self.upstream.send_replace(Upstream::Restarting);
        let deadline = tokio::time::Instant::now() + drain;
        while self.in_flight.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

struct Shared {
    upstream: watch::Receiver<Upstream>,
    in_flight: Arc<AtomicUsize>,
    client: Client<HttpConnector, Incoming>,
    /// How long a request may wait for workerd before it gets a 503.
    hold: Duration,
    triggers: Option<tokio::sync::mpsc::Sender<Trigger>>,
    assets: FrontAssets,
    output: Arc<Mutex<Option<Output>>>,
    answered: Arc<AtomicUsize>,
    log: Arc<RequestLog>,
}

impl Shared {
    /// The current workerd's output and the mark of its next line.
    fn output_mark(&self) -> Option<(Output, u64)> {
        let output = self
            .output
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        let mark = output.mark();
        Some((output, mark))
    }
}

/// Start proxying connections on `listener`. Requests wait until [`ProxyHandle::ready`].
pub fn start(
    listener: TcpListener,
    hold: Duration,
    triggers: Option<tokio::sync::mpsc::Sender<Trigger>>,
) -> std::io::Result<ProxyHandle> {
    let addr = listener.local_addr()?;
    let (sender, receiver) = watch::channel(Upstream::Restarting);
    let in_flight = Arc::new(AtomicUsize::new(0));
    let assets = FrontAssets::default();
    let output = Arc::new(Mutex::new(None));
    let answered = Arc::new(AtomicUsize::new(0));
    let log = Arc::new(RequestLog::default());
    let shared = Arc::new(Shared {
        log: log.clone(),
        assets: assets.clone(),
        output: output.clone(),
        answered: answered.clone(),
        upstream: receiver,
        in_flight: in_flight.clone(),
        client: Client::builder(TokioExecutor::new()).build(upstream_connector()),
        hold,
        triggers,
    });
    let accept = tokio::spawn(accept_loop(listener, shared)).abort_handle();
    Ok(ProxyHandle {
        accept,
        upstream: sender,
        assets,
        in_flight,
        output,
        answered,
        log,
        addr,
    })
}

/// Connections to workerd with Nagle's algorithm off (see [`accept_loop`]).
fn upstream_connector() -> HttpConnector {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector
}

/// Nagle's algorithm is off on every socket of the request path (client ↔ proxy ↔ workerd, and
/// workerd ↔ binding server): with it on, a small write waiting for the ACK of the one before
/// meets the peer's delayed ACK (40 ms on Linux), which was the whole p99 of KV reads under wrk
/// (48 ms, against a 2.8 ms median).
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request| logged(request, shared.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

/// [`handle`], then the request's line: method, path, status and the time to the response head.
async fn logged(
    request: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Body>, Infallible> {
    let started = std::time::Instant::now();
    let method = request.method().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let response = handle(request, shared.clone()).await;
    if let Ok(response) = &response {
        shared
            .log
            .line(&method, &path, response.status(), started.elapsed());
    }
    response
}

/// Counts a request as in flight until dropped.
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn handle(
    mut request: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Body>, Infallible> {
    match request.uri().path() {
        TRIGGER_CRON_PATH if request.method() != hyper::Method::POST => {
            return Ok(text(StatusCode::METHOD_NOT_ALLOWED, "use POST\n"));
        }
        TRIGGER_CRON_PATH | WRANGLER_SCHEDULED_PATH => return Ok(trigger(&request, &shared).await),
        EMAIL_PATH => return Ok(email(request, &shared).await),
        _ => {}
    }
    let assets = shared.assets.read().ok().and_then(|a| a.clone());
    if let Some(answer) =
        assets.and_then(|a| a.front(request.method(), request.uri(), request.headers()))
    {
        return Ok(answer.map(|b| Full::new(b).map_err(|never| match never {}).boxed()));
    }
    let port = match wait_ready(&shared).await {
        Some(Upstream::Ready(port)) => port,
        Some(Upstream::Failed(page)) => return Ok(text(StatusCode::INTERNAL_SERVER_ERROR, &page)),
        _ => return Ok(text(StatusCode::SERVICE_UNAVAILABLE, "cargo-edge: the worker did not come up in time; see the terminal running `cargo edge dev`\n")),
    };
    shared.in_flight.fetch_add(1, Ordering::SeqCst);
    let guard = InFlight(shared.in_flight.clone());
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let Ok(uri) = format!("http://127.0.0.1:{port}{path}").parse() else {
        return Ok(text(
            StatusCode::BAD_REQUEST,
            "cargo-edge: bad request path\n",
        ));
    };
    let client_upgrade = hyper::upgrade::on(&mut request);
    *request.uri_mut() = uri;
    let mark = shared.output_mark();
    match shared.client.request(request).await {
        Ok(mut response) => {
            shared.answered.fetch_add(1, Ordering::SeqCst);
            if let Some(body) = super::canceled::production_body(&response, mark).await {
                return Ok(text(StatusCode::INTERNAL_SERVER_ERROR, &body));
            }
            if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                let server_upgrade = hyper::upgrade::on(&mut response);
                tokio::spawn(splice(client_upgrade, server_upgrade));
            }
            let (parts, body) = response.into_parts();
            let body = GuardedBody {
                inner: body,
                _guard: guard,
            }
            .boxed();
            Ok(Response::from_parts(parts, body))
        }
        Err(error) => Ok(text(
            StatusCode::BAD_GATEWAY,
            &format!("cargo-edge: could not reach workerd: {error}\n"),
        )),
    }
}

/// Fire the cron named in the query string through the dev session.
async fn trigger(request: &Request<Incoming>, shared: &Shared) -> Response<Body> {
    let cron = request
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("cron="))
        .map(percent_decode);
    let (Some(cron), Some(triggers)) = (cron, &shared.triggers) else {
        return text(
            StatusCode::BAD_REQUEST,
            "usage: POST /__edge/trigger/cron?cron=<expression as written in Cargo.toml>\n",
        );
    };
    let (reply, answer) = tokio::sync::oneshot::channel();
    if triggers.send(Trigger::Cron { cron, reply }).await.is_err() {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "cargo-edge: the dev session is stopping\n",
        );
    }
    match answer.await {
        Ok(Ok(result)) => text(StatusCode::OK, &format!("{result}\n")),
        Ok(Err(error)) => text(StatusCode::NOT_FOUND, &format!("{error}\n")),
        Err(_) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "cargo-edge: the dev session is stopping\n",
        ),
    }
}

/// Deliver the email in the body to the served worker (see [`super::email_in`]).
async fn email(request: Request<Incoming>, shared: &Shared) -> Response<Body> {
    const STOPPING: &str = "cargo-edge: the dev session is stopping\n";
    let query = request.uri().query().unwrap_or("").to_string();
    let envelope = super::email_in::envelope(&query);
    let (Some((from, to)), Some(triggers), true) = (
        envelope,
        &shared.triggers,
        request.method() == hyper::Method::POST,
    ) else {
        return text(StatusCode::BAD_REQUEST, "Invalid email. Your request must include URL parameters specifying the `from` and `to` addresses, as well as an email in the body (POST)\n");
    };
    let raw = match request.into_body().collect().await {
        Ok(body) => body.to_bytes().to_vec(),
        Err(e) => return text(StatusCode::BAD_REQUEST, &format!("cargo-edge: {e}\n")),
    };
    if raw.is_empty() {
        return text(
            StatusCode::BAD_REQUEST,
            "Invalid email: the request has no body (the raw message)\n",
        );
    }
    let json = query.split('&').any(|pair| pair == "format=json");
    let email = super::email_in::IncomingEmail { from, to, raw };
    let (reply, answer) = tokio::sync::oneshot::channel();
    if triggers
        .send(Trigger::Email { email, json, reply })
        .await
        .is_err()
    {
        return text(StatusCode::SERVICE_UNAVAILABLE, STOPPING);
    }
    match answer.await {
        Ok((status, body)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            text(status, &format!("{}\n", body.trim_end()))
        }
        Err(_) => text(StatusCode::SERVICE_UNAVAILABLE, STOPPING),
    }
}

/// `%2A%2F5+*` → `*/5 *`.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 3 <= bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Wait until workerd is ready (or known to be down), at most `hold`.
async fn wait_ready(shared: &Shared) -> Option<Upstream> {
    let mut upstream = shared.upstream.clone();
    let wait = async move {
        let state = upstream
            .wait_for(|u| !matches!(u, Upstream::Restarting))
            .await
            .ok()?;
        Some(state.clone())
    };
    tokio::time::timeout(shared.hold, wait).await.ok().flatten()
}

/// Join an upgraded client connection (a WebSocket) to workerd's.
async fn splice(client: hyper::upgrade::OnUpgrade, server: hyper::upgrade::OnUpgrade) {
    if let (Ok(client), Ok(server)) = (client.await, server.await) {
        let _ = tokio::io::copy_bidirectional(&mut TokioIo::new(client), &mut TokioIo::new(server))
            .await;
    }
}

fn text(status: StatusCode, message: &str) -> Response<Body> {
    let body = Full::new(Bytes::from(message.to_string()))
        .map_err(|never| match never {})
        .boxed();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
}

/// A response body that keeps its request counted as in flight until it is fully sent.
struct GuardedBody {
    inner: Incoming,
    _guard: InFlight,
}

impl hyper::body::Body for GuardedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, hyper::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
#[path = "proxy_tests.rs"]
mod tests;
