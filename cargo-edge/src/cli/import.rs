//! `cargo edge import`: a wrangler config turned into [package.metadata.edge].

use std::path::PathBuf;

use clap::Args;

use super::context;
use super::failure::{plain, CommandResult};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The wrangler config to import
    pub wrangler: PathBuf,
    /// The Cargo.toml to write into
    #[arg(long, value_name = "PATH", default_value = "Cargo.toml")]
    pub manifest_path: PathBuf,
    /// Replace an existing [package.metadata.edge] table
    #[arg(long)]
    pub force: bool,
}

/// `cargo edge import wrangler.toml`: write the converted table, then load it back so any
/// problem is reported against the Cargo.toml the user now owns.
pub fn import(args: ImportArgs) -> CommandResult {
    let wrangler = crate::import::read_wrangler(&args.wrangler)?;
    let imported = crate::import::convert(&wrangler);
    let path = &args.manifest_path;
    let text = std::fs::read_to_string(path).map_err(|e| {
        plain(
            format!("could not read {}: {e}", path.display()),
            "pass --manifest-path",
        )
    })?;
    let written = crate::import::write_into(&text, path, &imported.table, args.force)?;
    std::fs::write(path, written).map_err(|e| {
        plain(
            format!("could not write {}: {e}", path.display()),
            "check the permissions",
        )
    })?;
    for key in &imported.skipped {
        eprintln!(
            "warning: `{key}` has no [package.metadata.edge] equivalent yet and was not imported"
        );
    }
    for added in &imported.added {
        eprintln!("note: added {added}");
    }
    for warning in &imported.warnings {
        eprintln!("warning: {warning}");
    }
    eprintln!("wrote [package.metadata.edge] into {}", path.display());
    let loaded = crate::manifest::load_worker(path, None)?;
    context::print_warnings(&loaded.warnings);
    Ok(())
}
