//! `cargo edge rollback [VERSION_ID]`: any earlier version back at 100% (the newest one older
//! than what serves, by default), after a confirmation that lists what changes.

use clap::Args;

use super::confirm::confirm;
use super::failure::CommandResult;
use super::flags::WorkerArgs;
use super::json::print_json;
use super::remote::{connect, script_path};
use crate::deploy::versions;
use crate::report::MessageFormat;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo edge rollback --yes\n  cargo edge rollback 3f2c0a1e-5b6d-4c7e-8f90-a1b2c3d4e5f6 --message \"bad search\""
)]
pub struct RollbackArgs {
    /// The version to serve (default: the newest version older than the one serving)
    pub version_id: Option<String>,
    /// The deployment's message
    #[arg(long, short = 'm')]
    pub message: Option<String>,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub worker: WorkerArgs,
    #[arg(long, value_enum, value_name = "FMT", default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
}

pub fn rollback(args: RollbackArgs) -> CommandResult {
    let (client, worker, account) = connect(&args.worker)?;
    let script = script_path(&account, &worker);
    let plan = versions::plan_rollback(&client, &script, args.version_id.as_deref())?;
    let json = args.message_format == MessageFormat::Json;
    if !json {
        let serving: Vec<String> = plan
            .from
            .iter()
            .map(|(id, p)| format!("{id} at {p}%"))
            .collect();
        eprintln!("`{}` serves {}", worker.name, serving.join(", "));
        eprintln!("Rolling back to {}", plan.to);
        for change in &plan.changes {
            eprintln!("  - {change}");
        }
        eprintln!("  (bound data, Durable Objects, KV, D1 and R2, stay as they are)");
    }
    if !confirm(&format!("Serve version {} at 100%", plan.to.id), args.yes)? {
        eprintln!("Nothing changed.");
        return Ok(());
    }
    versions::rollback(&client, &script, &plan, args.message.as_deref())?;
    if json {
        print_json("rollback", &plan);
    } else {
        eprintln!(
            "{:>12} `{}` now serves {} at 100%",
            "Rolled back", worker.name, plan.to.id
        );
    }
    Ok(())
}
