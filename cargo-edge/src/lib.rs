//! `cargo edge`: take a workers-rs crate from source to a running Cloudflare Worker.
//!
//! Each stage is a module a test can call on its own:
//! - [`build`]: cargo → wasm-bindgen (as a library) → walrus passes → JS shim → [`bundle::Bundle`];
//! - [`bundle`]: the bundle on disk (`bundle.json`), its modules and its content hash;
//! - [`render`]: configurations derived from a bundle (workerd capnp);
//! - [`dev`]: the local binding server (KV, D1, R2, queues on SQLite), queue consumers and crons;
//! - [`workerd`]: finding the workerd binary;
//! - [`cli`]: the command line, parsing and dispatch only.

pub mod assets;
pub mod build;
pub mod bundle;
pub mod cli;
pub mod deploy;
pub mod dev;
pub mod dotenv;
pub mod error;
pub mod import;
pub mod init;
pub mod kinds;
pub mod manifest;
pub mod model;
pub mod new;
pub mod package;
pub mod remote;
pub mod render;
pub mod report;
pub mod settings;
pub mod tail;
pub mod testing;
pub mod wasm_test;
pub mod workerd;

/// The wasm-bindgen version this binary embeds (`wasm-bindgen-cli-support`). A crate must lock
/// exactly this version of `wasm-bindgen`: the two sides share an unstable schema.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// The workerd release cargo-edge is tested with and installs when none is found.
pub const WORKERD_NPM_VERSION: &str = "1.20261117.1";

#[cfg(test)]
mod tests {
    /// The embedded version is what Cargo.lock resolved for `wasm-bindgen-cli-support`.
    #[test]
    fn embedded_wasm_bindgen_version_matches_the_lock_file() {
        let lock = include_str!("../../Cargo.lock");
        let entry = lock
            .split("[[package]]")
            .find(|p| p.contains("name = \"wasm-bindgen-cli-support\""))
            .unwrap();
        assert!(
            entry.contains(&format!("version = \"{}\"", super::WASM_BINDGEN_VERSION)),
            "{entry}"
        );
    }
}
