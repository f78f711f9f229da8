//! `cargo edge versions list` and `cargo edge deployments list`.

use clap::Args;

use super::failure::CommandResult;
use super::flags::WorkerArgs;
use super::remote::{connect, script_path};
use crate::deploy::client::Client;
use crate::deploy::error::DeployError;
use crate::deploy::rollout as rollouts;
use crate::report::MessageFormat;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// What to do (only `list`)
    #[arg(value_parser = ["list"])]
    pub action: String,
    #[command(flatten)]
    pub worker: WorkerArgs,
    #[arg(long, value_enum, value_name = "FMT", default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
}

pub fn versions(args: ListArgs) -> CommandResult {
    list(args, rollouts::list_versions)
}

pub fn deployments(args: ListArgs) -> CommandResult {
    list(args, rollouts::list_deployments)
}

fn list(
    args: ListArgs,
    fetch: fn(&Client, &str) -> Result<Vec<serde_json::Value>, DeployError>,
) -> CommandResult {
    let (client, worker, account) = connect(&args.worker)?;
    let items = fetch(&client, &script_path(&account, &worker))?;
    for item in &items {
        match args.message_format {
            MessageFormat::Json => println!("{item}"),
            MessageFormat::Human => println!("{}", summary(item)),
        }
    }
    Ok(())
}

/// One line per version or deployment: id, when, and what it carries.
fn summary(item: &serde_json::Value) -> String {
    let id = item["id"].as_str().unwrap_or("?");
    let created = item["created_on"]
        .as_str()
        .or(item["metadata"]["created_on"].as_str())
        .unwrap_or("");
    let versions: Vec<String> = item["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            format!(
                "{}={}%",
                v["version_id"].as_str().unwrap_or("?"),
                v["percentage"]
            )
        })
        .collect();
    let number = item["number"]
        .as_u64()
        .map(|n| format!("#{n} "))
        .unwrap_or_default();
    format!("{number}{id}  {created}  {}", versions.join(" "))
        .trim_end()
        .to_string()
}
