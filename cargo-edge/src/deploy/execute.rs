//! Running a plan: one API call (or a few) per step, in order. A failure stops the deploy;
//! rerunning it converges, because every step is looked up before it is created.

use std::collections::BTreeMap;

use reqwest::blocking::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

use super::client::{Body, Client};
use super::error::DeployError;
use super::live::{Live, FINGERPRINT_TAG};
use super::plan::{consumer_body, Plan, Step};
use crate::bundle::Bundle;
use crate::model::{Worker, Zone};
use crate::render::upload::{self, ResourceIds};

/// Values only the executor needs: secret values, never in the plan.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub secrets: BTreeMap<String, String>,
}

/// What running the plan produced.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Outcome {
    pub steps_run: usize,
    pub requests: usize,
    pub created: Vec<String>,
    pub version_id: Option<String>,
    /// The static assets uploaded.
    pub assets: Option<super::assets::AssetsUpload>,
}

pub struct Executor<'a> {
    pub client: &'a Client,
    pub worker: &'a Worker,
    pub bundle: &'a Bundle,
    pub live: &'a Live,
    pub ids: ResourceIds,
    pub inputs: Inputs,
    pub outcome: Outcome,
    /// Ids of the queues this run created, by name.
    pub created_queues: BTreeMap<String, String>,
    /// The static assets' manifest, when the worker has assets.
    pub assets: Option<&'a crate::assets::AssetManifest>,
}

impl Executor<'_> {
    pub fn run(&mut self, plan: &Plan, mut progress: impl FnMut(&Step)) -> Result<(), DeployError> {
        self.ids.kv.extend(self.live.kv.clone());
        self.ids.d1.extend(self.live.d1.clone());
        for step in &plan.steps {
            progress(step);
            self.step(&plan.account_id, step)?;
            self.outcome.steps_run += 1;
        }
        Ok(())
    }

    fn script_path(&self, account: &str) -> String {
        format!("/accounts/{account}/workers/scripts/{}", self.worker.name)
    }

    fn step(&mut self, account: &str, step: &Step) -> Result<(), DeployError> {
        let script = self.script_path(account);
        let client = self.client;
        match step {
            Step::CreateKvNamespace { title } => {
                let result = client.call(
                    Method::POST,
                    &format!("/accounts/{account}/storage/kv/namespaces"),
                    Body::Json(&json!({"title": title})),
                )?;
                self.ids
                    .kv
                    .insert(title.clone(), string(&result, "id", "namespace id")?);
                self.outcome.created.push(format!("KV namespace `{title}`"));
            }
            Step::CreateD1Database { name } => {
                let result = client.call(
                    Method::POST,
                    &format!("/accounts/{account}/d1/database"),
                    Body::Json(&json!({"name": name})),
                )?;
                self.ids
                    .d1
                    .insert(name.clone(), string(&result, "uuid", "database uuid")?);
                self.outcome.created.push(format!("D1 database `{name}`"));
            }
            Step::CreateR2Bucket { name } => {
                client.call(
                    Method::POST,
                    &format!("/accounts/{account}/r2/buckets"),
                    Body::Json(&json!({"name": name})),
                )?;
                self.outcome.created.push(format!("R2 bucket `{name}`"));
            }
            Step::CreateQueue { name } => {
                let result = client.call(
                    Method::POST,
                    &format!("/accounts/{account}/queues"),
                    Body::Json(&json!({"queue_name": name})),
                )?;
                self.created_queues
                    .insert(name.clone(), string(&result, "queue_id", "queue id")?);
                self.outcome.created.push(format!("queue `{name}`"));
            }
            Step::UploadAssets { .. } => {
                if let Some(manifest) = self.assets {
                    let done = super::assets::upload(client, account, &self.worker.name, manifest)?;
                    self.outcome.assets = Some(done);
                }
            }
            Step::UploadScript { .. } => self.upload_script(&script)?,
            Step::UploadCanary { percentage } => self.upload_canary(&script, *percentage)?,
            Step::PutSchedules { crons } => {
                let body: Vec<Value> = crons.iter().map(|c| json!({"cron": c})).collect();
                client.call(
                    Method::PUT,
                    &format!("{script}/schedules"),
                    Body::Json(&json!(body)),
                )?;
            }
            Step::PutRoutes { .. } => {
                let body: Vec<Value> = self.worker.routes.iter().map(route_body).collect();
                client.call(
                    Method::PUT,
                    &format!("{script}/routes"),
                    Body::Json(&json!(body)),
                )?;
            }
            Step::PutDomain { hostname } => {
                let body = json!({"hostname": hostname, "service": self.worker.name, "environment": "production"});
                client.call(
                    Method::PUT,
                    &format!("/accounts/{account}/workers/domains"),
                    Body::Json(&body),
                )?;
            }
            Step::SetWorkersDev { enabled } => {
                let body = json!({"enabled": enabled, "previews_enabled": enabled});
                client.call(
                    Method::POST,
                    &format!("{script}/subdomain"),
                    Body::Json(&body),
                )?;
            }
            Step::AttachConsumer { queue } | Step::UpdateConsumer { queue, .. } => {
                self.consumer(account, step, queue)?
            }
            Step::DetachConsumer { queue, consumer_id } => {
                let queue_id = self.queue_id(account, queue)?;
                client.call(
                    Method::DELETE,
                    &format!("/accounts/{account}/queues/{queue_id}/consumers/{consumer_id}"),
                    Body::None,
                )?;
            }
            Step::PutSecret { name } => {
                let text = self.inputs.secrets.get(name).cloned().unwrap_or_default();
                let body = json!({"name": name, "text": text, "type": "secret_text"});
                client.call(Method::PUT, &format!("{script}/secrets"), Body::Json(&body))?;
            }
            Step::RecordFingerprint { fingerprint } => {
                let mut tags = self.live.other_tags.clone();
                tags.push(format!("{FINGERPRINT_TAG}{fingerprint}"));
                client.call(
                    Method::PATCH,
                    &format!("{script}/script-settings"),
                    Body::Json(&json!({"tags": tags})),
                )?;
            }
        }
        Ok(())
    }

    fn metadata(&self, old_tag: Option<&str>, with_migrations: bool) -> Result<Value, DeployError> {
        let rendered =
            upload::render(self.worker, self.bundle, &self.ids, old_tag).map_err(|e| {
                DeployError::Rollout {
                    message: e.to_string(),
                    help: "rerun with --force after checking the migrations in Cargo.toml".into(),
                }
            })?;
        let mut metadata = rendered.metadata;
        if let (Some(assets), Some(done)) = (&self.worker.assets, &self.outcome.assets) {
            metadata["assets"] = json!({"jwt": done.completion, "config": assets.upload_config()});
        }
        if !with_migrations {
            if let Value::Object(map) = &mut metadata {
                map.remove("migrations");
            }
        }
        Ok(metadata)
    }

    /// A full upload carries the migrations after the live tag (none when it is current).
    fn upload_script(&mut self, script: &str) -> Result<(), DeployError> {
        let live_tag = self.live.migration_tag.clone();
        let metadata = self.metadata(live_tag.as_deref(), true)?;
        let (form, description) = self.form(&metadata)?;
        let result = self
            .client
            .call(Method::PUT, script, Body::Multipart(&form, &description))?;
        self.outcome.version_id = result["id"].as_str().map(str::to_string);
        Ok(())
    }

    /// Upload a version and deploy it at `percentage` beside the version serving now.
    fn upload_canary(&mut self, script: &str, percentage: u8) -> Result<(), DeployError> {
        let current = super::rollout::current_versions(self.client, script)?;
        let Some(stable) = current.first().map(|(id, _)| id.clone()) else {
            return Err(DeployError::Rollout {
                message: format!(
                    "`{}` has no deployment to run a canary beside",
                    self.worker.name
                ),
                help: "deploy it once without --canary".into(),
            });
        };
        let metadata = self.metadata(None, false)?;
        let (form, description) = self.form(&metadata)?;
        let version = self.client.call(
            Method::POST,
            &format!("{script}/versions?bindings_inherit=strict"),
            Body::Multipart(&form, &description),
        )?;
        let version_id = string(&version, "id", "version id")?;
        super::rollout::deploy_split(self.client, script, &version_id, &stable, percentage)?;
        self.outcome.version_id = Some(version_id);
        Ok(())
    }

    /// The multipart form (metadata + one part per module) and how it is recorded.
    fn form(&self, metadata: &Value) -> Result<(impl Fn() -> Form + use<>, Value), DeployError> {
        let mut parts = Vec::new();
        for module in &self.bundle.modules {
            let path = self.bundle.module_path(module);
            let bytes = std::fs::read(&path).map_err(|e| DeployError::Io {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            parts.push((
                module.name.clone(),
                module.kind.upload_content_type(),
                bytes,
            ));
        }
        let description = json!({
            "metadata": metadata,
            "modules": self.bundle.modules.iter().map(|m| json!({"name": m.name, "content_type": m.kind.upload_content_type(), "size": m.size})).collect::<Vec<_>>(),
        });
        let metadata_text = metadata.to_string();
        let build = move || {
            let mut form = Form::new().percent_encode_noop().part(
                "metadata",
                Part::text(metadata_text.clone())
                    .mime_str("application/json")
                    .expect("valid mime"),
            );
            for (name, content_type, bytes) in &parts {
                let part = Part::bytes(bytes.clone())
                    .file_name(name.clone())
                    .mime_str(content_type)
                    .expect("valid mime");
                form = form.part(name.clone(), part);
            }
            form
        };
        Ok((build, description))
    }

    fn consumer(&mut self, account: &str, step: &Step, queue: &str) -> Result<(), DeployError> {
        let consumer = &self.worker.queue_consumers[queue];
        let body = consumer_body(self.worker, consumer);
        let queue_id = self.queue_id(account, queue)?;
        let path = format!("/accounts/{account}/queues/{queue_id}/consumers");
        match step {
            Step::UpdateConsumer { consumer_id, .. } => self.client.call(
                Method::PUT,
                &format!("{path}/{consumer_id}"),
                Body::Json(&body),
            )?,
            _ => self.client.call(Method::POST, &path, Body::Json(&body))?,
        };
        Ok(())
    }

    fn queue_id(&self, account: &str, queue: &str) -> Result<String, DeployError> {
        if let Some(live) = self.live.queues.get(queue) {
            return Ok(live.queue_id.clone());
        }
        if let Some(id) = self.created_queues.get(queue) {
            return Ok(id.clone());
        }
        let found = self.client.call(
            Method::GET,
            &format!("/accounts/{account}/queues?name={queue}"),
            Body::None,
        )?;
        let list = found.as_array().cloned().unwrap_or_default();
        list.iter()
            .find(|q| q["queue_name"] == queue)
            .and_then(|q| q["queue_id"].as_str().map(str::to_string))
            .ok_or_else(|| DeployError::Decode {
                path: format!("/queues?name={queue}"),
                message: "the queue was not found".into(),
            })
    }
}

fn route_body(route: &crate::model::Route) -> Value {
    match &route.zone {
        None => json!({"pattern": route.pattern}),
        Some(Zone::Name(zone)) => json!({"pattern": route.pattern, "zone_name": zone}),
        Some(Zone::Id(zone)) => json!({"pattern": route.pattern, "zone_id": zone}),
    }
}

fn string(value: &Value, key: &str, what: &str) -> Result<String, DeployError> {
    value[key]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| DeployError::Decode {
            path: key.into(),
            message: format!("no {what} in {value}"),
        })
}
