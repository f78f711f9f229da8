use super::args::{BuildArgs, InitArgs, NewArgs};
use super::context;
use super::outcome::{plain, CommandResult};
use crate::build::{self, BuildOptions};
use crate::report::Reporter;

pub fn build(args: BuildArgs) -> CommandResult {
    let color = args.output.color.enabled();
    let reporter = Reporter::new(args.output.message_format, color, args.output.quiet)
        .with_verbose(args.output.verbose > 0);
    let options = BuildOptions {
        cargo: args.cargo.to_options(&args.output),
        startup: (!args.no_startup).then(build::startup::StartupOptions::from_env),
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
    let enclosing = crate::init::enclosing_workspace(&dir);
    if let (true, Some(root)) = (template.is_workspace(), &enclosing) {
        return Err(plain(
            format!(
                "`{}` is a workspace template, and {} would sit inside the workspace of {}",
                template.name,
                dir.display(),
                root.display()
            ),
            "cargo does not nest workspaces: create it outside, or add the folder to that workspace's `exclude`",
        ));
    }
    let files = crate::new::generate(template, &name, &dir)?;
    eprintln!(
        "{:>12} `{name}` from template `{}` in {} ({} files)",
        "Created",
        template.name,
        dir.display(),
        files.len()
    );
    if let Some(root) = enclosing {
        let changes = crate::init::join_workspace(&dir, &root)?;
        for done in &changes.done {
            eprintln!("{:>12} {done}", "Workspace");
        }
    }
    eprintln!("{:>12} cd {} && cargo edge dev", "Next", dir.display());
    Ok(())
}

pub fn init(args: InitArgs) -> CommandResult {
    let manifest = std::path::absolute(&args.manifest_path).unwrap_or(args.manifest_path);
    // Cargo reads profiles only from the workspace root's Cargo.toml.
    let workspace_root = context::workspace_root(&manifest)
        .ok()
        .map(|root| root.join("Cargo.toml"))
        .filter(|root| root.canonicalize().ok() != manifest.canonicalize().ok() && root.exists());
    let changes = crate::init::init(&manifest, workspace_root.as_deref())?;
    for done in &changes.done {
        eprintln!("{:>12} {done}", "Updated");
    }
    for note in &changes.notes {
        eprintln!("{:>12} {note}", "Note");
    }
    if changes.done.is_empty() {
        eprintln!("{:>12} {} is already a worker", "Fine", manifest.display());
    }
    let loaded = crate::manifest::load_worker(&manifest, None)?;
    context::print_warnings(&loaded.warnings);
    eprintln!(
        "{:>12} `{}`: cargo edge dev, then cargo edge deploy --dry-run",
        "Next", loaded.worker.name
    );
    Ok(())
}
