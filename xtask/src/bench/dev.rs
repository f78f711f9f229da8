//! `cargo edge dev` against `wrangler dev` (with worker-build as its custom build): start to
//! first 200, saved edit to first response of the new code, and a KV read under wrk.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::build::{worker_build_out, Tool};
use super::common::{bench_dir, free_port, http, http_get, median, summary, Edit, Fixture};
use super::Bench;
use crate::root;

#[derive(Clone, Copy)]
enum Server {
    CargoEdge,
    Wrangler,
}

impl Server {
    fn key(self) -> &'static str {
        match self {
            Server::CargoEdge => "cargo-edge",
            Server::Wrangler => "wrangler",
        }
    }
}

/// A dev server's process group, ended when dropped.
struct Running {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        // The server was started as the leader of its own process group: end the group (the
        // server and the workerd or node children it started), and nothing else.
        let Ok(group) = libc::pid_t::try_from(self.child.id()) else {
            let _ = self.child.kill();
            return;
        };
        if group <= 1 {
            return;
        }
        // SAFETY: kill(2) with a negative pid only sends a signal to that process group.
        unsafe { libc::kill(-group, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // SAFETY: as above.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// The folder `wrangler dev` and `wrangler deploy` run in, with a wrangler.toml made from
/// cargo-edge's own rendering of the fixture's bindings, built by worker-build.
pub fn wrangler_project(bench: &Bench, fixture: &Fixture) -> Result<PathBuf> {
    let dir = bench_dir().join("wrangler").join(fixture.name);
    std::fs::create_dir_all(&dir)?;
    let output = Command::new(&bench.cargo_edge)
        .args(["edge", "config", "--format", "wrangler", "--manifest-path"])
        .arg(fixture.manifest())
        .output()?;
    if !output.status.success() {
        bail!(
            "cargo edge config failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut config: toml::Table = toml::from_str(&String::from_utf8_lossy(&output.stdout))?;
    for key in ["main", "no_bundle", "rules", "build", "env"] {
        config.remove(key);
    }
    let out = worker_build_out(fixture);
    config.insert(
        "main".into(),
        out.join("worker/shim.mjs").display().to_string().into(),
    );
    let command = format!(
        "{} --release --out-dir {} {} --target-dir {}",
        bench.peers.worker_build.display(),
        out.display(),
        fixture.dir().display(),
        Tool::WorkerBuild.target_dir().display()
    );
    let mut build = toml::Table::new();
    build.insert("command".into(), command.into());
    build.insert("cwd".into(), fixture.dir().display().to_string().into());
    // wrangler joins watch_dir onto the config's folder, so it must be relative to it.
    let watch_dir = format!("../../../../fixtures/{}/src", fixture.name);
    build.insert("watch_dir".into(), watch_dir.into());
    config.insert("build".into(), build.into());
    std::fs::write(dir.join("wrangler.toml"), toml::to_string(&config)?)?;
    Ok(dir)
}

/// The environment wrangler runs in: no telemetry, no update check, worker-build's tools.
pub fn wrangler_env(bench: &Bench, command: &mut Command) {
    command
        .env("WRANGLER_SEND_METRICS", "false")
        .env("WRANGLER_SEND_ERROR_REPORTS", "false")
        .env("WRANGLER_HIDE_BANNER", "true")
        .env("NO_UPDATE_NOTIFIER", "1")
        .env("CI", "1")
        .envs(bench.peers.worker_build_env());
}

fn start(bench: &Bench, server: Server, fixture: &Fixture, run: usize) -> Result<Running> {
    let port = free_port();
    let log = bench_dir().join(format!("dev-{}-{}-{run}.log", server.key(), fixture.name));
    let mut command = match server {
        Server::CargoEdge => {
            let mut command = Command::new(&bench.cargo_edge);
            command
                .current_dir(root())
                .args([
                    "edge",
                    "dev",
                    "--color",
                    "never",
                    "--no-persist",
                    "--manifest-path",
                ])
                .arg(fixture.manifest())
                .arg("--target-dir")
                .arg(bench_dir().join("edge-dev"))
                .arg("--workerd")
                .arg(&bench.workerd)
                .args(["--port", &port.to_string()]);
            command
        }
        Server::Wrangler => {
            let dir = wrangler_project(bench, fixture)?;
            let mut command = Command::new(&bench.peers.node22);
            command
                .current_dir(&dir)
                .arg(&bench.peers.wrangler_js)
                .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
                .args(["--inspector-port", &free_port().to_string()]);
            wrangler_env(bench, &mut command);
            command
        }
    };
    let file = std::fs::File::create(&log)?;
    use std::os::unix::process::CommandExt;
    let child = command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    Ok(Running { child, port, log })
}

/// Poll `/` until `ready` accepts the response; the time it took.
fn wait_for(
    running: &mut Running,
    timeout: Duration,
    ready: impl Fn(u16, &str) -> bool,
) -> Result<Duration> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if let Some((status, body)) = http_get(running.port, "/") {
            if ready(status, &body) {
                return Ok(started.elapsed());
            }
        }
        if let Ok(Some(status)) = running.child.try_wait() {
            bail!(
                "the dev server exited ({status}); see {}",
                running.log.display()
            );
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    bail!(
        "no expected answer within {timeout:?}; see {}",
        running.log.display()
    )
}

/// Every dev measurement of one fixture, for both servers.
pub fn measure(bench: &Bench, fixture: &Fixture, load: bool) -> Result<Value> {
    let mut result = serde_json::Map::new();
    for server in [Server::CargoEdge, Server::Wrangler] {
        // Warm-up start: caches filled, first-run prompts out of the way.
        {
            let mut running = start(bench, server, fixture, 0)?;
            wait_for(&mut running, Duration::from_secs(900), |s, _| s == 200)?;
        }
        let (mut starts, mut edits) = (Vec::new(), Vec::new());
        for run in 0..bench.runs.dev {
            let mut running = start(bench, server, fixture, run + 1)?;
            starts.push(
                wait_for(&mut running, Duration::from_secs(600), |s, _| s == 200)?.as_secs_f64(),
            );
            // Let both servers' file watchers settle; not counted in either figure.
            std::thread::sleep(Duration::from_secs(2));
            let tag = format!("dev-edit-{run}");
            let edit = Edit::apply(fixture, &tag)?;
            edits.push(
                wait_for(&mut running, Duration::from_secs(900), |s, b| {
                    s == 200 && b.contains(&tag)
                })?
                .as_secs_f64(),
            );
            drop(edit);
            wait_for(&mut running, Duration::from_secs(900), |s, b| {
                s == 200 && !b.contains(&tag)
            })?;
            eprint!(".");
        }
        let entry = json!({
            "start_to_200": summary(&starts),
            "edit_to_new_response": summary(&edits),
        });
        result.insert(server.key().into(), entry);
    }
    if load {
        let [edge, wrangler] = kv_interleaved(bench, fixture)?;
        result["cargo-edge"]["kv_read"] = edge;
        result["wrangler"]["kv_read"] = wrangler;
    }
    let ratio = |key: &str| {
        let edge = median(&result["cargo-edge"][key]);
        let wrangler = median(&result["wrangler"][key]);
        match (edge, wrangler) {
            (Some(e), Some(w)) if w > 0.0 => json!(e / w),
            _ => json!(null),
        }
    };
    let ratios = json!({
        "start_to_200": ratio("start_to_200"),
        "edit_to_new_response": ratio("edit_to_new_response"),
    });
    result.insert("ratios".into(), ratios);
    if load {
        let rps = |k: &str| median(&result[k]["kv_read"]["requests_per_s"]).unwrap_or(0.0);
        let p99 = |k: &str| median(&result[k]["kv_read"]["p99_ms"]).unwrap_or(0.0);
        let rps_ratio = rps("cargo-edge") / rps("wrangler").max(1e-9);
        let p99_ratio = p99("cargo-edge") / p99("wrangler").max(1e-9);
        result["ratios"]["kv_requests_per_s"] = json!(rps_ratio);
        result["ratios"]["kv_p99"] = json!(p99_ratio);
    }
    Ok(Value::Object(result))
}

/// Seconds wrk runs for.
const LOAD_SECONDS: u32 = 10;
/// wrk runs per server, the servers alternating (both running all along, so each run meets the
/// same machine the other's did).
const LOAD_ROUNDS: usize = 4;

/// Both servers up at once, one key written to each, then wrk against them in turn (ABBA…);
/// each server's load summary.
fn kv_interleaved(bench: &Bench, fixture: &Fixture) -> Result<[Value; 2]> {
    let servers = [Server::CargoEdge, Server::Wrangler];
    let mut running = Vec::new();
    for server in servers {
        let mut up = start(bench, server, fixture, 99)?;
        wait_for(&mut up, Duration::from_secs(600), |s, _| s == 200)?;
        running.push(up);
    }
    let mut loads: [Vec<[f64; 5]>; 2] = [Vec::new(), Vec::new()];
    for round in 0..LOAD_ROUNDS {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for index in order {
            loads[index].push(kv_load(bench, running[index].port)?);
            eprint!(".");
        }
    }
    Ok(loads.map(|l| kv_summary(&l)))
}

/// One key written, then read for 10 s by wrk: (requests/s, p50 ms, p99 ms, non-2xx, the
/// 1-minute load average when it ended).
fn kv_load(bench: &Bench, port: u16) -> Result<[f64; 5]> {
    match http(port, "PUT", "/kv/bench", "a value read under load") {
        Some((200..=299, _)) => {}
        other => bail!("PUT /kv/bench answered {other:?}"),
    }
    let output = Command::new(&bench.peers.wrk)
        .args(["-t2", "-c16", &format!("-d{LOAD_SECONDS}s"), "--latency"])
        .arg(format!("http://127.0.0.1:{port}/kv/bench"))
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let field = |prefix: &str| -> Option<&str> {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))?
            .split_whitespace()
            .nth(prefix.split_whitespace().count())
    };
    let rps = field("Requests/sec:").and_then(|v| v.parse().ok());
    let p50 = field("50%").and_then(parse_ms);
    let p99 = field("99%").and_then(parse_ms);
    let errors = field("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    match (rps, p50, p99) {
        (Some(rps), Some(p50), Some(p99)) => Ok([rps, p50, p99, errors, load_1min()]),
        _ => bail!("could not read wrk's output:\n{text}"),
    }
}

/// wrk's `1.23ms` / `456.78us` / `1.2s` as milliseconds.
fn parse_ms(value: &str) -> Option<f64> {
    let (number, factor) = if let Some(n) = value.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (value, 1.0)
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}

fn load_1min() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

fn kv_summary(loads: &[[f64; 5]]) -> Value {
    let column = |i: usize| loads.iter().map(|l| l[i]).collect::<Vec<_>>();
    json!({
        "seconds": LOAD_SECONDS,
        "connections": 16,
        "requests_per_s": summary(&column(0)),
        "p50_ms": summary(&column(1)),
        "p99_ms": summary(&column(2)),
        "non_2xx": column(3),
        "loadavg_1min": column(4),
    })
}
