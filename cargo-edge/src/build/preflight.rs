//! Checks that run before cargo: is this a worker crate cargo-edge can build, on this machine?
//! Each failure is an error that names the fix, found in under a second instead of after a
//! minute of compiling.

use std::path::{Path, PathBuf};
use std::process::Command;

use cargo_metadata::{Metadata, MetadataCommand, Package};

use super::options::CargoOptions;
use super::{schema, traps};
use crate::error::{Error, Result};
use crate::WASM_BINDGEN_VERSION;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The crate a build is about, as cargo resolved it.
#[derive(Debug, Clone)]
pub struct WorkerCrate {
    pub package: String,
    pub package_id: cargo_metadata::PackageId,
    pub manifest_path: PathBuf,
    pub workspace_root: PathBuf,
    pub target_dir: PathBuf,
    /// The worker's name: `[package.metadata.edge] name`, or the package name.
    pub worker_name: String,
    /// The `wasm-bindgen` version in the lock file.
    pub wasm_bindgen: Option<String>,
    /// Dependencies known to fail on wasm32, found in the resolved graph.
    pub traps: Vec<traps::Trap>,
}

/// Resolve the workspace with `cargo metadata`, pick the package and check it can be built.
pub fn preflight(options: &CargoOptions) -> Result<WorkerCrate> {
    let mut metadata = load_metadata(options)?;
    let mut package = select_package(&metadata, options)?;
    if let Err(error) = check_crate(&metadata, package, options) {
        if !(options.fix_lock && matches!(error, Error::WasmBindgenMismatch { .. })) {
            return Err(error);
        }
        let pinned = schema::pinned_with(&metadata);
        schema::fix_lock(
            metadata.workspace_root.join("Cargo.toml").as_std_path(),
            &pinned,
        )?;
        metadata = load_metadata(options)?;
        package = select_package(&metadata, options)?;
        check_crate(&metadata, package, options)?;
    }
    check_wasm_target(package.manifest_path.parent().map(|p| p.as_std_path()))?;
    let target_dir = match &options.target_dir {
        Some(dir) => std::path::absolute(dir).map_err(Error::io("resolving", dir))?,
        None => metadata.target_directory.clone().into_std_path_buf(),
    };
    Ok(WorkerCrate {
        package: package.name.to_string(),
        package_id: package.id.clone(),
        manifest_path: package.manifest_path.clone().into_std_path_buf(),
        workspace_root: metadata.workspace_root.clone().into_std_path_buf(),
        target_dir,
        worker_name: worker_name(package),
        wasm_bindgen: locked_wasm_bindgen(&metadata),
        traps: traps::Graph::load(options, package.manifest_path.as_std_path(), &package.name)
            .map(|graph| traps::scan(&graph))
            .unwrap_or_default(),
    })
}

fn load_metadata(options: &CargoOptions) -> Result<Metadata> {
    let mut command = MetadataCommand::new();
    if let Some(path) = &options.manifest_path {
        command.manifest_path(path);
    }
    command.other_options(options.lock_args());
    command.exec().map_err(|error| Error::Metadata {
        stderr: match error {
            cargo_metadata::Error::CargoMetadata { stderr } => stderr.trim_end().to_string(),
            other => other.to_string(),
        },
    })
}

fn select_package<'m>(metadata: &'m Metadata, options: &CargoOptions) -> Result<&'m Package> {
    let members = metadata.workspace_packages();
    if let Some(name) = &options.package {
        return members
            .into_iter()
            .find(|p| p.name.as_str() == name)
            .ok_or_else(|| Error::UnknownPackage {
                name: name.clone(),
                known: metadata
                    .workspace_packages()
                    .iter()
                    .map(|p| p.name.to_string())
                    .collect(),
            });
    }
    if let Some(root) = metadata.root_package() {
        return Ok(root);
    }
    let workers: Vec<&Package> = members
        .into_iter()
        .filter(|p| is_cdylib(p) && depends_on_worker(p))
        .collect();
    match workers.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::NoPackage {
            manifest: metadata.workspace_root.join("Cargo.toml").to_string(),
        }),
        many => Err(Error::AmbiguousPackage {
            candidates: many.iter().map(|p| p.name.to_string()).collect(),
        }),
    }
}

fn is_cdylib(package: &Package) -> bool {
    package
        .targets
        .iter()
        .any(|t| t.crate_types.iter().any(|c| c.to_string() == "cdylib"))
}

fn depends_on_worker(package: &Package) -> bool {
    package.dependencies.iter().any(|d| d.name == "worker")
}

fn check_crate(metadata: &Metadata, package: &Package, options: &CargoOptions) -> Result<()> {
    let manifest = package.manifest_path.to_string();
    if !is_cdylib(package) {
        return Err(Error::NoCdylib {
            package: package.name.to_string(),
            manifest,
        });
    }
    if !depends_on_worker(package) {
        return Err(Error::NoWorkerDependency {
            package: package.name.to_string(),
            manifest,
            embedded: WASM_BINDGEN_VERSION,
        });
    }
    if let Some(locked) = locked_wasm_bindgen(metadata) {
        if !schema::accepts(metadata, &locked) {
            let manifest_flag = match &options.manifest_path {
                Some(path) => format!(" --manifest-path {}", path.display()),
                None => String::new(),
            };
            let locked_schema = schema::schema_of(metadata, &locked).map_or_else(
                || "an unknown schema".to_string(),
                |s| format!("schema {s}"),
            );
            return Err(Error::WasmBindgenMismatch {
                package: package.name.to_string(),
                locked: format!("{locked} ({locked_schema})"),
                update: schema::update_line(&schema::pinned_with(metadata), &manifest_flag),
                manifest,
            });
        }
    }
    Ok(())
}

/// The version of `wasm-bindgen` cargo resolved (the one in Cargo.lock).
fn locked_wasm_bindgen(metadata: &Metadata) -> Option<String> {
    let mut versions: Vec<String> = metadata
        .packages
        .iter()
        .filter(|p| p.name.as_str() == "wasm-bindgen")
        .map(|p| p.version.to_string())
        .collect();
    versions.sort();
    // Several versions in one graph cannot link; report the one the embedded one cannot read.
    versions
        .iter()
        .find(|v| !schema::accepts(metadata, v))
        .or(versions.first())
        .cloned()
}

fn worker_name(package: &Package) -> String {
    package
        .metadata
        .get("edge")
        .and_then(|edge| edge.get("name"))
        .and_then(|name| name.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| package.name.to_string())
}

/// The wasm target is installed when rustc can tell us its library folder and that folder exists.
fn check_wasm_target(crate_dir: Option<&Path>) -> Result<()> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let mut command = Command::new(&rustc);
    if let Some(dir) = crate_dir {
        command.current_dir(dir); // a rust-toolchain.toml there picks the toolchain
    }
    let output = command
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .output()
        .map_err(|source| Error::Spawn {
            program: rustc.clone(),
            help: "install Rust with rustup (https://rustup.rs) or set $RUSTC".into(),
            source,
        })?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let installed = output.status.success()
        && std::fs::read_dir(&libdir).is_ok_and(|mut entries| entries.next().is_some());
    if installed {
        return Ok(());
    }
    let version = Command::new(&rustc)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| rustc.clone());
    Err(Error::NoWasmTarget { toolchain: version })
}
