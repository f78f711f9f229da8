//! wasm-bindgen as a library, then walrus passes over the module it hands back.

use std::path::Path;

use wasm_bindgen_cli_support::Bindgen;

use super::exports::Exports;
use crate::error::{Error, Result};
use crate::WASM_BINDGEN_VERSION;

/// The base name wasm-bindgen gives its outputs: `index.js` and `index_bg.wasm`.
pub const OUT_NAME: &str = "index";

/// What wasm-bindgen and the walrus passes produced.
#[derive(Debug)]
pub struct Generated {
    /// The ES-module glue (`index.js`).
    pub glue: String,
    /// The final wasm bytes (`index_bg.wasm`).
    pub wasm: Vec<u8>,
    /// JS snippets the crate's `inline_js`/`module = ...` imports need, by module path.
    pub snippets: Vec<(String, String)>,
    /// The handlers, RPC functions and classes the worker exports.
    pub exports: Exports,
}

/// Custom sections a production bundle keeps. None of the others is read by workerd.
const KEPT_SECTIONS: &[&str] = &[];

pub fn generate(wasm_path: &Path, production: bool) -> Result<Generated> {
    let bindgen_error = |error: anyhow::Error| Error::Bindgen {
        message: format!("{error:#}"),
        embedded: WASM_BINDGEN_VERSION,
    };
    let mut bindgen = Bindgen::new();
    bindgen
        .input_path(wasm_path)
        .out_name(OUT_NAME)
        .typescript(true) // read for class names, never shipped
        .reset_state_function(true)
        .force_enable_abort_handler(true)
        // The name section is kept for `cargo edge size`; production strips it after reading it.
        .remove_name_section(false)
        .remove_producers_section(production)
        .keep_debug(!production);
    bindgen.module(true).map_err(bindgen_error)?;
    let mut output = bindgen.generate_output().map_err(bindgen_error)?;

    let exports = Exports::find(output.wasm(), output.ts().unwrap_or_default());
    let mut glue = output.js().to_string();
    if production {
        strip_custom_sections(output.wasm_mut());
        if let Some(shortened) = super::imports::shorten(output.wasm_mut(), &glue) {
            glue = shortened;
        }
    }
    let wasm = output.wasm_mut().emit_wasm();

    let mut snippets = Vec::new();
    for (identifier, list) in output.snippets() {
        for (index, js) in list.iter().enumerate() {
            snippets.push((
                format!("snippets/{identifier}/inline{index}.js"),
                js.clone(),
            ));
        }
    }
    for (path, js) in output.local_modules() {
        snippets.push((format!("snippets/{path}"), js.clone()));
    }
    snippets.sort(); // local_modules is a HashMap: fix the order so bundles are deterministic
    Ok(Generated {
        glue,
        wasm,
        snippets,
        exports,
    })
}

/// Drop every custom section production does not read (debug info, `target_features`, ...).
/// The producers section is removed by wasm-bindgen itself; the name section (which walrus keeps
/// apart from the custom sections) goes after the size report has read it.
fn strip_custom_sections(module: &mut walrus::Module) {
    let unwanted: Vec<_> = module
        .customs
        .iter()
        .filter(|(_, section)| !KEPT_SECTIONS.contains(&section.name()))
        .map(|(id, _)| id)
        .collect();
    for id in unwanted {
        module.customs.delete(id);
    }
    module.debug.dwarf = Default::default();
}
