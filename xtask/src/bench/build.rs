//! Build times (clean, no-op, one-line change) of cargo-edge, worker-build and the bare cargo
//! build under both, and the size of what each would upload.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;
use serde_json::{json, Map, Value};

use super::common::{bench_dir, median, summary, timed, Edit, Fixture};
use super::Bench;
use crate::cargo;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `cargo build --release --target wasm32-unknown-unknown`: the floor both tools stand on.
    Cargo,
    CargoEdge,
    WorkerBuild,
}

const TOOLS: [Tool; 3] = [Tool::Cargo, Tool::CargoEdge, Tool::WorkerBuild];

impl Tool {
    pub fn key(self) -> &'static str {
        match self {
            Tool::Cargo => "cargo",
            Tool::CargoEdge => "cargo-edge",
            Tool::WorkerBuild => "worker-build",
        }
    }

    /// Each tool builds into a target folder of its own.
    pub fn target_dir(self) -> PathBuf {
        bench_dir().join(match self {
            Tool::Cargo => "cargo",
            Tool::CargoEdge => "edge",
            Tool::WorkerBuild => "wb",
        })
    }
}

/// worker-build's output folder for a fixture.
pub fn worker_build_out(fixture: &Fixture) -> PathBuf {
    bench_dir().join("wb-out").join(fixture.name)
}

/// cargo-edge's bundle folder for a fixture.
pub fn cargo_edge_out(fixture: &Fixture) -> PathBuf {
    Tool::CargoEdge
        .target_dir()
        .join("edge")
        .join(fixture.worker)
}

/// The release build of `fixture` by `tool`.
pub fn command(bench: &Bench, tool: Tool, fixture: &Fixture) -> Command {
    let manifest = fixture.manifest();
    let target = tool.target_dir();
    match tool {
        Tool::Cargo => {
            let mut command = cargo();
            command
                .args([
                    "build",
                    "--lib",
                    "--release",
                    "--target",
                    "wasm32-unknown-unknown",
                ])
                .arg("--manifest-path")
                .arg(&manifest)
                .args(["--package", fixture.package])
                .arg("--target-dir")
                .arg(&target)
                // Both tools set it; without it the floor would build another wasm-bindgen.
                .env("WASM_BINDGEN_USE_JS_SYS", "1");
            command
        }
        Tool::CargoEdge => {
            let mut command = Command::new(&bench.cargo_edge);
            command
                // Startup is measured on its own (`startup.rs`), not inside the build timings.
                .args([
                    "edge",
                    "build",
                    "--color",
                    "never",
                    "--no-startup",
                    "--manifest-path",
                ])
                .arg(&manifest)
                .arg("--target-dir")
                .arg(&target);
            command
        }
        Tool::WorkerBuild => {
            let mut command = Command::new(&bench.peers.worker_build);
            command
                .current_dir(fixture.dir())
                .args(["--release", "--out-dir"])
                .arg(worker_build_out(fixture))
                .arg(fixture.dir())
                .arg("--target-dir")
                .arg(&target)
                .envs(bench.peers.worker_build_env());
            command
        }
    }
}

/// Remove the fixture crate's own release artifacts (its dependencies stay built).
fn clean(tool: Tool, fixture: &Fixture) -> Result<()> {
    timed(
        cargo()
            .args(["clean", "--release", "--target", "wasm32-unknown-unknown"])
            .args(["--package", fixture.package])
            .arg("--manifest-path")
            .arg(fixture.manifest())
            .arg("--target-dir")
            .arg(tool.target_dir()),
    )?;
    Ok(())
}

/// Every build scenario for one fixture, tools interleaved run by run so load from the rest of
/// the machine falls on all three alike.
pub fn measure(bench: &Bench, fixture: &Fixture) -> Result<Value> {
    // Warm-up: dependencies built, outputs present.
    for tool in TOOLS {
        timed(&mut command(bench, tool, fixture))?;
    }
    let clean_runs = scenario(bench, fixture, bench.runs.clean, |tool, _| {
        clean(tool, fixture)
    })?;
    let noop_runs = scenario(bench, fixture, bench.runs.builds, |_, _| Ok(()))?;
    let bundle = bundle_sizes(bench, fixture)?;
    let edit_runs = {
        let mut edits = Vec::new();
        let runs = scenario(bench, fixture, bench.runs.builds, |tool, run| {
            if tool == TOOLS[run % 3] {
                edits.clear();
                edits.push(Edit::apply(fixture, &format!("edit-{run}"))?);
            }
            Ok(())
        })?;
        drop(edits);
        runs
    };
    // Leave every tool's output built from the unedited source.
    for tool in TOOLS {
        timed(&mut command(bench, tool, fixture))?;
    }
    let mut times = Map::new();
    for (name, runs) in [
        ("clean", clean_runs),
        ("noop", noop_runs),
        ("edit", edit_runs),
    ] {
        times.insert(name.into(), with_overheads(runs));
    }
    eprint!("\nbench: startup {}", fixture.name);
    // A failure here is reported, not fatal: the rest of the run is still worth having.
    let startup = super::startup::measure(bench, fixture).unwrap_or_else(|e| {
        eprintln!("\nbench: startup of {} failed: {e:#}", fixture.name);
        json!({ "error": format!("{e:#}") })
    });
    Ok(json!({ "times": times, "bundle": bundle, "startup": startup }))
}

/// `runs` rounds of every tool, `before(tool, run)` ahead of each build; seconds per tool.
fn scenario(
    bench: &Bench,
    fixture: &Fixture,
    runs: usize,
    mut before: impl FnMut(Tool, usize) -> Result<()>,
) -> Result<Map<String, Value>> {
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); TOOLS.len()];
    for run in 0..runs {
        for offset in 0..TOOLS.len() {
            let index = (run + offset) % TOOLS.len();
            let tool = TOOLS[index];
            before(tool, run)?;
            let took = timed(&mut command(bench, tool, fixture))?;
            samples[index].push(took.as_secs_f64());
            eprint!(".");
            let _ = std::io::stderr().flush();
        }
    }
    Ok(TOOLS
        .iter()
        .zip(samples)
        .map(|(tool, s)| (tool.key().to_string(), summary(&s)))
        .collect())
}

/// Add each tool's own time on top of cargo (median minus cargo's median) and the ratio.
fn with_overheads(mut runs: Map<String, Value>) -> Value {
    let floor = runs.get("cargo").and_then(median).unwrap_or(0.0);
    let own = |key: &str| runs.get(key).and_then(median).map(|m| m - floor);
    let (edge, wb) = (own("cargo-edge"), own("worker-build"));
    runs.insert("cargo-edge_own".into(), json!(edge));
    runs.insert("worker-build_own".into(), json!(wb));
    let ratio = match (edge, wb) {
        (Some(e), Some(w)) if w > 0.0 => json!(e.max(0.0) / w),
        _ => json!(null),
    };
    runs.insert("own_ratio".into(), ratio);
    Value::Object(runs)
}

/// Raw and gzip bytes of every file each tool would have uploaded, and cargo-edge's bundle once
/// more with npm's wasm-opt.
fn bundle_sizes(bench: &Bench, fixture: &Fixture) -> Result<Value> {
    let edge = sizes(&cargo_edge_out(fixture), &["bundle.json"])?;
    let wb = sizes(&worker_build_out(fixture), &["package.json", ".gitignore"])?;
    let mut with_opt = command(bench, Tool::CargoEdge, fixture);
    with_opt.arg("--wasm-opt").arg(&bench.peers.wasm_opt);
    timed(&mut with_opt)?;
    let edge_opt = sizes(&cargo_edge_out(fixture), &["bundle.json"])?;
    let ratio = |a: &Value, b: &Value, key: &str| {
        json!(a[key].as_f64().unwrap_or(0.0) / b[key].as_f64().unwrap_or(1.0))
    };
    Ok(json!({
        "cargo-edge": edge,
        "cargo-edge+wasm-opt": edge_opt,
        "worker-build": wb,
        "gzip_ratio": ratio(&edge, &wb, "gzip"),
        "gzip_ratio_wasm_opt": ratio(&edge_opt, &wb, "gzip"),
        "raw_ratio": ratio(&edge, &wb, "raw"),
    }))
}

/// Sizes of the files under `dir` (but `skip`): per file and in total, raw and gzip -9.
fn sizes(dir: &Path, skip: &[&str]) -> Result<Value> {
    let mut files = Map::new();
    let (mut raw, mut gzip) = (0usize, 0usize);
    for path in walk(dir)? {
        let relative = path.strip_prefix(dir)?.to_string_lossy().into_owned();
        if skip.contains(&relative.as_str()) {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&bytes)?;
        let zipped = encoder.finish()?.len();
        raw += bytes.len();
        gzip += zipped;
        files.insert(relative, json!({ "raw": bytes.len(), "gzip": zipped }));
    }
    Ok(json!({ "raw": raw, "gzip": gzip, "files": files }))
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                found.extend(walk(&path)?);
            }
        } else {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}
