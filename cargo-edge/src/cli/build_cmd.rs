use super::args::{BuildArgs, NewArgs};
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

/// `cargo edge new NAME [--template T]`, or `--list`.
pub fn new(args: NewArgs) -> CommandResult {
    if args.list {
        let templates = crate::new::TEMPLATES;
        let width = templates.iter().map(|t| t.name.len()).max().unwrap_or(0);
        for template in templates {
            println!("{:<width$}  {}", template.name, template.description);
        }
        return Ok(());
    }
    let name = args.name.unwrap_or_default();
    let template = crate::new::find(&args.template)?;
    let dir = args.path.unwrap_or_else(|| std::path::PathBuf::from(&name));
    let files = crate::new::generate(template, &name, &dir)?;
    eprintln!(
        "{:>12} `{name}` from template `{}` in {} ({} files)",
        "Created",
        template.name,
        dir.display(),
        files.len()
    );
    eprintln!("{:>12} cd {} && cargo edge dev", "Next", dir.display());
    Ok(())
}
