//! `cargo edge test --wasm` / `--native`, what `cargo edge test` runs without a flag, and the
//! hidden runner cargo calls on each wasm32 test binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Args;

use super::failure::{plain, CommandResult, Failure, Plain};
use super::test::TestArgs;
use crate::error::exit;
use crate::model::Worker;
use crate::wasm_test;

/// `cargo edge wasm-test-runner FILE [ARGS]` (hidden): what cargo runs for a wasm32 test binary.
#[derive(Debug, Args)]
pub struct WasmTestRunnerArgs {
    /// The test binary cargo built
    pub wasm: PathBuf,
    /// libtest's arguments (filter, --exact, --skip, --ignored, --include-ignored, --list, --nocapture)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// The kinds of tests a worker crate has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kinds {
    /// Native tests driving the worker with `edge-test` (a dev-dependency on it).
    pub native: bool,
    /// `#[wasm_bindgen_test]` tests (a dev-dependency on `wasm-bindgen-test`).
    pub wasm: bool,
}

impl Kinds {
    /// Read the package's dev-dependencies.
    pub fn of(worker: &Worker) -> Result<Kinds, Failure> {
        let text = std::fs::read_to_string(&worker.manifest_path)
            .map_err(|e| plain(e.to_string(), "check the crate's Cargo.toml"))?;
        let doc: toml::Table = text
            .parse()
            .map_err(|e| plain(format!("{e}"), "fix the crate's Cargo.toml"))?;
        let has = |name: &str| dev_dependency(&doc, name);
        Ok(Kinds {
            native: has("edge-test") && has("tokio"),
            wasm: has("wasm-bindgen-test"),
        })
    }
}

/// Whether `[dev-dependencies]` (or a `[target.*.dev-dependencies]`) names `name`.
fn dev_dependency(doc: &toml::Table, name: &str) -> bool {
    let direct = doc
        .get("dev-dependencies")
        .and_then(|d| d.as_table())
        .is_some_and(|d| d.contains_key(name));
    let targeted = doc
        .get("target")
        .and_then(|t| t.as_table())
        .is_some_and(|targets| {
            targets.values().any(|t| {
                t.get("dev-dependencies")
                    .and_then(|d| d.as_table())
                    .is_some_and(|d| d.contains_key(name))
            })
        });
    direct || targeted
}

/// The cargo command both Rust kinds start from, with the user's package and feature flags.
fn cargo_test(args: &TestArgs, worker: &Worker) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("test")
        .arg("--manifest-path")
        .arg(&worker.manifest_path)
        .args(["--package", &worker.package]);
    let c = &args.cargo;
    for features in &c.features {
        command.args(["--features", features]);
    }
    if c.all_features {
        command.arg("--all-features");
    }
    if c.no_default_features {
        command.arg("--no-default-features");
    }
    if c.release {
        command.arg("--release");
    }
    if let Some(profile) = &c.profile {
        command.args(["--profile", profile]);
    }
    if let Some(dir) = &c.target_dir {
        command.arg("--target-dir").arg(dir);
    }
    if c.locked {
        command.arg("--locked");
    }
    if c.offline {
        command.arg("--offline");
    }
    command
}

/// libtest's arguments after cargo's `--`.
fn test_arguments(command: &mut Command, args: &TestArgs) {
    if !args.args.is_empty() {
        command.arg("--").args(&args.args);
    }
}

/// `cargo test --target wasm32-unknown-unknown`, with this binary as the runner.
pub fn wasm(args: &TestArgs, worker: &Worker) -> CommandResult {
    let exe = std::env::current_exe().map_err(|e| {
        plain(
            format!("cannot find cargo-edge itself: {e}"),
            "reinstall it",
        )
    })?;
    let exe = exe.to_string_lossy();
    if exe.contains(char::is_whitespace) {
        return Err(plain(
            format!("cargo-edge is installed at a path with a space ({exe})"),
            "cargo splits a runner's command line on spaces: install cargo-edge elsewhere",
        ));
    }
    let mut command = cargo_test(args, worker);
    command
        .args(["--target", "wasm32-unknown-unknown"])
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            format!("{exe} edge wasm-test-runner"),
        )
        .env("WASM_BINDGEN_USE_JS_SYS", "1")
        .env(wasm_test::ENV_MANIFEST, &worker.manifest_path)
        .env(wasm_test::ENV_ENV, args.env.clone().unwrap_or_default());
    if let Some(workerd) = &args.workerd {
        command.env(wasm_test::ENV_WORKERD, absolute(workerd));
    }
    if let Some(dir) = &args.cargo.target_dir {
        command.env(wasm_test::ENV_TARGET_DIR, absolute(dir));
    }
    if let Some(profile) = &args.cargo.profile {
        command.env(wasm_test::ENV_PROFILE, profile);
    }
    test_arguments(&mut command, args);
    status(command, "wasm")
}

/// `cargo test` on the host: the crate's `edge-test` tests.
pub fn native(args: &TestArgs, worker: &Worker) -> CommandResult {
    let mut command = cargo_test(args, worker);
    if let Some(workerd) = &args.workerd {
        command.env("WORKERD", absolute(workerd));
    }
    test_arguments(&mut command, args);
    status(command, "native")
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn status(mut command: Command, kind: &str) -> CommandResult {
    let status = command
        .status()
        .map_err(|e| plain(format!("could not run cargo: {e}"), "put cargo on PATH"))?;
    if status.success() {
        return Ok(());
    }
    Err(Failure::new(
        Plain {
            message: format!("the {kind} tests failed"),
            help: "the failing tests and their output are above".into(),
        },
        exit::FAILURE,
    ))
}

/// The runner: one test binary, inside workerd.
pub fn runner(args: WasmTestRunnerArgs) -> CommandResult {
    let context = wasm_test::Context::from_env()
        .map_err(|e| plain(e, "run `cargo edge test --wasm` in the worker crate"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| plain(e.to_string(), "retry"))?;
    match runtime.block_on(wasm_test::run(&args.wasm, &args.args, &context)) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Failure::new(
            Plain {
                message: format!("tests failed in {}", args.wasm.display()),
                help: "the failures are listed above".into(),
            },
            exit::FAILURE,
        )),
        Err(error) => Err(plain(
            format!(
                "could not run the tests of {}: {error}",
                args.wasm.display()
            ),
            "see workerd's output above",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::dev_dependency;

    #[test]
    fn dev_dependencies_are_found_plain_and_per_target() {
        let doc: toml::Table = r#"
            [dev-dependencies]
            wasm-bindgen-test = "0.3"
            [target.'cfg(not(target_arch = "wasm32"))'.dev-dependencies]
            tokio = "1"
            [dependencies]
            edge-test = "0.1"
        "#
        .parse()
        .unwrap();
        assert!(dev_dependency(&doc, "wasm-bindgen-test"));
        assert!(dev_dependency(&doc, "tokio"));
        assert!(
            !dev_dependency(&doc, "edge-test"),
            "a normal dependency is not a test kind"
        );
    }
}
