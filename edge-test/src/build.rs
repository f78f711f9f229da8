//! One build per crate, environment and profile per test process: the first `Worker` to ask
//! builds (every other test asking for the same waits for it), the rest reuse its bundles. A
//! failed build is remembered too, so every test reports the same compiler errors at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use cargo_edge::build::{self, BuildOptions, CargoOptions};
use cargo_edge::bundle::Bundle;
use cargo_edge::model::Worker;
use cargo_edge::report::{MessageFormat, Reporter};

use crate::error::Error;

/// What a build is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub manifest: PathBuf,
    pub env: Option<String>,
    pub profile: Option<String>,
    pub target_dir: Option<PathBuf>,
}

/// The workers to start and their bundles, in the same order.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub workers: Vec<Worker>,
    pub bundles: Vec<Bundle>,
}

type Cell = Arc<OnceLock<Result<Built, Error>>>;

fn cells() -> &'static Mutex<HashMap<Key, Cell>> {
    static CELLS: OnceLock<Mutex<HashMap<Key, Cell>>> = OnceLock::new();
    CELLS.get_or_init(Default::default)
}

/// The build for `key`, made once per process (blocking: call from `spawn_blocking`).
pub(crate) fn shared(key: &Key) -> Result<Built, Error> {
    let cell = {
        let mut cells = cells().lock().unwrap_or_else(|e| e.into_inner());
        cells.entry(key.clone()).or_default().clone()
    };
    cell.get_or_init(|| build_all(key)).clone()
}

fn build_all(key: &Key) -> Result<Built, Error> {
    let workers =
        cargo_edge::testing::workers(&key.manifest, key.env.as_deref()).map_err(Error::Manifest)?;
    let reporter = Reporter::new(MessageFormat::Human, false, true);
    let mut bundles = Vec::with_capacity(workers.len());
    for worker in &workers {
        let cargo = cargo_edge::testing::cargo_options(
            worker,
            key.profile.as_deref(),
            key.target_dir.as_deref(),
        );
        let options = BuildOptions {
            cargo: cargo.clone(),
            startup: None,
        };
        match build::run(&options, &reporter) {
            Ok(built) => bundles.push(built.bundle),
            Err(error) => return Err(Error::Build(build_failure(worker, &cargo, &error))),
        }
    }
    Ok(Built { workers, bundles })
}

/// The failure, with the compiler's own error lines when cargo failed to compile.
fn build_failure(
    worker: &Worker,
    cargo: &CargoOptions,
    error: &cargo_edge::error::Error,
) -> String {
    let mut text = format!(
        "building worker `{}` ({}) failed: {error}",
        worker.name,
        worker.manifest_path.display()
    );
    if matches!(error, cargo_edge::error::Error::Compile { .. }) {
        if let Some(errors) = compiler_errors(&worker.manifest_path, cargo) {
            text.push_str("\n\n");
            text.push_str(&errors);
        }
    }
    text
}

/// cargo's diagnostics for the failed crate, short form (the build above streamed them to
/// stderr, which a test harness does not show next to the failure).
fn compiler_errors(manifest: &Path, cargo: &CargoOptions) -> Option<String> {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .args(["build", "--lib", "--target", "wasm32-unknown-unknown"])
        .args(["--message-format=short", "--color=never", "--manifest-path"])
        .arg(manifest)
        .args(["--profile", cargo.profile.name()]);
    if let Some(dir) = &cargo.target_dir {
        command.arg("--target-dir").arg(dir);
    }
    for config in &cargo.config {
        command.arg("--config").arg(config);
    }
    let output = command.env("WASM_BINDGEN_USE_JS_SYS", "1").output().ok()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("error") || l.contains("warning: unused"))
        .filter(|l| !l.trim_start().starts_with("Compiling"))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}
