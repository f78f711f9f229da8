//! `cargo edge whoami`: the token checked, the accounts it reaches, and which permissions each
//! command needs (and which `deploy` of this worker lacks).

use clap::Args;

use super::context;
use super::failure::CommandResult;
use super::flags::WorkerArgs;
use super::json::print_json;
use crate::deploy::client::{Auth, Client, Mode, RetryPolicy};
use crate::deploy::error::DeployError;
use crate::deploy::whoami;
use crate::report::MessageFormat;

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  cargo edge whoami --message-format json")]
pub struct WhoamiArgs {
    #[command(flatten)]
    pub worker: WorkerArgs,
    #[arg(long, value_enum, value_name = "FMT", default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
}

pub fn whoami(args: WhoamiArgs) -> CommandResult {
    let auth = Auth::from_env().ok_or(DeployError::NoCredentials)?;
    let client = Client::new(
        &Client::base_url_from_env(),
        auth.clone(),
        RetryPolicy::default(),
        Mode::Live,
    )?;
    // The worker (when there is one here) says which permissions `deploy` needs.
    let worker = match context::load_worker(&args.worker) {
        Ok(worker) => Some(worker),
        Err(failure) if args.worker.manifest_path.is_some() => return Err(failure),
        Err(_) => None,
    };
    let report = whoami::whoami(&client, &auth, worker.as_ref())?;
    match args.message_format {
        MessageFormat::Json => print_json("whoami", &report),
        MessageFormat::Human => print!("{report}"),
    }
    Ok(())
}
