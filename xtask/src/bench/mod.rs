//! `cargo xtask bench [--install-peers] [--quick] [--only build,dev,deploy] [--fixture NAME|all]`:
//! cargo-edge measured side by side with worker-build and wrangler in one run on one machine,
//! written to `bench/RESULTS.md` and `bench/results.json`. Never run by CI; nothing here asserts
//! a time.

mod build;
mod common;
mod deploy;
mod dev;
mod peers;
mod report;
mod startup;

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Result};
use serde_json::{json, Map, Value};

use crate::{build_cargo_edge_release, cargo, root, run, setup};
use common::FIXTURES;
use peers::Peers;

/// How many times each measurement is repeated.
pub struct Runs {
    pub clean: usize,
    pub builds: usize,
    pub dev: usize,
}

/// Everything a measurement needs.
pub struct Bench {
    pub cargo_edge: PathBuf,
    pub workerd: PathBuf,
    pub fake_cloudflare: PathBuf,
    pub peers: Peers,
    pub runs: Runs,
}

pub fn bench(args: &[String]) -> Result<()> {
    let mut install = false;
    let mut quick = false;
    let mut only: Option<String> = None;
    let mut fixture_name: Option<String> = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--install-peers" => install = true,
            "--quick" => quick = true,
            "--only" => only = args.next().cloned(),
            "--fixture" => fixture_name = args.next().cloned(),
            "--report-only" => return report_only(),
            other => bail!(
                "unknown bench option `{other}` (try --install-peers, --quick, --only build,dev,deploy (any of them), --fixture NAME|all, --report-only)"
            ),
        }
    }
    // `--only build,dev`: those sections only (the others stay empty in results.json).
    let wanted = |section: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|s| s.trim() == section))
    };
    let tools = setup()?;
    let peers = if install {
        peers::install()?
    } else {
        Peers::find()?
    };
    run(cargo().current_dir(root()).args([
        "build",
        "--package",
        "edge-tests",
        "--bin",
        "fake-cloudflare",
    ]))?;
    let bench = Bench {
        cargo_edge: build_cargo_edge_release()?,
        workerd: tools.workerd,
        fake_cloudflare: root().join("target/debug/fake-cloudflare"),
        peers,
        runs: if quick {
            Runs {
                clean: 1,
                builds: 2,
                dev: 1,
            }
        } else {
            Runs {
                clean: 2,
                builds: 3,
                dev: 2,
            }
        },
    };
    let fixtures: Vec<_> = match fixture_name.as_deref() {
        Some("all") => FIXTURES.iter().collect(),
        Some(name) => FIXTURES.iter().filter(|f| f.name == name).collect(),
        None if quick => FIXTURES[..1].iter().collect(),
        None => FIXTURES.iter().collect(),
    };
    let started = std::time::SystemTime::now();
    let load_before = loadavg();
    let mut sections: Map<String, Value> = Map::new();
    for name in ["build", "dev", "deploy"] {
        sections.insert(name.into(), json!({}));
    }
    for fixture in &fixtures {
        if wanted("build") {
            eprintln!("bench: build {}", fixture.name);
            sections["build"][fixture.name] = build::measure(&bench, fixture)?;
        }
        if wanted("dev") {
            eprintln!("\nbench: dev {}", fixture.name);
            let load = fixture.name == "full-stack";
            sections["dev"][fixture.name] = dev::measure(&bench, fixture, load)?;
        }
        if wanted("deploy") {
            eprintln!("\nbench: deploy {}", fixture.name);
            sections["deploy"][fixture.name] = deploy::measure(&bench, fixture)?;
        }
    }
    let results = json!({
        "quick": quick,
        "only": only,
        "machine": machine(load_before),
        "started_unix": started.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        "versions": versions(&bench),
        "runs": { "clean": bench.runs.clean, "builds": bench.runs.builds, "dev": bench.runs.dev },
        "build": sections["build"],
        "dev": sections["dev"],
        "deploy": sections["deploy"],
    });
    let out = root().join("bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(
        out.join("results.json"),
        serde_json::to_string_pretty(&results)? + "\n",
    )?;
    std::fs::write(out.join("RESULTS.md"), report::markdown(&results))?;
    eprintln!("bench: wrote bench/RESULTS.md and bench/results.json");
    Ok(())
}

/// Write RESULTS.md again from results.json (after editing bench/notes.md), measuring nothing.
fn report_only() -> Result<()> {
    let out = root().join("bench");
    let results: Value = serde_json::from_str(&std::fs::read_to_string(out.join("results.json"))?)?;
    std::fs::write(out.join("RESULTS.md"), report::markdown(&results))?;
    eprintln!("bench: wrote bench/RESULTS.md from bench/results.json");
    Ok(())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn machine(load_before: String) -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_default();
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "memory": memory,
        "os": peers::version(&PathBuf::from("uname"), &["-sr"]),
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
    })
}

fn versions(bench: &Bench) -> Value {
    let p = &bench.peers;
    json!({
        "cargo-edge": format!(
            "{} ({})",
            peers::version(&bench.cargo_edge, &["edge", "--version"]),
            peers::version(&PathBuf::from("git"), &["rev-parse", "--short", "HEAD"])
        ),
        "rustc": peers::version(&PathBuf::from("rustc"), &["--version"]),
        "worker-build": peers::version(&p.worker_build, &["--version"]),
        "wasm-bindgen": peers::version(&p.wasm_bindgen, &["--version"]),
        "wasm-opt": peers::version(&p.wasm_opt, &["--version"]),
        "esbuild": peers::version(&p.esbuild, &["--version"]),
        "node (wrangler)": peers::version(&p.node22, &["--version"]),
        "wrangler": peers::version(&p.node22, &[p.wrangler_js.to_str().unwrap_or(""), "--version"]),
        "workerd": peers::version(&bench.workerd, &["--version"]),
        "wrk": Command::new(&p.wrk).arg("-v").output().ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("?").to_string())
            .unwrap_or_default(),
    })
}
