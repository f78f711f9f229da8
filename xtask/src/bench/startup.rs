//! Startup of the two tools' bundles of one fixture, measured the way `cargo edge build` does
//! (`cargo_edge::build::startup`): fresh workerd processes with and without the worker, the
//! difference of the medians. The tools alternate round by round so load falls on both alike.

use anyhow::{Context, Result};
use cargo_edge::build::startup::{self, Compatibility, Module, Startup};
use cargo_edge::bundle::{Bundle, ModuleType};
use serde_json::{json, Value};

use super::build::{cargo_edge_out, worker_build_out};
use super::common::{summary, Fixture};
use super::Bench;

/// Rounds per tool; each round is `startup::measure_modules` with this many runs per side.
const ROUNDS: usize = 3;
const RUNS_PER_ROUND: usize = 3;

/// worker-build's `build/` folder as workerd modules: its shim is the main module and imports
/// `../index.js`, which imports the wasm module.
fn worker_build_modules(fixture: &Fixture) -> Vec<Module> {
    let dir = worker_build_out(fixture);
    let module = |name: &str, kind| Module {
        name: name.into(),
        kind,
        path: dir.join(name),
    };
    vec![
        module("worker/shim.mjs", ModuleType::Esm),
        module("index.js", ModuleType::Esm),
        module("index_bg.wasm", ModuleType::Wasm),
    ]
}

pub fn measure(bench: &Bench, fixture: &Fixture) -> Result<Value> {
    let workerd = cargo_edge::workerd::inspect(&bench.workerd, "bench")?;
    let loaded = cargo_edge::manifest::load_worker(&fixture.manifest(), None)?;
    let compatibility = Compatibility {
        date: loaded.worker.compatibility_date,
        flags: loaded.worker.compatibility_flags,
    };
    let edge = startup::bundle_modules(&Bundle::load(&cargo_edge_out(fixture))?);
    let wb = worker_build_modules(fixture);
    let (mut edge_ms, mut wb_ms) = (Vec::new(), Vec::new());
    let ms = |s: Startup| s.startup.as_secs_f64() * 1000.0;
    for round in 0..ROUNDS {
        let order: [(&[Module], &mut Vec<f64>); 2] = if round % 2 == 0 {
            [(&edge, &mut edge_ms), (&wb, &mut wb_ms)]
        } else {
            [(&wb, &mut wb_ms), (&edge, &mut edge_ms)]
        };
        for (modules, samples) in order {
            let measured =
                startup::measure_modules(&workerd, modules, &compatibility, RUNS_PER_ROUND)
                    .map_err(anyhow::Error::msg)
                    .with_context(|| {
                        format!("measuring the startup of {}", modules[0].path.display())
                    })?;
            samples.push(ms(measured));
        }
        eprint!(".");
    }
    let (edge, wb) = (summary(&edge_ms), summary(&wb_ms));
    let ratio = match (edge["median"].as_f64(), wb["median"].as_f64()) {
        (Some(e), Some(w)) if w > 0.0 => json!(e / w),
        _ => json!(null),
    };
    Ok(json!({
        "cargo-edge_ms": edge,
        "worker-build_ms": wb,
        "ratio": ratio,
        "rounds": ROUNDS,
        "runs_per_round": RUNS_PER_ROUND,
        "limit_ms": startup::CLOUDFLARE_LIMIT.as_millis() as u64,
    }))
}
