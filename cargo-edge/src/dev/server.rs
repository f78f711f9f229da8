//! The binding server: one loopback HTTP listener that serves every KV namespace, D1 database,
//! R2 bucket and queue of a `cargo edge dev` session, plus the consumer and cron tasks.
//!
//! Every request must carry `X-Edge-Token: <session token>` (401 otherwise; compared in constant
//! time) and, for bindings, `X-Edge-Binding: <kind>/<resource>` with kind `kv`, `r2`, `queue`,
//! `d1` or `cache`. workerd adds both through the `external` service's `injectRequestHeaders`
//! (rendered by [`crate::render::capnp`]). The only other route is
//! `POST /__edge/trigger/cron?cron=<expr>[&worker=<binding>]`, token-protected like the rest,
//! which fires a configured cron now and answers the dispatcher's `{outcome, noRetry}`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::cron::Cron;
use super::dispatch::{DispatchError, Dispatcher};
use super::error::{DevError, Result};
use super::http::{self, Call};
use super::queues::Queues;
use super::store::{now_ms, Stores};
use crate::model::QueueConsumer;

/// What the server serves and drives.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The state directory (`.edge/state/` by default); one SQLite file per resource below it.
    pub state_dir: PathBuf,
    /// Where to listen; `127.0.0.1:0` (an OS-chosen port) unless a fixed port is wanted.
    pub listen: SocketAddr,
    /// Queue consumers to run.
    pub consumers: Vec<ConsumerSpec>,
    /// Crons to fire on schedule (and on demand).
    pub crons: Vec<CronSpec>,
    /// The dispatcher worker's URL (`http://127.0.0.1:<port>` of its workerd socket), when known
    /// before start; otherwise set it with [`RunningServer::set_dispatcher_url`]. Consumers and
    /// crons wait for it.
    pub dispatcher_url: Option<String>,
    /// Static assets by worker name, for `X-Edge-Binding: assets/<worker>` (the ASSETS binding).
    pub assets: super::assets::Registry,
    /// Whether the Cache API stores anything (`--no-cache` turns it off).
    pub cache: super::cache::Mode,
}

impl ServerConfig {
    /// A server for `state_dir` on an OS-chosen loopback port, with no consumers or crons.
    pub fn new(state_dir: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            state_dir: state_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            consumers: Vec::new(),
            crons: Vec::new(),
            dispatcher_url: None,
            assets: Default::default(),
            cache: super::cache::Mode::On,
        }
    }
}

/// A queue consumer and the worker that consumes: `worker` is the name of the dispatcher's
/// service binding to that worker (see [`super::capnp::dispatcher_service`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerSpec {
    pub worker: String,
    pub consumer: QueueConsumer,
}

/// A cron and the worker it fires (`worker` as in [`ConsumerSpec`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSpec {
    pub worker: String,
    pub cron: String,
}

/// Shared by every request.
struct AppState {
    stores: Arc<Stores>,
    queues: Arc<Queues>,
    token: String,
    dispatcher: Arc<Dispatcher>,
    crons: Vec<CronSpec>,
    assets: super::assets::Registry,
    cache: super::cache::Mode,
}

/// Starts binding servers.
pub struct BindingServer;

/// A started server. Dropping it does not stop it: call [`RunningServer::shutdown`].
pub struct RunningServer {
    /// The address workerd's `external` services must point at.
    pub addr: SocketAddr,
    /// The per-session secret every request must carry. Never write it to a file.
    pub token: String,
    dispatcher: Arc<Dispatcher>,
    crons: Vec<CronSpec>,
    state_dir: PathBuf,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    server: JoinHandle<()>,
}

impl BindingServer {
    /// Open the state directory, bind the listener, and start serving, consuming and scheduling.
    /// Must be called inside a tokio runtime.
    pub async fn start(config: ServerConfig) -> Result<RunningServer> {
        let crons = config
            .crons
            .iter()
            .map(|spec| Ok((spec.clone(), Cron::parse(&spec.cron)?)))
            .collect::<Result<Vec<_>>>()?;
        let stores = Arc::new(Stores::new(&config.state_dir)?);
        let queues = Arc::new(Queues::new(stores.clone()));
        let token = new_token()?;
        let dispatcher = Arc::new(Dispatcher::new(
            config.dispatcher_url.clone(),
            token.clone(),
        ));
        let bind_error = |source| DevError::Bind {
            addr: config.listen.to_string(),
            source,
        };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let (stop, stopped) = watch::channel(false);
        let state = Arc::new(AppState {
            stores,
            queues: queues.clone(),
            token: token.clone(),
            dispatcher: dispatcher.clone(),
            crons: config.crons.clone(),
            assets: config.assets.clone(),
            cache: config.cache,
        });
        let server = tokio::spawn(run_http(listener, state, stopped.clone()));
        let mut tasks: Vec<JoinHandle<()>> = config
            .consumers
            .iter()
            .map(|spec| {
                let (queues, dispatcher) = (queues.clone(), dispatcher.clone());
                super::consumer::spawn(queues, dispatcher, spec.clone(), stopped.clone())
            })
            .collect();
        tasks.extend(crons.into_iter().map(|(spec, cron)| {
            super::scheduler::spawn(dispatcher.clone(), spec, cron, stopped.clone())
        }));
        let state_dir = config.state_dir.display();
        tracing::info!("binding server on http://{addr}, state in {state_dir}");
        Ok(RunningServer {
            addr,
            token,
            dispatcher,
            crons: config.crons,
            state_dir: config.state_dir.clone(),
            stop,
            tasks,
            server,
        })
    }
}

/// Serve HTTP until `stopped` turns true, then finish the requests in flight.
async fn run_http(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    mut stopped: watch::Receiver<bool>,
) {
    let app = axum::Router::new()
        .fallback(serve)
        .layer(DefaultBodyLimit::disable())
        .with_state(state);
    let stop = async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    // Nagle off, as on the proxy's sockets (see `proxy::accept_loop`).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
    {
        tracing::error!("binding server: {e}");
    }
}

impl RunningServer {
    /// Tell consumers and crons where the dispatcher worker listens.
    pub fn set_dispatcher_url(&self, url: impl Into<String>) {
        self.dispatcher.set_url(url.into());
    }

    /// Deliver an incoming email to the worker the dispatcher binds as `binding` (`worker` by
    /// name), writing its replies and forwards under the state folder.
    pub async fn trigger_email(
        &self,
        binding: &str,
        worker: &str,
        email: &super::email_in::IncomingEmail,
        output: Option<&super::output::Output>,
    ) -> std::result::Result<super::email_in::Delivery, DispatchError> {
        let dir = &self.state_dir;
        super::email_in::deliver(&self.dispatcher, binding, worker, dir, email, output).await
    }

    /// Fire a configured cron now (as `POST /__edge/trigger/cron` does).
    pub async fn trigger_cron(&self, cron: &str) -> std::result::Result<Value, DispatchError> {
        let Some(spec) = self.crons.iter().find(|c| c.cron == cron) else {
            return Err(DispatchError::Failed(format!(
                "no cron `{cron}` is configured"
            )));
        };
        super::scheduler::fire(&self.dispatcher, spec, now_ms()).await
    }

    /// Stop accepting requests, stop consumers and crons, and wait for in-flight requests.
    /// Every acknowledged write is already committed.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            task.abort();
            let _ = task.await;
        }
        let _ = self.server.await;
    }
}

/// A fresh session token: 32 random bytes, hex.
fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| DevError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// Equal in time independent of where the first difference is.
pub fn same_token(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |d, (a, b)| d | (a ^ b))
            == 0
}

async fn serve(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let given = request
        .headers()
        .get("X-Edge-Token")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same_token(given, state.token.as_bytes()) {
        return http::with_reason(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    if let Some(answer) = super::assets::binding(&state.assets, &request) {
        return answer;
    }
    let (parts, body) = request.into_parts();
    let call = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => Call {
            path: http::percent_decode(parts.uri.path().trim_start_matches('/')),
            query: http::parse_query(parts.uri.query().unwrap_or("")),
            method: parts.method,
            headers: parts.headers,
            body,
        },
        Err(e) => return http::with_reason(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    if call.path == "__edge/trigger/cron" {
        return trigger(&state, &call).await;
    }
    let Some((kind, resource)) = call
        .header("X-Edge-Binding")
        .and_then(|b| b.split_once('/'))
    else {
        return http::with_reason(StatusCode::BAD_REQUEST, "Missing X-Edge-Binding header");
    };
    let (kind, resource) = (kind.to_string(), resource.to_string());
    let worker = state.clone();
    let answer = tokio::task::spawn_blocking(move || match kind.as_str() {
        "kv" => super::kv::handle(&worker.stores, &resource, &call),
        "r2" => super::r2::handle(&worker.stores, &resource, &call),
        "d1" => super::d1::handle(&worker.stores, &resource, &call),
        "queue" => super::queues::handle(&worker.queues, &resource, &call),
        "analytics" => super::analytics::handle(&worker.stores, &resource, &call),
        "email" => super::email::handle(worker.stores.root(), &resource, &call),
        "cache" => super::cache::handle(&worker.stores, worker.cache, &call),
        other => http::with_reason(
            StatusCode::BAD_REQUEST,
            &format!("Unknown binding kind `{other}`"),
        ),
    })
    .await;
    answer.unwrap_or_else(http::internal)
}

/// `POST /__edge/trigger/cron?cron=<expr>[&worker=<binding>]`.
async fn trigger(state: &AppState, call: &Call) -> Response {
    let Some(cron) = call.param("cron") else {
        return http::with_reason(StatusCode::BAD_REQUEST, "Missing `cron` query parameter");
    };
    let worker = call.param("worker");
    let Some(spec) = state
        .crons
        .iter()
        .find(|c| c.cron == cron && worker.is_none_or(|w| w == c.worker))
    else {
        return http::with_reason(
            StatusCode::NOT_FOUND,
            &format!("No cron `{cron}` is configured"),
        );
    };
    match super::scheduler::fire(&state.dispatcher, spec, now_ms()).await {
        Ok(result) => http::json(StatusCode::OK, &result),
        Err(e) => http::with_reason(StatusCode::BAD_GATEWAY, &e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_compare_by_content_and_length() {
        assert!(super::same_token(b"abc", b"abc"));
        assert!(!super::same_token(b"abd", b"abc"));
        assert!(!super::same_token(b"ab", b"abc"));
        assert!(!super::same_token(b"", b"abc"));
        let token = super::new_token().unwrap();
        assert_eq!(token.len(), 64);
        assert_ne!(token, super::new_token().unwrap());
    }
}
