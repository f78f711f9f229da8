//! `cargo edge queues list|info NAME|purge NAME`: the account's queues.

use clap::{Args, Subcommand};

use super::account::account;
use super::confirm::confirm;
use super::failure::CommandResult;
use super::flags::WorkerArgs;
use super::json::print_json;
use crate::remote::{queues, resolve};
use crate::report::MessageFormat;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo edge queues list\n  cargo edge queues info image-processing\n  cargo edge queues purge image-processing --yes"
)]
pub struct QueuesArgs {
    #[command(subcommand)]
    pub action: QueuesAction,
    #[command(flatten)]
    pub worker: WorkerArgs,
    #[arg(long, value_enum, value_name = "FMT", default_value_t = MessageFormat::Human, global = true)]
    pub message_format: MessageFormat,
}

#[derive(Debug, Subcommand)]
pub enum QueuesAction {
    /// Every queue on the account (every page)
    List,
    /// One queue: its id, producers and consumers with their settings
    Info { name: String },
    /// Delete every message in the queue (asks first; --yes to skip)
    Purge {
        name: String,
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

pub fn queues(args: QueuesArgs) -> CommandResult {
    let (client, account) = account(&args.worker)?;
    let json = args.message_format == MessageFormat::Json;
    match args.action {
        QueuesAction::List => {
            for queue in queues::list(&client, &account)? {
                match json {
                    true => print_json("queue", &queue),
                    false => println!("{}  {}", queue.queue_name, queue.queue_id),
                }
            }
        }
        QueuesAction::Info { name } => {
            let id = resolve::queue_id(&client, &account, &name)?;
            let info = queues::info(&client, &account, &id)?;
            match json {
                true => print_json("queue", &info),
                false => println!("{info}"),
            }
        }
        QueuesAction::Purge { name, yes } => {
            let id = resolve::queue_id(&client, &account, &name)?;
            if !confirm(
                &format!("Delete every message in queue `{name}` (this cannot be undone)"),
                yes,
            )? {
                eprintln!("Nothing purged.");
                return Ok(());
            }
            queues::purge(&client, &account, &id)?;
            match json {
                true => print_json(
                    "queue-purge",
                    &serde_json::json!({"queue": name, "queue_id": id}),
                ),
                false => eprintln!("{:>12} queue `{name}`", "Purged"),
            }
        }
    }
    Ok(())
}
