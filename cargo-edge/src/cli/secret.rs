//! `cargo edge secret put|list|delete`: the worker's secrets on Cloudflare.

use std::io::IsTerminal;

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
    }
    Ok(())
}
