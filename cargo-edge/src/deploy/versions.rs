//! Versions and what serves: `versions view`, `versions deploy ID@PCT…`, `rollback [ID]` to
//! any earlier version, `deployments status`. A rollback is a plan first (from what, to what,
//! what changes), so it can be confirmed, printed as JSON, or refused with the reason.

use reqwest::Method;
use serde::Serialize;
use serde_json::{json, Value};

use super::client::{Body, Client};
use super::error::DeployError;
use super::rollout::{current_versions, list_versions};

/// The stand-in's (guessed) code for a deployment across a Durable Object migration.
pub const MIGRATION_BETWEEN: i64 = 10217;

/// One version as a person reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionInfo {
    pub id: String,
    pub number: Option<u64>,
    pub created_on: String,
    pub tag: Option<String>,
    pub message: Option<String>,
    pub compatibility_date: Option<String>,
    /// `name (type)` of each binding.
    pub bindings: Vec<String>,
    pub etag: Option<String>,
}

impl VersionInfo {
    pub fn from_json(version: &Value) -> VersionInfo {
        let text = |v: &Value| v.as_str().map(str::to_string);
        let mut bindings: Vec<String> = version["resources"]["bindings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|b| {
                format!(
                    "{} ({})",
                    b["name"].as_str().unwrap_or("?"),
                    b["type"].as_str().unwrap_or("?")
                )
            })
            .collect();
        bindings.sort();
        VersionInfo {
            id: text(&version["id"]).unwrap_or_default(),
            number: version["number"].as_u64(),
            created_on: text(&version["metadata"]["created_on"]).unwrap_or_default(),
            tag: text(&version["annotations"]["workers/tag"]),
            message: text(&version["annotations"]["workers/message"]),
            compatibility_date: text(&version["resources"]["script_runtime"]["compatibility_date"]),
            bindings,
            etag: text(&version["resources"]["script"]["etag"]),
        }
    }
}

impl std::fmt::Display for VersionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let number = self.number.map(|n| format!("#{n} ")).unwrap_or_default();
        write!(f, "{number}{}  {}", self.id, self.created_on)?;
        if let Some(tag) = &self.tag {
            write!(f, "  tag {tag}")?;
        }
        if let Some(message) = &self.message {
            write!(f, "  \"{message}\"")?;
        }
        Ok(())
    }
}

/// `GET …/versions/{id}`, with "no such version" said plainly.
pub fn view(client: &Client, script: &str, id: &str) -> Result<VersionInfo, DeployError> {
    match client.call(Method::GET, &format!("{script}/versions/{id}"), Body::None) {
        Ok(version) => Ok(VersionInfo::from_json(&version)),
        Err(DeployError::Api(error)) if error.status == 404 => Err(DeployError::Rollout {
            message: format!("version `{id}` does not exist on this worker"),
            help: "`cargo edge versions list` shows its versions".into(),
        }),
        Err(error) => Err(error),
    }
}

/// `ID@PCT` (or a bare `ID`, meaning 100%).
pub fn parse_split(text: &str) -> Result<(String, f64), DeployError> {
    let bad = |why: &str| DeployError::Rollout {
        message: format!("`{text}` is not a version share: {why}"),
        help: "write VERSION_ID@PERCENT, e.g. 3f2c…@10 (percentages of the versions add up to 100)"
            .into(),
    };
    let (id, percent) = match text.split_once('@') {
        Some((id, percent)) => {
            let percent: f64 = percent
                .trim_end_matches('%')
                .parse()
                .map_err(|_| bad("the percentage is not a number"))?;
            (id, percent)
        }
        None => (text, 100.0),
    };
    if id.is_empty() {
        return Err(bad("the version id is empty"));
    }
    if !(0.0..=100.0).contains(&percent) {
        return Err(bad("the percentage is not between 0 and 100"));
    }
    Ok((id.to_string(), percent))
}

/// Deploy one or two versions by share; the shares must add up to 100.
pub fn deploy_versions(
    client: &Client,
    script: &str,
    split: &[(String, f64)],
    message: Option<&str>,
) -> Result<(), DeployError> {
    let total: f64 = split.iter().map(|(_, p)| p).sum();
    if split.is_empty() || split.len() > 2 || (total - 100.0).abs() > 1e-9 {
        return Err(DeployError::Rollout {
            message: format!(
                "a deployment is one or two versions whose percentages add up to 100 (these add up to {total})"
            ),
            help: "e.g. `cargo edge versions deploy NEW@10 OLD@90`".into(),
        });
    }
    let versions: Vec<Value> = split
        .iter()
        .map(|(id, p)| json!({"version_id": id, "percentage": p}))
        .collect();
    let message = message.unwrap_or("cargo edge versions deploy");
    let body = json!({"strategy": "percentage", "versions": versions, "annotations": {"workers/message": message}});
    post_deployment(client, script, &body)
}

fn post_deployment(client: &Client, script: &str, body: &Value) -> Result<(), DeployError> {
    match client.call(
        Method::POST,
        &format!("{script}/deployments?force=true"),
        Body::Json(body),
    ) {
        Ok(_) => Ok(()),
        Err(DeployError::Api(error)) if error.has_code(MIGRATION_BETWEEN) => {
            Err(DeployError::Rollout {
                message: format!(
                    "Cloudflare refused: {}",
                    error.errors.first().map_or("", |e| e.message.as_str())
                ),
                help: "a version made before a Durable Object migration cannot serve after it (its classes' storage has moved on); pick a version made since the last migration (`cargo edge versions list`), or deploy the old code anew with `cargo edge deploy`".into(),
            })
        }
        Err(error) => Err(error),
    }
}

/// What a rollback will do, before it does it.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackPlan {
    /// `(version id, percentage)` serving now.
    pub from: Vec<(String, f64)>,
    pub to: VersionInfo,
    /// What differs between the version serving most and the target, one line each.
    pub changes: Vec<String>,
}

/// Plan a rollback to `target`, or to the newest version older than the one serving most.
pub fn plan_rollback(
    client: &Client,
    script: &str,
    target: Option<&str>,
) -> Result<RollbackPlan, DeployError> {
    let from = current_versions(client, script)?;
    let Some((serving, _)) = from.first().cloned() else {
        return Err(not_deployed());
    };
    let versions: Vec<VersionInfo> = list_versions(client, script)?
        .iter()
        .map(VersionInfo::from_json)
        .collect();
    let current = versions.iter().find(|v| v.id == serving).cloned();
    let to = match target {
        Some(id) => versions
            .iter()
            .find(|v| v.id == id)
            .cloned()
            .ok_or_else(|| DeployError::Rollout {
                message: format!("version `{id}` does not exist on this worker"),
                help: "`cargo edge versions list` shows its versions".into(),
            })?,
        None => {
            let number = current.as_ref().and_then(|c| c.number).unwrap_or(u64::MAX);
            versions
                .iter()
                .find(|v| v.number.is_some_and(|n| n < number))
                .cloned()
                .ok_or_else(|| DeployError::Rollout {
                    message: "there is no version older than the one serving".into(),
                    help: "name the version to roll back to: `cargo edge rollback VERSION_ID`"
                        .into(),
                })?
        }
    };
    if from.len() == 1 && from[0].0 == to.id {
        return Err(DeployError::Rollout {
            message: format!("version `{}` already serves all traffic", to.id),
            help: "`cargo edge versions list` shows the others".into(),
        });
    }
    let changes = current.map(|c| changes(&c, &to)).unwrap_or_default();
    Ok(RollbackPlan { from, to, changes })
}

/// Run a planned rollback: the target at 100%.
pub fn rollback(
    client: &Client,
    script: &str,
    plan: &RollbackPlan,
    message: Option<&str>,
) -> Result<(), DeployError> {
    let message = message.unwrap_or("cargo edge rollback");
    let body = json!({
        "strategy": "percentage",
        "versions": [{"version_id": plan.to.id, "percentage": 100.0}],
        "annotations": {"workers/message": message},
    });
    post_deployment(client, script, &body)
}

/// The lines a confirmation shows: code, compatibility date, bindings added and removed.
fn changes(current: &VersionInfo, target: &VersionInfo) -> Vec<String> {
    let mut out = Vec::new();
    if current.etag != target.etag {
        out.push("code: the older version's modules replace the current ones".into());
    }
    if current.compatibility_date != target.compatibility_date {
        out.push(format!(
            "compatibility date: {} → {}",
            current.compatibility_date.as_deref().unwrap_or("none"),
            target.compatibility_date.as_deref().unwrap_or("none")
        ));
    }
    for binding in &current.bindings {
        if !target.bindings.contains(binding) {
            out.push(format!("binding {binding} goes away"));
        }
    }
    for binding in &target.bindings {
        if !current.bindings.contains(binding) {
            out.push(format!("binding {binding} comes back"));
        }
    }
    out
}

/// The deployment serving now, each version with its share.
#[derive(Debug, Clone, Serialize)]
pub struct DeploymentStatus {
    pub id: String,
    pub created_on: String,
    pub message: Option<String>,
    pub versions: Vec<(VersionInfo, f64)>,
}

/// `cargo edge deployments status`.
pub fn status(client: &Client, script: &str) -> Result<DeploymentStatus, DeployError> {
    let result = client.call(Method::GET, &format!("{script}/deployments"), Body::None)?;
    let latest = result["deployments"]
        .as_array()
        .and_then(|d| d.first())
        .cloned()
        .ok_or_else(not_deployed)?;
    let mut versions = Vec::new();
    for share in latest["versions"].as_array().into_iter().flatten() {
        let id = share["version_id"].as_str().unwrap_or_default();
        let percent = share["percentage"].as_f64().unwrap_or(0.0);
        versions.push((view(client, script, id)?, percent));
    }
    Ok(DeploymentStatus {
        id: latest["id"].as_str().unwrap_or_default().to_string(),
        created_on: latest["created_on"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        message: latest["annotations"]["workers/message"]
            .as_str()
            .map(str::to_string),
        versions,
    })
}

fn not_deployed() -> DeployError {
    DeployError::Rollout {
        message: "the worker has no deployment on Cloudflare".into(),
        help: "run `cargo edge deploy` first".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_parse_with_and_without_a_percentage() {
        assert_eq!(parse_split("abc@10").unwrap(), ("abc".into(), 10.0));
        assert_eq!(parse_split("abc@12.5%").unwrap(), ("abc".into(), 12.5));
        assert_eq!(parse_split("abc").unwrap(), ("abc".into(), 100.0));
        assert!(parse_split("abc@x").is_err());
        assert!(parse_split("abc@150").is_err());
        assert!(parse_split("@5").is_err());
    }

    #[test]
    fn changes_list_code_date_and_bindings() {
        let version = |etag: &str, date: &str, bindings: &[&str]| VersionInfo {
            id: "v".into(),
            number: Some(1),
            created_on: String::new(),
            tag: None,
            message: None,
            compatibility_date: Some(date.into()),
            bindings: bindings.iter().map(|b| b.to_string()).collect(),
            etag: Some(etag.into()),
        };
        let now = version(
            "b",
            "2025-06-01",
            &["CACHE (kv_namespace)", "NEW (plain_text)"],
        );
        let old = version("a", "2025-01-01", &["CACHE (kv_namespace)", "OLD (json)"]);
        assert_eq!(
            changes(&now, &old),
            [
                "code: the older version's modules replace the current ones",
                "compatibility date: 2025-06-01 → 2025-01-01",
                "binding NEW (plain_text) goes away",
                "binding OLD (json) comes back",
            ]
        );
        assert!(changes(&now, &now).is_empty());
    }
}
