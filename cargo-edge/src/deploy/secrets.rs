//! `cargo edge secret put|list|delete`: secrets set on the live worker, values from stdin.

use reqwest::Method;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::client::{Body, Client};
use super::error::DeployError;

fn path(account: &str, script: &str) -> String {
    format!("/accounts/{account}/workers/scripts/{script}/secrets")
}

/// Set one secret. The value is sent once and never printed.
pub fn put(
    client: &Client,
    account: &str,
    script: &str,
    name: &str,
    value: &str,
) -> Result<(), DeployError> {
    let body = json!({"name": name, "text": value, "type": "secret_text"});
    client.call(Method::PUT, &path(account, script), Body::Json(&body))?;
    Ok(())
}

/// The names of the worker's secrets.
pub fn list(client: &Client, account: &str, script: &str) -> Result<Vec<String>, DeployError> {
    let result = client.call(Method::GET, &path(account, script), Body::None)?;
    let names = result
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str().map(str::to_string));
    Ok(names.collect())
}

pub fn delete(client: &Client, account: &str, script: &str, name: &str) -> Result<(), DeployError> {
    client.call(
        Method::DELETE,
        &format!("{}/{name}", path(account, script)),
        Body::None,
    )?;
    Ok(())
}

/// `cargo edge secret bulk FILE`: secrets from a JSON object of strings, or `NAME=value`
/// lines (`.env`). A JSON value that is not a string is refused with its name.
pub fn read_bulk(path: &std::path::Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("could not read {}: {e}", path.display()))?;
    if !text.trim_start().starts_with('{') {
        return crate::dotenv::read(path).map_err(|e| e.to_string());
    }
    let object: serde_json::Map<String, Value> = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a JSON object: {e}", path.display()))?;
    let mut secrets = BTreeMap::new();
    for (name, value) in object {
        match value {
            Value::String(text) => secrets.insert(name, text),
            other => {
                return Err(format!(
                    "{}: the value of `{name}` is {}, not a string",
                    path.display(),
                    kind(&other)
                ))
            }
        };
    }
    Ok(secrets)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        Value::String(_) => "a string",
    }
}

/// Set every secret of `secrets`, in name order; the names set.
pub fn put_all(
    client: &Client,
    account: &str,
    script: &str,
    secrets: &BTreeMap<String, String>,
) -> Result<Vec<String>, DeployError> {
    for (name, value) in secrets {
        put(client, account, script, name, value)?;
    }
    Ok(secrets.keys().cloned().collect())
}

/// A secret's value from standard input: everything read, one trailing newline removed.
pub fn read_value(mut input: impl std::io::Read) -> std::io::Result<String> {
    let mut value = String::new();
    input.read_to_string(&mut value)?;
    if value.ends_with('\n') {
        value.pop();
        if value.ends_with('\r') {
            value.pop();
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_files_are_json_objects_of_strings_or_dotenv() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("s.json");
        std::fs::write(&json, r#"{"A": "1", "B": "two"}"#).unwrap();
        let read = read_bulk(&json).unwrap();
        assert_eq!(read["A"], "1");
        assert_eq!(read["B"], "two");
        std::fs::write(&json, r#"{"A": 1}"#).unwrap();
        assert!(read_bulk(&json).unwrap_err().contains("`A` is a number"));
        let env = dir.path().join(".env");
        std::fs::write(&env, "A=1\nB=two\n").unwrap();
        assert_eq!(read_bulk(&env).unwrap()["B"], "two");
    }

    #[test]
    fn one_trailing_newline_is_dropped() {
        assert_eq!(read_value("s3cret\n".as_bytes()).unwrap(), "s3cret");
        assert_eq!(read_value("a\nb\n\n".as_bytes()).unwrap(), "a\nb\n");
        assert_eq!(read_value("x".as_bytes()).unwrap(), "x");
    }
}
