//! `cargo edge build`: compile the worker to wasm and write its bundle.

use clap::Args;

use super::failure::CommandResult;
use super::flags::{CargoArgs, OutputArgs};
use crate::build::{self, BuildOptions};
use crate::report::Reporter;

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn build(args: BuildArgs) -> CommandResult {
    let color = args.output.color.enabled();
    let reporter = Reporter::new(args.output.message_format, color, args.output.quiet)
        .with_verbose(args.output.verbose > 0);
    let options = BuildOptions {
        cargo: args.cargo.to_options(&args.output),
    };
    warn_about_the_table(&args);
    let built = build::run(&options, &reporter)?;
    reporter.finished(&built);
    Ok(())
}

/// The table's warnings (what only a deploy enforces, say), as dev and deploy show them. A
/// crate without a valid table still builds: the build does not read it.
fn warn_about_the_table(args: &BuildArgs) {
    let path = super::context::manifest_path(
        args.cargo.manifest_path.as_deref(),
        args.cargo.package.as_deref(),
    );
    if let Ok(Ok(loaded)) = path.map(|p| crate::manifest::load_worker(&p, None)) {
        super::context::print_warnings(&loaded.warnings);
    }
}
