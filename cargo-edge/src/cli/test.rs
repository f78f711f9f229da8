//! `cargo edge test`: the worker built, then `workerd test` over the user's test modules, each
//! its own service with `env.WORKER` bound to the worker; results printed the way cargo does.

use std::path::{Path, PathBuf};

use clap::Args;

use super::context;
use super::failure::{plain, CommandResult, Failure, Plain};
use super::flags::{CargoArgs, OutputArgs};
use crate::build::ProfileChoice;
use crate::error::exit;
use crate::model::Worker;
use crate::render::capnp;
use crate::workerd::{self, Search};

#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Environment from [package.metadata.edge.env.NAME]
    #[arg(short = 'e', long, value_name = "NAME")]
    pub env: Option<String>,
    /// The folder of test modules (relative to the crate)
    #[arg(long, value_name = "DIR", default_value = "tests/workerd")]
    pub tests_dir: PathBuf,
    /// The workerd binary to use
    #[arg(long, value_name = "PATH")]
    pub workerd: Option<PathBuf>,
    /// Only the `#[wasm_bindgen_test]` tests, run inside workerd with the worker's bindings
    #[arg(long, conflicts_with = "native")]
    pub wasm: bool,
    /// Only the native tests (`cargo test`, for tests that use the `edge-test` crate)
    #[arg(long, conflicts_with = "js")]
    pub native: bool,
    /// Only the `workerd test` modules of the tests folder
    #[arg(long, conflicts_with = "wasm")]
    pub js: bool,
    /// A test name filter, then libtest's arguments after `--` (`--nocapture`, `--exact`, ...)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
}

pub fn test(args: TestArgs) -> CommandResult {
    let main = context::worker_for(&args.cargo, args.env.as_deref())?;
    match (args.wasm, args.native, args.js) {
        (true, _, _) => return super::wasm_test_cmd::wasm(&args, &main),
        (_, true, _) => return super::wasm_test_cmd::native(&args, &main),
        (_, _, true) => return js_tests(&args, main),
        _ => {}
    }
    // No flag: every kind the crate has, each run even when an earlier one failed.
    let kinds = super::wasm_test_cmd::Kinds::of(&main)?;
    let js = context::crate_dir(&main).join(&args.tests_dir).is_dir();
    let mut results = Vec::new();
    if kinds.native {
        results.push(super::wasm_test_cmd::native(&args, &main));
    }
    if kinds.wasm {
        results.push(super::wasm_test_cmd::wasm(&args, &main));
    }
    if js || results.is_empty() {
        results.push(js_tests(&args, main));
    }
    results.into_iter().find(Result::is_err).unwrap_or(Ok(()))
}

/// The worker built, then `workerd test` over the JS modules of the tests folder.
fn js_tests(args: &TestArgs, main: Worker) -> CommandResult {
    let reporter = context::reporter(&args.output);
    let crate_dir = context::crate_dir(&main);
    let tests = test_modules(&crate_dir.join(&args.tests_dir))?;
    let workerd = workerd::locate(&Search {
        explicit: args.workerd.clone(),
        project_dir: crate_dir,
        install: false,
    })?;
    let mut workers = vec![main.clone()];
    workers.extend(context::bound_workers(&main, args.env.as_deref())?);
    context::check_bound_workers(&workers)?;
    let refs: Vec<&Worker> = workers.iter().collect();
    let built = context::build_all(
        &args.cargo.to_options(&args.output),
        &refs,
        ProfileChoice::Release,
        &reporter,
    )?;
    let scratch = tempfile::tempdir().map_err(|e| plain(e.to_string(), "check $TMPDIR"))?;
    let units: Vec<capnp::Unit> = workers
        .iter()
        .zip(&built)
        .map(|(worker, b)| capnp::Unit {
            worker,
            bundle: &b.bundle,
        })
        .collect();
    let date = main
        .compatibility_date
        .clone()
        .min(workerd.compatibility_date.clone());
    let extra: Vec<String> = tests
        .iter()
        .map(|path| test_service(path, scratch.path(), &main.name, &date))
        .collect();
    for worker in &workers {
        let _ = std::fs::create_dir_all(scratch.path().join("state/do").join(&worker.name));
    }
    let options = context::standalone_options(
        "127.0.0.1:0",
        &workerd.compatibility_date,
        scratch.path().join("state"),
        scratch.path(),
        extra,
    );
    let config = capnp::render(&units, &options)
        .map_err(|e| plain(e.to_string(), "add the bound worker to the workspace"))?;
    let config_path = scratch.path().join("config.capnp");
    std::fs::write(&config_path, config).map_err(|e| plain(e.to_string(), "check $TMPDIR"))?;
    run_tests(&workerd.path, &config_path)
}

/// The `*.js` / `*.mjs` files of the tests folder, sorted.
fn test_modules(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let entries = std::fs::read_dir(dir).map_err(|_| {
        plain(format!("no tests: no test folder at {}, and no dev-dependency on edge-test or wasm-bindgen-test", dir.display()), "write Rust tests (see \"Testing your worker\" in the README) or put workerd test modules (exports with a `test(ctrl, env)` handler) in tests/workerd/*.js")
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "js" || e == "mjs"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(plain(
            format!("{} has no .js test modules", dir.display()),
            "add one exporting `{ async test(ctrl, env) { ... } }`",
        ));
    }
    Ok(files)
}

/// One service per test module, bound to the worker as `WORKER`.
fn test_service(path: &Path, config_dir: &Path, worker: &str, date: &str) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let embed = capnp::relative(path, config_dir);
    format!(
        "(name = {}, worker = (modules = [(name = {}, esModule = embed {})], compatibilityDate = {}, bindings = [(name = \"WORKER\", service = {})]))",
        capnp::quote(&format!("test:{name}")),
        capnp::quote(&name),
        capnp::quote(&embed),
        capnp::quote(date),
        capnp::quote(worker)
    )
}

/// `test:routes.test.js:greets (6.4ms)` → `routes.test.js::greets`.
fn test_name(rest: &str) -> String {
    let name = rest.split(" (").next().unwrap_or(rest).trim();
    let name = name.strip_prefix("test:").unwrap_or(name);
    match name.rsplit_once(':') {
        Some((file, test)) => format!("{file}::{test}"),
        None => name.to_string(),
    }
}

/// Run `workerd test`, print one cargo-style line per test and the summary.
fn run_tests(workerd: &Path, config: &Path) -> CommandResult {
    let output = std::process::Command::new(workerd)
        .arg("test")
        .arg(config)
        .output()
        .map_err(|e| plain(format!("could not run workerd: {e}"), "pass --workerd PATH"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let (mut passed, mut failed) = (0, Vec::new());
    for line in text.lines() {
        // `...: debug: [ PASS ] test:file.js:name (6.4ms)`
        if let Some((_, rest)) = line.split_once("[ PASS ] ") {
            passed += 1;
            println!("test {} ... ok", test_name(rest));
        } else if let Some((_, rest)) = line.split_once("[ FAIL ] ") {
            failed.push(test_name(rest));
            println!("test {} ... FAILED", test_name(rest));
        }
    }
    if !failed.is_empty() || !output.status.success() || passed == 0 {
        eprintln!("\n---- workerd output ----\n{}", text.trim_end());
    }
    let ok = failed.is_empty() && output.status.success() && passed > 0;
    println!(
        "\ntest result: {}. {passed} passed; {} failed",
        if ok { "ok" } else { "FAILED" },
        failed.len()
    );
    if ok {
        Ok(())
    } else {
        Err(Failure::new(
            Plain {
                message: format!("{} workerd test(s) failed", failed.len().max(1)),
                help: "the failing tests and workerd's output are above".into(),
            },
            exit::FAILURE,
        ))
    }
}
