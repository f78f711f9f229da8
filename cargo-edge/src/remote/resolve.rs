//! A binding of the worker turned into the resource on the account: a KV namespace id, a D1
//! uuid, a bucket name, a queue id. Unknown bindings and resources not yet deployed are errors
//! that say what to do.

use reqwest::Method;
use serde_json::Value;

use crate::deploy::client::{Body, Client};
use crate::deploy::error::DeployError;
use crate::model::Worker;

fn unknown(kind: &str, binding: &str, known: Vec<&String>) -> DeployError {
    let known: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    DeployError::Rollout {
        message: format!("`{binding}` is not a {kind} binding of this worker"),
        help: if known.is_empty() {
            format!(
                "add one under [package.metadata.edge.{}] in Cargo.toml",
                kind.to_lowercase()
            )
        } else {
            format!("its {kind} bindings are {}", known.join(", "))
        },
    }
}

/// The error for a resource the model names that the account does not have yet.
pub fn not_deployed(what: &str) -> DeployError {
    DeployError::Rollout {
        message: format!("{what} does not exist on Cloudflare yet"),
        help: "run `cargo edge deploy` first (it creates the worker's resources)".into(),
    }
}

/// The namespace id of KV binding `binding`: pinned, or found by title.
pub fn kv_namespace(
    client: &Client,
    account: &str,
    worker: &Worker,
    binding: &str,
) -> Result<String, DeployError> {
    let kv = worker
        .kv
        .get(binding)
        .ok_or_else(|| unknown("KV", binding, worker.kv.keys().collect()))?;
    if let Some(id) = &kv.id {
        return Ok(id.clone());
    }
    let namespaces: Vec<Value> =
        client.list(&format!("/accounts/{account}/storage/kv/namespaces"))?;
    namespaces
        .iter()
        .find(|n| n["title"] == kv.title.as_str())
        .and_then(|n| n["id"].as_str().map(str::to_string))
        .ok_or_else(|| not_deployed(&format!("KV namespace `{}`", kv.title)))
}

/// The bucket name of R2 binding `binding` (it must exist).
pub fn r2_bucket(
    client: &Client,
    account: &str,
    worker: &Worker,
    binding: &str,
) -> Result<String, DeployError> {
    let bucket = worker
        .r2
        .get(binding)
        .ok_or_else(|| unknown("R2", binding, worker.r2.keys().collect()))?;
    match client.call(
        Method::GET,
        &format!("/accounts/{account}/r2/buckets/{}", bucket.bucket),
        Body::None,
    ) {
        Ok(_) => Ok(bucket.bucket.clone()),
        Err(DeployError::Api(error)) if error.status == 404 => {
            Err(not_deployed(&format!("R2 bucket `{}`", bucket.bucket)))
        }
        Err(error) => Err(error),
    }
}

/// The `(name, uuid)` of D1 binding `binding` (or of a database named so).
pub fn d1_database(
    client: &Client,
    account: &str,
    worker: &Worker,
    binding: &str,
) -> Result<(String, String), DeployError> {
    let db = worker
        .d1
        .get(binding)
        .or_else(|| worker.d1.values().find(|d| d.name == binding))
        .ok_or_else(|| unknown("D1", binding, worker.d1.keys().collect()))?;
    match &db.id {
        Some(id) => Ok((db.name.clone(), id.clone())),
        None => crate::deploy::d1::database_id(client, account, &db.name, None)
            .map(|uuid| (db.name.clone(), uuid)),
    }
}

/// The id of queue `name`.
pub fn queue_id(client: &Client, account: &str, name: &str) -> Result<String, DeployError> {
    let queues: Vec<Value> = client.list(&format!("/accounts/{account}/queues"))?;
    queues
        .iter()
        .find(|q| q["queue_name"] == name)
        .and_then(|q| q["queue_id"].as_str().map(str::to_string))
        .ok_or_else(|| DeployError::Rollout {
            message: format!("queue `{name}` does not exist on this account"),
            help: "`cargo edge queues list` shows the account's queues".into(),
        })
}
