use super::args::BuildArgs;
use super::outcome::CommandResult;
use crate::build::{self, BuildOptions};
use crate::report::Reporter;

pub fn build(args: BuildArgs) -> CommandResult {
    let color = args.output.color.enabled();
    let reporter = Reporter::new(args.output.message_format, color, args.output.quiet)
        .with_verbose(args.output.verbose > 0);
    let options = BuildOptions {
        cargo: args.cargo.to_options(&args.output),
    };
    let built = build::run(&options, &reporter)?;
    reporter.finished(&built);
    Ok(())
}
