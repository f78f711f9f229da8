//! One `cargo edge dev` session: the binding server, workerd behind the front proxy, the
//! watcher, and the rebuild loop. A failed build keeps the last good version serving.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::crash::{Crash, Phase};
use super::output::Output;
use super::proxy::{self, ProxyHandle, Trigger};
use super::server::{BindingServer, ConsumerSpec, CronSpec, RunningServer, ServerConfig};
use super::supervisor::{self, Launch, Running, SupervisorError};
use super::watch::SourceWatcher;
use crate::build::{self, BuildOptions, CargoOptions};
use crate::bundle::Bundle;
use crate::model::Worker;
use crate::render::capnp::{self, BindingServer as ServerRef, CapnpOptions, Secrets, Unit};
use crate::report::Reporter;
use crate::workerd::Workerd;

/// Everything a session needs, resolved by the command line.
pub struct Session {
    /// The worker served on the port first, then the workers it binds.
    pub workers: Vec<Worker>,
    /// Cargo options per worker, in the same order.
    pub builds: Vec<CargoOptions>,
    pub workerd: Workerd,
    pub listen: std::net::SocketAddr,
    pub state_dir: PathBuf,
    pub secrets: BTreeMap<String, String>,
    pub inspector_port: Option<u16>,
    pub watch: Vec<PathBuf>,
    pub verbose: bool,
    /// Static assets by worker, served by the proxy and the binding server.
    pub assets: super::assets::Registry,
    /// The Cache API's mode (`--no-cache` turns it off).
    pub cache: super::cache::Mode,
    /// Workers the service bindings name that the workspace lacks, each a 503 stand-in
    /// ([`super::absent`]).
    pub stand_ins: Vec<(Worker, Bundle)>,
}

/// The service the workers' Cache API calls go to.
const CACHE_SERVICE: &str = "edge-cache";

/// The name the dispatcher worker binds each user worker under.
pub(crate) fn dispatch_binding(index: usize) -> String {
    format!("USER{index}")
}

impl Session {
    pub(crate) fn server_config(&self) -> ServerConfig {
        let mut config = ServerConfig::new(&self.state_dir);
        config.assets = self.assets.clone();
        config.cache = self.cache;
        for (index, worker) in self.workers.iter().enumerate() {
            config
                .consumers
                .extend(worker.queue_consumers.values().map(|c| ConsumerSpec {
                    worker: dispatch_binding(index),
                    consumer: c.clone(),
                }));
            config.crons.extend(worker.crons.iter().map(|c| CronSpec {
                worker: dispatch_binding(index),
                cron: c.clone(),
            }));
        }
        config
    }

    /// Build every worker; the first failure is returned with the compiler's output printed.
    fn build(&self, reporter: &Reporter) -> Result<Vec<Bundle>, crate::error::Error> {
        self.builds
            .iter()
            .map(|cargo| {
                build::run(
                    &BuildOptions {
                        cargo: cargo.clone(),
                        startup: None,
                    },
                    reporter,
                )
                .map(|b| b.bundle)
            })
            .collect()
    }

    pub(crate) fn config(
        &self,
        bundles: &[Bundle],
        server: &RunningServer,
        dispatch_port: u16,
    ) -> Result<String, capnp::RenderError> {
        let units: Vec<Unit> = self
            .workers
            .iter()
            .zip(bundles)
            .chain(self.stand_ins.iter().map(|(w, b)| (w, b)))
            .map(|(worker, bundle)| Unit { worker, bundle })
            .collect();
        let targets: Vec<(String, String)> = self
            .workers
            .iter()
            .enumerate()
            .map(|(i, w)| (dispatch_binding(i), w.name.clone()))
            .collect();
        let target_refs: Vec<(&str, &str)> = targets
            .iter()
            .map(|(b, w)| (b.as_str(), w.as_str()))
            .collect();
        let date = self.workers[0]
            .compatibility_date
            .clone()
            .min(self.workerd.compatibility_date.clone());
        let options = CapnpOptions {
            address: "127.0.0.1:0".into(),
            max_compatibility_date: Some(self.workerd.compatibility_date.clone()),
            state_dir: Some(self.state_dir.clone()),
            binding_server: ServerRef {
                address: server.addr.to_string(),
                token: Some(server.token.clone()),
            },
            secrets: Secrets::FromEnvironment,
            allow_private_network: true,
            config_dir: None,
            local: super::local::values(&self.workers)?,
            extra_services: vec![
                super::capnp::dispatcher_service(
                    "edge-dispatcher",
                    &server.token,
                    &date,
                    &target_refs,
                ),
                super::capnp::cache_service(CACHE_SERVICE, &server.addr.to_string(), &server.token),
            ],
        };
        let mut config = super::capnp::with_cache(&capnp::render(&units, &options)?, CACHE_SERVICE);
        let socket = super::capnp::dispatcher_socket(
            "dispatch",
            &format!("127.0.0.1:{dispatch_port}"),
            "edge-dispatcher",
        );
        config = config.replacen("  sockets = [", &format!("  sockets = [{socket}, "), 1);
        Ok(config)
    }

    /// Start workerd on freshly built bundles and point the proxy and the server at it. A
    /// workerd that fails to come up is a [`Crash`], already reported and shown by the proxy.
    async fn launch(
        &self,
        bundles: &[Bundle],
        server: &RunningServer,
        proxy: &ProxyHandle,
        reporter: &Reporter,
    ) -> Result<Option<Running>, String> {
        for worker in &self.workers {
            let _ = std::fs::create_dir_all(self.state_dir.join("do").join(&worker.name));
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (port, dispatch_port) = (
                supervisor::free_port().map_err(|e| e.to_string())?,
                supervisor::free_port().map_err(|e| e.to_string())?,
            );
            let config = self
                .config(bundles, server, dispatch_port)
                .map_err(|e| e.to_string())?;
            let config_fd = super::config_fd::ConfigFd::new(&config).map_err(|e| e.to_string())?;
            let launch = Launch {
                binary: self.workerd.path.clone(),
                config: PathBuf::from(config_fd.path()),
                port,
                inspector_port: self.inspector_port,
                experimental: true,
                verbose: self.verbose,
                env: self.secrets.clone(),
                absolute_embeds: true,
            };
            let started = supervisor::start_with(&launch, Duration::from_secs(30), |command| {
                config_fd.pass_to(command)
            })
            .await;
            drop(config_fd);
            let error = match started {
                Ok(running) => {
                    server.set_dispatcher_url(format!("http://127.0.0.1:{dispatch_port}"));
                    super::assets::AssetServer::register(&self.assets, &self.workers);
                    proxy.set_assets(
                        self.assets
                            .read()
                            .ok()
                            .and_then(|a| a.get(&self.workers[0].name).cloned()),
                    );
                    proxy.watch_output(running.output_handle());
                    proxy.ready(running.port);
                    return Ok(Some(running));
                }
                Err(error) => error,
            };
            // A port taken between choosing it and workerd binding it: choose again.
            let port_race = error
                .output()
                .iter()
                .any(|l| l.contains("Address already in use"));
            if port_race && attempt < 3 {
                continue;
            }
            let crash = match error {
                SupervisorError::Spawn { .. } => return Err(error.to_string()),
                SupervisorError::Exited { status, output } => Crash {
                    phase: Phase::Start,
                    status,
                    output,
                },
                SupervisorError::Timeout {
                    seconds, output, ..
                } => Crash {
                    phase: Phase::NeverListened,
                    status: format!("no answer within {seconds} s"),
                    output,
                },
            };
            show_crash(&crash, proxy, reporter);
            return Ok(None);
        }
    }

    /// Run until Ctrl-C (or `q` on a terminal).
    pub async fn run(mut self, reporter: &Reporter) -> Result<(), String> {
        let mut triggers_served = self.server_config();
        let mut server = BindingServer::start(triggers_served.clone())
            .await
            .map_err(|e| e.to_string())?;
        let (trigger_tx, mut triggers) = mpsc::channel::<Trigger>(8);
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", self.listen))?;
        let proxy = proxy::start(listener, Duration::from_secs(120), Some(trigger_tx))
            .map_err(|e| e.to_string())?;
        proxy.log.print_to(reporter.clone());
        let started = Instant::now();
        let blocking_build =
            |session: &Session| tokio::task::block_in_place(|| session.build(reporter));
        let bundles = blocking_build(&self).map_err(|e| e.to_string())?;
        let mut answered_before = proxy.answered();
        let mut running = self.launch(&bundles, &server, &proxy, reporter).await?;
        self.banner(&proxy, &server, started.elapsed(), reporter);
        if bundles[0].exports.handlers.iter().any(|h| h == "email") {
            let port = proxy.addr.port();
            reporter.status("Email", format!("`#[event(email)]`: cargo edge trigger email --from A --to B FILE.eml --port {port} (or POST http://{}{}?from=A&to=B)", proxy.addr, proxy::EMAIL_PATH));
        }
        let mut watcher = match self.watch.is_empty() {
            true => None,
            false => Some(SourceWatcher::new(&self.watch).map_err(|e| e.to_string())?),
        };
        let mut keys = keyboard();
        let mut terminate = Terminate::new().map_err(|e| e.to_string())?;
        let mut changed: Vec<PathBuf> = Vec::new();
        loop {
            changed.clear();
            let rebuild = tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = terminate.recv() => break,
                status = died(&mut running) => {
                    if let Some(gone) = running.take() {
                        let served = proxy.answered() > answered_before;
                        show_crash(&serving_crash(&gone, status, served), &proxy, reporter);
                    }
                    false
                }
                Some(paths) = next_change(&mut watcher) => {
                    let paths = super::assets::outside_assets(&self.workers, paths);
                    if !paths.is_empty() { reporter.status("Changed", short_list(&paths)); }
                    changed = paths;
                    !changed.is_empty()
                }
                Some(key) = keys.recv() => match key.as_str() { "q" => break, "r" => true, _ => false },
                Some(trigger) = triggers.recv() => {
                    self.fire(trigger, &server, running.as_ref().map(|r| r.output_handle())).await;
                    false
                }
            };
            if !rebuild {
                continue;
            }
            let started = Instant::now();
            let before = self.workers.clone();
            if let Err(problems) = self.reload_manifests(reporter) {
                proxy.log.build_failed();
                reporter.warn(format!(
                    "Cargo.toml has problems; the last good version keeps serving:\n{problems}"
                ));
                continue;
            }
            if super::assets::only_settings_changed(&before, &self.workers, &changed) {
                super::assets::AssetServer::register(&self.assets, &self.workers);
                let main = self
                    .assets
                    .read()
                    .ok()
                    .and_then(|a| a.get(&self.workers[0].name).cloned());
                proxy.set_assets(main);
                for line in self.workers.iter().filter_map(super::assets::banner_line) {
                    reporter.status("Assets", format!("settings reloaded, no rebuild: {line}"));
                }
                continue;
            }
            match blocking_build(&self) {
                Err(error) => {
                    proxy.log.build_failed();
                    reporter.warn(format!(
                        "the build failed; the last good version keeps serving:\n{error}"
                    ))
                }
                Ok(bundles) => {
                    // A config that cannot be written (a Hyperdrive binding with no local
                    // database, an unreadable Secrets Store file) is refused before the
                    // running workerd is stopped.
                    if let Err(error) = self.config(&bundles, &server, 0) {
                        proxy.log.build_failed();
                        reporter.warn(format!(
                            "the new version cannot run locally; the last good version keeps serving:\n{error}"
                        ));
                        continue;
                    }
                    proxy.restarting(Duration::from_secs(5)).await;
                    if let Some(running) = running.take() {
                        running.stop().await;
                    }
                    server = self
                        .refresh_triggers(server, &mut triggers_served, reporter)
                        .await?;
                    answered_before = proxy.answered();
                    running = self.launch(&bundles, &server, &proxy, reporter).await?;
                    if running.is_some() {
                        reporter.status(
                            "Reloaded",
                            format!("in {:.2}s", started.elapsed().as_secs_f64()),
                        );
                    }
                }
            }
        }
        reporter.status("Stopping", "workerd and the binding server");
        if let Some(running) = running {
            running.stop().await;
        }
        server.shutdown().await;
        Ok(())
    }

    /// Fire a cron, or deliver an email to the served worker, and answer the caller.
    async fn fire(&self, trigger: Trigger, server: &RunningServer, output: Option<Output>) {
        match trigger {
            Trigger::Cron { cron, reply } => {
                let result = server.trigger_cron(&cron).await;
                let _ = reply.send(result.map(|v| v.to_string()).map_err(|e| e.to_string()));
            }
            Trigger::Email { email, json, reply } => {
                let worker = &self.workers[0].name;
                let delivered = server
                    .trigger_email(&dispatch_binding(0), worker, &email, output.as_ref())
                    .await;
                let answer = match delivered {
                    Ok(delivery) => delivery.answer(json),
                    Err(e) => (502, format!("cargo-edge: the email was not delivered: {e}")),
                };
                let _ = reply.send(answer);
            }
        }
    }

    /// New or changed queue consumers and crons: a binding server that runs them (same state
    /// folder, so queued messages wait for the new consumer).
    async fn refresh_triggers(
        &self,
        server: RunningServer,
        served: &mut ServerConfig,
        reporter: &Reporter,
    ) -> Result<RunningServer, String> {
        let wanted = self.server_config();
        if (&wanted.consumers, &wanted.crons) == (&served.consumers, &served.crons) {
            return Ok(server);
        }
        server.shutdown().await;
        let server = BindingServer::start(wanted.clone())
            .await
            .map_err(|e| e.to_string())?;
        reporter.status(
            "Triggers",
            format!(
                "now {} queue consumer(s) and {} cron(s)",
                wanted.consumers.len(),
                wanted.crons.len()
            ),
        );
        *served = wanted;
        Ok(server)
    }

    /// Read every worker's `[package.metadata.edge]` again, so a saved Cargo.toml's vars,
    /// bindings, queue consumers and crons reach the reloaded worker, with a 503 stand-in for
    /// each worker a service binding names that the session does not run. (The set of workers
    /// stays the one `cargo edge dev` started with.)
    fn reload_manifests(&mut self, reporter: &Reporter) -> Result<(), String> {
        let mut fresh = Vec::with_capacity(self.workers.len());
        for worker in &self.workers {
            let loaded = crate::manifest::load_worker(&worker.manifest_path, worker.env.as_deref())
                .map_err(|e| e.render())?;
            fresh.push(loaded.worker);
        }
        let env = self.workers[0].env.clone();
        let mut fresh = crate::cli::renamed_in_env(fresh, env.as_deref())
            .map_err(|e| crate::manifest::error::render(e.report.as_ref()))?;
        if let Some(main) = fresh.first_mut() {
            crate::dotenv::bind_all(main, &self.secrets);
        }
        crate::cli::absent_services(&fresh)
            .map_err(|e| crate::manifest::error::render(e.report.as_ref()))?;
        let dir = self.state_dir.join("stand-ins");
        let stand_ins = super::absent::stand_ins(&fresh, &dir).map_err(|e| e.to_string())?;
        // A service binding saved since to a worker this session does not run: said once.
        for (worker, _) in &stand_ins {
            if !self.stand_ins.iter().any(|(w, _)| w.name == worker.name) {
                reporter.warn(super::absent::warning(&worker.name));
            }
        }
        self.workers = fresh;
        self.stand_ins = stand_ins;
        Ok(())
    }

    /// Where a service binding goes: a worker of this session, a stand-in, or an HTTP URL.
    fn service_line(&self, worker: &Worker, binding: &str) -> String {
        match worker.services.get(binding) {
            Some(crate::model::Service::Worker { worker: target, .. }) => {
                if self.stand_ins.iter().any(|(w, _)| &w.name == target) {
                    format!("worker `{target}` [not connected: not in this workspace, answers 503]")
                } else {
                    format!("worker `{target}`")
                }
            }
            Some(crate::model::Service::External { url }) => format!("the text `{url}` (a var)"),
            None => "services".into(),
        }
    }

    fn banner(
        &self,
        proxy: &ProxyHandle,
        server: &RunningServer,
        startup: Duration,
        reporter: &Reporter,
    ) {
        reporter.status(
            "Serving",
            format!(
                "http://{} (ready in {:.2}s, workerd {} from {})",
                proxy.addr,
                startup.as_secs_f64(),
                self.workerd.compatibility_date,
                self.workerd.source
            ),
        );
        let profile = self
            .builds
            .first()
            .map(|b| b.profile.name().to_string())
            .unwrap_or_default();
        reporter.status(
            "Profile",
            format!(
                "`{profile}`{}",
                if profile == "release" {
                    " (production build)"
                } else {
                    " (fast dev build; --release for the production build)"
                }
            ),
        );
        for worker in &self.workers {
            if let Some(line) = super::assets::banner_line(worker) {
                reporter.status("Assets", line);
            }
            let cx = super::banner::Context {
                state_dir: &self.state_dir,
                secrets: &self.secrets,
            };
            for (name, kind) in worker.binding_names() {
                let place = match kind {
                    "dispatch_namespaces" => self.namespace_line(worker, name),
                    "services" => self.service_line(worker, name),
                    _ => super::banner::describe(worker, name, kind, &cx)
                        .unwrap_or_else(|| "local".into()),
                };
                let what = super::banner::type_name(kind);
                reporter.status(
                    "Binding",
                    format!("{}.{name} ({what}): {place}", worker.name),
                );
            }
            for (name, line) in super::banner::unsafe_lines(worker) {
                reporter.status("Binding", format!("{}.{name}: {line}", worker.name));
            }
            for consumer in worker.queue_consumers.values() {
                reporter.status(
                    "Consumer",
                    format!(
                        "{} takes queue `{}` in batches of up to {} (or after {} ms), {} retries{}",
                        worker.name,
                        consumer.queue,
                        consumer.max_batch_size,
                        consumer.max_wait_ms,
                        consumer.max_retries,
                        consumer
                            .dead_letter_queue
                            .as_ref()
                            .map(|dlq| format!(", then `{dlq}`"))
                            .unwrap_or_default()
                    ),
                );
            }
            for cron in &worker.crons {
                reporter.status(
                    "Cron",
                    format!(
                        "`{cron}` fires on schedule; now: curl -X POST 'http://{}{}?cron={}'",
                        proxy.addr,
                        proxy::TRIGGER_CRON_PATH,
                        cron.replace(' ', "+")
                    ),
                );
            }
        }
        tracing::debug!(addr = %server.addr, "binding server");
        reporter.status("Keys", "r + Enter rebuilds, q + Enter quits, Ctrl-C stops");
    }
}

impl Session {
    /// What a dispatch namespace's `get(name)` finds locally.
    fn namespace_line(&self, worker: &Worker, binding: &str) -> String {
        let local = worker
            .dispatch_namespaces()
            .find(|(b, _)| *b == binding)
            .and_then(|(_, local)| local);
        let outbound = worker
            .dispatch_outbounds()
            .find(|(b, _)| *b == binding)
            .map(|(_, o)| o);
        let names: Vec<String> = self
            .workers
            .iter()
            .filter(|w| w.name != worker.name && Some(w.name.as_str()) != outbound)
            .filter(|w| local.as_ref().is_none_or(|l| l.contains(&w.name.as_str())))
            .map(|w| format!("`{}`", w.name))
            .collect();
        let found = match names.is_empty() {
            true => "get() finds no worker locally".to_string(),
            false => format!("get() finds {} (workspace workers)", names.join(", ")),
        };
        match outbound {
            Some(o) if self.workers.iter().any(|w| w.name == o) => {
                format!("{found}; their fetch() goes through outbound worker `{o}`")
            }
            Some(o) => format!(
                "{found}; outbound worker `{o}` is not in the workspace, so dev does not apply it"
            ),
            None => found,
        }
    }
}

/// A workerd that exited after it listened. Soon after its start and before it answered any
/// request, that is the worker failing to load (workerd listens first); later, only what it
/// printed just before it went is shown.
fn serving_crash(gone: &Running, status: String, served: bool) -> Crash {
    let starting = !served && gone.started.elapsed() < STARTING;
    Crash {
        phase: if starting {
            Phase::Start
        } else {
            Phase::Serving
        },
        status,
        output: match starting {
            true => gone.output(),
            false => gone.output_handle().recent(LAST_WORDS),
        },
    }
}

/// How long after its start a workerd that exits is still starting.
const STARTING: Duration = Duration::from_secs(10);

/// What a crash report shows of a serving workerd's output: the lines of its last seconds.
const LAST_WORDS: Duration = Duration::from_secs(3);

/// Print a workerd failure cargo-style and make the proxy answer with it.
fn show_crash(crash: &Crash, proxy: &ProxyHandle, reporter: &Reporter) {
    reporter.error(crash.report());
    proxy.failed(&crash.page());
    reporter.status(
        "Waiting",
        format!(
            "for a change to start workerd again; http://{} answers with the error meanwhile",
            proxy.addr
        ),
    );
}

/// Resolves when the running workerd exits; never while none runs.
async fn died(running: &mut Option<Running>) -> String {
    match running {
        Some(running) => running.died().await,
        None => std::future::pending().await,
    }
}

async fn next_change(watcher: &mut Option<SourceWatcher>) -> Option<Vec<PathBuf>> {
    match watcher {
        Some(watcher) => watcher.next_change(Duration::from_millis(80)).await,
        None => std::future::pending().await,
    }
}

/// Lines typed on a terminal (`r`, `q`); nothing when standard input is not one.
/// What stops a session besides Ctrl-C: SIGTERM on Unix; closing the console window (or
/// logging off, or shutting down) on Windows.
struct Terminate {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
    #[cfg(windows)]
    close: tokio::signal::windows::CtrlClose,
}

impl Terminate {
    fn new() -> std::io::Result<Terminate> {
        Ok(Terminate {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?,
            #[cfg(windows)]
            close: tokio::signal::windows::ctrl_close()?,
        })
    }

    async fn recv(&mut self) -> Option<()> {
        #[cfg(unix)]
        return self.signal.recv().await;
        #[cfg(windows)]
        return self.close.recv().await;
    }
}

fn keyboard() -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel(4);
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        std::thread::spawn(move || {
            for line in std::io::stdin().lines().map_while(Result::ok) {
                if sender.blocking_send(line.trim().to_string()).is_err() {
                    break;
                }
            }
        });
    }
    receiver
}

fn short_list(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths
        .iter()
        .take(3)
        .map(|p| p.display().to_string())
        .collect();
    let more = paths.len().saturating_sub(3);
    if more > 0 {
        format!("{} and {more} more", names.join(", "))
    } else {
        names.join(", ")
    }
}
