//! One deploy: credentials, account, what is live, the plan, then its execution (or, with
//! `--dry-run`, the requests it would send written to a folder).

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use super::client::{Auth, Client, Mode, RetryPolicy};
use super::error::DeployError;
use super::execute::{Executor, Inputs, Outcome};
use super::live::{self, Live, Needs};
use super::plan::{self, Plan, Step};
use super::record::{Recorded, Recorder};
use crate::bundle::Bundle;
use crate::model::Worker;

#[derive(Debug, Clone, Default)]
pub struct DeployOptions {
    pub force: bool,
    pub canary: Option<u8>,
    /// `--dry-run DIR`: plan and record, change nothing.
    pub dry_run: Option<PathBuf>,
    pub secrets: std::collections::BTreeMap<String, String>,
    pub retry: RetryPolicy,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeployReport {
    pub plan: Plan,
    pub outcome: Option<Outcome>,
    /// Requests sent to the API (reads included).
    pub requests: usize,
    pub elapsed_ms: u64,
    pub dry_run: Option<PathBuf>,
    #[serde(skip)]
    pub recorded: Vec<Recorded>,
}

pub fn deploy(
    worker: &Worker,
    bundle: &Bundle,
    options: &DeployOptions,
    progress: impl FnMut(&Step),
) -> Result<DeployReport, DeployError> {
    let started = Instant::now();
    let client = client(options)?;
    if let (Some(_), false) = (options.canary, worker.migrations.is_empty()) {
        check_canary_migrations(&client, worker)?;
    }
    let account = match client.mode() {
        Mode::Offline => worker
            .account_id
            .clone()
            .unwrap_or_else(|| "<account id>".into()),
        _ => live::resolve_account(&client, worker.account_id.as_deref())?,
    };
    let manifest = super::assets::manifest_of(worker)?;
    let bundle = &super::assets::joined(bundle, manifest.as_ref());
    let mut live = live::read_script(&client, &account, &worker.name, false)?;
    let secrets: Vec<String> = options.secrets.keys().cloned().collect();
    let plan_options = plan::Options {
        force: options.force,
        canary: options.canary,
        secrets,
        assets: manifest.as_ref().map(super::assets::AssetSummary::of),
    };
    let mut the_plan = plan::plan(worker, bundle, &account, &live, &plan_options);
    if !the_plan.up_to_date {
        if live.script_exists && !worker.migrations.is_empty() {
            live::read_migration_tag(&client, &account, &worker.name, &mut live)?;
        }
        live::read_resources(&client, &account, needs(worker), &mut live)?;
        the_plan = plan::plan(worker, bundle, &account, &live, &plan_options);
    }
    let mut outcome = None;
    if !the_plan.up_to_date {
        let mut executor = Executor {
            client: &client,
            worker,
            bundle,
            live: &live,
            ids: Default::default(),
            inputs: Inputs {
                secrets: options.secrets.clone(),
            },
            outcome: Outcome::default(),
            created_queues: Default::default(),
            assets: manifest.as_ref(),
        };
        executor.run(&the_plan, progress)?;
        outcome = Some(executor.outcome);
    }
    let recorded = client.recorder.entries();
    if let Some(dir) = &options.dry_run {
        Recorder::write(&recorded, dir).map_err(|e| DeployError::Io {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
    }
    let requests = recorded
        .iter()
        .filter(|r| is_sent(client.mode(), r))
        .count();
    if let Some(outcome) = &mut outcome {
        outcome.requests = requests;
    }
    Ok(DeployReport {
        plan: the_plan,
        outcome,
        requests,
        elapsed_ms: started.elapsed().as_millis() as u64,
        dry_run: options.dry_run.clone(),
        recorded,
    })
}

fn is_sent(mode: Mode, recorded: &Recorded) -> bool {
    match mode {
        Mode::Live => true,
        Mode::DryRun => recorded.method == "GET",
        Mode::Offline => false,
    }
}

fn client(options: &DeployOptions) -> Result<Client, DeployError> {
    let auth = Auth::from_env();
    let mode = match (&options.dry_run, &auth) {
        (None, Some(_)) => Mode::Live,
        (None, None) => return Err(DeployError::NoCredentials),
        (Some(_), Some(_)) => Mode::DryRun,
        (Some(_), None) => Mode::Offline,
    };
    let auth = auth.unwrap_or(Auth::Token(super::client::Secret::new("")));
    Client::new(&Client::base_url_from_env(), auth, options.retry, mode)
}

fn needs(worker: &Worker) -> Needs {
    Needs {
        kv: worker.kv.values().any(|kv| kv.id.is_none()),
        d1: worker.d1.values().any(|db| db.id.is_none()),
        r2: !worker.r2.is_empty(),
        // Always: a consumer the model no longer has must be found to be detached.
        queues: true,
    }
}

/// A canary cannot carry Durable Object migrations: refuse before uploading anything.
fn check_canary_migrations(client: &Client, worker: &Worker) -> Result<(), DeployError> {
    let account = match client.mode() {
        Mode::Offline => {
            return Err(canary_error(
                worker,
                &worker
                    .migrations
                    .iter()
                    .map(|m| m.tag.clone())
                    .collect::<Vec<_>>(),
            ))
        }
        _ => live::resolve_account(client, worker.account_id.as_deref())?,
    };
    let live: Live = live::read_script(client, &account, &worker.name, true)?;
    let start = match &live.migration_tag {
        Some(tag) => worker
            .migrations
            .iter()
            .position(|m| &m.tag == tag)
            .map_or(0, |i| i + 1),
        None => 0,
    };
    let pending: Vec<String> = worker
        .migrations
        .iter()
        .skip(start)
        .map(|m| m.tag.clone())
        .collect();
    if pending.is_empty() {
        Ok(())
    } else {
        Err(canary_error(worker, &pending))
    }
}

fn canary_error(worker: &Worker, tags: &[String]) -> DeployError {
    DeployError::CanaryWithMigrations {
        worker: worker.name.clone(),
        tags: tags.join(", "),
    }
}
