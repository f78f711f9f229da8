//! Project tasks: `cargo xtask setup | demo | test`.
//!
//! Everything a fresh machine needs beyond the Rust toolchain and Node/npm is installed here:
//! the wasm32 target (rustup) and the pinned workerd (npm, into the git-ignored `.tools/`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};
use cargo_edge::model::{DurableObject, Migration, Worker};
use cargo_edge::{bundle::Bundle, render::capnp, workerd, WORKERD_NPM_VERSION};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  setup   install what is missing: the wasm32 target and the pinned workerd (into .tools/)
  demo    set up, build cargo-edge and fixtures/hello, and serve it on http://127.0.0.1:8787
  test    set up, then run every test (what CI runs)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup().map(|_| ()),
        Some("demo") => demo(),
        Some("test") => test(&args[1..]),
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
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
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
}

fn setup() -> Result<Tools> {
    ensure_wasm_target()?;
    let workerd = ensure_workerd()?;
    eprintln!("xtask: workerd {}", workerd.display());
    Ok(Tools { workerd })
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

fn demo() -> Result<()> {
    let tools = setup()?;
    let cargo_edge = build_cargo_edge()?;
    let target = root().join("target/fixtures");
    run(Command::new(&cargo_edge)
        .current_dir(root())
        .args([
            "edge",
            "build",
            "--manifest-path",
            "fixtures/hello/Cargo.toml",
            "--target-dir",
        ])
        .arg(&target))?;
    let bundle = Bundle::load(&target.join("edge/hello"))?;
    let dir = root().join("target/demo");
    let mut worker = Worker::minimal(
        "hello",
        "hello",
        root().join("fixtures/hello/Cargo.toml"),
        "2025-06-01",
    );
    worker.durable_objects.insert(
        "COUNTER".into(),
        DurableObject {
            class: "Counter".into(),
            worker: None,
        },
    );
    worker.migrations.push(Migration {
        tag: "v1".into(),
        new_sqlite_classes: vec!["Counter".into()],
        ..Default::default()
    });
    std::fs::create_dir_all(dir.join("state/do/hello"))?;
    let options = capnp::CapnpOptions {
        address: "127.0.0.1:8787".into(),
        max_compatibility_date: workerd::compatibility_date(&tools.workerd),
        state_dir: Some(dir.join("state")),
        binding_server: capnp::BindingServer {
            address: "127.0.0.1:9".into(),
            token: None,
        },
        secrets: capnp::Secrets::FromEnvironment,
        allow_private_network: true,
        config_dir: Some(dir.clone()),
        extra_services: vec![],
    };
    let config = dir.join("config.capnp");
    std::fs::write(
        &config,
        capnp::render(
            &[capnp::Unit {
                worker: &worker,
                bundle: &bundle,
            }],
            &options,
        )?,
    )?;
    eprintln!("\nxtask: serving fixtures/hello on http://127.0.0.1:8787 (Ctrl-C stops it). Try:");
    eprintln!("  curl http://127.0.0.1:8787/greet/you");
    eprintln!("  curl http://127.0.0.1:8787/counter\n");
    run(Command::new(&tools.workerd)
        .arg("serve")
        .arg(&config)
        .arg("--verbose"))
}

fn test(extra: &[String]) -> Result<()> {
    let tools = setup()?;
    let cargo_edge = build_cargo_edge()?;
    run(cargo()
        .current_dir(root())
        .args(["test", "--workspace"])
        .args(extra)
        .env("WORKERD", &tools.workerd)
        .env("CARGO_EDGE_BIN", &cargo_edge)
        .env("EDGE_FIXTURE_TARGET_DIR", root().join("target/fixtures")))
}
