//! The HTTP server: its own thread and tokio runtime, hyper connections served by hand so a
//! fault can drop one, and the gate every request passes first (log, faults, auth).

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response};
use axum::response::IntoResponse;
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::sync::{oneshot, Notify};
use tower_service::Service;

use super::envelope::{ApiError, AUTH_ERROR, INTERNAL, RATE_LIMITED};
use super::faults::FaultKind;
use super::state::{lock, Shared};
use super::LoggedRequest;

/// A running server; dropping it stops the runtime and closes every connection.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Bind 127.0.0.1 on a port the OS picks and serve `router` from a new thread.
    pub fn start(shared: Shared, router: Router) -> std::io::Result<Server> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("fake-cloudflare-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("the listener joins the runtime");
                    tokio::select! {
                        _ = accept_loop(listener, shared, router) => {}
                        _ = stopped => {}
                    }
                });
                runtime.shutdown_background();
            })?;
        Ok(Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, shared: Shared, router: Router) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (shared, router) = (shared.clone(), router.clone());
        tokio::spawn(async move {
            // Notified by a `DropConnection` fault: the connection future is then dropped,
            // which closes the socket with no response written.
            let kill = Arc::new(Notify::new());
            let service = {
                let kill = kill.clone();
                hyper::service::service_fn(move |request| {
                    gate(shared.clone(), router.clone(), kill.clone(), request)
                })
            };
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = kill.notified() => {}
            }
        });
    }
}

/// Log the request, apply an armed fault, check credentials, then route it.
async fn gate(
    shared: Shared,
    mut router: Router,
    kill: Arc<Notify>,
    request: Request<Incoming>,
) -> Result<Response<Body>, std::convert::Infallible> {
    let (parts, body) = request.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let api_path = path.strip_prefix("/client/v4").unwrap_or(&path).to_string();
    let fault = {
        let mut state = lock(&shared);
        state.log.push(LoggedRequest::new(&parts, &bytes));
        state.faults.take(parts.method.as_str(), &api_path)
    };
    match fault {
        Some(FaultKind::Status(status)) => {
            let error = ApiError::new(status, INTERNAL, "An unknown error has occurred");
            return Ok(error.into_response());
        }
        Some(FaultKind::RateLimited { retry_after_secs }) => {
            return Ok(rate_limited(retry_after_secs));
        }
        Some(FaultKind::DropConnection) => {
            kill.notify_one();
            std::future::pending::<()>().await;
        }
        Some(FaultKind::Slow(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    if !authorized(&shared, &parts.headers) && !super::assets::is_upload(&api_path) {
        return Ok(ApiError::new(401, AUTH_ERROR, "Authentication error").into_response());
    }
    let request = Request::from_parts(parts, Body::from(bytes));
    Ok(router.call(request).await.unwrap_or_else(|e| match e {}))
}

/// Cloudflare's 429, with the `Retry-After` a client should honour.
fn rate_limited(retry_after_secs: u64) -> Response<Body> {
    let message = "Please wait and consider throttling your request speed";
    let mut response = ApiError::new(429, RATE_LIMITED, message).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// A bearer token equal to the fake's, or the configured key and e-mail.
fn authorized(shared: &Shared, headers: &axum::http::HeaderMap) -> bool {
    let state = lock(shared);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(value) = header("authorization") {
        return value.strip_prefix("Bearer ") == Some(state.options.token.as_str());
    }
    match (
        &state.options.api_key,
        header("x-auth-key"),
        header("x-auth-email"),
    ) {
        (Some((key, email)), Some(k), Some(e)) => key == k && email == e,
        _ => false,
    }
}
