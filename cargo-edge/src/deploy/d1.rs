//! D1 migrations applied to a database on Cloudflare, tracked in a `d1_migrations` table the
//! way wrangler tracks them, so either tool sees what the other applied.

use reqwest::Method;
use serde_json::{json, Value};

use super::client::{Body, Client};
use super::error::DeployError;
use crate::dev::migrations::Migration;

const TRACKING_TABLE: &str = "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)";

fn query(
    client: &Client,
    account: &str,
    uuid: &str,
    sql: &str,
    params: Value,
) -> Result<Value, DeployError> {
    let body = json!({"sql": sql, "params": params});
    client.call(
        Method::POST,
        &format!("/accounts/{account}/d1/database/{uuid}/query"),
        Body::Json(&body),
    )
}

/// The database's uuid: the pinned id, or found by name.
pub fn database_id(
    client: &Client,
    account: &str,
    name: &str,
    pinned: Option<&str>,
) -> Result<String, DeployError> {
    if let Some(id) = pinned {
        return Ok(id.to_string());
    }
    let found = client.call(
        Method::GET,
        &format!("/accounts/{account}/d1/database?name={name}"),
        Body::None,
    )?;
    found
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["name"] == name)
        .and_then(|d| d["uuid"].as_str().map(str::to_string))
        .ok_or_else(|| DeployError::Rollout {
            message: format!("D1 database `{name}` does not exist on Cloudflare"),
            help: "deploy the worker once (`cargo edge deploy`) to create it".into(),
        })
}

/// Apply every migration not yet recorded, in order; returns the names applied.
pub fn apply_remote(
    client: &Client,
    account: &str,
    uuid: &str,
    migrations: &[Migration],
) -> Result<Vec<String>, DeployError> {
    query(client, account, uuid, TRACKING_TABLE, json!([]))?;
    let result = query(
        client,
        account,
        uuid,
        "SELECT name FROM d1_migrations ORDER BY id",
        json!([]),
    )?;
    let applied: Vec<String> = result
        .as_array()
        .and_then(|statements| statements.first())
        .and_then(|s| s["results"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|row| row["name"].as_str().map(str::to_string))
        .collect();
    let mut done = Vec::new();
    for migration in migrations.iter().filter(|m| !applied.contains(&m.name)) {
        let sql = std::fs::read_to_string(&migration.path).map_err(|e| DeployError::Io {
            path: migration.path.display().to_string(),
            message: e.to_string(),
        })?;
        query(client, account, uuid, &sql, json!([]))?;
        query(
            client,
            account,
            uuid,
            "INSERT INTO d1_migrations (name) VALUES (?1)",
            json!([migration.name]),
        )?;
        done.push(migration.name.clone());
    }
    Ok(done)
}
