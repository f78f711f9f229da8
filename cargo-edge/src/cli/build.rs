//! `cargo edge build`: compile the worker to wasm and write its bundle; at a workspace root,
//! every worker among cargo's default members (or every worker with `--workspace`).

use std::path::Path;

use clap::Args;

use super::context;
use super::failure::CommandResult;
use super::flags::{CargoArgs, OutputArgs, WorkerArgs};
use super::members;
use crate::build::{self, BuildOptions, CargoOptions};
use crate::report::Reporter;

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Build every worker of the workspace
    #[arg(long, conflicts_with = "package", help_heading = "Package Selection")]
    pub workspace: bool,
    /// Skip measuring startup in local workerd after a production build
    #[arg(long)]
    pub no_startup: bool,
}

pub fn build(args: BuildArgs) -> CommandResult {
    let color = args.output.color.enabled();
    let reporter = Reporter::new(args.output.message_format, color, args.output.quiet)
        .with_verbose(args.output.verbose > 0);
    let cargo = args.cargo.to_options(&args.output);
    let selected = members::select(
        args.cargo.manifest_path.as_deref(),
        args.cargo.package.as_deref(),
        args.workspace,
    )?;
    let Some(manifests) = selected else {
        check_metadata(
            args.cargo.manifest_path.as_deref(),
            args.cargo.package.as_deref(),
        )?;
        return build_one(cargo, &args, &reporter);
    };
    for manifest in &manifests {
        check_metadata(Some(manifest), None)?;
        let member = CargoOptions {
            manifest_path: Some(manifest.clone()),
            package: None,
            ..cargo.clone()
        };
        build_one(member, &args, &reporter)?;
    }
    if manifests.len() > 1 {
        reporter.status("Built", format!("{} workers", manifests.len()));
    }
    Ok(())
}

fn build_one(cargo: CargoOptions, args: &BuildArgs, reporter: &Reporter) -> CommandResult {
    let options = BuildOptions {
        cargo,
        startup: (!args.no_startup).then(build::startup::StartupOptions::from_env),
    };
    let built = build::run(&options, reporter)?;
    reporter.finished(&built);
    Ok(())
}

/// The `[package.metadata.edge]` table is checked as `dev`, `deploy` and `config` check it (every
/// environment, unknown keys, types), so a typo fails the build instead of the first deploy. A
/// crate without the table builds as before; a package that cannot be chosen is left to the
/// build, whose message names the candidates.
fn check_metadata(manifest: Option<&Path>, package: Option<&str>) -> CommandResult {
    context::check_toml(manifest)?;
    let Ok(manifest) = context::manifest_path(manifest, package) else {
        return Ok(());
    };
    if !has_edge_table(&manifest) {
        return Ok(());
    }
    context::load_worker(&WorkerArgs {
        manifest_path: Some(manifest),
        package: None,
        env: None,
    })?;
    Ok(())
}

fn has_edge_table(manifest: &Path) -> bool {
    std::fs::read_to_string(manifest)
        .ok()
        .and_then(|text| text.parse::<toml_edit::DocumentMut>().ok())
        .is_some_and(|doc| {
            doc.get("package")
                .and_then(|p| p.get("metadata"))
                .and_then(|m| m.get("edge"))
                .is_some()
        })
}
