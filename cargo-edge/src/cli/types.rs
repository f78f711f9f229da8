//! `cargo edge types`: a Rust module with one typed accessor per binding.

use std::path::PathBuf;

use clap::Args;

use super::context;
use super::failure::{plain, CommandResult};
use super::flags::WorkerArgs;

#[derive(Debug, Args)]
pub struct TypesArgs {
    #[command(flatten)]
    pub worker: WorkerArgs,
    /// Where to write the module (relative to the crate folder); `-` prints it
    #[arg(short = 'o', long, default_value = "src/edge_env.rs")]
    pub output: PathBuf,
    /// Fail if the file is not current instead of writing it (for CI)
    #[arg(long)]
    pub check: bool,
}

/// `cargo edge types`: write (or check) the typed bindings module.
pub fn types(args: TypesArgs) -> CommandResult {
    let worker = context::load_worker(&args.worker)?;
    let text = crate::render::types::module(&worker);
    if args.output.as_os_str() == "-" {
        print!("{text}");
        return Ok(());
    }
    let crate_dir = worker
        .manifest_path
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let path = crate_dir.join(&args.output);
    let current = std::fs::read_to_string(&path).ok();
    if args.check {
        return match current.as_deref() == Some(text.as_str()) {
            true => Ok(()),
            false => Err(plain(
                format!("{} is not current with Cargo.toml", path.display()),
                "run `cargo edge types` and commit the result",
            )),
        };
    }
    if current.as_deref() != Some(text.as_str()) {
        std::fs::write(&path, text).map_err(|e| {
            plain(
                format!("could not write {}: {e}", path.display()),
                "check the path",
            )
        })?;
    }
    eprintln!(
        "wrote {} (add `mod edge_env;` and `use edge_env::EdgeEnv;` to use it)",
        path.display()
    );
    Ok(())
}
