//! The plan: what a deploy will create, upload, attach, detach and leave alone, computed from
//! the model and what is live before anything is changed.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::live::{Live, LiveConsumer};
use crate::bundle::Bundle;
use crate::model::{QueueConsumer, Worker};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Step {
    CreateKvNamespace {
        title: String,
    },
    CreateD1Database {
        name: String,
    },
    CreateR2Bucket {
        name: String,
    },
    CreateQueue {
        name: String,
    },
    /// Static assets through the direct-upload protocol (only files Cloudflare lacks are sent).
    UploadAssets {
        files: usize,
        bytes: u64,
    },
    /// A full upload, deployed to 100%, with the migrations after `old_tag`.
    UploadScript {
        old_tag: Option<String>,
        new_tag: Option<String>,
    },
    /// A version upload deployed beside the current one (`--canary`).
    UploadCanary {
        percentage: u8,
    },
    PutSchedules {
        crons: Vec<String>,
    },
    PutRoutes {
        patterns: Vec<String>,
    },
    PutDomain {
        hostname: String,
    },
    SetWorkersDev {
        enabled: bool,
    },
    AttachConsumer {
        queue: String,
    },
    UpdateConsumer {
        queue: String,
        consumer_id: String,
    },
    DetachConsumer {
        queue: String,
        consumer_id: String,
    },
    PutSecret {
        name: String,
    },
    RecordFingerprint {
        fingerprint: String,
    },
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::CreateKvNamespace { title } => write!(f, "create KV namespace `{title}`"),
            Step::CreateD1Database { name } => write!(f, "create D1 database `{name}`"),
            Step::CreateR2Bucket { name } => write!(f, "create R2 bucket `{name}`"),
            Step::CreateQueue { name } => write!(f, "create queue `{name}`"),
            Step::UploadAssets { files, bytes } => write!(
                f,
                "upload static assets: {files} file(s), {bytes} bytes (only those Cloudflare lacks are sent)"
            ),
            Step::UploadScript { old_tag, new_tag } => match (old_tag, new_tag) {
                (_, None) => write!(f, "upload the worker and deploy it to 100%"),
                (None, Some(new)) => write!(
                    f,
                    "upload the worker with migrations up to `{new}` and deploy it to 100%"
                ),
                (Some(old), Some(new)) => write!(
                    f,
                    "upload the worker with migrations `{old}` → `{new}` and deploy it to 100%"
                ),
            },
            Step::UploadCanary { percentage } => write!(
                f,
                "upload a new version and deploy it to {percentage}% beside the current one"
            ),
            Step::PutSchedules { crons } => write!(f, "set cron triggers [{}]", crons.join(", ")),
            Step::PutRoutes { patterns } => write!(f, "set routes [{}]", patterns.join(", ")),
            Step::PutDomain { hostname } => write!(f, "attach custom domain `{hostname}`"),
            Step::SetWorkersDev { enabled } => write!(
                f,
                "{} the workers.dev route",
                if *enabled { "enable" } else { "disable" }
            ),
            Step::AttachConsumer { queue } => write!(f, "attach as consumer of queue `{queue}`"),
            Step::UpdateConsumer { queue, .. } => {
                write!(f, "update the consumer settings on queue `{queue}`")
            }
            Step::DetachConsumer { queue, .. } => {
                write!(f, "detach from queue `{queue}` (no longer consumed)")
            }
            Step::PutSecret { name } => write!(f, "set secret `{name}`"),
            Step::RecordFingerprint { .. } => {
                write!(f, "record what was deployed (for the next no-op check)")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub worker: String,
    pub account_id: String,
    pub content_hash: String,
    pub fingerprint: String,
    /// Nothing changed since the last deploy: no step runs.
    pub up_to_date: bool,
    pub steps: Vec<Step>,
    /// Resources that exist already and are used as they are.
    pub unchanged: Vec<String>,
}

/// What the plan depends on besides the model and what is live.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub force: bool,
    pub canary: Option<u8>,
    pub secrets: Vec<String>,
    /// The static assets' manifest, when the worker has assets.
    pub assets: Option<super::assets::AssetSummary>,
}

/// A digest of everything a deploy sets: when it equals the live one, there is nothing to do.
pub fn fingerprint(worker: &Worker, bundle: &Bundle) -> String {
    let mut settings = serde_json::to_value(worker).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut settings {
        for local_only in ["manifest_path", "build", "package"] {
            map.remove(local_only);
        }
        if let Some(Value::Object(assets)) = map.get_mut("assets") {
            assets.remove("directory");
        }
        if let Some(Value::Object(d1)) = map.get_mut("d1") {
            for db in d1.values_mut() {
                db["migrations_dir"] = Value::Null;
            }
        }
    }
    let digest =
        Sha256::digest(json!({"bundle": bundle.content_hash, "settings": settings}).to_string());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

pub fn plan(
    worker: &Worker,
    bundle: &Bundle,
    account_id: &str,
    live: &Live,
    options: &Options,
) -> Plan {
    let fingerprint = fingerprint(worker, bundle);
    let up_to_date = !options.force
        && options.canary.is_none()
        && options.secrets.is_empty()
        && live.fingerprint.as_deref() == Some(fingerprint.as_str());
    let mut plan = Plan {
        worker: worker.name.clone(),
        account_id: account_id.to_string(),
        content_hash: bundle.content_hash.clone(),
        fingerprint: fingerprint.clone(),
        up_to_date,
        steps: Vec::new(),
        unchanged: Vec::new(),
    };
    if up_to_date {
        return plan;
    }
    provision(worker, live, &mut plan);
    upload(worker, live, options, &mut plan);
    if options.canary.is_none() {
        triggers(worker, &mut plan);
        consumers(worker, live, &mut plan);
    }
    plan.steps.extend(
        options
            .secrets
            .iter()
            .map(|name| Step::PutSecret { name: name.clone() }),
    );
    plan.steps.push(Step::RecordFingerprint { fingerprint });
    plan
}

/// Queues the worker needs to exist: those it produces to, consumes and dead-letters into.
pub fn queue_names(worker: &Worker) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = worker
        .queue_producers
        .values()
        .map(|p| p.queue.clone())
        .collect();
    for consumer in worker.queue_consumers.values() {
        names.insert(consumer.queue.clone());
        names.extend(consumer.dead_letter_queue.clone());
    }
    names
}

fn provision(worker: &Worker, live: &Live, plan: &mut Plan) {
    let mut check = |exists: bool, label: String, step: Step| {
        if exists {
            plan.unchanged.push(label);
        } else {
            plan.steps.push(step);
        }
    };
    let titles: BTreeSet<&String> = worker
        .kv
        .values()
        .filter(|kv| kv.id.is_none())
        .map(|kv| &kv.title)
        .collect();
    for title in titles {
        check(
            live.kv.contains_key(title),
            format!("KV namespace `{title}`"),
            Step::CreateKvNamespace {
                title: title.clone(),
            },
        );
    }
    let databases: BTreeSet<&String> = worker
        .d1
        .values()
        .filter(|db| db.id.is_none())
        .map(|db| &db.name)
        .collect();
    for name in databases {
        check(
            live.d1.contains_key(name),
            format!("D1 database `{name}`"),
            Step::CreateD1Database { name: name.clone() },
        );
    }
    let buckets: BTreeSet<&String> = worker.r2.values().map(|r2| &r2.bucket).collect();
    for name in buckets {
        check(
            live.r2.contains(name),
            format!("R2 bucket `{name}`"),
            Step::CreateR2Bucket { name: name.clone() },
        );
    }
    for name in queue_names(worker) {
        check(
            live.queues.contains_key(&name),
            format!("queue `{name}`"),
            Step::CreateQueue { name: name.clone() },
        );
    }
}

fn upload(worker: &Worker, live: &Live, options: &Options, plan: &mut Plan) {
    if let Some(summary) = &options.assets {
        plan.steps.push(Step::UploadAssets {
            files: summary.files,
            bytes: summary.bytes,
        });
    }
    if let Some(percentage) = options.canary {
        plan.steps.push(Step::UploadCanary { percentage });
        return;
    }
    let pending_from = match &live.migration_tag {
        Some(tag) => worker
            .migrations
            .iter()
            .position(|m| &m.tag == tag)
            .map_or(0, |i| i + 1),
        None => 0,
    };
    let new_tag = worker
        .migrations
        .get(pending_from..)
        .and_then(|pending| pending.last())
        .map(|m| m.tag.clone());
    plan.steps.push(Step::UploadScript {
        old_tag: live.migration_tag.clone().filter(|_| new_tag.is_some()),
        new_tag,
    });
}

fn triggers(worker: &Worker, plan: &mut Plan) {
    plan.steps.push(Step::PutSchedules {
        crons: worker.crons.clone(),
    });
    plan.steps.push(Step::PutRoutes {
        patterns: worker.routes.iter().map(|r| r.pattern.clone()).collect(),
    });
    plan.steps
        .extend(worker.domains.iter().map(|d| Step::PutDomain {
            hostname: d.clone(),
        }));
    plan.steps.push(Step::SetWorkersDev {
        enabled: worker.workers_dev,
    });
}

/// Attach new consumers, update changed ones and detach the ones the model no longer has.
fn consumers(worker: &Worker, live: &Live, plan: &mut Plan) {
    for (queue, consumer) in &worker.queue_consumers {
        let existing = live
            .queues
            .get(queue)
            .and_then(|q| ours(&q.consumers, &worker.name));
        match existing {
            None => plan.steps.push(Step::AttachConsumer {
                queue: queue.clone(),
            }),
            Some(live_consumer)
                if consumer_body(worker, consumer)["settings"] == live_consumer.settings
                    && live_consumer.dead_letter_queue == consumer.dead_letter_queue =>
            {
                plan.unchanged.push(format!("consumer of `{queue}`"))
            }
            Some(live_consumer) => plan.steps.push(Step::UpdateConsumer {
                queue: queue.clone(),
                consumer_id: live_consumer.consumer_id.clone(),
            }),
        }
    }
    for (queue, live_queue) in &live.queues {
        if worker.queue_consumers.contains_key(queue) {
            continue;
        }
        if let Some(stale) = ours(&live_queue.consumers, &worker.name) {
            plan.steps.push(Step::DetachConsumer {
                queue: queue.clone(),
                consumer_id: stale.consumer_id.clone(),
            });
        }
    }
}

fn ours<'a>(consumers: &'a [LiveConsumer], script: &str) -> Option<&'a LiveConsumer> {
    consumers.iter().find(|c| c.script() == Some(script))
}

/// The body Cloudflare takes to attach or update a worker consumer.
pub fn consumer_body(worker: &Worker, consumer: &QueueConsumer) -> Value {
    let mut settings = json!({
        "batch_size": consumer.max_batch_size,
        "max_retries": consumer.max_retries,
        "max_wait_time_ms": consumer.max_wait_ms,
        "retry_delay": consumer.retry_delay,
    });
    if let Some(concurrency) = consumer.max_concurrency {
        settings["max_concurrency"] = json!(concurrency);
    }
    let mut body = json!({"type": "worker", "script_name": worker.name, "settings": settings});
    if let Some(dlq) = &consumer.dead_letter_queue {
        body["dead_letter_queue"] = json!(dlq);
    }
    body
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
