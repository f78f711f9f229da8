//! `cargo edge deploy`, `rollout`, `versions`, `deployments` and `secret`.

use std::io::IsTerminal;

use super::args::{
    DeployArgs, RolloutAction, RolloutArgs, SecretAction, SecretArgs, WorkerArgs,
};
use super::context;
use super::outcome::{plain, CommandResult, Failure};
use crate::build::ProfileChoice;
use crate::deploy::client::{Auth, Client, Mode, RetryPolicy};
use crate::deploy::error::DeployError;
use crate::deploy::run::{deploy as run_deploy, DeployOptions, DeployReport};
use crate::deploy::{live, rollout as rollouts, secrets};
use crate::model::Worker;
use crate::report::{MessageFormat, Reporter};

pub fn deploy(args: DeployArgs) -> CommandResult {
    let reporter = context::reporter(&args.output);
    if args.workspace {
        return deploy_workspace(&args, &reporter);
    }
    let worker = context::worker_for(&args.cargo, args.env.as_deref())?;
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

/// A live client and the account and script path for the selected worker.
fn connect(args: &WorkerArgs) -> Result<(Client, Worker, String), Failure> {
    let worker = context::load_worker(args)?;
    let auth = Auth::from_env().ok_or(DeployError::NoCredentials)?;
    let client = Client::new(
        &Client::base_url_from_env(),
        auth,
        RetryPolicy::default(),
        Mode::Live,
    )?;
    let account = live::resolve_account(&client, worker.account_id.as_deref())?;
    Ok((client, worker, account))
}

fn script_path(account: &str, worker: &Worker) -> String {
    format!("/accounts/{account}/workers/scripts/{}", worker.name)
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
                plain(e, "write a JSON object of strings, or one `NAME=value` per line")
            })?;
            let names = secrets::put_all(&client, &account, &worker.name, &values)?;
            eprintln!("{} secrets set on `{}`: {}", names.len(), worker.name, names.join(", "));
        }
    }
    Ok(())
}
