//! `cargo edge secret put|list|delete`: secrets set on the live worker, values from stdin.

use reqwest::Method;
use serde_json::json;

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
    fn one_trailing_newline_is_dropped() {
        assert_eq!(read_value("s3cret\n".as_bytes()).unwrap(), "s3cret");
        assert_eq!(read_value("a\nb\n\n".as_bytes()).unwrap(), "a\nb\n");
        assert_eq!(read_value("x".as_bytes()).unwrap(), "x");
    }
}
