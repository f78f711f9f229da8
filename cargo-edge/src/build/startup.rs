//! Startup time, measured in local workerd the way Cloudflare charges it.
//!
//! Cloudflare limits the time a worker takes to parse and evaluate its global scope: for a Rust
//! worker that is compiling the wasm module, instantiating it in the glue's top level, and any
//! `#[event(start)]` (wasm-bindgen's start function, called from the same top level). workerd
//! does all of that for every configured service before it answers its first request, and
//! `Date.now()` inside a worker does not advance during it, so the clock is outside: the time
//! from `workerd serve` starting to the first answer of a one-line probe worker on the socket,
//! with the worker under test configured beside it (not bound to anything), minus the same
//! time with the probe alone. Runs alternate between the two, each in a fresh workerd (a fresh
//! isolate), and the figure is the difference of the medians.
//!
//! What this leaves out: Cloudflare's machines are not this one (a loaded laptop reads higher),
//! and its limit is on CPU time where this is wall time, so under load the figure errs high.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::bundle::{Bundle, ModuleType};
use crate::workerd::Workerd;

/// Cloudflare's startup limit, the same on every plan: 1 second since 2025-10-10 (it was
/// 400 ms before), per developers.cloudflare.com/workers/platform/limits as read on 2026-12-01.
pub const CLOUDFLARE_LIMIT: Duration = Duration::from_secs(1);

/// How a build measures startup.
#[derive(Debug, Clone)]
pub struct StartupOptions {
    /// Fresh isolates per side (worker, baseline); 0 skips the measurement.
    pub runs: usize,
    /// Warn at or past this (half of Cloudflare's limit unless set).
    pub warn_at: Duration,
}

impl Default for StartupOptions {
    fn default() -> Self {
        StartupOptions {
            runs: 3,
            warn_at: CLOUDFLARE_LIMIT / 2,
        }
    }
}

impl StartupOptions {
    /// The defaults, with `CARGO_EDGE_STARTUP_RUNS` and `CARGO_EDGE_STARTUP_WARN_MS` applied.
    pub fn from_env() -> StartupOptions {
        let mut options = StartupOptions::default();
        let number = |key| std::env::var(key).ok().and_then(|v| v.parse::<u64>().ok());
        if let Some(runs) = number("CARGO_EDGE_STARTUP_RUNS") {
            options.runs = runs as usize;
        }
        if let Some(ms) = number("CARGO_EDGE_STARTUP_WARN_MS") {
            options.warn_at = Duration::from_millis(ms);
        }
        options
    }
}

/// A measured startup.
#[derive(Debug, Clone, PartialEq)]
pub struct Startup {
    /// Median with the worker minus median without it.
    pub startup: Duration,
    /// The medians, for `-v` and JSON.
    pub with_worker: Duration,
    pub baseline: Duration,
    pub runs: usize,
}

impl Startup {
    pub fn over(&self, threshold: Duration) -> bool {
        self.startup >= threshold
    }
}

/// The compatibility settings the measured worker runs with.
#[derive(Debug, Clone)]
pub struct Compatibility {
    pub date: String,
    pub flags: Vec<String>,
}

/// One module of the worker to measure; the first is the main module.
#[derive(Debug, Clone)]
pub struct Module {
    pub name: String,
    pub kind: ModuleType,
    pub path: PathBuf,
}

/// The modules of a cargo-edge bundle.
pub fn bundle_modules(bundle: &Bundle) -> Vec<Module> {
    bundle
        .modules
        .iter()
        .map(|m| Module {
            name: m.name.clone(),
            kind: m.kind,
            path: bundle.module_path(m),
        })
        .collect()
}

/// Measure `bundle` with `runs` fresh workerd processes per side.
pub fn measure(
    workerd: &Workerd,
    bundle: &Bundle,
    compatibility: &Compatibility,
    runs: usize,
) -> Result<Startup, String> {
    measure_modules(workerd, &bundle_modules(bundle), compatibility, runs)
}

/// [`measure`] for any worker given as modules (`cargo xtask bench` measures worker-build's).
pub fn measure_modules(
    workerd: &Workerd,
    modules: &[Module],
    compatibility: &Compatibility,
    runs: usize,
) -> Result<Startup, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("creating a temporary folder: {e}"))?;
    let probe_only = dir.path().join("baseline.capnp");
    let with_worker = dir.path().join("worker.capnp");
    std::fs::write(&probe_only, config(None, compatibility)).map_err(|e| e.to_string())?;
    std::fs::write(&with_worker, config(Some(modules), compatibility))
        .map_err(|e| e.to_string())?;
    // One unmeasured start warms the page cache (workerd's binary, the bundle).
    time_start(workerd, &with_worker)?;
    let (mut worker_times, mut baseline_times) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        worker_times.push(time_start(workerd, &with_worker)?);
        baseline_times.push(time_start(workerd, &probe_only)?);
    }
    let with_worker = median(&mut worker_times);
    let baseline = median(&mut baseline_times);
    Ok(Startup {
        startup: with_worker.saturating_sub(baseline),
        with_worker,
        baseline,
        runs,
    })
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    match times.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => times[n / 2],
        n => (times[n / 2 - 1] + times[n / 2]) / 2,
    }
}

const PROBE: &str = "export default { fetch() { return new Response(\"ok\"); } };";

/// A config with the probe on the `http` socket and, when given, the worker beside it.
fn config(worker: Option<&[Module]>, compatibility: &Compatibility) -> String {
    let compat = format!(
        "compatibilityDate = \"{}\", compatibilityFlags = [{}]",
        compatibility.date,
        compatibility
            .flags
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut services = vec![format!(
        "(name = \"probe\", worker = (modules = [(name = \"probe.mjs\", esModule = {PROBE:?})], {compat}))"
    )];
    if let Some(worker) = worker {
        let modules: Vec<String> = worker
            .iter()
            .map(|m| {
                let kind = match m.kind {
                    ModuleType::Esm => "esModule",
                    ModuleType::Wasm => "wasm",
                    ModuleType::Text => "text",
                    ModuleType::Data => "data",
                    ModuleType::Json => "json",
                };
                format!(
                    "(name = {:?}, {kind} = embed {:?})",
                    m.name,
                    m.path.display().to_string()
                )
            })
            .collect();
        services.push(format!(
            "(name = \"measured\", worker = (modules = [{}], {compat}))",
            modules.join(", ")
        ));
    }
    // The glue of a worker that sends email imports `cloudflare:email`, which needs the module
    // `cargo edge dev` adds too; without it workerd refuses the worker before it starts.
    let texts: Vec<String> = worker
        .unwrap_or_default()
        .iter()
        .filter(|m| m.kind == ModuleType::Esm)
        .filter_map(|m| std::fs::read_to_string(&m.path).ok())
        .collect();
    format!(
        "using Workerd = import \"/workerd/workerd.capnp\";\nconst config :Workerd.Config = (\n  services = [{}],\n  sockets = [(name = \"http\", address = \"127.0.0.1:0\", http = (), service = \"probe\")],\n{});\n",
        services.join(", "),
        crate::render::extensions::for_module_texts(&texts)
    )
}

/// Start workerd on `config` and time it to the probe's first answer.
fn time_start(workerd: &Workerd, config: &Path) -> Result<Duration, String> {
    let port = free_port().map_err(|e| format!("picking a port: {e}"))?;
    let started = Instant::now();
    let child = Command::new(&workerd.path)
        .arg("serve")
        .arg(config)
        .args(["--import-path", "/"]) // `embed` paths are absolute
        .arg("--socket-addr")
        .arg(format!("http=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", workerd.path.display()))?;
    let mut child = Reaped(child);
    loop {
        if probe(port) {
            return Ok(started.elapsed());
        }
        if let Ok(Some(status)) = child.0.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.0.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            return Err(format!(
                "workerd exited with {status} before answering: {first}"
            ));
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err("workerd did not answer within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A child that is killed and reaped when dropped.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Whether the probe answers `GET /` with a status line.
fn probe(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    if stream
        .write_all(b"GET / HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_runs() {
        let ms = Duration::from_millis;
        assert_eq!(median(&mut [ms(30), ms(10), ms(20)]), ms(20));
        assert_eq!(median(&mut [ms(40), ms(10), ms(20), ms(30)]), ms(25));
        assert_eq!(median(&mut []), Duration::ZERO);
    }

    #[test]
    fn the_baseline_config_has_only_the_probe() {
        let compat = Compatibility {
            date: "2025-06-01".into(),
            flags: vec!["nodejs_compat".into()],
        };
        let text = config(None, &compat);
        assert!(text.contains("(name = \"probe\""), "{text}");
        assert!(!text.contains("measured"), "{text}");
        assert!(
            text.contains("compatibilityFlags = [\"nodejs_compat\"]"),
            "{text}"
        );
    }
}
