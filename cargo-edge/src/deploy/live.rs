//! What is on Cloudflare now, read with GETs only: the worker's fingerprint and migration tag,
//! and the account's KV namespaces, D1 databases, R2 buckets and queues.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::client::{Body, Client};
use super::error::DeployError;

/// The tag prefix that carries the fingerprint of what cargo-edge last deployed.
pub const FINGERPRINT_TAG: &str = "cargo-edge-fp-";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Live {
    pub script_exists: bool,
    pub fingerprint: Option<String>,
    pub migration_tag: Option<String>,
    /// Other tags on the script, kept when the fingerprint is rewritten.
    pub other_tags: Vec<String>,
    pub kv: BTreeMap<String, String>,
    pub d1: BTreeMap<String, String>,
    pub r2: BTreeSet<String>,
    pub queues: BTreeMap<String, LiveQueue>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LiveQueue {
    pub queue_id: String,
    #[serde(default)]
    pub consumers: Vec<LiveConsumer>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LiveConsumer {
    #[serde(default)]
    pub consumer_id: String,
    #[serde(default)]
    pub script_name: Option<String>,
    /// Some API versions name the consuming script `script`.
    #[serde(default)]
    pub script: Option<String>,
    #[serde(default)]
    pub dead_letter_queue: Option<String>,
    #[serde(default)]
    pub settings: Value,
}

impl LiveConsumer {
    /// The script consuming, whichever field the API used.
    pub fn script(&self) -> Option<&str> {
        self.script_name.as_deref().or(self.script.as_deref())
    }
}

/// Read the worker's own state: one request when it exists and has no migrations.
pub fn read_script(
    client: &Client,
    account: &str,
    script: &str,
    needs_tag: bool,
) -> Result<Live, DeployError> {
    let mut live = Live::default();
    let settings = match client.call(
        Method::GET,
        &format!("/accounts/{account}/workers/scripts/{script}/script-settings"),
        Body::None,
    ) {
        Ok(settings) => settings,
        Err(DeployError::Api(error)) if error.status == 404 || error.has_code(10007) => {
            return Ok(live)
        }
        Err(error) => return Err(error),
    };
    live.script_exists = true;
    for tag in settings["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        match tag.strip_prefix(FINGERPRINT_TAG) {
            Some(fingerprint) => live.fingerprint = Some(fingerprint.to_string()),
            None => live.other_tags.push(tag.to_string()),
        }
    }
    if needs_tag {
        read_migration_tag(client, account, script, &mut live)?;
    }
    Ok(live)
}

/// The live worker's Durable Object migration tag.
pub fn read_migration_tag(
    client: &Client,
    account: &str,
    script: &str,
    live: &mut Live,
) -> Result<(), DeployError> {
    let service = client.call(
        Method::GET,
        &format!("/accounts/{account}/workers/services/{script}"),
        Body::None,
    )?;
    let script_info = &service["default_environment"]["script"];
    live.migration_tag = script_info["migration_tag"]
        .as_str()
        .or(script_info["tag"].as_str())
        .map(str::to_string);
    Ok(())
}

/// Which kinds of resources the worker needs looked up.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    pub kv: bool,
    pub d1: bool,
    pub r2: bool,
    pub queues: bool,
}

/// Read the account's resources of the kinds the worker uses (one list per kind).
pub fn read_resources(
    client: &Client,
    account: &str,
    needs: Needs,
    live: &mut Live,
) -> Result<(), DeployError> {
    #[derive(Deserialize)]
    struct Kv {
        id: String,
        title: String,
    }
    #[derive(Deserialize)]
    struct D1 {
        uuid: String,
        name: String,
    }
    #[derive(Deserialize)]
    struct Queue {
        queue_id: String,
        queue_name: String,
        #[serde(default)]
        consumers: Option<Vec<LiveConsumer>>,
    }
    if needs.kv {
        let namespaces: Vec<Kv> =
            client.list(&format!("/accounts/{account}/storage/kv/namespaces"))?;
        live.kv = namespaces.into_iter().map(|n| (n.title, n.id)).collect();
    }
    if needs.d1 {
        let databases: Vec<D1> = client.list(&format!("/accounts/{account}/d1/database"))?;
        live.d1 = databases.into_iter().map(|d| (d.name, d.uuid)).collect();
    }
    if needs.r2 {
        let result = client.call(
            Method::GET,
            &format!("/accounts/{account}/r2/buckets"),
            Body::None,
        )?;
        let buckets = result["buckets"].as_array().cloned().unwrap_or_default();
        live.r2 = buckets
            .iter()
            .filter_map(|b| b["name"].as_str().map(str::to_string))
            .collect();
    }
    if needs.queues {
        let queues: Vec<Queue> = client.list(&format!("/accounts/{account}/queues"))?;
        for queue in queues {
            let consumers = match queue.consumers {
                Some(consumers) => consumers,
                None => client.list(&format!(
                    "/accounts/{account}/queues/{}/consumers",
                    queue.queue_id
                ))?,
            };
            live.queues.insert(
                queue.queue_name,
                LiveQueue {
                    queue_id: queue.queue_id,
                    consumers,
                },
            );
        }
    }
    Ok(())
}

/// The account to deploy to: configured, from the environment, or the token's only one.
pub fn resolve_account(client: &Client, configured: Option<&str>) -> Result<String, DeployError> {
    if let Some(account) = configured {
        return Ok(account.to_string());
    }
    if let Some(account) = std::env::var("CLOUDFLARE_ACCOUNT_ID")
        .ok()
        .filter(|a| !a.is_empty())
    {
        return Ok(account);
    }
    #[derive(Deserialize)]
    struct Account {
        id: String,
        #[serde(default)]
        name: String,
    }
    let accounts: Vec<Account> = client.list("/accounts")?;
    match accounts.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(DeployError::NoAccount),
        many => Err(DeployError::SeveralAccounts {
            accounts: many
                .iter()
                .map(|a| format!("{} ({})", a.name, a.id))
                .collect(),
        }),
    }
}
