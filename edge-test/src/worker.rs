//! [`Worker::build`] → [`Builder`] → [`Builder::start`] → a running [`Worker`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cargo_edge::dev::instance::{Instance, InstanceOptions, Logs};
use cargo_edge::workerd::{self, Search};

use crate::build::{self, Key};
use crate::error::{Error, Result};

/// How to start a worker: its crate, environment, secrets and tools. Made by [`Worker::build`].
#[derive(Debug, Clone)]
#[must_use = "call .start().await to run the worker"]
pub struct Builder {
    path: PathBuf,
    env: Option<String>,
    secrets: BTreeMap<String, String>,
    profile: Option<String>,
    target_dir: Option<PathBuf>,
    workerd: Option<PathBuf>,
    startup: Duration,
    echo: bool,
}

/// A worker running in workerd with its local bindings, on a loopback port of its own and with
/// a fresh state folder (deleted when the `Worker` is dropped or [stopped](Worker::stop)).
pub struct Worker {
    pub(crate) instance: Option<Instance>,
    pub(crate) url: String,
    /// workerd itself, for control requests (the front door's assets router must not see them).
    pub(crate) control_url: String,
    pub(crate) token: String,
    pub(crate) client: reqwest::Client,
    pub(crate) logs: Logs,
    pub(crate) started_in: Duration,
    _state: tempfile::TempDir,
}

impl Worker {
    /// Start describing the worker whose crate is at `path` (a folder or its `Cargo.toml`;
    /// relative paths are taken from the test crate's folder, `CARGO_MANIFEST_DIR`).
    pub fn build(path: impl AsRef<Path>) -> Builder {
        Builder {
            path: path.as_ref().to_path_buf(),
            env: None,
            secrets: BTreeMap::new(),
            profile: std::env::var("EDGE_TEST_PROFILE").ok(),
            target_dir: std::env::var_os("EDGE_TEST_TARGET_DIR").map(PathBuf::from),
            workerd: None,
            startup: Duration::from_secs(30),
            echo: std::env::var_os("EDGE_TEST_ECHO").is_some(),
        }
    }

    /// The worker's base URL, `http://127.0.0.1:<port>`: `cargo edge dev`'s front door, which
    /// serves the static assets of `[package.metadata.edge.assets]` itself, as dev does.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How long [`Builder::start`] took after the (shared) build: state folder, binding
    /// server, workerd listening.
    pub fn startup_time(&self) -> Duration {
        self.started_in
    }

    /// The loopback address of the binding server serving this worker's KV, D1, R2 and
    /// queues. It is closed when the `Worker` is [stopped](Worker::stop) or dropped (tests of
    /// a harness's own clean-up look at it).
    pub fn binding_server_addr(&self) -> std::net::SocketAddr {
        self.instance().server_addr()
    }

    /// The process id of the workerd running this worker (and the workers it binds). workerd
    /// is ended when the `Worker` is [stopped](Worker::stop) or dropped.
    pub fn workerd_pid(&self) -> Option<u32> {
        self.instance().workerd_pid()
    }

    /// Every line workerd printed so far: `console.log` and friends, uncaught exceptions and
    /// panics (`panicked at ...`), in order. First come start's own warnings: `warning: a
    /// service binding names ...` for each worker a service binding names that the workspace
    /// lacks (its calls answer 503, as in `cargo edge dev`).
    pub fn logs(&self) -> Vec<String> {
        self.logs.lines()
    }

    /// Stop workerd and the binding server and delete the state folder.
    ///
    /// Dropping the `Worker` does the same, so a test that fails (panics) before it gets here
    /// leaves nothing running. On a multi-thread runtime the drop waits (a few milliseconds,
    /// at most 5 s) until workerd has exited and the binding server is closed; on a
    /// current-thread runtime, or while a panic unwinds, it cannot wait without stalling the
    /// runtime that does the work, so the runtime finishes it at its next turn (or, as it
    /// shuts down, kills workerd and closes the sockets).
    pub async fn stop(mut self) {
        if let Some(instance) = self.instance.take() {
            instance.stop().await;
        }
    }

    pub(crate) fn instance(&self) -> &Instance {
        self.instance.as_ref().expect("the worker is running")
    }
}

impl Builder {
    /// Run with `[package.metadata.edge.env.NAME]` applied (and `.dev.vars.NAME`).
    pub fn env(mut self, name: impl Into<String>) -> Builder {
        self.env = Some(name.into());
        self
    }

    /// A secret's value. It wins over `.dev.vars`; the name must be declared in `secrets`.
    pub fn secret(mut self, name: impl Into<String>, value: impl Into<String>) -> Builder {
        self.secrets.insert(name.into(), value.into());
        self
    }

    /// The cargo profile to build with (default: the worker's `build.profile`, else
    /// `$EDGE_TEST_PROFILE`, else dev's fast `edge-dev` profile).
    pub fn profile(mut self, name: impl Into<String>) -> Builder {
        self.profile = Some(name.into());
        self
    }

    /// The cargo target folder (default: `$EDGE_TEST_TARGET_DIR`, else the worker's own).
    pub fn target_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.target_dir = Some(dir.into());
        self
    }

    /// The workerd binary (default: `$WORKERD`, `PATH`, `node_modules`, cargo-edge's cache).
    pub fn workerd(mut self, path: impl Into<PathBuf>) -> Builder {
        self.workerd = Some(path.into());
        self
    }

    /// How long workerd may take to listen before [`start`](Builder::start) fails (30 s).
    pub fn startup_timeout(mut self, timeout: Duration) -> Builder {
        self.startup = timeout;
        self
    }

    /// Build (once per crate, environment and profile in this process) and start the worker
    /// with the workers it binds, on fresh state.
    pub async fn start(self) -> Result<Worker> {
        let key = self.key()?;
        let built = tokio::task::spawn_blocking(move || build::shared(&key))
            .await
            .map_err(|e| Error::Build(format!("the build panicked: {e}")))??;
        let started = Instant::now();
        let main = &built.workers[0];
        let found = workerd::locate_installed(&Search {
            explicit: self.workerd.clone(),
            project_dir: cargo_edge::testing::crate_dir(main),
            install: false,
        })
        .map_err(|e| Error::Workerd(workerd_text(&e)))?;
        let mut workers = built.workers.clone();
        let secrets = self.secrets_for(&mut workers[0])?;
        let state = tempfile::Builder::new()
            .prefix("edge-test-")
            .tempdir()
            .map_err(|e| Error::Io(format!("cannot make a state folder: {e} (check $TMPDIR)")))?;
        let state_dir = state.path().join("state");
        cargo_edge::testing::apply_migrations(&built.workers, &state_dir)
            .map_err(Error::Manifest)?;
        let token = crate::token()?;
        let mut bundles = built.bundles.clone();
        let overlay = state.path().join("bundle");
        bundles[0] = cargo_edge::dev::test_entry::overlay(&bundles[0], &token, &overlay)
            .map_err(|e| Error::Io(format!("cannot write {}: {e}", overlay.display())))?;
        let instance = Instance::start(InstanceOptions {
            workers,
            bundles,
            workerd: found,
            state_dir,
            secrets,
            startup: self.startup,
            echo: self.echo,
        })
        .await
        .map_err(|e| Error::Start(e.to_string()))?;
        Ok(Worker {
            url: format!("http://127.0.0.1:{}", instance.port),
            control_url: format!("http://127.0.0.1:{}", instance.workerd_port),
            logs: instance.log_handle(),
            instance: Some(instance),
            token,
            client: reqwest::Client::new(),
            started_in: started.elapsed(),
            _state: state,
        })
    }

    fn key(&self) -> Result<Key> {
        let base = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_default();
        let mut manifest = base.join(&self.path);
        if manifest.is_dir() {
            manifest = manifest.join("Cargo.toml");
        }
        let manifest = manifest.canonicalize().map_err(|e| {
            Error::Manifest(format!(
                "no worker crate at {}: {e} (give Worker::build the folder of its Cargo.toml)",
                manifest.display()
            ))
        })?;
        Ok(Key {
            manifest,
            env: self.env.clone(),
            profile: self.profile.clone(),
            target_dir: self.target_dir.clone(),
        })
    }

    /// `.dev.vars` (every entry bound, as in `cargo edge dev`), then `.secret(...)` values over it.
    fn secrets_for(
        &self,
        main: &mut cargo_edge::model::Worker,
    ) -> Result<BTreeMap<String, String>> {
        let mut values =
            cargo_edge::testing::dev_vars(main, self.env.as_deref()).map_err(Error::Manifest)?;
        for (name, value) in &self.secrets {
            if !main.secrets.contains(name) {
                return Err(Error::UndeclaredSecret(name.clone()));
            }
            values.insert(name.clone(), value.clone());
        }
        Ok(values)
    }
}

fn workerd_text(error: &cargo_edge::workerd::WorkerdError) -> String {
    use miette::Diagnostic;
    match error.help() {
        Some(help) => format!("{error}\nhelp: {help}"),
        None => error.to_string(),
    }
}
