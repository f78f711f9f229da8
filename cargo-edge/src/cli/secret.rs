//! `cargo edge secret put|list|delete|bulk`: the worker's secrets on Cloudflare.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::failure::{plain, CommandResult};
use super::flags::WorkerArgs;
use super::remote::connect;
use crate::deploy::secrets;

#[derive(Debug, Args)]
pub struct SecretArgs {
    #[command(subcommand)]
    pub action: SecretAction,
    #[command(flatten)]
    pub worker: WorkerArgs,
}

#[derive(Debug, Subcommand)]
pub enum SecretAction {
    /// Set NAME to the value read from standard input
    Put { name: String },
    /// List the names of the worker's secrets
    List,
    /// Delete NAME
    Delete { name: String },
    /// Set every secret in FILE: a JSON object of strings, or `NAME=value` lines (.env)
    #[command(after_help = "Example:\n  cargo edge secret bulk secrets.json --env prod")]
    Bulk { file: PathBuf },
}

pub fn secret(args: SecretArgs) -> CommandResult {
    let (client, worker, account) = connect(&args.worker)?;
    match args.action {
        SecretAction::Put { name } => {
            if std::io::stdin().is_terminal() {
                eprintln!("Enter the value of `{name}` and end with Ctrl-D:");
            }
            let value = secrets::read_value(std::io::stdin()).map_err(|e| {
                plain(
                    format!("could not read standard input: {e}"),
                    "pipe the value in",
                )
            })?;
            secrets::put(&client, &account, &worker.name, &name, &value)?;
            eprintln!("secret `{name}` set on `{}`", worker.name);
        }
        SecretAction::List => {
            for name in secrets::list(&client, &account, &worker.name)? {
                println!("{name}");
            }
        }
        SecretAction::Delete { name } => {
            secrets::delete(&client, &account, &worker.name, &name)?;
            eprintln!("secret `{name}` deleted from `{}`", worker.name);
        }
        SecretAction::Bulk { file } => {
            let values = secrets::read_bulk(&file).map_err(|e| {
                plain(
                    e,
                    "write a JSON object of strings, or one `NAME=value` per line",
                )
            })?;
            let names = secrets::put_all(&client, &account, &worker.name, &values)?;
            eprintln!(
                "{} secrets set on `{}`: {}",
                names.len(),
                worker.name,
                names.join(", ")
            );
        }
    }
    Ok(())
}
