//! Errors users see. Every variant says what went wrong and, in its `help`, how to fix it.

use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

/// Exit codes scripts can rely on.
pub mod exit {
    /// Something failed that is not one of the cases below.
    pub const FAILURE: u8 = 1;
    /// The command line was wrong (clap's own code).
    pub const USAGE: u8 = 2;
    /// The crate or its configuration cannot be built as a worker as it stands.
    pub const CONFIG: u8 = 3;
    /// A tool is missing from this machine (wasm target, workerd).
    pub const SETUP: u8 = 4;
    /// The Rust compiler reported errors (cargo's own code).
    pub const COMPILE: u8 = 101;
}

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    #[error("`{manifest}` has no `cdylib` crate type, so cargo will not produce a `.wasm` for `{package}`")]
    #[diagnostic(
        code(edge::build::no_cdylib),
        help("add this to {manifest}:\n\n    [lib]\n    crate-type = [\"cdylib\"]\n")
    )]
    NoCdylib { package: String, manifest: String },

    #[error("`{package}` does not depend on the `worker` crate, so it is not a Cloudflare Worker")]
    #[diagnostic(
        code(edge::build::no_worker_dependency),
        help("add it with `cargo add worker@0.8 --manifest-path {manifest}` (any worker 0.8.x that locks wasm-bindgen {embedded})")
    )]
    NoWorkerDependency {
        package: String,
        manifest: String,
        embedded: &'static str,
    },

    #[error("`{package}` locks wasm-bindgen {locked}, but cargo-edge embeds wasm-bindgen {}, which reads schema {} only", crate::WASM_BINDGEN_VERSION, crate::build::EMBEDDED_SCHEMA)]
    #[diagnostic(
        code(edge::build::wasm_bindgen_mismatch),
        help("move the lock to the embedded version: run `{update}` (or `cargo edge build --fix-lock`, which runs it); if {manifest} pins another version, change it to `wasm-bindgen = \"={}\"` first", crate::WASM_BINDGEN_VERSION)
    )]
    WasmBindgenMismatch {
        package: String,
        /// `0.2.129 (schema 0.2.128)`.
        locked: String,
        update: String,
        manifest: String,
    },

    #[error("`--fix-lock` ran `{line}` and cargo refused: {stderr}")]
    #[diagnostic(
        code(edge::build::fix_lock),
        help("a dependency requires another wasm-bindgen exactly (`=0.2.N` in a Cargo.toml, often your own): loosen or change that requirement, then run `cargo edge build --fix-lock` again")
    )]
    FixLock { line: String, stderr: String },

    #[error("`--panic-unwind` needs {missing}")]
    #[diagnostic(
        code(edge::setup::panic_unwind_toolchain),
        help("install it with `{fix}`; without --panic-unwind the worker builds on stable, with panics aborting the call (the shim recovers the instance)")
    )]
    PanicUnwindToolchain { missing: String, fix: String },

    #[error("the Rust target `wasm32-unknown-unknown` is not installed for {toolchain}")]
    #[diagnostic(
        code(edge::setup::no_wasm_target),
        help("install it with `rustup target add wasm32-unknown-unknown`")
    )]
    NoWasmTarget { toolchain: String },

    #[error("the workspace has several worker crates: {}", candidates.join(", "))]
    #[diagnostic(
        code(edge::build::ambiguous_package),
        help("choose one with `-p NAME`")
    )]
    AmbiguousPackage { candidates: Vec<String> },

    #[error("no package named `{name}` in this workspace")]
    #[diagnostic(code(edge::build::unknown_package), help("packages here: {}", known.join(", ")))]
    UnknownPackage { name: String, known: Vec<String> },

    #[error("`{manifest}` is a virtual workspace with no worker crate in it")]
    #[diagnostic(
        code(edge::build::no_package),
        help("point `--manifest-path` at a worker crate, or add one to the workspace")
    )]
    NoPackage { manifest: String },

    #[error("could not run `{program}`")]
    #[diagnostic(code(edge::io::spawn), help("{help}"))]
    Spawn {
        program: String,
        help: String,
        #[source]
        source: std::io::Error,
    },

    #[error("`cargo metadata` failed:\n{stderr}")]
    #[diagnostic(
        code(edge::build::metadata),
        help("cargo could not read the workspace; the message above says why")
    )]
    Metadata { stderr: String },

    #[error("cargo build failed (exit status {status})")]
    #[diagnostic(
        code(edge::build::compile),
        help("the compiler's messages are above; fix them and run `cargo edge build` again")
    )]
    Compile { status: String },

    #[error("cargo built {count} `.wasm` files for `{package}`, expected exactly one{}", if files.is_empty() { String::new() } else { format!(": {}", files.join(", ")) })]
    #[diagnostic(
        code(edge::build::artifacts),
        help("cargo-edge builds the library target (`--lib`) of one package; make sure it has `crate-type = [\"cdylib\"]`")
    )]
    WasmArtifacts {
        package: String,
        count: usize,
        files: Vec<String>,
    },

    #[error("wasm-bindgen failed: {message}")]
    #[diagnostic(
        code(edge::build::bindgen),
        help("this usually means the crate's wasm-bindgen differs from {embedded}; run `cargo tree -i wasm-bindgen` to check")
    )]
    Bindgen {
        message: String,
        embedded: &'static str,
    },

    #[error("wasm-opt `{path}` (from {source_name}) failed: {reason}")]
    #[diagnostic(
        code(edge::build::wasm_opt),
        help("pass a current binaryen with `--wasm-opt PATH` (npm's `binaryen` package has one), or build without it with `--no-wasm-opt`")
    )]
    WasmOpt {
        path: String,
        source_name: &'static str,
        reason: String,
    },

    #[error("{action} `{path}`")]
    #[diagnostic(code(edge::io))]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("`{path}` is not a valid bundle.json: {message}")]
    #[diagnostic(
        code(edge::bundle::invalid),
        help("rebuild it with `cargo edge build`")
    )]
    InvalidBundle { path: PathBuf, message: String },
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::NoWasmTarget { .. } | Error::PanicUnwindToolchain { .. } => exit::SETUP,
            Error::Compile { .. } => exit::COMPILE,
            Error::NoCdylib { .. }
            | Error::NoWorkerDependency { .. }
            | Error::WasmBindgenMismatch { .. }
            | Error::FixLock { .. }
            | Error::AmbiguousPackage { .. }
            | Error::UnknownPackage { .. }
            | Error::NoPackage { .. }
            | Error::Metadata { .. } => exit::CONFIG,
            _ => exit::FAILURE,
        }
    }

    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
