//! `cargo edge queues list`, `queues info NAME` and `queues purge NAME` against the account.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::deploy::client::{Body, Client};
use crate::deploy::error::DeployError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueInfo {
    pub queue_id: String,
    pub queue_name: String,
    #[serde(default)]
    pub created_on: String,
    #[serde(default)]
    pub producers: Vec<Value>,
    #[serde(default)]
    pub consumers: Vec<Value>,
}

impl std::fmt::Display for QueueInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}  {}", self.queue_name, self.queue_id)?;
        writeln!(f, "  created    {}", self.created_on)?;
        let scripts = |list: &[Value]| {
            let names: Vec<String> = list
                .iter()
                .filter_map(|c| {
                    c["script_name"]
                        .as_str()
                        .or(c["script"].as_str())
                        .or(c["service"].as_str())
                        .map(str::to_string)
                })
                .collect();
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        };
        writeln!(f, "  producers  {}", scripts(&self.producers))?;
        write!(f, "  consumers  {}", scripts(&self.consumers))?;
        for consumer in &self.consumers {
            let settings = &consumer["settings"];
            write!(
                f,
                "\n    batch size {}, max wait {} ms, max retries {}, dead letter queue {}",
                settings["batch_size"],
                settings["max_wait_time_ms"],
                settings["max_retries"],
                consumer["dead_letter_queue"].as_str().unwrap_or("none")
            )?;
        }
        Ok(())
    }
}

/// Every queue on the account (every page).
pub fn list(client: &Client, account: &str) -> Result<Vec<QueueInfo>, DeployError> {
    client.list(&format!("/accounts/{account}/queues"))
}

/// One queue with its consumers.
pub fn info(client: &Client, account: &str, queue_id: &str) -> Result<QueueInfo, DeployError> {
    let queue = client.call(
        Method::GET,
        &format!("/accounts/{account}/queues/{queue_id}"),
        Body::None,
    )?;
    let mut info: QueueInfo = serde_json::from_value(queue).map_err(|e| DeployError::Decode {
        path: queue_id.into(),
        message: e.to_string(),
    })?;
    if info.consumers.is_empty() {
        info.consumers =
            client.list(&format!("/accounts/{account}/queues/{queue_id}/consumers"))?;
    }
    Ok(info)
}

/// `POST …/purge {delete_messages_permanently: true}`, then wait until `GET …/purge` says done.
pub fn purge(client: &Client, account: &str, queue_id: &str) -> Result<(), DeployError> {
    let path = format!("/accounts/{account}/queues/{queue_id}/purge");
    client.call(
        Method::POST,
        &path,
        Body::Json(&json!({"delete_messages_permanently": true})),
    )?;
    for _ in 0..120 {
        let status = client.call(Method::GET, &path, Body::None)?;
        if status["completed"] == true || status["completed"] == "true" {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    Err(DeployError::Rollout {
        message: "the purge did not complete in 30 seconds".into(),
        help: "`cargo edge queues info` shows the queue; purge again later".into(),
    })
}
