use std::time::Instant;

use super::options::BuildOptions;
use super::{bindgen, cargo, preflight, shim, wasm_opt};
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

/// Build the worker crate the options select and write its bundle to
/// `<target-dir>/edge/<worker-name>/`.
pub fn run(options: &BuildOptions, reporter: &Reporter) -> Result<Built> {
    let started = Instant::now();
    let cargo_options = &options.cargo;
    let krate = preflight::preflight(cargo_options)?;

    let stage = reporter.stage(
        "compiling",
        format!("{} to wasm32-unknown-unknown", krate.package),
    );
    let wasm_path = cargo::build(cargo_options, &krate, reporter)?;
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
        let project_dir = krate
            .manifest_path
            .parent()
            .unwrap_or(&krate.workspace_root);
        if let Some(found) = wasm_opt::locate(&cargo_options.wasm_opt, project_dir) {
            generated.wasm = optimize(&found, generated.wasm, reporter)?;
        }
    }

    let stage = reporter.stage("bundling", format!("worker `{}`", krate.worker_name));
    let mut modules = vec![
        ModuleSource {
            name: shim::SHIM_NAME.into(),
            kind: ModuleType::Esm,
            bytes: shim::generate(&generated.exports).into_bytes(),
        },
        ModuleSource {
            name: format!("{}.js", bindgen::OUT_NAME),
            kind: ModuleType::Esm,
            bytes: generated.glue.into_bytes(),
        },
        ModuleSource {
            name: format!("{}_bg.wasm", bindgen::OUT_NAME),
            kind: ModuleType::Wasm,
            bytes: generated.wasm,
        },
    ];
    modules.extend(
        generated
            .snippets
            .into_iter()
            .map(|(name, js)| ModuleSource {
                name,
                kind: ModuleType::Esm,
                bytes: js.into_bytes(),
            }),
    );
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
    Ok(Built {
        bundle,
        cargo: cargo_time,
        total: started.elapsed(),
    })
}
