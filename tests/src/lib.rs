//! Harness for the end-to-end tests: the real `cargo-edge` binary, real fixture crates built
//! into one shared target folder, and real workerd serving what they produce.

pub mod cloudflare;
pub mod postgres;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use cargo_edge::bundle::Bundle;
use cargo_edge::model::{DurableObject, Migration, Worker};
use cargo_edge::render::capnp::{self, BindingServer, CapnpOptions, Secrets, Unit};

/// The repository's root folder.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The one target folder every fixture builds into, so the `worker` crate compiles once.
pub fn fixture_target_dir() -> PathBuf {
    std::env::var_os("EDGE_FIXTURE_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/fixtures"))
}

pub fn fixture_manifest(name: &str) -> PathBuf {
    root().join("fixtures").join(name).join("Cargo.toml")
}

/// `fixtures/<fixture>/src` as the crate `package` of its own in a temporary folder (the
/// fixtures' lock and profiles, `worker` with the fixtures' features), with `metadata` (TOML
/// tables) after its `[package.metadata.edge]`.
pub fn standalone_fixture(fixture: &str, package: &str, metadata: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("fixtures");
    let workspace = std::fs::read_to_string(fixtures.join("Cargo.toml")).unwrap();
    let profiles = &workspace[workspace
        .find("[profile.release]")
        .expect("fixtures/Cargo.toml has [profile.release]")..];
    assert!(profiles.contains("[profile.fast]"));
    let manifest = format!(
        r#"[package]
name = "{package}"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
worker = {{ version = "=0.8.7", features = ["d1", "queue"] }}
wasm-bindgen = "=0.2.130"
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"

[package.metadata.edge]
compatibility_date = "2025-06-01"

{metadata}
[workspace]

{profiles}"#
    );
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(fixtures.join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    for entry in std::fs::read_dir(fixtures.join(fixture).join("src")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join("src").join(entry.file_name())).unwrap();
    }
    dir
}

/// The cargo-edge binary: `$CARGO_EDGE_BIN`, or the one `cargo xtask test` built.
pub fn cargo_edge_bin() -> PathBuf {
    let path = std::env::var_os("CARGO_EDGE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/debug/cargo-edge"));
    assert!(
        path.is_file(),
        "{} is missing: run the tests with `cargo xtask test`",
        path.display()
    );
    path
}

/// workerd: `$WORKERD`, or the copy `cargo xtask setup` installs under `.tools/`.
pub fn workerd_bin() -> PathBuf {
    let path = std::env::var_os("WORKERD")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".tools").join(cargo_edge::workerd::NPM_BINARY));
    assert!(
        path.is_file(),
        "{} is missing: run the tests with `cargo xtask test`",
        path.display()
    );
    path
}

/// A command's standard output and then its standard error, for assertions and messages.
pub fn output_text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A crate in `dir` with this Cargo.toml and an empty `src/lib.rs`; its manifest's path.
pub fn scratch_crate(dir: &Path, cargo_toml: &str) -> PathBuf {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    let manifest = dir.join("Cargo.toml");
    std::fs::write(&manifest, cargo_toml).unwrap();
    manifest
}

/// `cargo edge <args>`, run from the repository root.
pub fn cargo_edge(args: &[&str]) -> Output {
    Command::new(cargo_edge_bin())
        .arg("edge")
        .args(args)
        .current_dir(root())
        .env("WORKERD", workerd_bin())
        // Startup is measured by its own tests (tests/insight.rs), not on every fixture build.
        .env("CARGO_EDGE_STARTUP_RUNS", "0")
        .output()
        .expect("cargo-edge runs")
}

/// `cargo edge new NAME --template TEMPLATE` in `dir`, given the fixtures' lock file (it pins
/// the same versions, so the shared target folder is reused); returns the project's folder.
pub fn new_project(dir: &std::path::Path, name: &str, template: &str) -> PathBuf {
    let project = dir.join(name);
    let output = cargo_edge(&[
        "new",
        name,
        "--template",
        template,
        "--path",
        project.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::copy(
        root().join("fixtures/Cargo.lock"),
        project.join("Cargo.lock"),
    )
    .unwrap();
    project
}

/// Build a fixture with `cargo edge build --message-format json` and return its bundle.
/// Each fixture is built once per test process; later calls reuse the result.
pub fn build_fixture(name: &str) -> Bundle {
    static BUILT: OnceLock<Mutex<std::collections::HashMap<String, Bundle>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(bundle) = built.get(name) {
        return bundle.clone();
    }
    let bundle = build_fixture_uncached(name, &[])
        .unwrap_or_else(|e| panic!("building fixture {name}: {e:#}"));
    built.insert(name.to_string(), bundle.clone());
    bundle
}

/// Build a fixture every time, with extra flags.
pub fn build_fixture_uncached(name: &str, extra: &[&str]) -> Result<Bundle> {
    let manifest = fixture_manifest(name);
    let target = fixture_target_dir();
    let mut args = vec![
        "build",
        "--message-format",
        "json",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = cargo_edge(&args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "cargo edge build failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let last = stdout.lines().last().context("no output")?;
    let event: serde_json::Value = serde_json::from_str(last).context("final line is JSON")?;
    let dir = event["dir"].as_str().context("bundle event has a dir")?;
    Ok(Bundle::load(Path::new(dir))?)
}

/// A free port on 127.0.0.1, picked by the OS.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `workerd serve`, stopped when dropped.
pub struct Workerd {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
    log: PathBuf,
}

impl Workerd {
    /// Serve a bundle with a config rendered from it: every Durable Object class the bundle
    /// exports is bound under its name in upper case.
    pub fn serve_bundle(bundle: &Bundle) -> Result<Workerd> {
        let mut worker =
            Worker::minimal(&bundle.worker, &bundle.worker, PathBuf::new(), "2025-06-01");
        for class in &bundle.exports.durable_objects {
            worker.durable_objects.insert(
                class.to_uppercase(),
                DurableObject {
                    class: class.clone(),
                    worker: None,
                },
            );
        }
        worker.migrations.push(Migration {
            tag: "v1".into(),
            new_sqlite_classes: bundle.exports.durable_objects.clone(),
            ..Default::default()
        });
        Workerd::serve(&[Unit {
            worker: &worker,
            bundle,
        }])
    }

    /// Serve workers with a config rendered by cargo-edge (no binding server, secrets from the
    /// environment, Durable Objects on disk in the temp folder).
    pub fn serve(units: &[Unit]) -> Result<Workerd> {
        let dir = tempfile::tempdir()?;
        let port = free_port();
        let options = CapnpOptions {
            address: format!("127.0.0.1:{port}"),
            max_compatibility_date: None,
            state_dir: Some(dir.path().join("state")),
            binding_server: BindingServer {
                address: "127.0.0.1:9".into(),
                token: None,
            },
            secrets: Secrets::FromEnvironment,
            allow_private_network: true,
            config_dir: Some(dir.path().to_path_buf()),
            local: Default::default(),
            extra_services: vec![],
        };
        for unit in units {
            std::fs::create_dir_all(dir.path().join("state/do").join(&unit.worker.name))?;
        }
        let config = dir.path().join("config.capnp");
        std::fs::write(&config, capnp::render(units, &options)?)?;
        Workerd::start(dir, &config, port)
    }

    /// Start workerd on a config file and wait until it answers HTTP.
    pub fn start(dir: tempfile::TempDir, config: &Path, port: u16) -> Result<Workerd> {
        Workerd::start_with(dir, config, port, &[])
    }

    /// [`Workerd::start`] with extra `workerd serve` arguments (`--socket-addr`, `-e`, ...).
    pub fn start_with(
        dir: tempfile::TempDir,
        config: &Path,
        port: u16,
        extra: &[String],
    ) -> Result<Workerd> {
        let log = dir.path().join("workerd.log");
        let child = Command::new(workerd_bin())
            .arg("serve")
            .arg(config)
            .arg("--verbose")
            .args(extra)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log)?)
            .stderr(std::fs::File::create(dir.path().join("workerd.err"))?)
            .spawn()
            .context("starting workerd")?;
        let mut workerd = Workerd {
            child,
            port,
            dir,
            log,
        };
        workerd.wait_ready()?;
        Ok(workerd)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!("workerd exited with {status}:\n{}", self.logs());
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "workerd did not listen on port {} within 30 s:\n{}",
            self.port,
            self.logs()
        )
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Everything workerd printed so far.
    pub fn logs(&self) -> String {
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
        format!(
            "{}{}",
            read(self.log.clone()),
            read(self.dir.path().join("workerd.err"))
        )
    }
}

impl Drop for Workerd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET that returns status and body whatever the status.
pub fn get(url: &str) -> Result<(u16, String)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .with_context(|| format!("GET {url}"))?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string()?;
    Ok((status, body))
}
