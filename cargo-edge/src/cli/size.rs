//! `cargo edge size [--top N] [--by crate|function] [--diff]`: build (a no-op when nothing
//! changed), then show where the wasm module's bytes go, from the report the build wrote.

use clap::Args;

use super::failure::{plain, CommandResult};
use super::flags::{CargoArgs, OutputArgs};
use crate::build::insight;
use crate::build::size_table::{self, By};
use crate::build::{self, BuildOptions};
use crate::report::{MessageFormat, Reporter};

#[derive(Debug, Args)]
pub struct SizeArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Rows to show
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Group the module's code by crate or list it by function
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = By::Crate)]
    pub by: By,
    /// Show the change against the previous build of this worker whose module differed
    #[arg(long)]
    pub diff: bool,
}

pub fn size(args: SizeArgs) -> CommandResult {
    let color = args.output.color.enabled();
    // The build's own lines go to stderr only when asked for with -v; the table is the output.
    let quiet = args.output.quiet || args.output.verbose == 0;
    let reporter = Reporter::new(MessageFormat::Human, color, quiet);
    let mut cargo = args.cargo.to_options(&args.output);
    cargo.quiet |= quiet;
    let options = BuildOptions {
        cargo,
        startup: None,
    };
    let built = build::run(&options, &reporter)?;
    let Some(sized) = built.size else {
        return Err(plain(
            "the build wrote no size report for this module",
            "run `cargo edge build -v` to see why (a warning names the reason)",
        ));
    };
    let json = args.output.message_format == MessageFormat::Json;
    if args.diff {
        let Some(previous) = &sized.previous else {
            return Err(plain(
                format!(
                    "there is no earlier build of `{}` to compare with",
                    built.bundle.worker
                ),
                "change the code and build again; `cargo edge size --diff` then shows what changed",
            ));
        };
        if json {
            println!(
                "{}",
                size_table::json(&sized.report, args.by, args.top, Some(previous))
            );
        } else {
            print!(
                "{}",
                size_table::diff(previous, &sized.report, args.by, args.top)
            );
        }
        return Ok(());
    }
    if json {
        println!(
            "{}",
            size_table::json(&sized.report, args.by, args.top, sized.previous.as_ref())
        );
    } else {
        print!("{}", size_table::table(&sized.report, args.by, args.top));
        if let Some(change) = sized.change {
            println!("since the last build: {}", insight::change_text(change));
        }
    }
    Ok(())
}
