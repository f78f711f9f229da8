use std::time::Instant;

use super::bindgen::Generated;
use super::options::{BuildOptions, CargoOptions};
use super::preflight::WorkerCrate;
use super::size::SizeReport;
use super::{bindgen, cargo, insight, minify, preflight, shim, size, traps, unwind, wasm_opt};
use crate::bundle::{BundleSource, ModuleSource, ModuleType};
use crate::error::Result;
use crate::report::{Built, Reporter};
use crate::WASM_BINDGEN_VERSION;

/// `wasm-opt` over the module. A binary the user named must work; one that was only found is
/// allowed to fail, with a warning, and the module is kept as it was.
fn optimize(found: &wasm_opt::WasmOpt, wasm: Vec<u8>, reporter: &Reporter) -> Result<Vec<u8>> {
    let stage = reporter.stage(
        "optimizing",
        format!("with {} (from {})", found.path.display(), found.source),
    );
    let result = wasm_opt::optimize(found, &wasm);
    stage.finish();
    match result {
        Ok(optimized) => Ok(optimized),
        Err(error) if !found.explicit() => {
            reporter.warn(format!(
                "{error}; the module is kept without wasm-opt (`--no-wasm-opt` skips it, `--wasm-opt PATH` picks another)"
            ));
            Ok(wasm)
        }
        Err(error) => Err(error),
    }
}

/// Warn about every wasm32 trap in the graph, and apply the fixes that are safe to apply.
fn handle_traps(krate: &WorkerCrate, options: &mut CargoOptions, reporter: &Reporter) {
    for trap in &krate.traps {
        reporter.warn(trap.message());
        if trap.auto_fix == Some(traps::AutoFix::GetrandomBackendCfg) {
            match insight::getrandom_cfg(&krate.workspace_root) {
                Ok(config) => {
                    reporter.status(
                        "Fixing",
                        format!("getrandom {}: this build passes `--config {config}` to cargo", trap.version),
                    );
                    options.config.push(config);
                }
                Err(why) => reporter.warn(format!(
                    "getrandom {}: cargo-edge did not set the cfg itself because {why}; add `--cfg getrandom_backend=\"wasm_js\"` to your rustflags for wasm32-unknown-unknown",
                    trap.version
                )),
            }
        }
    }
}

/// Build the worker crate the options select and write its bundle to
/// `<target-dir>/edge/<worker-name>/`.
pub fn run(options: &BuildOptions, reporter: &Reporter) -> Result<Built> {
    let started = Instant::now();
    let krate = preflight::preflight(&options.cargo)?;
    let mut cargo_options = options.cargo.clone();
    handle_traps(&krate, &mut cargo_options, reporter);
    let project_dir = krate
        .manifest_path
        .parent()
        .unwrap_or(&krate.workspace_root)
        .to_path_buf();
    if cargo_options.panic_unwind {
        unwind::check(&project_dir)?;
    }

    let stage = reporter.stage(
        "compiling",
        format!("{} to wasm32-unknown-unknown", krate.package),
    );
    let wasm_path = cargo::build(&cargo_options, &krate, reporter)?;
    let cargo_time = stage.finish();

    let production = cargo_options.profile.is_production();
    let stage = reporter.stage(
        "bindgen",
        format!(
            "{} (wasm-bindgen {WASM_BINDGEN_VERSION})",
            wasm_path.display()
        ),
    );
    let mut generated = bindgen::generate(&wasm_path, production)?;
    stage.finish();
    if production {
        if let Some(found) = wasm_opt::locate(&cargo_options.wasm_opt, &project_dir) {
            generated.wasm = optimize(&found, generated.wasm, reporter)?;
        }
    }
    let size_report = finish_wasm(&mut generated, production, reporter);

    let stage = reporter.stage("bundling", format!("worker `{}`", krate.worker_name));
    let glue = std::mem::take(&mut generated.glue);
    let modules = modules(glue, &generated, production, reporter);
    let dir = krate.target_dir.join("edge").join(&krate.worker_name);
    let bundle = BundleSource {
        worker: krate.worker_name.clone(),
        wasm_bindgen: krate
            .wasm_bindgen
            .clone()
            .unwrap_or_else(|| WASM_BINDGEN_VERSION.to_string()),
        profile: cargo_options.profile.name().to_string(),
        exports: generated.exports,
        modules,
    }
    .write(&dir)?;
    stage.finish();
    if bundle.exports.handlers.is_empty() && bundle.exports.rpc.is_empty() {
        reporter.warn(format!(
            "worker `{}` exports no handler: add `#[event(fetch)]` to a function so it can serve requests",
            bundle.worker
        ));
    }
    let size = size_report.and_then(|report| {
        insight::store_size(&krate.target_dir, &krate.worker_name, report)
            .map_err(|e| reporter.warn(format!("the size report was not saved: {e}")))
            .ok()
    });
    let startup = match &options.startup {
        Some(startup) if production => insight::startup(&krate, &bundle, startup, reporter),
        _ => None,
    };
    Ok(Built {
        bundle,
        cargo: cargo_time,
        total: started.elapsed(),
        size,
        startup,
    })
}

/// Read the size report off the named module, then strip the name section in production.
fn finish_wasm(
    generated: &mut Generated,
    production: bool,
    reporter: &Reporter,
) -> Option<SizeReport> {
    let named = std::mem::take(&mut generated.wasm);
    let shipped = if production {
        match size::strip_name_section(&named) {
            Ok(stripped) => stripped,
            Err(error) => {
                reporter.warn(format!("the name section was kept: {error}"));
                named.clone()
            }
        }
    } else {
        named.clone()
    };
    let report = SizeReport::attribute(&named, &shipped)
        .map_err(|e| reporter.warn(format!("no size report: {e}")))
        .ok();
    generated.wasm = shipped;
    report
}

/// Minify a production module's JavaScript; keep it as it was (with a warning) if that fails.
fn js(name: &str, source: String, production: bool, reporter: &Reporter) -> Vec<u8> {
    if !production {
        return source.into_bytes();
    }
    match minify::minify(&source) {
        Ok(minified) => minified.into_bytes(),
        Err(error) => {
            reporter.warn(format!(
                "{name} was not minified: {error} (this is a cargo-edge bug: please report it)"
            ));
            source.into_bytes()
        }
    }
}

fn modules(
    glue: String,
    generated: &Generated,
    production: bool,
    reporter: &Reporter,
) -> Vec<ModuleSource> {
    let esm = |name: String, source: String| ModuleSource {
        bytes: js(&name, source, production, reporter),
        name,
        kind: ModuleType::Esm,
    };
    let mut modules = vec![
        esm(shim::SHIM_NAME.into(), shim::generate(&generated.exports)),
        esm(format!("{}.js", bindgen::OUT_NAME), glue),
        ModuleSource {
            name: format!("{}_bg.wasm", bindgen::OUT_NAME),
            kind: ModuleType::Wasm,
            bytes: generated.wasm.clone(),
        },
    ];
    modules.extend(
        generated
            .snippets
            .iter()
            .map(|(name, js)| esm(name.clone(), js.clone())),
    );
    modules
}
