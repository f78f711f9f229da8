//! Project tasks: `cargo xtask setup | demo | test | bench`.
//!
//! Everything a fresh machine needs beyond the Rust toolchain and Node/npm is installed here:
//! the wasm32 target (rustup) and the pinned workerd (npm, into the git-ignored `.tools/`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod bench;
mod demo;
mod targets;
mod totals;

use anyhow::{bail, Context, Result};
use cargo_edge::{workerd, WORKERD_NPM_VERSION};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  setup   install what is missing: the wasm32 target and the pinned workerd (into .tools/)
  demo    set up, build cargo-edge, and serve fixtures/full-stack with `cargo edge dev` on http://127.0.0.1:8787
          [--port PORT] another port
  test    set up, then run every test and check that cargo-edge compiles for Windows and macOS (what CI runs)
  check-windows  only the Windows check (rustup target + Debian's mingw-w64)
  check-macos    only the macOS check (rustup target + cargo-zigbuild and zig from PyPI, into .tools/)
  bench   measure against worker-build and wrangler into bench/RESULTS.md (never run by CI)
          [--install-peers] install them into .bench-peers/ first; [--quick] fewer runs, hello only";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup().map(|_| ()),
        Some("demo") => demo(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("check-windows") => targets::check_windows(),
        Some("check-macos") => targets::check_macos(),
        Some("bench") => bench::bench(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    without_run_env(&mut command);
    command
}

/// The variables `cargo run` set for xtask itself (`CARGO_MANIFEST_DIR`, `CARGO_PKG_*`, ...).
/// An inner cargo that inherits them hands them to build scripts that track them (ring's
/// does), so every `cargo xtask ...` rebuilt ring, rustls, reqwest and cargo-edge. `CARGO`
/// and the user's own configuration (`CARGO_HOME`, `CARGO_TARGET_DIR`, ...) stay.
fn without_run_env(command: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if is_run_variable(&name) {
            command.env_remove(name.as_ref());
        }
    }
    command
}

fn is_run_variable(name: &str) -> bool {
    const SET_BY_CARGO_RUN: [&str; 6] = [
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
    ];
    SET_BY_CARGO_RUN.contains(&name)
        || name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_BIN_EXE_")
        || name.starts_with("CARGO_CFG_")
}

fn run(command: &mut Command) -> Result<()> {
    eprintln!("xtask: running {command:?}");
    let status = command
        .status()
        .with_context(|| format!("starting {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

/// What `setup` found or installed.
struct Tools {
    workerd: PathBuf,
    wrangler_schema: PathBuf,
}

fn setup() -> Result<Tools> {
    ensure_wasm_target()?;
    let workerd = ensure_workerd()?;
    eprintln!("xtask: workerd {}", workerd.display());
    let wrangler_schema = ensure_wrangler_schema()?;
    ensure_postgres()?;
    Ok(Tools {
        workerd,
        wrangler_schema,
    })
}

/// PostgreSQL's server binaries (Debian's `postgresql` package), which the Hyperdrive tests
/// start and stop themselves; installed with apt-get when missing.
fn ensure_postgres() -> Result<()> {
    let found = std::path::Path::new("/usr/lib/postgresql").is_dir()
        || Command::new("initdb").arg("--version").output().is_ok();
    if found {
        return Ok(());
    }
    eprintln!("xtask: installing PostgreSQL (apt-get install postgresql) for the Hyperdrive tests");
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends", "postgresql"])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// The wrangler release whose config schema the tests validate wrangler.toml renderings against.
const WRANGLER_VERSION: &str = "4.86.0";

/// `config-schema.json` from the wrangler npm package (the tarball only, not its dependencies),
/// and ajv to validate with, under `.tools/`.
fn ensure_wrangler_schema() -> Result<PathBuf> {
    let dir = root().join(".tools/wrangler-schema");
    let schema = dir.join(format!("config-schema-{WRANGLER_VERSION}.json"));
    if !schema.is_file() {
        std::fs::create_dir_all(&dir)?;
        run(Command::new("npm").current_dir(&dir).args([
            "pack",
            "--silent",
            &format!("wrangler@{WRANGLER_VERSION}"),
        ]))?;
        let tarball = dir.join(format!("wrangler-{WRANGLER_VERSION}.tgz"));
        run(Command::new("tar")
            .current_dir(&dir)
            .arg("-xzf")
            .arg(&tarball)
            .arg("package/config-schema.json"))?;
        std::fs::rename(dir.join("package/config-schema.json"), &schema)?;
        let _ = std::fs::remove_file(tarball);
    }
    if !dir.join("node_modules/ajv/package.json").is_file() {
        run(Command::new("npm")
            .current_dir(&dir)
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
            ])
            .arg(&dir)
            .arg("ajv@8"))?;
    }
    Ok(schema)
}

fn ensure_wasm_target() -> Result<()> {
    let output = Command::new("rustc")
        .current_dir(root())
        .args([
            "--print",
            "target-libdir",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .output()
        .context("running rustc")?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if output.status.success() && std::fs::read_dir(&libdir).is_ok_and(|mut d| d.next().is_some()) {
        return Ok(());
    }
    run(Command::new("rustup").current_dir(root()).args([
        "target",
        "add",
        "wasm32-unknown-unknown",
    ]))
}

/// The pinned workerd under `.tools/`, installed with npm when missing or of another version.
fn ensure_workerd() -> Result<PathBuf> {
    let tools = root().join(".tools");
    let binary = tools.join(workerd::NPM_BINARY);
    let package_json = tools.join("node_modules/workerd/package.json");
    let installed = std::fs::read_to_string(&package_json)
        .ok()
        .and_then(|text| serde_version(&text))
        .is_some_and(|version| version == WORKERD_NPM_VERSION);
    if installed && binary.is_file() {
        return Ok(binary);
    }
    std::fs::create_dir_all(&tools)?;
    run(Command::new("npm")
        .current_dir(&tools)
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
        ])
        .arg(&tools)
        .arg(format!("workerd@{WORKERD_NPM_VERSION}")))?;
    if !binary.is_file() {
        bail!(
            "npm installed workerd but {} is missing (is this linux x64?)",
            binary.display()
        );
    }
    Ok(binary)
}

/// `"version": "x"` from a package.json, without a JSON dependency in xtask.
fn serde_version(package_json: &str) -> Option<String> {
    let at = package_json.find("\"version\"")?;
    let rest = &package_json[at + 9..];
    let start = rest.find('"')? + 1;
    let end = start + rest[start..].find('"')?;
    Some(rest[start..end].to_string())
}

fn build_cargo_edge() -> Result<PathBuf> {
    run(cargo().current_dir(root()).args([
        "build",
        "--package",
        "cargo-edge",
        "--bin",
        "cargo-edge",
    ]))?;
    Ok(root().join("target/debug/cargo-edge"))
}

/// The cargo-edge binary `cargo test --workspace` builds (it uplifts one for cargo-edge's own
/// integration tests). `cargo build -p cargo-edge` would resolve dependency features for that one
/// package and compile a second copy of ~300 dependencies that the test run then never uses.
fn build_cargo_edge_for_tests() -> Result<PathBuf> {
    run(cargo()
        .current_dir(root())
        .args(["test", "--workspace", "--no-run"]))?;
    Ok(root().join("target/debug/cargo-edge"))
}

/// cargo-edge as users install it: a release build.
fn build_cargo_edge_release() -> Result<PathBuf> {
    run(cargo().current_dir(root()).args([
        "build",
        "--release",
        "--package",
        "cargo-edge",
        "--bin",
        "cargo-edge",
    ]))?;
    Ok(root().join("target/release/cargo-edge"))
}

fn demo(args: &[String]) -> Result<()> {
    let port: u16 = match args {
        [] => 8787,
        [flag, port] if flag == "--port" => port.parse().context("--port takes a number")?,
        _ => bail!("usage: cargo xtask demo [--port PORT]"),
    };
    let started = std::time::Instant::now();
    let tools = setup()?;
    let cargo_edge = build_cargo_edge()?;
    eprintln!("xtask: building the demo worker (fixtures/full-stack) for wasm32 and starting workerd on port {port}");
    let mut child = without_run_env(&mut Command::new(&cargo_edge))
        .current_dir(root())
        .args([
            "edge",
            "dev",
            "--manifest-path",
            "fixtures/full-stack/Cargo.toml",
            "--port",
            &port.to_string(),
            "--target-dir",
        ])
        .arg(root().join("target/fixtures"))
        .arg("--workerd")
        .arg(&tools.workerd)
        .spawn()
        .context("starting cargo edge dev")?;
    if demo::wait_until_serving(port, &mut child) {
        demo::print_hints(port, started.elapsed());
    }
    let status = child.wait().context("waiting for cargo edge dev")?;
    if !status.success() {
        bail!("cargo edge dev exited with {status}");
    }
    Ok(())
}

fn test(extra: &[String]) -> Result<()> {
    let tools = setup()?;
    let cargo_edge = build_cargo_edge_for_tests()?;
    let started = std::time::Instant::now();
    let mut command = cargo();
    command
        .current_dir(root())
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(extra)
        .env("WORKERD", &tools.workerd)
        .env("EDGE_WRANGLER_SCHEMA", &tools.wrangler_schema)
        .env("CARGO_EDGE_BIN", &cargo_edge)
        .env("EDGE_FIXTURE_TARGET_DIR", root().join("target/fixtures"));
    let (status, totals) = totals::run(&mut command)?;
    // cargo-edge compiles for Windows and macOS too (what is tested where: README, "Platforms").
    let windows = targets::check_windows();
    let macos = targets::check_macos();
    eprintln!("\nxtask: {} in {:.0?}", totals, started.elapsed());
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    windows.context("the Windows check")?;
    macos.context("the macOS check")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inner_cargo_does_not_inherit_what_cargo_run_set() {
        // `cargo test` sets these for this test as `cargo run` does for xtask.
        assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
        let command = cargo();
        let removed: Vec<String> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        for name in ["CARGO_MANIFEST_DIR", "CARGO_PKG_NAME", "CARGO_PKG_VERSION"] {
            assert!(
                removed.iter().any(|r| r == name),
                "{name} is passed on: {removed:?}"
            );
        }
        assert!(!removed.iter().any(|r| r == "CARGO" || r == "CARGO_HOME"));
    }
}
