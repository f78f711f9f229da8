//! Gradual rollouts: a canary beside the stable version, then promote, set or roll back.
//! Cloudflare serves at most two versions at once and their percentages total 100.

use reqwest::Method;
use serde::Serialize;
use serde_json::{json, Value};

use super::client::{Body, Client};
use super::error::DeployError;

/// The versions serving now, as `(version_id, percentage)`, largest share first.
pub fn current_versions(client: &Client, script: &str) -> Result<Vec<(String, f64)>, DeployError> {
    let result = client.call(Method::GET, &format!("{script}/deployments"), Body::None)?;
    let deployments = result.get("deployments").cloned().unwrap_or(result);
    let latest = deployments
        .as_array()
        .and_then(|d| d.first())
        .cloned()
        .unwrap_or(Value::Null);
    let mut versions: Vec<(String, f64)> = latest["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| {
            Some((
                v["version_id"].as_str()?.to_string(),
                v["percentage"].as_f64()?,
            ))
        })
        .collect();
    versions.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(versions)
}

/// Deploy `canary` at `percentage` and `stable` at the rest.
pub fn deploy_split(
    client: &Client,
    script: &str,
    canary: &str,
    stable: &str,
    percentage: u8,
) -> Result<(), DeployError> {
    if percentage == 0 || percentage > 100 {
        return Err(DeployError::Rollout {
            message: format!("a canary of {percentage}% is not possible"),
            help: "give a percentage from 1 to 100".into(),
        });
    }
    let mut versions = vec![json!({"version_id": canary, "percentage": percentage})];
    if percentage < 100 && canary != stable {
        versions.push(json!({"version_id": stable, "percentage": 100 - percentage}));
    }
    let body = json!({"strategy": "percentage", "versions": versions, "annotations": {"workers/message": "cargo edge rollout"}});
    client.call(
        Method::POST,
        &format!("{script}/deployments"),
        Body::Json(&body),
    )?;
    Ok(())
}

/// What `cargo edge rollout` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollout {
    /// The canary to 100%.
    Promote,
    /// The canary to N%.
    Set(u8),
    /// The stable version back to 100%.
    Rollback,
}

#[derive(Debug, Clone, Serialize)]
pub struct RolloutResult {
    pub versions: Vec<(String, u8)>,
}

/// The canary is the version with the smaller share (the newer one after `deploy --canary`).
pub fn rollout(
    client: &Client,
    script: &str,
    action: Rollout,
) -> Result<RolloutResult, DeployError> {
    let current = current_versions(client, script)?;
    let (stable, canary) = match current.as_slice() {
        [(stable, _), (canary, _)] => (stable.clone(), canary.clone()),
        _ => {
            return Err(DeployError::Rollout {
                message: "no rollout is in progress: one version serves all traffic".into(),
                help: "start one with `cargo edge deploy --canary 10`".into(),
            })
        }
    };
    let (version, percentage) = match action {
        Rollout::Promote => (&canary, 100),
        Rollout::Set(percentage) => (&canary, percentage),
        Rollout::Rollback => (&stable, 100),
    };
    let other = if version == &canary { &stable } else { &canary };
    deploy_split(client, script, version, other, percentage)?;
    let mut versions = vec![(version.clone(), percentage)];
    if percentage < 100 {
        versions.push((other.clone(), 100 - percentage));
    }
    Ok(RolloutResult { versions })
}

/// `cargo edge versions list`: newest first, every page.
pub fn list_versions(client: &Client, script: &str) -> Result<Vec<Value>, DeployError> {
    client.list_in(&format!("{script}/versions"), Some("items"))
}

/// `cargo edge deployments list`: newest first.
pub fn list_deployments(client: &Client, script: &str) -> Result<Vec<Value>, DeployError> {
    let result = client.call(Method::GET, &format!("{script}/deployments"), Body::None)?;
    Ok(result
        .get("deployments")
        .cloned()
        .unwrap_or(result)
        .as_array()
        .cloned()
        .unwrap_or_default())
}
