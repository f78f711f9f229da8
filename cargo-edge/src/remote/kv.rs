//! `cargo edge kv get|put|delete|list BINDING …`, `kv bulk put|delete FILE.json` and
//! `kv namespace list` against the account (Workers KV's REST API).

use std::io::Read;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::encode_segment;
use crate::deploy::client::{Body, Client};
use crate::deploy::error::DeployError;

/// Cloudflare's most keys per bulk request.
const BULK_LIMIT: usize = 10_000;

fn base(account: &str, namespace: &str) -> String {
    format!("/accounts/{account}/storage/kv/namespaces/{namespace}")
}

/// A key in a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Key {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// Every key (following the cursor), optionally under a prefix.
pub fn list(
    client: &Client,
    account: &str,
    namespace: &str,
    prefix: Option<&str>,
) -> Result<Vec<Key>, DeployError> {
    let mut keys = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut path = format!("{}/keys?limit=1000", base(account, namespace));
        if let Some(prefix) = prefix {
            path.push_str(&format!("&prefix={}", encode_segment(prefix)));
        }
        if !cursor.is_empty() {
            path.push_str(&format!("&cursor={}", encode_segment(&cursor)));
        }
        let response = client.call_raw(Method::GET, &path, Body::None)?;
        let page: Value = response.json().map_err(|e| decode(&path, e))?;
        let batch: Vec<Key> =
            serde_json::from_value(page["result"].clone()).map_err(|e| decode(&path, e))?;
        keys.extend(batch);
        cursor = page["result_info"]["cursor"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if cursor.is_empty() {
            return Ok(keys);
        }
    }
}

/// A value's bytes, or `None` when the key does not exist.
pub fn get(
    client: &Client,
    account: &str,
    namespace: &str,
    key: &str,
) -> Result<Option<Vec<u8>>, DeployError> {
    let path = format!(
        "{}/values/{}",
        base(account, namespace),
        encode_segment(key)
    );
    match client.call_raw(Method::GET, &path, Body::None) {
        Ok(mut response) => {
            let mut bytes = Vec::new();
            response
                .read_to_end(&mut bytes)
                .map_err(|e| decode(&path, e))?;
            Ok(Some(bytes))
        }
        Err(DeployError::Api(error)) if error.status == 404 => Ok(None),
        Err(error) => Err(error),
    }
}

/// Write a value, with an optional time to live in seconds.
pub fn put(
    client: &Client,
    account: &str,
    namespace: &str,
    key: &str,
    value: &[u8],
    ttl: Option<u64>,
) -> Result<(), DeployError> {
    let mut path = format!(
        "{}/values/{}",
        base(account, namespace),
        encode_segment(key)
    );
    if let Some(ttl) = ttl {
        path.push_str(&format!("?expiration_ttl={ttl}"));
    }
    client.call(
        Method::PUT,
        &path,
        Body::Bytes(value, "application/octet-stream"),
    )?;
    Ok(())
}

pub fn delete(
    client: &Client,
    account: &str,
    namespace: &str,
    key: &str,
) -> Result<(), DeployError> {
    let path = format!(
        "{}/values/{}",
        base(account, namespace),
        encode_segment(key)
    );
    client.call(Method::DELETE, &path, Body::None)?;
    Ok(())
}

/// One pair of `kv bulk put`: `[{"key", "value", "base64"?, "expiration"?, "expiration_ttl"?, "metadata"?}]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkPair {
    pub key: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_ttl: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// Read a bulk file: pairs for `put`, or (for `delete`) key strings or pairs whose keys are used.
pub fn read_bulk_file(path: &std::path::Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("could not read {}: {e}", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    if !value.is_array() {
        return Err(format!("{}: expected a JSON array", path.display()));
    }
    Ok(value)
}

pub fn parse_pairs(file: &std::path::Path, value: Value) -> Result<Vec<BulkPair>, String> {
    serde_json::from_value(value).map_err(|e| {
        format!("{}: each entry must be {{\"key\": …, \"value\": …}} (optional base64, expiration, expiration_ttl, metadata): {e}", file.display())
    })
}

pub fn parse_keys(file: &std::path::Path, value: Value) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    for (i, entry) in value.as_array().into_iter().flatten().enumerate() {
        match entry.as_str().or(entry["key"].as_str()) {
            Some(key) => keys.push(key.to_string()),
            None => {
                return Err(format!(
                    "{}: entry {i} is neither a key string nor {{\"key\": …}}",
                    file.display()
                ))
            }
        }
    }
    Ok(keys)
}

/// `PUT …/bulk`, in requests of at most 10 000 pairs; how many were written.
pub fn bulk_put(
    client: &Client,
    account: &str,
    namespace: &str,
    pairs: &[BulkPair],
) -> Result<usize, DeployError> {
    for chunk in pairs.chunks(BULK_LIMIT) {
        client.call(
            Method::PUT,
            &format!("{}/bulk", base(account, namespace)),
            Body::Json(&json!(chunk)),
        )?;
    }
    Ok(pairs.len())
}

/// `POST …/bulk/delete`, in requests of at most 10 000 keys; how many were deleted.
pub fn bulk_delete(
    client: &Client,
    account: &str,
    namespace: &str,
    keys: &[String],
) -> Result<usize, DeployError> {
    for chunk in keys.chunks(BULK_LIMIT) {
        client.call(
            Method::POST,
            &format!("{}/bulk/delete", base(account, namespace)),
            Body::Json(&json!(chunk)),
        )?;
    }
    Ok(keys.len())
}

/// `kv namespace list`: `(id, title)` of every namespace on the account.
pub fn namespaces(client: &Client, account: &str) -> Result<Vec<(String, String)>, DeployError> {
    let list: Vec<Value> = client.list(&format!("/accounts/{account}/storage/kv/namespaces"))?;
    Ok(list
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap_or_default().to_string(),
                n["title"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

fn decode(path: &str, error: impl std::fmt::Display) -> DeployError {
    DeployError::Decode {
        path: path.into(),
        message: error.to_string(),
    }
}
