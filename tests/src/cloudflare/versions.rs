//! Versions and deployments: upload a version without deploying it, then deploy one or two
//! versions by percentage.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::bindings;
use super::envelope::{
    json_body, ok, paged_as, ApiError, ApiResult, MIGRATION_BETWEEN, MIGRATION_IN_VERSION,
    NOT_FOUND,
};
use super::script::{Deployment, Version};
use super::scripts::{new_version, script_mut};
use super::state::{lock, now, Shared};
use super::upload;

/// `POST …/scripts/{name}/versions`: a new version of an existing script, not deployed.
pub async fn upload(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
    request: Request,
) -> ApiResult {
    let upload = upload::read(request).await?;
    if !upload.metadata["migrations"].is_null() {
        return Err(ApiError::bad(
            MIGRATION_IN_VERSION,
            "Migrations are not supported with version uploads: upload the script with its migrations instead",
        ));
    }
    // VersionCreateParams.Metadata has no script-level settings.
    for setting in [
        "observability",
        "placement",
        "limits",
        "logpush",
        "tail_consumers",
        "tags",
    ] {
        if !upload.metadata[setting].is_null() {
            return Err(ApiError::invalid(format!(
                "Unexpected metadata field `{setting}`: it is a script setting, not part of a version"
            )));
        }
    }
    let mut state = lock(&shared);
    let version_id = state.uuid("version");
    let account = state.account(&account_id)?;
    script_mut(account, &name)?;
    let before = account.scripts.get(&name);
    let classes = before.map(|s| s.classes.clone()).unwrap_or_default();
    let resolved = bindings::resolve(account, &name, before, &upload.metadata, &classes)?;
    let script = script_mut(account, &name)?;
    let mut version = new_version(
        version_id,
        script.versions.len() as u64 + 1,
        &upload,
        resolved.bindings,
    )?;
    version.migration_tag = script.migration_tag.clone();
    script.secrets.extend(resolved.secrets);
    let answer = version.to_json();
    script.versions.push(version);
    ok(answer)
}

/// `GET …/scripts/{name}/versions`: newest first, paginated, under `result.items`.
pub async fn list(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let mut state = lock(&shared);
    let script = script_mut(state.account(&account_id)?, &name)?;
    let items: Vec<Value> = script.versions.iter().rev().map(Version::to_json).collect();
    paged_as(Some("items"), items, &query, 10, 100)
}

/// `GET …/scripts/{name}/versions/{id}`.
pub async fn get(
    State(shared): State<Shared>,
    Path((account_id, name, id)): Path<(String, String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let script = script_mut(state.account(&account_id)?, &name)?;
    let version = script
        .version(&id)
        .ok_or_else(|| ApiError::not_found(NOT_FOUND, format!("version {id} not found")))?;
    ok(version.to_json())
}

/// The body of `POST …/deployments`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDeployment {
    strategy: String,
    versions: Vec<DeployedVersion>,
    annotations: Option<HashMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeployedVersion {
    version_id: String,
    percentage: f64,
}

/// `POST …/scripts/{name}/deployments[?force=true]`: one or two existing versions whose
/// percentages add up to 100.
pub async fn deploy(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let request: NewDeployment = json_body(&headers, &body)?;
    check_deployment(&request)?;
    let mut state = lock(&shared);
    let id = state.uuid("deployment");
    let script = script_mut(state.account(&account_id)?, &name)?;
    for version in &request.versions {
        let Some(found) = script.version(&version.version_id) else {
            return Err(ApiError::bad(
                NOT_FOUND,
                format!(
                    "version {} does not exist on this worker",
                    version.version_id
                ),
            ));
        };
        if found.migration_tag != script.migration_tag {
            return Err(ApiError::bad(
                MIGRATION_BETWEEN,
                format!(
                    "version {} was made before a Durable Object migration that has since been applied; it cannot be deployed",
                    version.version_id
                ),
            ));
        }
    }
    let deployment = Deployment {
        id,
        created_on: now(),
        versions: request
            .versions
            .iter()
            .map(|v| (v.version_id.clone(), v.percentage))
            .collect(),
        annotations: json!(request.annotations.unwrap_or_default()),
        force: query.get("force").is_some_and(|f| f == "true"),
    };
    let answer = deployment.to_json();
    script.deployments.push(deployment);
    script.modified_on = now();
    ok(answer)
}

fn check_deployment(request: &NewDeployment) -> Result<(), ApiError> {
    if request.strategy != "percentage" {
        return Err(ApiError::invalid(format!(
            "unknown deployment strategy `{}`: only `percentage` exists",
            request.strategy
        )));
    }
    if request.versions.is_empty() || request.versions.len() > 2 {
        return Err(ApiError::invalid("a deployment has one or two versions"));
    }
    if request.versions.len() == 2
        && request.versions[0].version_id == request.versions[1].version_id
    {
        return Err(ApiError::invalid(
            "a deployment cannot list the same version twice",
        ));
    }
    if request
        .versions
        .iter()
        .any(|v| !(0.0..=100.0).contains(&v.percentage))
    {
        return Err(ApiError::invalid(
            "each percentage must be between 0 and 100",
        ));
    }
    let total: f64 = request.versions.iter().map(|v| v.percentage).sum();
    if (total - 100.0).abs() > 1e-9 {
        return Err(ApiError::invalid(format!(
            "the percentages of a deployment must add up to 100, not {total}"
        )));
    }
    Ok(())
}

/// `GET …/scripts/{name}/deployments`: newest first, under `result.deployments`.
pub async fn deployments(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let script = script_mut(state.account(&account_id)?, &name)?;
    let list: Vec<Value> = script
        .deployments
        .iter()
        .rev()
        .map(Deployment::to_json)
        .collect();
    ok(json!({ "deployments": list }))
}
