//! Which workers a command is about at a workspace root, by cargo's rules: `-p NAME` one
//! package; `--workspace` every member; neither, at a virtual workspace root, cargo's default
//! members (`default-members`, else every member). Only members that are workers count: a
//! `[package.metadata.edge]` table, or a cdylib that depends on `worker`.

use std::path::{Path, PathBuf};

use cargo_metadata::{MetadataCommand, Package};

use super::context;
use super::failure::{plain, Failure};

/// The Cargo.toml of every worker the flags select when they select a set (`--workspace`, or
/// a virtual workspace root without `-p`); `None` when they name one package the usual way
/// (`-p`, a package's manifest, the current package), which the command then resolves itself.
pub fn select(
    manifest: Option<&Path>,
    package: Option<&str>,
    workspace: bool,
) -> Result<Option<Vec<PathBuf>>, Failure> {
    let one_package = manifest.is_some_and(|path| !context::is_virtual(path));
    if !workspace && (package.is_some() || one_package) {
        return Ok(None);
    }
    context::check_toml(manifest)?;
    let mut command = MetadataCommand::new();
    command.no_deps();
    if let Some(path) = manifest {
        command.manifest_path(path);
    }
    let metadata = match command.exec() {
        Ok(metadata) => metadata,
        // Not a workspace cargo can read: the command's own resolution says why.
        Err(_) if !workspace => return Ok(None),
        Err(e) => {
            return Err(plain(
                format!("cargo metadata failed: {e}"),
                "run it in a Cargo workspace, or pass --manifest-path",
            ))
        }
    };
    if !workspace && metadata.root_package().is_some() {
        return Ok(None);
    }
    let (packages, which) = match workspace {
        true => (metadata.workspace_packages(), "members"),
        false => (metadata.workspace_default_packages(), "default members"),
    };
    let workers: Vec<PathBuf> = packages
        .into_iter()
        .filter(|p| is_worker(p))
        .map(|p| p.manifest_path.clone().into_std_path_buf())
        .collect();
    if workers.is_empty() {
        return Err(plain(
            format!(
                "no worker among the {which} of the workspace at {}",
                metadata.workspace_root
            ),
            "a worker member has [package.metadata.edge], or is a cdylib depending on `worker`; pass -p to choose a package",
        ));
    }
    Ok(Some(workers))
}

/// Whether a member is a worker: it has an edge table, or is a cdylib that depends on `worker`.
fn is_worker(package: &Package) -> bool {
    let cdylib = package
        .targets
        .iter()
        .any(|t| t.crate_types.iter().any(|c| c.to_string() == "cdylib"));
    let worker = package.dependencies.iter().any(|d| d.name == "worker");
    package.metadata.get("edge").is_some() || (cdylib && worker)
}
