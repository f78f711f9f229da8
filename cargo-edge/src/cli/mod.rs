//! The command line: argument definitions, and one small file per command that turns
//! arguments into a call to a library module and its result into output and an exit code.

mod args;
mod build_cmd;
mod config_cmd;
mod context;
mod deploy_cmd;
mod dev_cmd;
mod local_cmd;
mod outcome;
mod package_cmd;
mod selfhost_cmd;
mod test_cmd;
mod wasm_test_cmd;

pub use args::*;
pub use outcome::{main, run};
// For the `testing` library module (edge-test, `cargo edge test --wasm`).
pub(crate) use context::{bound_workers, cargo_options_for, workspace_root};
pub(crate) use outcome::Failure;
