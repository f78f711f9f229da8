//! `cargo edge versions upload`: a new version of a deployed worker, uploaded and not deployed
//! (`versions deploy ID@PCT` sends traffic to it later). It creates nothing: every resource the
//! worker binds must exist already, and Durable Object migrations wait for a full deploy.

use serde::Serialize;
use serde_json::json;

use super::client::{Auth, Client, Mode, RetryPolicy};
use super::error::DeployError;
use super::execute::{Executor, Inputs, Outcome};
use super::live;
use super::plan::{self, Step};
use crate::bundle::Bundle;
use crate::model::Worker;

#[derive(Debug, Clone, Default)]
pub struct VersionUpload {
    pub tag: Option<String>,
    pub message: Option<String>,
    pub retry: RetryPolicy,
}

#[derive(Debug, Clone, Serialize)]
pub struct UploadedVersion {
    pub worker: String,
    pub version_id: String,
    pub tag: Option<String>,
    pub message: Option<String>,
}

pub fn upload(
    worker: &Worker,
    bundle: &Bundle,
    options: &VersionUpload,
) -> Result<UploadedVersion, DeployError> {
    let auth = Auth::from_env().ok_or(DeployError::NoCredentials)?;
    let client = Client::new(
        &Client::base_url_from_env(),
        auth,
        options.retry,
        Mode::Live,
    )?;
    let account = live::resolve_account(&client, worker.account_id.as_deref())?;
    let manifest = super::assets::manifest_of(worker)?;
    let bundle = &super::assets::joined(bundle, manifest.as_ref());
    let mut live = live::read_script(
        &client,
        &account,
        &worker.name,
        !worker.migrations.is_empty(),
    )?;
    if !live.script_exists {
        return Err(not_yet(&worker.name, "the worker is not deployed"));
    }
    live::read_resources(&client, &account, resource_needs(worker), &mut live)?;
    let the_plan = plan::plan(worker, bundle, &account, &live, &plan::Options::default());
    refuse_what_a_version_cannot_do(worker, &the_plan.steps)?;
    let mut executor = Executor {
        client: &client,
        worker,
        bundle,
        live: &live,
        ids: Default::default(),
        inputs: Inputs::default(),
        outcome: Outcome::default(),
        created_queues: Default::default(),
        assets: manifest.as_ref(),
    };
    if let Some(manifest) = &manifest {
        let uploaded = super::assets::upload(&client, &account, &worker.name, manifest)?;
        executor.outcome.assets = Some(uploaded);
    }
    executor.ids.kv.extend(live.kv.clone());
    executor.ids.d1.extend(live.d1.clone());
    let mut annotations = serde_json::Map::new();
    if let Some(tag) = &options.tag {
        annotations.insert("workers/tag".into(), json!(tag));
    }
    if let Some(message) = &options.message {
        annotations.insert("workers/message".into(), json!(message));
    }
    let script = format!("/accounts/{account}/workers/scripts/{}", worker.name);
    let version_id = executor.upload_version(&script, Some(annotations.into()))?;
    Ok(UploadedVersion {
        worker: worker.name.clone(),
        version_id,
        tag: options.tag.clone(),
        message: options.message.clone(),
    })
}

fn resource_needs(worker: &Worker) -> live::Needs {
    live::Needs {
        kv: worker.kv.values().any(|kv| kv.id.is_none()),
        d1: worker.d1.values().any(|db| db.id.is_none()),
        r2: !worker.r2.is_empty(),
        queues: !worker.queue_producers.is_empty() || !worker.queue_consumers.is_empty(),
    }
}

/// A version upload creates nothing and carries no migrations.
fn refuse_what_a_version_cannot_do(worker: &Worker, steps: &[Step]) -> Result<(), DeployError> {
    for step in steps {
        let missing = match step {
            Step::CreateKvNamespace { title } => format!("KV namespace `{title}`"),
            Step::CreateD1Database { name } => format!("D1 database `{name}`"),
            Step::CreateR2Bucket { name } => format!("R2 bucket `{name}`"),
            Step::CreateQueue { name } => format!("queue `{name}`"),
            Step::UploadScript {
                new_tag: Some(tag), ..
            } => {
                return Err(DeployError::CanaryWithMigrations {
                    worker: worker.name.clone(),
                    tags: tag.clone(),
                })
            }
            _ => continue,
        };
        return Err(not_yet(
            &worker.name,
            &format!("{missing} does not exist yet"),
        ));
    }
    Ok(())
}

fn not_yet(worker: &str, what: &str) -> DeployError {
    DeployError::Rollout {
        message: format!("cannot upload a version of `{worker}`: {what}"),
        help: "run `cargo edge deploy` first; a version upload creates nothing".into(),
    }
}
