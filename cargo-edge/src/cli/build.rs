//! `cargo edge build`: compile the worker to wasm and write its bundle.

use clap::Args;

use super::context;
use super::failure::CommandResult;
use super::flags::{CargoArgs, OutputArgs, WorkerArgs};
use crate::build::{self, BuildOptions};
use crate::report::Reporter;

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Skip measuring startup in local workerd after a production build
    #[arg(long)]
    pub no_startup: bool,
}

pub fn build(args: BuildArgs) -> CommandResult {
    let color = args.output.color.enabled();
    let reporter = Reporter::new(args.output.message_format, color, args.output.quiet)
        .with_verbose(args.output.verbose > 0);
    check_metadata(&args.cargo)?;
    let options = BuildOptions {
        cargo: args.cargo.to_options(&args.output),
        startup: (!args.no_startup).then(build::startup::StartupOptions::from_env),
    };
    let built = build::run(&options, &reporter)?;
    reporter.finished(&built);
    Ok(())
}

/// The `[package.metadata.edge]` table is checked as `dev`, `deploy` and `config` check it (every
/// environment, unknown keys, types), so a typo fails the build instead of the first deploy. A
/// crate without the table builds as before; a package that cannot be chosen is left to the
/// build, whose message names the candidates.
fn check_metadata(cargo: &CargoArgs) -> CommandResult {
    let Ok(manifest) =
        context::manifest_path(cargo.manifest_path.as_deref(), cargo.package.as_deref())
    else {
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

fn has_edge_table(manifest: &std::path::Path) -> bool {
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
