//! The main module tests run a worker with: the worker's own entrypoint and classes
//! (`shim.mjs`), plus a control route, reached only with the session's token, that seeds and
//! reads KV, D1, R2, queues and Durable Object storage through the real bindings, and runs
//! `#[wasm_bindgen_test]` functions in a test build. Production bundles never contain it.
//!
//! The module is written into a per-run folder beside symbolic links to the bundle's files, so
//! the built bundle stays untouched and shared by every test.

use std::fmt::Write;
use std::path::Path;

use crate::bundle::{Bundle, ModuleEntry, ModuleType};

/// The entry module's name in the overlay bundle.
pub const ENTRY_NAME: &str = "edge-test.mjs";

/// The worker's own main module, which the entry imports.
const SHIM_NAME: &str = "shim.mjs";

/// The header a control request carries the token in.
pub const TOKEN_HEADER: &str = "x-edge-test-token";

const TEMPLATE: &str = include_str!("test_entry.js");

/// The entry module for `bundle`, answering control requests that carry `token`.
pub fn source(bundle: &Bundle, token: &str) -> String {
    let mut js = TEMPLATE.replace("__TOKEN__", token);
    if !bundle.exports.durable_objects.is_empty() {
        js.push_str("\nimport * as shim from \"./shim.mjs\";\n");
    }
    for class in &bundle.exports.durable_objects {
        let _ = writeln!(js, "export const {class} = inspectable(shim.{class});");
    }
    js
}

/// `bundle` seen from `dir`: links to its modules plus the entry module, which becomes main.
pub fn overlay(bundle: &Bundle, token: &str, dir: &Path) -> std::io::Result<Bundle> {
    for module in &bundle.modules {
        let link = dir.join(&module.name);
        if let Some(parent) = link.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let target = std::path::absolute(bundle.module_path(module))?;
        link_or_copy(&target, &link)?;
    }
    let entry = source(bundle, token);
    write_private(&dir.join(ENTRY_NAME), &entry)?;
    let mut overlaid = bundle.clone();
    overlaid.dir = dir.to_path_buf();
    overlaid.main_module = ENTRY_NAME.into();
    overlaid.modules.insert(
        0,
        ModuleEntry {
            name: ENTRY_NAME.into(),
            kind: ModuleType::Esm,
            sha256: crate::bundle::sha256_hex(entry.as_bytes()),
            size: entry.len() as u64,
        },
    );
    debug_assert!(overlaid.modules.iter().any(|m| m.name == SHIM_NAME));
    Ok(overlaid)
}

#[cfg(unix)]
fn link_or_copy(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn link_or_copy(target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::copy(target, link).map(|_| ())
}

/// The entry holds the token: readable by this user only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durable_object_classes_are_wrapped_and_the_token_is_in_place() {
        let mut bundle = Bundle {
            worker: "w".into(),
            main_module: SHIM_NAME.into(),
            modules: Vec::new(),
            content_hash: String::new(),
            wasm_bindgen: String::new(),
            profile: String::new(),
            exports: Default::default(),
            dir: Default::default(),
        };
        bundle.exports.durable_objects = vec!["Counter".into()];
        let js = source(&bundle, "t0k3n");
        assert!(js.contains("const TOKEN = \"t0k3n\";"));
        assert!(js.contains("export const Counter = inspectable(shim.Counter);"));
        assert!(!js.contains("__TOKEN__"));
    }
}
