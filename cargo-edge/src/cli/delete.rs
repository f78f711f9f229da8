//! `cargo edge delete [--with-resources]`: the worker off Cloudflare, after a plan that lists
//! every step and a confirmation (`--yes`), or only the plan (`--dry-run`).

use clap::Args;

use super::confirm::confirm;
use super::failure::CommandResult;
use super::flags::WorkerArgs;
use super::json::print_json;
use super::remote::connect;
use crate::deploy::delete;
use crate::report::MessageFormat;

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  cargo edge delete --env staging --with-resources --yes")]
pub struct DeleteArgs {
    #[command(flatten)]
    pub worker: WorkerArgs,
    /// Also delete the KV namespaces, D1 databases, R2 buckets and queues cargo-edge
    /// provisioned for this worker (never ones given by id, never ones another worker binds)
    #[arg(long)]
    pub with_resources: bool,
    /// Print what would be deleted and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[arg(long, value_enum, value_name = "FMT", default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
}

pub fn delete(args: DeleteArgs) -> CommandResult {
    let (client, worker, account) = connect(&args.worker)?;
    let plan = delete::plan(&client, &account, &worker, args.with_resources)?;
    let json = args.message_format == MessageFormat::Json;
    if !json {
        eprintln!("Deleting `{}` from account {account} will:", worker.name);
        for step in &plan.steps {
            eprintln!("  - {step}");
        }
        for kept in &plan.kept {
            eprintln!("  (kept) {kept}");
        }
    }
    if args.dry_run {
        if json {
            print_json("delete-plan", &plan);
        }
        return Ok(());
    }
    if !confirm(&format!("Delete `{}`", worker.name), args.yes)? {
        eprintln!("Nothing deleted.");
        return Ok(());
    }
    delete::execute(&client, &plan, |step| {
        if !json {
            eprintln!("{:>12} {step}", "Deleting");
        }
    })?;
    if json {
        print_json("delete", &plan);
    } else {
        eprintln!(
            "{:>12} `{}` ({} steps)",
            "Deleted",
            worker.name,
            plan.steps.len()
        );
    }
    Ok(())
}
