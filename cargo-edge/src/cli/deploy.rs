//! `cargo edge deploy`: build the worker (or every worker of the workspace) and deploy it.

use std::path::PathBuf;

use clap::Args;

use super::context;
use super::failure::{plain, CommandResult};
use super::flags::{CargoArgs, OutputArgs};
use crate::build::ProfileChoice;
use crate::deploy::client::RetryPolicy;
use crate::deploy::run::{deploy as run_deploy, DeployOptions, DeployReport};
use crate::model::Worker;
use crate::report::{MessageFormat, Reporter};

#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Environment from [package.metadata.edge.env.NAME]
    #[arg(short = 'e', long, value_name = "NAME")]
    pub env: Option<String>,
    /// Print the plan and write the requests it would send to DIR; change nothing
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "target/edge-dry-run")]
    pub dry_run: Option<PathBuf>,
    /// Upload even when nothing changed
    #[arg(long)]
    pub force: bool,
    /// Deploy the new version to this percentage of traffic beside the current one
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u8).range(1..=99))]
    pub canary: Option<u8>,
    /// Set the secrets in this file (`NAME=value` lines) with the deploy
    #[arg(long, value_name = "FILE", conflicts_with = "workspace")]
    pub secrets_file: Option<PathBuf>,
    /// Deploy every worker of the workspace, each after the workers it binds to
    #[arg(long, conflicts_with_all = ["package", "canary"])]
    pub workspace: bool,
}

pub fn deploy(args: DeployArgs) -> CommandResult {
    let reporter = context::reporter(&args.output);
    if args.workspace {
        return deploy_workspace(&args, &reporter);
    }
    let worker = context::worker_for(&args.cargo, args.env.as_deref())?;
    // What build and dev only warn about, Cloudflare refuses: stop before sending anything.
    let loaded = crate::manifest::load_worker(&worker.manifest_path, args.env.as_deref())?;
    crate::manifest::strict::refuse_deploy(&loaded.warnings)?;
    let secrets = match &args.secrets_file {
        Some(path) => crate::dotenv::read(path)
            .map_err(|e| plain(e.to_string(), "write one `NAME=value` per line"))?,
        None => Default::default(),
    };
    let options = DeployOptions {
        force: args.force,
        canary: args.canary,
        dry_run: args.dry_run.clone(),
        secrets,
        retry: RetryPolicy::default(),
    };
    deploy_one(&worker, &args, &options, &reporter)
}

/// `cargo edge deploy --workspace`: every worker, each after those it binds to. The first
/// failure stops; the workers before it are deployed, and a rerun converges.
fn deploy_workspace(args: &DeployArgs, reporter: &Reporter) -> CommandResult {
    let manifest = args
        .cargo
        .manifest_path
        .clone()
        .unwrap_or_else(|| "Cargo.toml".into());
    let root = context::workspace_root(&manifest)?;
    let loaded = crate::manifest::load_project(&root, args.env.as_deref())?;
    context::print_warnings(&loaded.warnings);
    crate::manifest::strict::refuse_deploy(&loaded.warnings)?;
    let order = context::deploy_order(&loaded.project);
    if order.is_empty() {
        return Err(plain(
            format!("no worker in the workspace at {}", root.display()),
            "add [package.metadata.edge] to the members that are workers",
        ));
    }
    reporter.status(
        "Order",
        order
            .iter()
            .map(|w| format!("`{}`", w.name))
            .collect::<Vec<_>>()
            .join(", then "),
    );
    for worker in &order {
        let options = DeployOptions {
            force: args.force,
            canary: None,
            dry_run: args.dry_run.as_ref().map(|dir| dir.join(&worker.name)),
            secrets: Default::default(),
            retry: RetryPolicy::default(),
        };
        deploy_one(worker, args, &options, reporter)?;
    }
    Ok(())
}

fn deploy_one(
    worker: &Worker,
    args: &DeployArgs,
    options: &DeployOptions,
    reporter: &Reporter,
) -> CommandResult {
    let json = args.output.message_format == MessageFormat::Json;
    let cargo = args.cargo.to_options(&args.output);
    let built = context::build_all(&cargo, &[worker], ProfileChoice::Release, reporter)?.remove(0);
    let report = run_deploy(worker, &built.bundle, options, |step| {
        reporter.status("Deploying", step.to_string())
    })?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&serde_json::json!({"reason": "deploy", "report": report}))
                .expect("json")
        );
    } else {
        print_report(&report, reporter);
    }
    Ok(())
}

fn print_report(report: &DeployReport, reporter: &Reporter) {
    let plan = &report.plan;
    if plan.up_to_date {
        reporter.status(
            "Up to date",
            format!(
                "`{}` (content hash {}); nothing uploaded ({} requests, {} ms)",
                plan.worker,
                &plan.content_hash[..16],
                report.requests,
                report.elapsed_ms
            ),
        );
        return;
    }
    for unchanged in &plan.unchanged {
        reporter.status("Unchanged", unchanged);
    }
    for (status, line) in crate::deploy::assets::report_lines(report) {
        reporter.status(status, line);
    }
    match &report.dry_run {
        Some(dir) => {
            for step in &plan.steps {
                reporter.status("Would", step.to_string());
            }
            reporter.status(
                "Dry run",
                format!(
                    "{} steps; the requests are in {}",
                    plan.steps.len(),
                    dir.display()
                ),
            );
        }
        None => reporter.status(
            "Deployed",
            format!(
                "`{}` to account {} in {} steps, {} requests, {} ms (content hash {})",
                plan.worker,
                plan.account_id,
                plan.steps.len(),
                report.requests,
                report.elapsed_ms,
                &plan.content_hash[..16]
            ),
        ),
    }
}
