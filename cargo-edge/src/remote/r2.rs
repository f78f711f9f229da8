//! `cargo edge r2 get|put|delete|list BINDING …` against the account. Objects stream: a get
//! copies the response body to its destination as it arrives and a put sends the file from disk
//! (opened again for a retry), so a large object is never held in memory.

use std::io::Write;
use std::path::Path;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::encode_segment;
use crate::deploy::client::{Body, Client};
use crate::deploy::error::DeployError;

/// An object key in a URL: each `/`-separated segment encoded, the separators kept.
fn object_path(account: &str, bucket: &str, key: &str) -> String {
    let key: Vec<String> = key.split('/').map(encode_segment).collect();
    format!(
        "/accounts/{account}/r2/buckets/{bucket}/objects/{}",
        key.join("/")
    )
}

/// Stream object `key` into `out`; its size, or `None` when there is no such object.
pub fn get(
    client: &Client,
    account: &str,
    bucket: &str,
    key: &str,
    out: &mut dyn Write,
) -> Result<Option<u64>, DeployError> {
    let path = object_path(account, bucket, key);
    match client.call_raw(Method::GET, &path, Body::None) {
        Ok(mut response) => {
            let copied = std::io::copy(&mut response, out).map_err(|e| DeployError::Io {
                path: key.into(),
                message: e.to_string(),
            })?;
            Ok(Some(copied))
        }
        Err(DeployError::Api(error)) if error.status == 404 && !error.has_code(10006) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Upload `file` as `key`, streamed from disk.
pub fn put_file(
    client: &Client,
    account: &str,
    bucket: &str,
    key: &str,
    file: &Path,
    content_type: &str,
) -> Result<(), DeployError> {
    client.call_raw(
        Method::PUT,
        &object_path(account, bucket, key),
        Body::File(file, content_type),
    )?;
    Ok(())
}

/// Upload bytes already in memory (standard input) as `key`.
pub fn put_bytes(
    client: &Client,
    account: &str,
    bucket: &str,
    key: &str,
    bytes: &[u8],
    content_type: &str,
) -> Result<(), DeployError> {
    client.call_raw(
        Method::PUT,
        &object_path(account, bucket, key),
        Body::Bytes(bytes, content_type),
    )?;
    Ok(())
}

pub fn delete(client: &Client, account: &str, bucket: &str, key: &str) -> Result<(), DeployError> {
    client.call(
        Method::DELETE,
        &object_path(account, bucket, key),
        Body::None,
    )?;
    Ok(())
}

/// An object in a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Object {
    pub key: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub etag: String,
    #[serde(default)]
    pub last_modified: String,
}

/// Every object (following the cursor), optionally under a prefix.
pub fn list(
    client: &Client,
    account: &str,
    bucket: &str,
    prefix: Option<&str>,
) -> Result<Vec<Object>, DeployError> {
    let mut objects = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut path = format!("/accounts/{account}/r2/buckets/{bucket}/objects?per_page=1000");
        if let Some(prefix) = prefix {
            path.push_str(&format!("&prefix={}", encode_segment(prefix)));
        }
        if !cursor.is_empty() {
            path.push_str(&format!("&cursor={}", encode_segment(&cursor)));
        }
        let response = client.call_raw(Method::GET, &path, Body::None)?;
        let page: Value = response.json().map_err(|e| DeployError::Decode {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let batch: Vec<Object> =
            serde_json::from_value(page["result"].clone()).map_err(|e| DeployError::Decode {
                path: path.clone(),
                message: e.to_string(),
            })?;
        objects.extend(batch);
        let info = &page["result_info"];
        cursor = info["cursor"].as_str().unwrap_or_default().to_string();
        if cursor.is_empty() || info["is_truncated"] == false {
            return Ok(objects);
        }
    }
}
