//! A create whose answer was lost: the request took effect, its response never arrived, and the
//! retry was told "already exists". The resource is then looked up by name and the deploy
//! carries on, instead of stopping on its own earlier success.

use reqwest::Method;
use serde_json::Value;

use super::client::{Body, Client};
use super::error::DeployError;

/// Cloudflare's "already exists" answers to the creates a deploy makes: KV title taken (10014),
/// D1 name taken (7502), R2 bucket owned already (10004), queue name taken (11009), queue
/// already has a consumer (11004).
pub const EXISTS_CODES: [i64; 5] = [10014, 7502, 10004, 11009, 11004];

/// Whether `error` is "already exists" to a request that was sent more than once: the first
/// attempt took effect and only its answer was lost. A first attempt told "already exists" is
/// a real conflict and stays an error.
pub fn is_lost_answer(error: &DeployError) -> bool {
    match error {
        DeployError::Api(api) => {
            api.attempts > 1 && EXISTS_CODES.iter().any(|code| api.has_code(*code))
        }
        _ => false,
    }
}

/// POST a create; on a lost answer, `find` looks the resource up and stands for the answer.
pub fn create_or_find(
    client: &Client,
    path: &str,
    body: &Value,
    find: impl FnOnce() -> Result<Value, DeployError>,
) -> Result<Value, DeployError> {
    match client.call(Method::POST, path, Body::Json(body)) {
        Ok(result) => Ok(result),
        Err(error) if is_lost_answer(&error) => {
            tracing::info!(path, "the create took effect before its answer was lost");
            find().map_err(|_| error)
        }
        Err(error) => Err(error),
    }
}

/// The first item of a list whose `key` is `name`.
pub fn find_in(list: &Value, key: &str, name: &str) -> Option<Value> {
    list.as_array()?
        .iter()
        .find(|item| item[key] == name)
        .cloned()
}

/// A KV namespace by title (every page).
pub fn find_kv(client: &Client, account: &str, title: &str) -> Result<Value, DeployError> {
    let namespaces: Vec<Value> =
        client.list(&format!("/accounts/{account}/storage/kv/namespaces"))?;
    find_in(&Value::Array(namespaces), "title", title).ok_or_else(|| missing("KV namespace", title))
}

/// A D1 database by name.
pub fn find_d1(client: &Client, account: &str, name: &str) -> Result<Value, DeployError> {
    let found = client.call(
        Method::GET,
        &format!("/accounts/{account}/d1/database?name={name}"),
        Body::None,
    )?;
    find_in(&found, "name", name).ok_or_else(|| missing("D1 database", name))
}

/// An R2 bucket by name.
pub fn find_r2(client: &Client, account: &str, name: &str) -> Result<Value, DeployError> {
    client.call(
        Method::GET,
        &format!("/accounts/{account}/r2/buckets/{name}"),
        Body::None,
    )
}

/// A queue by name.
pub fn find_queue(client: &Client, account: &str, name: &str) -> Result<Value, DeployError> {
    let found = client.call(
        Method::GET,
        &format!("/accounts/{account}/queues?name={name}"),
        Body::None,
    )?;
    find_in(&found, "queue_name", name).ok_or_else(|| missing("queue", name))
}

/// The consumer `script` has on a queue.
pub fn find_consumer(
    client: &Client,
    account: &str,
    queue_id: &str,
    script: &str,
) -> Result<Value, DeployError> {
    let consumers: Vec<Value> =
        client.list(&format!("/accounts/{account}/queues/{queue_id}/consumers"))?;
    consumers
        .into_iter()
        .find(|c| c["script_name"] == script || c["script"] == script)
        .ok_or_else(|| missing("queue consumer of", script))
}

fn missing(what: &str, name: &str) -> DeployError {
    DeployError::Decode {
        path: name.into(),
        message: format!("{what} `{name}` was reported as existing but could not be found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::client::ApiMessage;
    use crate::deploy::error::ApiError;

    fn exists(attempts: u32, code: i64) -> DeployError {
        DeployError::Api(ApiError {
            method: "POST".into(),
            path: "/x".into(),
            status: 409,
            errors: vec![ApiMessage {
                code,
                message: "already exists".into(),
            }],
            attempts,
        })
    }

    #[test]
    fn only_a_retried_create_told_already_exists_lost_its_answer() {
        for code in EXISTS_CODES {
            assert!(is_lost_answer(&exists(2, code)), "{code}");
            assert!(
                !is_lost_answer(&exists(1, code)),
                "{code} on a first attempt"
            );
        }
        assert!(!is_lost_answer(&exists(3, 10013)));
    }

    #[test]
    fn lists_are_searched_by_name() {
        let list = serde_json::json!([{"title": "a", "id": "1"}, {"title": "b", "id": "2"}]);
        assert_eq!(find_in(&list, "title", "b").unwrap()["id"], "2");
        assert!(find_in(&list, "title", "c").is_none());
    }
}
