//! `cargo edge init`: make an existing crate a worker.

use std::path::PathBuf;

use clap::Args;

use super::context;
use super::failure::CommandResult;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The crate's Cargo.toml
    #[arg(long, value_name = "PATH", default_value = "Cargo.toml")]
    pub manifest_path: PathBuf,
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
