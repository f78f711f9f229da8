//! `cargo edge whoami`: is the token valid, which accounts it reaches, and which of the
//! permissions cargo-edge's commands need it has (and which `deploy` of this worker lacks).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{Auth, Body, Client};
use super::error::DeployError;
use crate::model::Worker;

/// The permission groups each command needs, as the dashboard names them.
pub const NEEDS: &[(&str, &[&str])] = &[
    (
        "deploy",
        &["Workers Scripts Write", "Account Settings Read"],
    ),
    ("deploy (KV namespaces)", &["Workers KV Storage Write"]),
    ("deploy (D1 databases)", &["D1 Write"]),
    ("deploy (R2 buckets)", &["Workers R2 Storage Write"]),
    ("deploy (queues)", &["Queues Write"]),
    ("deploy (routes)", &["Workers Routes Write"]),
    ("tail", &["Workers Tail Read"]),
    (
        "secret, versions, rollback, delete",
        &["Workers Scripts Write"],
    ),
    ("kv", &["Workers KV Storage Write"]),
    ("r2", &["Workers R2 Storage Write"]),
    ("d1", &["D1 Write"]),
    ("queues", &["Queues Write"]),
];

#[derive(Debug, Clone, Serialize)]
pub struct WhoAmI {
    /// `token` or `global key (EMAIL)`.
    pub credential: String,
    pub token_id: Option<String>,
    pub status: Option<String>,
    pub accounts: Vec<AccountInfo>,
    /// `None` when the token may not read its own policies.
    pub permissions: Option<Vec<String>>,
    /// What each command needs and whether the token has it.
    pub commands: Vec<CommandAccess>,
    /// Permissions `deploy` of the selected worker needs and the token lacks.
    pub missing_for_deploy: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountInfo {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommandAccess {
    pub command: String,
    pub needs: Vec<String>,
    /// `None` when the token's permissions are unknown.
    pub allowed: Option<bool>,
}

pub fn whoami(
    client: &Client,
    auth: &Auth,
    worker: Option<&Worker>,
) -> Result<WhoAmI, DeployError> {
    let (credential, token_id, status) = match auth {
        Auth::Token(_) => {
            let verified = client.call(Method::GET, "/user/tokens/verify", Body::None)?;
            let text = |key: &str| verified[key].as_str().map(str::to_string);
            ("token".to_string(), text("id"), text("status"))
        }
        Auth::Key { email, .. } => (format!("global API key ({email})"), None, None),
    };
    let accounts: Vec<AccountInfo> = client.list("/accounts")?;
    // A global key has no policies of its own: it can do whatever its user can.
    let permissions = match &token_id {
        Some(id) => token_permissions(client, id)?,
        None => None,
    };
    let commands = NEEDS
        .iter()
        .map(|(command, needs)| CommandAccess {
            command: command.to_string(),
            needs: needs.iter().map(|n| n.to_string()).collect(),
            allowed: permissions
                .as_ref()
                .map(|have| needs.iter().all(|n| has(have, n))),
        })
        .collect();
    let missing_for_deploy = match &permissions {
        Some(have) => deploy_needs(worker)
            .into_iter()
            .filter(|n| !has(have, n))
            .map(str::to_string)
            .collect(),
        None => Vec::new(),
    };
    Ok(WhoAmI {
        credential,
        token_id,
        status,
        accounts,
        permissions,
        commands,
        missing_for_deploy,
    })
}

/// The token's permission groups, or `None` when it may not read itself (9109 / 403).
fn token_permissions(client: &Client, id: &str) -> Result<Option<Vec<String>>, DeployError> {
    let token = match client.call(Method::GET, &format!("/user/tokens/{id}"), Body::None) {
        Ok(token) => token,
        Err(DeployError::Api(error)) if error.status == 403 || error.has_code(9109) => {
            return Ok(None)
        }
        Err(error) => return Err(error),
    };
    let mut names: Vec<String> = token["policies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["effect"] == "allow")
        .flat_map(|p| {
            p["permission_groups"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|g: Value| g["name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    Ok(Some(names))
}

/// "Write" includes "Read" of the same group.
fn has(have: &[String], need: &str) -> bool {
    have.iter().any(|h| h == need)
        || need
            .strip_suffix(" Read")
            .is_some_and(|base| have.iter().any(|h| *h == format!("{base} Write")))
}

/// What `deploy` of `worker` needs (every kind when no worker is selected).
pub fn deploy_needs(worker: Option<&Worker>) -> Vec<&'static str> {
    let mut needs = vec!["Workers Scripts Write", "Account Settings Read"];
    let Some(worker) = worker else {
        needs.extend([
            "Workers KV Storage Write",
            "D1 Write",
            "Workers R2 Storage Write",
            "Queues Write",
            "Workers Routes Write",
        ]);
        return needs;
    };
    if !worker.kv.is_empty() {
        needs.push("Workers KV Storage Write");
    }
    if !worker.d1.is_empty() {
        needs.push("D1 Write");
    }
    if !worker.r2.is_empty() {
        needs.push("Workers R2 Storage Write");
    }
    if !worker.queue_producers.is_empty() || !worker.queue_consumers.is_empty() {
        needs.push("Queues Write");
    }
    if !worker.routes.is_empty() || !worker.domains.is_empty() {
        needs.push("Workers Routes Write");
    }
    needs
}

impl std::fmt::Display for WhoAmI {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.token_id, &self.status) {
            (Some(id), Some(status)) => {
                writeln!(f, "Authenticated with an API token ({id}, {status})")?
            }
            _ => writeln!(f, "Authenticated with a {}", self.credential)?,
        }
        writeln!(f, "Accounts:")?;
        for account in &self.accounts {
            writeln!(f, "  {}  {}", account.id, account.name)?;
        }
        let Some(permissions) = &self.permissions else {
            return writeln!(
                f,
                "Permissions: unknown (the token may not read its own policies; add \"API Tokens Read\" to see them here)"
            );
        };
        writeln!(f, "Permissions: {}", permissions.join(", "))?;
        for command in &self.commands {
            let mark = if command.allowed == Some(true) {
                "ok     "
            } else {
                "missing"
            };
            writeln!(
                f,
                "  {mark}  {:<36} {}",
                command.command,
                command.needs.join(", ")
            )?;
        }
        if self.missing_for_deploy.is_empty() {
            writeln!(f, "deploy: the token has every permission it needs")
        } else {
            writeln!(f, "deploy: missing {}", self.missing_for_deploy.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_implies_read() {
        let have = vec!["Workers Scripts Write".to_string()];
        assert!(has(&have, "Workers Scripts Read"));
        assert!(has(&have, "Workers Scripts Write"));
        assert!(!has(&have, "D1 Write"));
    }
}
