//! `cargo edge rollout promote|set|rollback`: move traffic between a gradual rollout's versions.

use clap::{Args, Subcommand};

use super::failure::CommandResult;
use super::flags::WorkerArgs;
use super::remote::{connect, script_path};
use crate::deploy::rollout as rollouts;

#[derive(Debug, Args)]
pub struct RolloutArgs {
    #[command(subcommand)]
    pub action: RolloutAction,
    #[command(flatten)]
    pub worker: WorkerArgs,
}

#[derive(Debug, Subcommand)]
pub enum RolloutAction {
    /// Send all traffic to the new version
    Promote,
    /// Send PERCENT of traffic to the new version
    Set {
        #[arg(value_parser = clap::value_parser!(u8).range(1..=100))]
        percent: u8,
    },
    /// Send all traffic back to the previous version
    Rollback,
}

pub fn rollout(args: RolloutArgs) -> CommandResult {
    let (client, worker, account) = connect(&args.worker)?;
    let action = match args.action {
        RolloutAction::Promote => rollouts::Rollout::Promote,
        RolloutAction::Set { percent } => rollouts::Rollout::Set(percent),
        RolloutAction::Rollback => rollouts::Rollout::Rollback,
    };
    let result = rollouts::rollout(&client, &script_path(&account, &worker), action)?;
    let shares: Vec<String> = result
        .versions
        .iter()
        .map(|(id, p)| format!("{id} at {p}%"))
        .collect();
    println!("`{}` now serves {}", worker.name, shares.join(", "));
    Ok(())
}
