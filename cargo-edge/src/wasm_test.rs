//! `cargo edge test --wasm`'s runner: cargo runs it on each wasm32 test binary
//! (`CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER`), with libtest's arguments after the file.
//!
//! Like wasm-bindgen's own `wasm-bindgen-test-runner`: the `#[wasm_bindgen_test]` functions are
//! the module's `__wbgt_*` exports, filtered by the arguments; wasm-bindgen processes the module
//! with its raw exports kept (`__wasm`); the harness creates a `WasmBindgenTestContext`, hands
//! it the selected exports and awaits `run`, which prints libtest's lines (`test x ... ok`,
//! failures, `test result: ...`) and resolves to whether all passed. Here the harness is the
//! control route of [`crate::dev::test_entry`], inside workerd, as the worker itself with every
//! binding of its `[package.metadata.edge]` on a fresh state folder; `edge_test::env()` is that
//! worker's `Env`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::build::test_bundle::{self, WasmTest};
use crate::build::BuildOptions;
use crate::bundle::Bundle;
use crate::dev::instance::{Instance, InstanceOptions};
use crate::report::{MessageFormat, Reporter};
use crate::workerd::{self, Search};

/// Environment variables `cargo edge test` sets for the runner it names.
pub const ENV_MANIFEST: &str = "EDGE_WASM_TEST_MANIFEST";
pub const ENV_ENV: &str = "EDGE_WASM_TEST_ENV";
pub const ENV_WORKERD: &str = "EDGE_WASM_TEST_WORKERD";
pub const ENV_PROFILE: &str = "EDGE_WASM_TEST_PROFILE";
pub const ENV_TARGET_DIR: &str = "EDGE_WASM_TEST_TARGET_DIR";

/// libtest's arguments, as wasm-bindgen-test-runner reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub filter: Option<String>,
    pub exact: bool,
    pub skip: Vec<String>,
    pub ignored: bool,
    pub include_ignored: bool,
    pub list: bool,
    pub nocapture: bool,
}

impl Filter {
    /// Parse libtest's arguments; options the runner has no use for (`--test-threads=N`,
    /// `--color`, `-q`) are accepted and ignored, as wasm-bindgen-test runs tests in one thread.
    pub fn parse(args: &[String]) -> Filter {
        let mut filter = Filter::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--exact" => filter.exact = true,
                "--ignored" => filter.ignored = true,
                "--include-ignored" => filter.include_ignored = true,
                "--list" => filter.list = true,
                "--nocapture" | "--no-capture" => filter.nocapture = true,
                "--skip" => filter.skip.extend(args.next().cloned()),
                "--test-threads" | "--color" | "--format" | "-Z" | "--logfile" => {
                    args.next();
                }
                flag if flag.starts_with('-') => {}
                name => filter.filter = Some(name.to_string()),
            }
        }
        filter
    }

    fn matches(&self, name: &str, pattern: &str) -> bool {
        if self.exact {
            name == pattern
        } else {
            name.contains(pattern)
        }
    }

    /// The tests to run, and how many were filtered out.
    pub fn select(&self, tests: Vec<WasmTest>) -> (Vec<WasmTest>, usize) {
        let total = tests.len();
        let chosen: Vec<WasmTest> = tests
            .into_iter()
            .filter(|t| {
                self.filter
                    .as_ref()
                    .is_none_or(|f| self.matches(&t.name, f))
            })
            .filter(|t| !self.skip.iter().any(|s| self.matches(&t.name, s)))
            .filter(|t| !self.ignored || t.ignored)
            .collect();
        let filtered = total - chosen.len();
        (chosen, filtered)
    }
}

/// Where the runner's context comes from: what `cargo edge test` put in the environment.
#[derive(Debug, Clone)]
pub struct Context {
    pub manifest: PathBuf,
    pub env: Option<String>,
    pub workerd: Option<PathBuf>,
    pub profile: Option<String>,
    pub target_dir: Option<PathBuf>,
}

impl Context {
    pub fn from_env() -> Result<Context, String> {
        let manifest = std::env::var_os(ENV_MANIFEST).map(PathBuf::from).ok_or(
            "this runner is started by `cargo edge test --wasm`, which names the worker crate",
        )?;
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        Ok(Context {
            manifest,
            env: var(ENV_ENV).map(|v| v.to_string_lossy().into_owned()),
            workerd: var(ENV_WORKERD).map(PathBuf::from),
            profile: var(ENV_PROFILE).map(|v| v.to_string_lossy().into_owned()),
            target_dir: var(ENV_TARGET_DIR).map(PathBuf::from),
        })
    }
}

/// Run one test binary; `Ok(true)` when every selected test passed.
pub async fn run(wasm: &Path, args: &[String], context: &Context) -> Result<bool, String> {
    let filter = Filter::parse(args);
    let (tests, filtered) = filter.select(test_bundle::list(wasm).map_err(|e| e.to_string())?);
    if filter.list {
        for test in &tests {
            println!("{}: test", test.name);
        }
        return Ok(true);
    }
    if tests.is_empty() {
        println!("no tests to run!");
        return Ok(true);
    }
    let scratch = tempfile::tempdir().map_err(|e| format!("{e} (check $TMPDIR)"))?;
    let (instance, token) = start(wasm, context, scratch.path(), filter.nocapture).await?;
    let outcome = run_in(&instance, &token, &tests, filtered, &filter).await;
    let logs = instance.logs();
    instance.stop().await;
    match outcome {
        Ok(passed) => Ok(passed),
        Err(error) => Err(format!(
            "{error}\n--- workerd's output ---\n{}",
            logs.join("\n")
        )),
    }
}

/// Build the workers the test worker binds, bundle the test binary, start them all.
async fn start(
    wasm: &Path,
    context: &Context,
    scratch: &Path,
    echo: bool,
) -> Result<(Instance, String), String> {
    let mut workers = crate::testing::workers(&context.manifest, context.env.as_deref())?;
    let secrets = crate::testing::dev_vars(&mut workers[0], context.env.as_deref())?;
    let main = &workers[0];
    let test_bundle = test_bundle::write(wasm, &main.name, &scratch.join("test-bundle"))
        .map_err(|e| e.to_string())?;
    let mut bundles = vec![test_bundle];
    let context2 = context.clone();
    let others = workers[1..].to_vec();
    let built = tokio::task::spawn_blocking(move || build_bound(&others, &context2))
        .await
        .map_err(|e| e.to_string())??;
    bundles.extend(built);
    let found = workerd::locate_installed(&Search {
        explicit: context.workerd.clone(),
        project_dir: crate::testing::crate_dir(main),
        install: false,
    })
    .map_err(|e| format!("{e}: pass --workerd PATH or set $WORKERD"))?;
    let state = scratch.join("state");
    crate::testing::apply_migrations(&workers, &state)?;
    let token = token()?;
    bundles[0] = crate::dev::test_entry::overlay(&bundles[0], &token, &scratch.join("entry"))
        .map_err(|e| e.to_string())?;
    if !echo {
        // The instance logs these; say them here too, as `cargo edge dev` does.
        for name in crate::dev::absent::missing_services(&workers) {
            eprintln!("warning: {}", crate::dev::absent::warning(&name));
        }
    }
    let instance = Instance::start(InstanceOptions {
        workers,
        bundles,
        workerd: found,
        state_dir: state,
        secrets,
        startup: Duration::from_secs(30),
        echo,
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok((instance, token))
}

/// The regular bundles of the workers the test worker binds (service bindings, consumers).
fn build_bound(workers: &[crate::model::Worker], context: &Context) -> Result<Vec<Bundle>, String> {
    let reporter = Reporter::new(MessageFormat::Human, false, true);
    workers
        .iter()
        .map(|worker| {
            let cargo = crate::testing::cargo_options(
                worker,
                context.profile.as_deref(),
                context.target_dir.as_deref(),
            );
            crate::build::run(
                &BuildOptions {
                    cargo,
                    startup: None,
                },
                &reporter,
            )
            .map(|built| built.bundle)
            .map_err(|e| format!("building `{}`: {e}", worker.name))
        })
        .collect()
}

/// Ask the harness to run `tests`; print its libtest lines; whether all passed.
async fn run_in(
    instance: &Instance,
    token: &str,
    tests: &[WasmTest],
    filtered: usize,
    filter: &Filter,
) -> Result<bool, String> {
    let per_test = std::env::var("WASM_BINDGEN_TEST_TIMEOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20u64);
    let limit = Duration::from_secs(30 + per_test * tests.len() as u64);
    let call = serde_json::json!({
        "kind": "run_tests",
        "tests": tests.iter().map(|t| &t.export).collect::<Vec<_>>(),
        "include_ignored": filter.include_ignored || filter.ignored,
        "filtered": filtered,
        "nocapture": filter.nocapture,
    });
    let answer = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{}/__edge_test",
            instance.workerd_port
        ))
        .header(crate::dev::test_entry::TOKEN_HEADER, token)
        .body(call.to_string())
        .timeout(limit)
        .send()
        .await
        .map_err(|e| match e.is_timeout() {
            true => format!("the tests did not finish within {} s", limit.as_secs()),
            false => format!("the test harness did not answer: {e}"),
        })?;
    let text = answer.text().await.map_err(|e| e.to_string())?;
    let body: serde_json::Value =
        serde_json::from_str(&text).map_err(|_| format!("the test harness answered: {text}"))?;
    if body["ok"].as_bool() != Some(true) {
        return Err(format!(
            "the test harness failed: {}",
            body["error"].as_str().unwrap_or(&text)
        ));
    }
    for line in body["value"]["lines"].as_array().into_iter().flatten() {
        println!("{}", line.as_str().unwrap_or_default());
    }
    Ok(body["value"]["passed"].as_bool() == Some(true))
}

fn token() -> Result<String, String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(name: &str, ignored: bool) -> WasmTest {
        WasmTest {
            name: name.into(),
            export: format!("__wbgt_{}_0::{name}", if ignored { "$" } else { "" }),
            ignored,
        }
    }

    #[test]
    fn libtest_arguments_are_read_like_wasm_bindgen_test_runner_reads_them() {
        let args: Vec<String> = ["kv", "--nocapture", "--test-threads", "1", "--skip", "slow"]
            .map(String::from)
            .to_vec();
        let filter = Filter::parse(&args);
        assert_eq!(filter.filter.as_deref(), Some("kv"));
        assert!(filter.nocapture);
        assert_eq!(filter.skip, ["slow"]);
        let tests = vec![
            test("tests::kv_round_trip", false),
            test("tests::kv_slow", false),
            test("tests::d1", false),
        ];
        let (chosen, filtered) = filter.select(tests);
        assert_eq!(chosen, [test("tests::kv_round_trip", false)]);
        assert_eq!(filtered, 2);
    }

    #[test]
    fn exact_and_ignored_select_as_libtest_does() {
        let tests = vec![test("a::b", false), test("a::bc", true)];
        let exact = Filter::parse(&["a::b".into(), "--exact".into()]);
        assert_eq!(exact.select(tests.clone()).0, [test("a::b", false)]);
        let ignored = Filter::parse(&["--ignored".into()]);
        assert_eq!(ignored.select(tests).0, [test("a::bc", true)]);
    }
}
