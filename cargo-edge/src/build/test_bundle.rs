//! A bundle made from a `cargo test --target wasm32-unknown-unknown` binary, for
//! `cargo edge test --wasm`: wasm-bindgen in the mode its own test runner uses (the raw wasm
//! exports reachable as `__wasm`, no start function), then the same shim as a worker build, so
//! the test binary serves as the worker too (its handlers, RPC functions and Durable Objects).

use std::path::Path;

use wasm_bindgen_cli_support::Bindgen;

use super::bindgen::OUT_NAME;
use super::exports::Exports;
use super::shim;
use crate::bundle::{Bundle, BundleSource, ModuleSource, ModuleType};
use crate::error::{Error, Result};
use crate::WASM_BINDGEN_VERSION;

/// The prefix `#[wasm_bindgen_test]` gives its exports: `__wbgt_<modifiers>_<n>::<path>`.
pub const TEST_EXPORT_PREFIX: &str = "__wbgt_";

/// One test of a test binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmTest {
    /// Its path, as libtest prints it (`tests::kv_round_trip`).
    pub name: String,
    /// The wasm export that runs it.
    pub export: String,
    /// `#[ignore]`d.
    pub ignored: bool,
}

/// The `#[wasm_bindgen_test]` functions of a module, in export order.
pub fn tests(module: &walrus::Module) -> Vec<WasmTest> {
    module
        .exports
        .iter()
        .filter_map(|export| {
            let rest = export.name.strip_prefix(TEST_EXPORT_PREFIX)?;
            let modifiers = rest.split_once('_')?.0;
            let name = export.name.split_once("::")?.1;
            Some(WasmTest {
                name: name.to_string(),
                export: export.name.clone(),
                ignored: modifiers.contains('$'),
            })
        })
        .collect()
}

/// Read a test binary's tests without running wasm-bindgen.
pub fn list(wasm_path: &Path) -> Result<Vec<WasmTest>> {
    let module = walrus::Module::from_file(wasm_path).map_err(|e| Error::Bindgen {
        message: format!("reading {}: {e:#}", wasm_path.display()),
        embedded: WASM_BINDGEN_VERSION,
    })?;
    Ok(tests(&module))
}

/// wasm-bindgen over the test binary, then the shim; the bundle is written to `dir`.
pub fn write(wasm_path: &Path, worker_name: &str, dir: &Path) -> Result<Bundle> {
    let bindgen_error = |error: anyhow::Error| Error::Bindgen {
        message: format!("{error:#}"),
        embedded: WASM_BINDGEN_VERSION,
    };
    let mut bindgen = Bindgen::new();
    bindgen
        .input_path(wasm_path)
        .out_name(OUT_NAME)
        .typescript(true)
        // No abort handler: a failing test traps, and the instance must go on to the next test,
        // as under wasm-bindgen's own runner.
        .reset_state_function(true)
        .keep_debug(true)
        .export_wasm(true)
        .emit_start(false);
    bindgen.module(true).map_err(bindgen_error)?;
    let mut output = bindgen.generate_output().map_err(bindgen_error)?;
    let exports = Exports::find(output.wasm(), output.ts().unwrap_or_default());
    let wasm = output.wasm_mut().emit_wasm();
    let mut modules = vec![
        esm(shim::SHIM_NAME, shim::generate(&exports)),
        esm(&format!("{OUT_NAME}.js"), output.js().to_string()),
        ModuleSource {
            name: format!("{OUT_NAME}_bg.wasm"),
            kind: ModuleType::Wasm,
            bytes: wasm,
        },
    ];
    for (identifier, list) in output.snippets() {
        for (index, js) in list.iter().enumerate() {
            let name = format!("snippets/{identifier}/inline{index}.js");
            modules.push(esm(&name, js.clone()));
        }
    }
    for (path, js) in output.local_modules() {
        modules.push(esm(&format!("snippets/{path}"), js.clone()));
    }
    BundleSource {
        worker: worker_name.to_string(),
        wasm_bindgen: WASM_BINDGEN_VERSION.to_string(),
        profile: "test".into(),
        exports,
        modules,
    }
    .write(dir)
}

fn esm(name: &str, source: String) -> ModuleSource {
    ModuleSource {
        name: name.to_string(),
        kind: ModuleType::Esm,
        bytes: source.into_bytes(),
    }
}
