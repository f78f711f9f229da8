//! Secrets of a script. As on Cloudflare, setting or deleting one makes a new version of the
//! live one and deploys it.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::bindings::secret_binding;
use super::envelope::{json_body, ok, ApiError, ApiResult, SECRET_NOT_FOUND};
use super::script::{Deployment, ScriptState};
use super::scripts::{missing_script, script_mut};
use super::state::{lock, now, Shared};

/// The body of `PUT …/secrets`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSecret {
    name: String,
    text: String,
    #[serde(rename = "type")]
    kind: String,
}

/// Names of the live version's secret bindings.
pub fn names(script: &ScriptState) -> Vec<String> {
    script
        .live()
        .map(|v| {
            v.bindings
                .iter()
                .filter(|b| b["type"] == "secret_text")
                .filter_map(|b| b["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `PUT …/scripts/{name}/secrets {name, text, type: "secret_text"}`.
pub async fn put(
    State(shared): State<Shared>,
    Path((account_id, script_name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let secret: NewSecret = json_body(&headers, &body)?;
    if secret.kind != "secret_text" {
        return Err(ApiError::invalid(format!(
            "unsupported secret type `{}`",
            secret.kind
        )));
    }
    if secret.name.is_empty() {
        return Err(ApiError::invalid("a secret needs a name"));
    }
    let mut state = lock(&shared);
    let ids = (state.uuid("version"), state.uuid("deployment"));
    let script = script_mut(state.account(&account_id)?, &script_name)?;
    let name = secret.name.clone();
    redeploy(script, ids, "secret", |bindings| {
        bindings.retain(|b| b["name"] != name.as_str());
        bindings.push(secret_binding(&name));
        Ok(())
    })?;
    script.secrets.insert(secret.name.clone(), secret.text);
    ok(json!({"name": secret.name, "type": "secret_text"}))
}

/// `GET …/scripts/{name}/secrets`: names and types, never values.
pub async fn list(
    State(shared): State<Shared>,
    Path((account_id, script_name)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let script = script_mut(state.account(&account_id)?, &script_name)?;
    let list: Vec<Value> = names(script)
        .into_iter()
        .map(|name| json!({"name": name, "type": "secret_text"}))
        .collect();
    ok(json!(list))
}

/// `DELETE …/scripts/{name}/secrets/{secret}`.
pub async fn delete(
    State(shared): State<Shared>,
    Path((account_id, script_name, secret)): Path<(String, String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let ids = (state.uuid("version"), state.uuid("deployment"));
    let script = script_mut(state.account(&account_id)?, &script_name)?;
    redeploy(script, ids, "secret", |bindings| {
        let before = bindings.len();
        bindings.retain(|b| !(b["name"] == secret.as_str() && b["type"] == "secret_text"));
        if bindings.len() == before {
            return Err(ApiError::not_found(
                SECRET_NOT_FOUND,
                format!("secret `{secret}` not found"),
            ));
        }
        Ok(())
    })?;
    script.secrets.remove(&secret);
    ok(Value::Null)
}

/// Copy the live version with changed bindings and deploy the copy at 100%.
fn redeploy(
    script: &mut ScriptState,
    (version_id, deployment_id): (String, String),
    trigger: &str,
    change: impl FnOnce(&mut Vec<Value>) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    let mut version = script
        .live()
        .cloned()
        .ok_or_else(|| missing_script(&script.name))?;
    change(&mut version.bindings)?;
    version.id = version_id;
    version.number = script.versions.len() as u64 + 1;
    version.created_on = now();
    version.annotations = json!({"workers/triggered_by": trigger});
    script.deployments.push(Deployment {
        id: deployment_id,
        created_on: now(),
        versions: vec![(version.id.clone(), 100.0)],
        annotations: json!({"workers/triggered_by": trigger}),
        force: false,
    });
    script.versions.push(version);
    Ok(())
}
