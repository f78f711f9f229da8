//! Accounts, memberships and the workers.dev subdomain (of the account and per script).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::envelope::{json_body, ok, ApiError, ApiResult, NOT_FOUND};
use super::scripts::script_mut;
use super::state::{lock, Account, Shared};

fn account_json(account: &Account) -> Value {
    json!({
        "id": account.id,
        "name": account.name,
        "type": "standard",
        "settings": {"enforce_twofactor": false},
        "created_on": "2024-01-01T00:00:00.000000Z",
    })
}

/// `GET /accounts`: every account the token can use.
pub async fn accounts(State(shared): State<Shared>) -> ApiResult {
    let state = lock(&shared);
    ok(json!(state
        .accounts
        .iter()
        .map(account_json)
        .collect::<Vec<_>>()))
}

/// `GET /memberships`: one accepted membership per account.
pub async fn memberships(State(shared): State<Shared>) -> ApiResult {
    let state = lock(&shared);
    let list: Vec<Value> = state
        .accounts
        .iter()
        .map(|a| {
            json!({
                "id": format!("membership-{}", a.id),
                "status": "accepted",
                "account": {"id": a.id, "name": a.name},
                "roles": ["Administrator"],
            })
        })
        .collect();
    ok(json!(list))
}

fn no_subdomain() -> ApiError {
    ApiError::not_found(
        NOT_FOUND,
        "This account does not have a workers.dev subdomain. (workers.api.error.no_subdomain)",
    )
}

/// `GET /accounts/{a}/workers/subdomain`: `{subdomain}` or 10007.
pub async fn subdomain(State(shared): State<Shared>, Path(account_id): Path<String>) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    let subdomain = account.subdomain.clone().ok_or_else(no_subdomain)?;
    ok(json!({ "subdomain": subdomain }))
}

/// The body of `POST …/scripts/{name}/subdomain`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubdomainSetting {
    enabled: bool,
    previews_enabled: Option<bool>,
}

/// `POST …/scripts/{name}/subdomain {enabled, previews_enabled?}`.
pub async fn set_script_subdomain(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let setting: SubdomainSetting = json_body(&headers, &body)?;
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    if setting.enabled && account.subdomain.is_none() {
        return Err(no_subdomain());
    }
    let script = script_mut(account, &name)?;
    script.subdomain_enabled = setting.enabled;
    script.previews_enabled = setting.previews_enabled.unwrap_or(setting.enabled);
    ok(json!({"enabled": script.subdomain_enabled, "previews_enabled": script.previews_enabled}))
}

/// `GET …/scripts/{name}/subdomain`.
pub async fn script_subdomain(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let script = script_mut(state.account(&account_id)?, &name)?;
    ok(json!({"enabled": script.subdomain_enabled, "previews_enabled": script.previews_enabled}))
}
