//! A dev session as a library call, for tests: the binding server and workerd started on built
//! bundles with a state folder of the caller's choosing, on OS-picked loopback ports, with
//! workerd's output captured instead of printed. Requests reach workerd through dev's front
//! proxy, which serves static assets itself as in dev. No watcher: one start, one stop.
//!
//! The config is rendered by [`Session::config`], the one `cargo edge dev` uses, so a test runs
//! exactly what dev runs. `edge-test` and `cargo edge test --wasm` are built on this.
//!
//! Dropping an instance without [`Instance::stop`] (a test that panicked) still ends workerd
//! and closes the binding server and the front door: [`super::teardown`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::output::Output;
use super::proxy::ProxyHandle;
use super::server::{BindingServer, RunningServer};
use super::session::Session;
use super::supervisor::{self, Launch, Running};
use super::teardown::Processes;
use crate::bundle::Bundle;
use crate::model::Worker;
use crate::workerd::Workerd;

/// What to start.
pub struct InstanceOptions {
    /// The worker reached on [`Instance::port`] first, then the workers it binds.
    pub workers: Vec<Worker>,
    /// One bundle per worker, in the same order.
    pub bundles: Vec<Bundle>,
    pub workerd: Workerd,
    /// Where KV, D1, R2, queues and Durable Objects keep their data.
    pub state_dir: PathBuf,
    /// Secret values, passed to workerd in its environment.
    pub secrets: BTreeMap<String, String>,
    /// How long workerd may take to listen.
    pub startup: Duration,
    /// Copy workerd's output to this process's stderr as well as capturing it.
    pub echo: bool,
}

/// Why an instance did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("could not start the binding server: {0}")]
    Server(#[from] super::DevError),
    #[error("could not render the workerd config: {0}")]
    Config(String),
    #[error("no free loopback port: {0}")]
    Port(std::io::Error),
    #[error("{error}\n--- workerd's output ---\n{output}")]
    Workerd { error: String, output: String },
}

/// A running binding server and workerd.
pub struct Instance {
    /// The front door on 127.0.0.1, as `cargo edge dev`'s port: the first worker's static
    /// assets are served here, every other request goes to the worker.
    pub port: u16,
    /// workerd's own HTTP socket, for control requests the assets router must not see.
    pub workerd_port: u16,
    /// The front proxy, workerd and the binding server, ended by [`Instance::stop`] or when
    /// dropped.
    processes: Processes,
    logs: Logs,
    state_dir: PathBuf,
    consumed: Vec<String>,
    /// The first worker's name (the one an email goes to).
    worker: String,
}

/// workerd's output, line by line, as it came (after the start's own warnings: a service
/// binding to a worker outside the workspace).
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<String>>>);

impl Logs {
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn push(&self, line: String) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }

    /// Read `reader` in a thread until it closes, keeping every line (in `output` too, where
    /// the front proxy looks for the message of a request workerd canceled).
    fn collect(&self, reader: std::io::PipeReader, echo: bool, output: Output) {
        let logs = self.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(reader)
                .lines()
                .map_while(Result::ok)
            {
                if echo {
                    eprintln!("{line}");
                }
                output.push(line.clone());
                logs.push(line);
            }
        });
    }
}

impl Instance {
    /// Start the binding server, then workerd; return once workerd listens.
    pub async fn start(options: InstanceOptions) -> Result<Instance, StartError> {
        let logs = Logs::default();
        let stand_ins = stand_ins(&options, &logs)?;
        let session = session(&options, stand_ins);
        super::assets::AssetServer::register(&session.assets, &options.workers);
        for worker in &options.workers {
            let _ = std::fs::create_dir_all(options.state_dir.join("do").join(&worker.name));
        }
        let server = BindingServer::start(session.server_config()).await?;
        let output = Output::default();
        let started = launch(&session, &options, &server, &logs, &output).await;
        let (running, workerd_port) = match started {
            Ok(ok) => ok,
            Err(error) => {
                server.shutdown().await;
                return Err(error);
            }
        };
        let proxy = match front(&session, workerd_port, output).await {
            Ok(proxy) => proxy,
            Err(error) => {
                running.stop().await;
                server.shutdown().await;
                return Err(StartError::Port(error));
            }
        };
        let consumed = options
            .workers
            .iter()
            .flat_map(|w| w.queue_consumers.keys().cloned())
            .collect();
        Ok(Instance {
            port: proxy.addr.port(),
            workerd_port,
            processes: Processes::new(proxy, running, server),
            logs,
            state_dir: options.state_dir,
            consumed,
            worker: options.workers[0].name.clone(),
        })
    }

    /// workerd's output so far (console output, uncaught exceptions, panics).
    pub fn logs(&self) -> Vec<String> {
        self.logs.lines()
    }

    /// The binding server's address (closed once the instance is stopped or dropped).
    pub fn server_addr(&self) -> std::net::SocketAddr {
        self.processes.server().addr
    }

    /// workerd's process id (gone once the instance is stopped or dropped).
    pub fn workerd_pid(&self) -> Option<u32> {
        self.processes.workerd().pid
    }

    /// A handle on the output that stays valid after [`Instance::stop`].
    pub fn log_handle(&self) -> Logs {
        self.logs.clone()
    }

    /// Fire a configured cron now and return the dispatcher's `{outcome, noRetry}`.
    pub async fn trigger_cron(&self, cron: &str) -> Result<serde_json::Value, String> {
        self.processes
            .server()
            .trigger_cron(cron)
            .await
            .map_err(|e| e.to_string())
    }

    /// Deliver an email to the first worker's `#[event(email)]` handler, as
    /// `cargo edge trigger email` does (replies and forwards written under the state folder).
    pub async fn trigger_email(
        &self,
        email: &super::email_in::IncomingEmail,
    ) -> Result<super::email_in::Delivery, String> {
        let binding = super::session::dispatch_binding(0);
        let output = self.processes.workerd().output_handle();
        self.processes
            .server()
            .trigger_email(&binding, &self.worker, email, Some(&output))
            .await
            .map_err(|e| e.to_string())
    }

    /// Messages still stored (waiting, in delivery, or waiting to be retried) per consumed
    /// queue. A queue nobody consumes (a dead-letter queue, say) is not counted.
    pub fn pending_messages(&self) -> Result<BTreeMap<String, u64>, String> {
        let mut pending = BTreeMap::new();
        for queue in &self.consumed {
            let path = self
                .state_dir
                .join("queues")
                .join(format!("{}.sqlite", super::store::file_stem(queue)));
            pending.insert(queue.clone(), count_messages(&path)?);
        }
        Ok(pending)
    }

    /// Stop workerd, then the binding server (every acknowledged write is on disk).
    pub async fn stop(self) {
        self.processes.stop().await;
    }
}

fn count_messages(path: &std::path::Path) -> Result<u64, String> {
    if !path.exists() {
        return Ok(0);
    }
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let conn = rusqlite::Connection::open_with_flags(path, flags).map_err(|e| e.to_string())?;
    let _ = conn.busy_timeout(Duration::from_secs(5));
    conn.query_row("SELECT COUNT(*) FROM messages", [], |r| r.get::<_, i64>(0))
        .map(|n| n.max(0) as u64)
        .or_else(|e| match e {
            // The consumer has not created its table yet: nothing was sent.
            rusqlite::Error::SqliteFailure(_, Some(m)) if m.contains("no such table") => Ok(0),
            e => Err(e.to_string()),
        })
}

/// As in dev, a 503 stand-in for each worker a service binding names that the workspace lacks
/// ([`super::absent`]), said once in the logs.
fn stand_ins(options: &InstanceOptions, logs: &Logs) -> Result<Vec<(Worker, Bundle)>, StartError> {
    let dir = options.state_dir.join("stand-ins");
    let stand_ins = super::absent::stand_ins(&options.workers, &dir)
        .map_err(|e| StartError::Config(e.to_string()))?;
    for (worker, _) in &stand_ins {
        let line = format!("warning: {}", super::absent::warning(&worker.name));
        if options.echo {
            eprintln!("{line}");
        }
        logs.push(line);
    }
    Ok(stand_ins)
}

/// The [`Session`] `cargo edge dev` would run for these workers (its config is what we use).
fn session(options: &InstanceOptions, stand_ins: Vec<(Worker, Bundle)>) -> Session {
    Session {
        stand_ins,
        workers: options.workers.clone(),
        builds: Vec::new(),
        workerd: options.workerd.clone(),
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        state_dir: options.state_dir.clone(),
        secrets: options.secrets.clone(),
        inspector_port: None,
        watch: Vec::new(),
        verbose: false,
        assets: Default::default(),
        cache: super::cache::Mode::On,
    }
}

/// Dev's front proxy on an OS-picked loopback port, serving the first worker's assets and
/// forwarding the rest to workerd on `workerd_port`.
async fn front(
    session: &Session,
    workerd_port: u16,
    output: Output,
) -> std::io::Result<ProxyHandle> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let proxy = super::proxy::start(listener, Duration::from_secs(30), None)?;
    let main = session.workers.first().map(|w| w.name.as_str());
    let assets = session.assets.read().ok();
    proxy.set_assets(assets.and_then(|a| a.get(main?).cloned()));
    proxy.watch_output(output);
    proxy.ready(workerd_port);
    Ok(proxy)
}

/// Start workerd; a port taken between choosing and binding is retried on new ports.
async fn launch(
    session: &Session,
    options: &InstanceOptions,
    server: &RunningServer,
    logs: &Logs,
    output: &Output,
) -> Result<(Running, u16), StartError> {
    let mut last = None;
    for _attempt in 0..3 {
        let port = supervisor::free_port().map_err(StartError::Port)?;
        let dispatch_port = supervisor::free_port().map_err(StartError::Port)?;
        let config = session
            .config(&options.bundles, server, dispatch_port)
            .map_err(|e| StartError::Config(e.to_string()))?;
        let fd = super::config_fd::ConfigFd::new(&config)
            .map_err(|e| StartError::Config(e.to_string()))?;
        let launch = Launch {
            binary: options.workerd.path.clone(),
            config: PathBuf::from(fd.path()),
            port,
            inspector_port: None,
            experimental: true,
            verbose: false,
            env: options.secrets.clone(),
            absolute_embeds: true,
        };
        let (reader, writer) = std::io::pipe().map_err(StartError::Port)?;
        let writer_err = writer.try_clone().map_err(StartError::Port)?;
        let before = logs.lines().len();
        logs.collect(reader, options.echo, output.clone());
        let result = supervisor::start_with(&launch, options.startup, |command| {
            fd.pass_to(command);
            command.stdout(writer).stderr(writer_err);
        })
        .await;
        match result {
            Ok(running) => {
                server.set_dispatcher_url(format!("http://127.0.0.1:{dispatch_port}"));
                return Ok((running, port));
            }
            Err(error) => {
                // Give the reader a moment to drain what workerd said before it exited.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let output = logs.lines()[before..].join("\n");
                let retry = output.contains("Address already in use");
                last = Some(StartError::Workerd {
                    error: error.to_string(),
                    output,
                });
                if !retry {
                    break;
                }
            }
        }
    }
    Err(last.expect("at least one attempt"))
}
