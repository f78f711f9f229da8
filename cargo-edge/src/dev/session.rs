//! One `cargo edge dev` session: the binding server, workerd behind the front proxy, the
//! watcher, and the rebuild loop. A failed build keeps the last good version serving.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::proxy::{self, ProxyHandle, TriggerCron};
use super::server::{BindingServer, ConsumerSpec, CronSpec, RunningServer, ServerConfig};
use super::supervisor::{self, Launch, Running};
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
}

/// The name the dispatcher worker binds each user worker under.
fn dispatch_binding(index: usize) -> String {
    format!("USER{index}")
}

impl Session {
    pub(crate) fn server_config(&self) -> ServerConfig {
        let mut config = ServerConfig::new(&self.state_dir);
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
            extra_services: vec![super::capnp::dispatcher_service(
                "edge-dispatcher",
                &server.token,
                &date,
                &target_refs,
            )],
        };
        let mut config = capnp::render(&units, &options)?;
        let socket = super::capnp::dispatcher_socket(
            "dispatch",
            &format!("127.0.0.1:{dispatch_port}"),
            "edge-dispatcher",
        );
        config = config.replacen("  sockets = [", &format!("  sockets = [{socket}, "), 1);
        Ok(config)
    }

    /// Start workerd on freshly built bundles and point the proxy and the server at it.
    async fn launch(
        &self,
        bundles: &[Bundle],
        server: &RunningServer,
        proxy: &ProxyHandle,
    ) -> Result<Running, String> {
        for worker in &self.workers {
            let _ = std::fs::create_dir_all(self.state_dir.join("do").join(&worker.name));
        }
        let mut last_error = String::new();
        for _attempt in 0..3 {
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
            match supervisor::start_with(&launch, Duration::from_secs(30), |command| {
                config_fd.pass_to(command)
            })
            .await
            {
                Ok(running) => {
                    drop(config_fd);
                    server.set_dispatcher_url(format!("http://127.0.0.1:{dispatch_port}"));
                    proxy.ready(running.port);
                    return Ok(running);
                }
                Err(error) => last_error = error.to_string(),
            }
        }
        Err(last_error)
    }

    /// Run until Ctrl-C (or `q` on a terminal).
    pub async fn run(mut self, reporter: &Reporter) -> Result<(), String> {
        let mut triggers_served = self.server_config();
        let mut server = BindingServer::start(triggers_served.clone())
            .await
            .map_err(|e| e.to_string())?;
        let (trigger_tx, mut triggers) = mpsc::channel::<TriggerCron>(8);
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", self.listen))?;
        let proxy = proxy::start(listener, Duration::from_secs(120), Some(trigger_tx))
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let blocking_build =
            |session: &Session| tokio::task::block_in_place(|| session.build(reporter));
        let bundles = blocking_build(&self).map_err(|e| e.to_string())?;
        let mut running = self.launch(&bundles, &server, &proxy).await?;
        self.banner(&proxy, &server, started.elapsed(), reporter);
        let mut watcher = match self.watch.is_empty() {
            true => None,
            false => Some(SourceWatcher::new(&self.watch).map_err(|e| e.to_string())?),
        };
        let mut keys = keyboard();
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(|e| e.to_string())?;
        loop {
            let rebuild = tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = terminate.recv() => break,
                Some(paths) = next_change(&mut watcher) => { reporter.status("Changed", short_list(&paths)); true }
                Some(key) = keys.recv() => match key.as_str() { "q" => break, "r" => true, _ => false },
                Some(trigger) = triggers.recv() => {
                    let result = server.trigger_cron(&trigger.cron).await.map(|v| v.to_string()).map_err(|e| e.to_string());
                    let _ = trigger.reply.send(result);
                    false
                }
            };
            if !rebuild {
                continue;
            }
            let started = Instant::now();
            if let Err(problems) = self.reload_manifests() {
                reporter.warn(format!(
                    "Cargo.toml has problems; the last good version keeps serving:\n{problems}"
                ));
                continue;
            }
            match blocking_build(&self) {
                Err(error) => reporter.warn(format!(
                    "the build failed; the last good version keeps serving:\n{error}"
                )),
                Ok(bundles) => {
                    proxy.restarting(Duration::from_secs(5)).await;
                    running.stop().await;
                    // New or changed queue consumers and crons: a binding server that runs
                    // them (same state folder, so queued messages wait for the new consumer).
                    let wanted = self.server_config();
                    if (&wanted.consumers, &wanted.crons)
                        != (&triggers_served.consumers, &triggers_served.crons)
                    {
                        server.shutdown().await;
                        server = BindingServer::start(wanted.clone())
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
                        triggers_served = wanted;
                    }
                    running = self.launch(&bundles, &server, &proxy).await?;
                    reporter.status(
                        "Reloaded",
                        format!("in {:.2}s", started.elapsed().as_secs_f64()),
                    );
                }
            }
        }
        reporter.status("Stopping", "workerd and the binding server");
        running.stop().await;
        server.shutdown().await;
        Ok(())
    }

    /// Read every worker's `[package.metadata.edge]` again, so a saved Cargo.toml's vars,
    /// bindings, queue consumers and crons reach the reloaded worker. (The set of workers stays
    /// the one `cargo edge dev` started with.)
    fn reload_manifests(&mut self) -> Result<(), String> {
        let mut fresh = Vec::with_capacity(self.workers.len());
        for worker in &self.workers {
            let loaded = crate::manifest::load_worker(&worker.manifest_path, worker.env.as_deref())
                .map_err(|e| e.render())?;
            fresh.push(loaded.worker);
        }
        self.workers = fresh;
        Ok(())
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
            for (name, kind) in worker.binding_names() {
                let place = match kind {
                    "kv" | "d1" | "r2" | "queues.producers" => {
                        format!("local, state in {}", self.state_dir.display())
                    }
                    "durable_objects" => format!(
                        "workerd, state in {}",
                        self.state_dir.join("do").join(&worker.name).display()
                    ),
                    "secrets" if !self.secrets.contains_key(name) => {
                        "no value: add it to .dev.vars".to_string()
                    }
                    other => other.to_string(),
                };
                reporter.status(
                    "Binding",
                    format!("{}.{name} ({kind}): {place}", worker.name),
                );
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

async fn next_change(watcher: &mut Option<SourceWatcher>) -> Option<Vec<PathBuf>> {
    match watcher {
        Some(watcher) => watcher.next_change(Duration::from_millis(80)).await,
        None => std::future::pending().await,
    }
}

/// Lines typed on a terminal (`r`, `q`); nothing when standard input is not one.
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
