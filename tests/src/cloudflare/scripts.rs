//! Script endpoints: upload (`PUT`), list, delete, settings and the services view that
//! carries the migration tag.

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::envelope::{
    json_body, ok, ApiError, ApiResult, LATEST_NOT_DEPLOYED, NOT_FOUND, SERVICE_NOT_FOUND,
};
use super::script::{handlers, Deployment, ScriptState, Version};
use super::state::{hex, lock, now, Account, Shared};
use super::upload::{self, Upload};
use super::{bindings, migrations};

/// `PUT /accounts/{a}/workers/scripts/{name}`: upload, apply migrations, and deploy the new
/// version to 100% of traffic.
pub async fn put(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
    request: Request,
) -> ApiResult {
    let upload = upload::read(request).await?;
    let mut state = lock(&shared);
    state
        .assets
        .deploy(&account_id, &name, &upload.metadata["assets"])?;
    let (version_id, deployment_id) = (state.uuid("version"), state.uuid("deployment"));
    let account = state.account(&account_id)?;
    let before = account.scripts.get(&name);
    if before
        .and_then(|s| s.deployments.last())
        .is_some_and(|d| d.versions.len() > 1)
    {
        return Err(ApiError::bad(
            LATEST_NOT_DEPLOYED,
            "A gradual deployment is in progress: deploy a single version at 100% before uploading with this endpoint",
        ));
    }
    let tag = before.and_then(|s| s.migration_tag.as_deref());
    let classes = before.map(|s| s.classes.clone()).unwrap_or_default();
    let applied = migrations::apply(tag, &classes, &upload.metadata["migrations"])?;
    let resolved = bindings::resolve(account, &name, before, &upload.metadata, &applied.classes)?;
    let number = before.map_or(0, |s| s.versions.len() as u64) + 1;
    let version = new_version(version_id, number, &upload, resolved.bindings)?;
    let time = now();
    let script = account
        .scripts
        .entry(name.clone())
        .or_insert_with(|| ScriptState::new(&name, &time));
    script.migration_tag = applied.tag;
    script.classes = applied.classes;
    script.secrets = resolved.secrets;
    script.modified_on = time.clone();
    script.deployments.push(Deployment {
        id: deployment_id,
        created_on: time,
        versions: vec![(version.id.clone(), 100.0)],
        annotations: json!({"workers/triggered_by": "upload"}),
        force: false,
    });
    script.versions.push(version);
    ok(script.summary())
}

/// A new version from an upload and its resolved bindings.
pub fn new_version(
    id: String,
    number: u64,
    upload: &Upload,
    bindings: Vec<Value>,
) -> Result<Version, ApiError> {
    let metadata = &upload.metadata;
    let annotations = match &metadata["annotations"] {
        Value::Null => json!({}),
        Value::Object(map) => {
            let known = ["workers/message", "workers/tag", "workers/alias"];
            if let Some(key) = map.keys().find(|k| !known.contains(&k.as_str())) {
                return Err(ApiError::invalid(format!("unknown annotation `{key}`")));
            }
            Value::Object(map.clone())
        }
        _ => return Err(ApiError::invalid("metadata.annotations must be an object")),
    };
    let mut hasher = Sha256::new();
    for module in &upload.modules {
        hasher.update(module.name.as_bytes());
        hasher.update([0]);
        hasher.update(&module.bytes);
    }
    let main = upload.modules.iter().find(|m| m.name == upload.main_module);
    Ok(Version {
        id,
        number,
        created_on: now(),
        main_module: upload.main_module.clone(),
        modules: upload.modules.clone(),
        metadata: metadata.clone(),
        bindings,
        etag: hex(&hasher.finalize()),
        handlers: handlers(main.map_or(&[][..], |m| &m.bytes)),
        annotations,
        compatibility_date: metadata["compatibility_date"].as_str().map(str::to_string),
        compatibility_flags: serde_json::from_value(metadata["compatibility_flags"].clone())
            .unwrap_or_default(),
    })
}

/// The script, or Cloudflare's 10007.
pub fn script_mut<'a>(
    account: &'a mut Account,
    name: &str,
) -> Result<&'a mut ScriptState, ApiError> {
    account
        .scripts
        .get_mut(name)
        .ok_or_else(|| missing_script(name))
}

pub fn missing_script(name: &str) -> ApiError {
    ApiError::not_found(
        NOT_FOUND,
        format!("This Worker does not exist on your account. (workers.api.error.script_not_found: {name})"),
    )
}

/// `GET /accounts/{a}/workers/scripts`.
pub async fn list(State(shared): State<Shared>, Path(account_id): Path<String>) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    ok(json!(account
        .scripts
        .values()
        .map(ScriptState::summary)
        .collect::<Vec<_>>()))
}

/// `DELETE /accounts/{a}/workers/scripts/{name}`: also drops its custom domains and its queue
/// consumers.
pub async fn delete(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    account
        .scripts
        .remove(&name)
        .ok_or_else(|| missing_script(&name))?;
    account.domains.retain(|d| d.service != name);
    for queue in &mut account.queues {
        queue.consumers.retain(|c| c.script_name != name);
    }
    ok(Value::Null)
}

/// `GET …/scripts/{name}/settings`: bindings of the live version and the settings.
pub async fn settings(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let script = script_mut(state.account(&account_id)?, &name)?;
    ok(script.settings_json())
}

/// `GET …/scripts/{name}/script-settings`.
pub async fn script_settings(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let script = script_mut(state.account(&account_id)?, &name)?;
    ok(script.settings.clone())
}

/// The body of `PATCH …/script-settings`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsPatch {
    logpush: Option<bool>,
    observability: Option<Value>,
    tail_consumers: Option<Vec<Value>>,
    tags: Option<Vec<String>>,
}

/// `PATCH …/scripts/{name}/script-settings`: change only the fields sent.
pub async fn patch_script_settings(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let patch: SettingsPatch = json_body(&headers, &body)?;
    let mut state = lock(&shared);
    let script = script_mut(state.account(&account_id)?, &name)?;
    if let Some(logpush) = patch.logpush {
        script.settings["logpush"] = json!(logpush);
    }
    if let Some(observability) = patch.observability {
        script.settings["observability"] = observability;
    }
    if let Some(tail) = patch.tail_consumers {
        script.settings["tail_consumers"] = json!(tail);
    }
    if let Some(tags) = patch.tags {
        script.settings["tags"] = json!(tags);
    }
    ok(script.settings.clone())
}

/// `GET /accounts/{a}/workers/services/{name}`: the default environment's script, with its
/// migration tag (10090 when there is no such worker).
pub async fn service(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    let script = account.scripts.get(&name).ok_or_else(|| {
        ApiError::not_found(SERVICE_NOT_FOUND, "workers.api.error.service_not_found")
    })?;
    let mut summary = script.summary();
    summary["tag"] = json!(script.migration_tag);
    ok(json!({
        "id": name,
        "created_on": script.created_on,
        "modified_on": script.modified_on,
        "default_environment": {
            "environment": "production",
            "created_on": script.created_on,
            "modified_on": script.modified_on,
            "script": summary,
        },
        "environments": [{"environment": "production"}],
    }))
}
