//! `cargo edge delete`: the worker off Cloudflare, as a plan first. Its queue consumers, routes
//! and custom domains are detached before the script goes; with `--with-resources`, the KV
//! namespaces, D1 databases, R2 buckets and queues cargo-edge provisions for it by name go too
//! (never one pinned by id, never one another worker on the account still binds).

use reqwest::Method;
use serde::Serialize;
use serde_json::{json, Value};

use super::client::{Body, Client};
use super::error::DeployError;
use super::live::{self, Live, Needs};
use crate::model::Worker;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum DeleteStep {
    DetachConsumer {
        queue: String,
        queue_id: String,
        consumer_id: String,
    },
    ClearRoutes {
        patterns: Vec<String>,
    },
    DetachDomain {
        hostname: String,
        id: String,
    },
    DeleteScript,
    DeleteKvNamespace {
        title: String,
        id: String,
    },
    DeleteD1Database {
        name: String,
        uuid: String,
    },
    DeleteR2Bucket {
        name: String,
    },
    DeleteQueue {
        name: String,
        queue_id: String,
    },
}

impl std::fmt::Display for DeleteStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeleteStep::DetachConsumer { queue, .. } => {
                write!(f, "detach the consumer of queue `{queue}`")
            }
            DeleteStep::ClearRoutes { patterns } => {
                write!(f, "remove routes [{}]", patterns.join(", "))
            }
            DeleteStep::DetachDomain { hostname, .. } => {
                write!(f, "detach custom domain `{hostname}`")
            }
            DeleteStep::DeleteScript => write!(f, "delete the worker script"),
            DeleteStep::DeleteKvNamespace { title, .. } => {
                write!(f, "delete KV namespace `{title}`")
            }
            DeleteStep::DeleteD1Database { name, .. } => write!(f, "delete D1 database `{name}`"),
            DeleteStep::DeleteR2Bucket { name } => write!(f, "delete R2 bucket `{name}`"),
            DeleteStep::DeleteQueue { name, .. } => write!(f, "delete queue `{name}`"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DeletePlan {
    pub worker: String,
    pub account_id: String,
    pub steps: Vec<DeleteStep>,
    /// Resources left alone, with the reason.
    pub kept: Vec<String>,
}

/// Read what is live and plan the deletion.
pub fn plan(
    client: &Client,
    account: &str,
    worker: &Worker,
    with_resources: bool,
) -> Result<DeletePlan, DeployError> {
    let script = format!("/accounts/{account}/workers/scripts/{}", worker.name);
    let mut live = live::read_script(client, account, &worker.name, false)?;
    if !live.script_exists {
        return Err(DeployError::Rollout {
            message: format!("`{}` is not deployed on account {account}", worker.name),
            help: "nothing to delete; check --env and the account".into(),
        });
    }
    let needs = Needs {
        kv: true,
        d1: true,
        r2: true,
        queues: true,
    };
    live::read_resources(client, account, needs, &mut live)?;
    let mut steps = consumers(&live, &worker.name);
    steps.extend(routes_and_domains(client, account, &script, &worker.name)?);
    steps.push(DeleteStep::DeleteScript);
    let mut kept = Vec::new();
    if with_resources {
        let bound = bound_elsewhere(client, account, &worker.name, &live)?;
        for (step, key) in owned_resources(worker, &live) {
            match bound.iter().find(|(value, _)| *value == key) {
                Some((_, other)) => {
                    kept.push(format!("{}: still bound by `{other}`", describe(&step)))
                }
                None => steps.push(step),
            }
        }
    }
    Ok(DeletePlan {
        worker: worker.name.clone(),
        account_id: account.into(),
        steps,
        kept,
    })
}

fn describe(step: &DeleteStep) -> String {
    step.to_string().trim_start_matches("delete ").to_string()
}

fn consumers(live: &Live, worker: &str) -> Vec<DeleteStep> {
    let mut steps = Vec::new();
    for (queue, state) in &live.queues {
        for consumer in state
            .consumers
            .iter()
            .filter(|c| c.script() == Some(worker))
        {
            steps.push(DeleteStep::DetachConsumer {
                queue: queue.clone(),
                queue_id: state.queue_id.clone(),
                consumer_id: consumer.consumer_id.clone(),
            });
        }
    }
    steps
}

fn routes_and_domains(
    client: &Client,
    account: &str,
    script: &str,
    worker: &str,
) -> Result<Vec<DeleteStep>, DeployError> {
    let mut steps = Vec::new();
    let routes = client.call(Method::GET, &format!("{script}/routes"), Body::None)?;
    let patterns: Vec<String> = routes
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["pattern"].as_str().map(str::to_string))
        .collect();
    if !patterns.is_empty() {
        steps.push(DeleteStep::ClearRoutes { patterns });
    }
    let domains: Vec<Value> = client.list(&format!("/accounts/{account}/workers/domains"))?;
    for domain in domains.iter().filter(|d| d["service"] == worker) {
        steps.push(DeleteStep::DetachDomain {
            hostname: domain["hostname"].as_str().unwrap_or_default().into(),
            id: domain["id"].as_str().unwrap_or_default().into(),
        });
    }
    Ok(steps)
}

/// The resources the model names without an id and that exist, with the value a binding to
/// each would carry (namespace id, database uuid, bucket name, queue name).
fn owned_resources(worker: &Worker, live: &Live) -> Vec<(DeleteStep, String)> {
    let mut out = Vec::new();
    for kv in worker.kv.values().filter(|kv| kv.id.is_none()) {
        if let Some(id) = live.kv.get(&kv.title) {
            out.push((
                DeleteStep::DeleteKvNamespace {
                    title: kv.title.clone(),
                    id: id.clone(),
                },
                id.clone(),
            ));
        }
    }
    for db in worker.d1.values().filter(|db| db.id.is_none()) {
        if let Some(uuid) = live.d1.get(&db.name) {
            out.push((
                DeleteStep::DeleteD1Database {
                    name: db.name.clone(),
                    uuid: uuid.clone(),
                },
                uuid.clone(),
            ));
        }
    }
    for bucket in worker.r2.values().filter(|b| live.r2.contains(&b.bucket)) {
        if !out.iter().any(|(_, key)| *key == bucket.bucket) {
            out.push((
                DeleteStep::DeleteR2Bucket {
                    name: bucket.bucket.clone(),
                },
                bucket.bucket.clone(),
            ));
        }
    }
    let mut queues: Vec<&String> = worker.queue_producers.values().map(|p| &p.queue).collect();
    for (queue, consumer) in &worker.queue_consumers {
        queues.push(queue);
        queues.extend(consumer.dead_letter_queue.as_ref());
    }
    queues.sort();
    queues.dedup();
    for queue in queues {
        if let Some(state) = live.queues.get(queue) {
            let step = DeleteStep::DeleteQueue {
                name: queue.clone(),
                queue_id: state.queue_id.clone(),
            };
            out.push((step, queue.clone()));
        }
    }
    out
}

/// `(value, script)` for every KV id, D1 uuid, bucket and queue another script binds, and every
/// queue another script consumes.
fn bound_elsewhere(
    client: &Client,
    account: &str,
    worker: &str,
    live: &Live,
) -> Result<Vec<(String, String)>, DeployError> {
    let mut bound = Vec::new();
    for (queue, state) in &live.queues {
        for script in state.consumers.iter().filter_map(|c| c.script()) {
            if script != worker {
                bound.push((queue.clone(), script.to_string()));
            }
        }
    }
    let scripts = client.call(
        Method::GET,
        &format!("/accounts/{account}/workers/scripts"),
        Body::None,
    )?;
    for name in scripts
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_str())
    {
        if name == worker {
            continue;
        }
        let settings = client.call(
            Method::GET,
            &format!("/accounts/{account}/workers/scripts/{name}/settings"),
            Body::None,
        )?;
        for binding in settings["bindings"].as_array().into_iter().flatten() {
            for key in ["namespace_id", "id", "bucket_name", "queue_name"] {
                if let Some(value) = binding[key].as_str() {
                    bound.push((value.to_string(), name.to_string()));
                }
            }
        }
    }
    Ok(bound)
}

/// Run the plan in order. A failure stops; rerunning plans again from what is left.
pub fn execute(
    client: &Client,
    plan: &DeletePlan,
    mut progress: impl FnMut(&DeleteStep),
) -> Result<(), DeployError> {
    let account = &plan.account_id;
    let script = format!("/accounts/{account}/workers/scripts/{}", plan.worker);
    for step in &plan.steps {
        progress(step);
        if let DeleteStep::DeleteR2Bucket { name } = step {
            // R2 refuses to delete a bucket that holds objects.
            for object in crate::remote::r2::list(client, account, name, None)? {
                crate::remote::r2::delete(client, account, name, &object.key)?;
            }
        }
        let (method, path, body) = match step {
            DeleteStep::DetachConsumer {
                queue_id,
                consumer_id,
                ..
            } => (
                Method::DELETE,
                format!("/accounts/{account}/queues/{queue_id}/consumers/{consumer_id}"),
                None,
            ),
            DeleteStep::ClearRoutes { .. } => {
                (Method::PUT, format!("{script}/routes"), Some(json!([])))
            }
            DeleteStep::DetachDomain { id, .. } => (
                Method::DELETE,
                format!("/accounts/{account}/workers/domains/{id}"),
                None,
            ),
            DeleteStep::DeleteScript => (Method::DELETE, format!("{script}?force=true"), None),
            DeleteStep::DeleteKvNamespace { id, .. } => (
                Method::DELETE,
                format!("/accounts/{account}/storage/kv/namespaces/{id}"),
                None,
            ),
            DeleteStep::DeleteD1Database { uuid, .. } => (
                Method::DELETE,
                format!("/accounts/{account}/d1/database/{uuid}"),
                None,
            ),
            DeleteStep::DeleteR2Bucket { name } => (
                Method::DELETE,
                format!("/accounts/{account}/r2/buckets/{name}"),
                None,
            ),
            DeleteStep::DeleteQueue { queue_id, .. } => (
                Method::DELETE,
                format!("/accounts/{account}/queues/{queue_id}"),
                None,
            ),
        };
        let body = body.as_ref().map_or(Body::None, Body::Json);
        match client.call(method, &path, body) {
            Ok(_) => {}
            // Gone already (a retried delete whose answer was lost, or a rerun): carry on.
            Err(DeployError::Api(error)) if error.status == 404 && error.attempts > 1 => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}
