//! `cargo edge new`: a worker project from a template.

use std::path::PathBuf;

use clap::Args;

use super::failure::{plain, CommandResult};

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The package name (and folder) of the new project
    #[arg(required_unless_present = "list")]
    pub name: Option<String>,
    /// The template
    #[arg(short, long, default_value = "hello")]
    pub template: String,
    /// List the templates
    #[arg(long)]
    pub list: bool,
    /// Where to create the project (default: ./NAME)
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,
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
    if let Some(note) = crate::new::left_out(template) {
        eprintln!("{:>12} {note}", "Note");
    }
    if let Some(root) = enclosing {
        let changes = crate::init::join_workspace(&dir, &root)?;
        for done in &changes.done {
            eprintln!("{:>12} {done}", "Workspace");
        }
    }
    eprintln!("{:>12} cd {} && cargo edge dev", "Next", dir.display());
    Ok(())
}
