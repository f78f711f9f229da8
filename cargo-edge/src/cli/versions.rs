//! `cargo edge versions list|view|upload|deploy` and `cargo edge deployments list|status`.

use clap::{Args, Subcommand};

use super::context;
use super::failure::CommandResult;
use super::flags::{CargoArgs, OutputArgs, WorkerArgs};
use super::json::print_json;
use super::remote::{connect, script_path};
use crate::build::ProfileChoice;
use crate::deploy::client::RetryPolicy;
use crate::deploy::rollout as rollouts;
use crate::deploy::version_upload::{self, VersionUpload};
use crate::deploy::versions::{self, VersionInfo};
use crate::report::MessageFormat;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo edge versions list\n  cargo edge versions upload --tag v2 --message \"new search\"\n  cargo edge versions deploy 3f2c0a1e-…@10 9d8e7f6a-…@90"
)]
pub struct VersionsArgs {
    #[command(subcommand)]
    pub action: VersionsAction,
}

#[derive(Debug, Subcommand)]
pub enum VersionsAction {
    /// The worker's versions, newest first (every page)
    List(Listing),
    /// One version: when, tag, message, compatibility date, bindings
    View {
        version_id: String,
        #[command(flatten)]
        listing: Listing,
    },
    /// Build and upload a new version without deploying it
    Upload(UploadArgs),
    /// Deploy one or two versions by share: ID@PERCENT [ID@PERCENT] (100 in all)
    Deploy {
        #[arg(required = true, num_args = 1..=2, value_name = "ID@PERCENT")]
        versions: Vec<String>,
        /// The deployment's message
        #[arg(long, short = 'm')]
        message: Option<String>,
        #[command(flatten)]
        listing: Listing,
    },
}

/// The worker and the output format of a command that only talks to Cloudflare.
#[derive(Debug, Args)]
pub struct Listing {
    #[command(flatten)]
    pub worker: WorkerArgs,
    #[arg(long, value_enum, value_name = "FMT", default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Environment from [package.metadata.edge.env.NAME]
    #[arg(short = 'e', long, value_name = "NAME")]
    pub env: Option<String>,
    /// A tag for the version (`workers/tag`)
    #[arg(long)]
    pub tag: Option<String>,
    /// A message for the version (`workers/message`)
    #[arg(long, short = 'm')]
    pub message: Option<String>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo edge deployments status\n  cargo edge deployments list --message-format json"
)]
pub struct DeploymentsArgs {
    #[command(subcommand)]
    pub action: DeploymentsAction,
}

#[derive(Debug, Subcommand)]
pub enum DeploymentsAction {
    /// The worker's deployments, newest first
    List(Listing),
    /// The deployment serving now: each version with its share
    Status(Listing),
}

pub fn versions(args: VersionsArgs) -> CommandResult {
    match args.action {
        VersionsAction::List(listing) => {
            let (client, worker, account) = connect(&listing.worker)?;
            let items = rollouts::list_versions(&client, &script_path(&account, &worker))?;
            let infos: Vec<VersionInfo> = items.iter().map(VersionInfo::from_json).collect();
            match listing.message_format {
                MessageFormat::Json => infos.iter().for_each(|v| print_json("version", v)),
                MessageFormat::Human => infos.iter().for_each(|v| println!("{v}")),
            }
        }
        VersionsAction::View {
            version_id,
            listing,
        } => {
            let (client, worker, account) = connect(&listing.worker)?;
            let info = versions::view(&client, &script_path(&account, &worker), &version_id)?;
            match listing.message_format {
                MessageFormat::Json => print_json("version", &info),
                MessageFormat::Human => print_version(&info),
            }
        }
        VersionsAction::Upload(upload) => upload_version(upload)?,
        VersionsAction::Deploy {
            versions: shares,
            message,
            listing,
        } => {
            let (client, worker, account) = connect(&listing.worker)?;
            let split = shares
                .iter()
                .map(|s| versions::parse_split(s))
                .collect::<Result<Vec<_>, _>>()?;
            versions::deploy_versions(
                &client,
                &script_path(&account, &worker),
                &split,
                message.as_deref(),
            )?;
            match listing.message_format {
                MessageFormat::Json => print_json("versions-deploy", &split),
                MessageFormat::Human => {
                    let shares: Vec<String> = split
                        .iter()
                        .map(|(id, p)| format!("{id} at {p}%"))
                        .collect();
                    eprintln!(
                        "{:>12} `{}` now serves {}",
                        "Deployed",
                        worker.name,
                        shares.join(", ")
                    );
                }
            }
        }
    }
    Ok(())
}

fn print_version(info: &VersionInfo) {
    println!("{info}");
    if let Some(date) = &info.compatibility_date {
        println!("  compatibility date  {date}");
    }
    for binding in &info.bindings {
        println!("  binding             {binding}");
    }
}

fn upload_version(args: UploadArgs) -> CommandResult {
    let reporter = context::reporter(&args.output);
    let worker = context::worker_for(&args.cargo, args.env.as_deref())?;
    let cargo = args.cargo.to_options(&args.output);
    let built =
        context::build_all(&cargo, &[&worker], ProfileChoice::Release, &reporter)?.remove(0);
    let options = VersionUpload {
        tag: args.tag,
        message: args.message,
        retry: RetryPolicy::default(),
    };
    let uploaded = version_upload::upload(&worker, &built.bundle, &options)?;
    match args.output.message_format {
        MessageFormat::Json => print_json("versions-upload", &uploaded),
        MessageFormat::Human => reporter.status(
            "Uploaded",
            format!(
                "version {} of `{}` (not deployed: `cargo edge versions deploy {}@100`)",
                uploaded.version_id, uploaded.worker, uploaded.version_id
            ),
        ),
    }
    Ok(())
}

pub fn deployments(args: DeploymentsArgs) -> CommandResult {
    match args.action {
        DeploymentsAction::List(listing) => {
            let (client, worker, account) = connect(&listing.worker)?;
            for item in rollouts::list_deployments(&client, &script_path(&account, &worker))? {
                match listing.message_format {
                    MessageFormat::Json => print_json("deployment", &item),
                    MessageFormat::Human => println!("{}", deployment_line(&item)),
                }
            }
        }
        DeploymentsAction::Status(listing) => {
            let (client, worker, account) = connect(&listing.worker)?;
            let status = versions::status(&client, &script_path(&account, &worker))?;
            match listing.message_format {
                MessageFormat::Json => print_json("deployment-status", &status),
                MessageFormat::Human => {
                    println!("deployment {}  {}", status.id, status.created_on);
                    if let Some(message) = &status.message {
                        println!("  message  {message}");
                    }
                    for (version, percent) in &status.versions {
                        println!("  {percent:>5}%  {version}");
                    }
                }
            }
        }
    }
    Ok(())
}

/// One line per deployment: id, when, and its versions' shares.
fn deployment_line(item: &serde_json::Value) -> String {
    let shares: Vec<String> = item["versions"]
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
    format!(
        "{}  {}  {}",
        item["id"].as_str().unwrap_or("?"),
        item["created_on"].as_str().unwrap_or(""),
        shares.join(" ")
    )
}
