//! The token itself: `GET /user/tokens/verify` (is it valid and active) and
//! `GET /user/tokens/{id}` (its policies), which a token may read only with the
//! "API Tokens Read" permission; without it the answer is 9109.

use axum::extract::{Path, State};
use serde_json::{json, Value};

use super::envelope::{ok, ApiError, ApiResult, NOT_FOUND};
use super::state::{lock, Shared};

/// The token's id (32 hex digits, fixed in the fake).
pub const TOKEN_ID: &str = "ed17a1c2b3d4e5f60718293a4b5c6d7e";
/// Verified: "Unauthorized to access requested resource" (code 9109).
const UNAUTHORIZED: u32 = 9109;

/// `GET /user/tokens/verify`: `{id, status}` for a valid token.
pub async fn verify() -> ApiResult {
    ok(json!({"id": TOKEN_ID, "status": "active", "not_before": null, "expires_on": null}))
}

/// `GET /user/tokens/{id}`: one allow policy over every account, with the configured
/// permission groups; 9109 when the token may not read itself.
pub async fn get(State(shared): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let state = lock(&shared);
    if id != TOKEN_ID {
        return Err(ApiError::not_found(NOT_FOUND, "token not found"));
    }
    let Some(groups) = &state.options.token_permissions else {
        return Err(ApiError::new(
            403,
            UNAUTHORIZED,
            "Unauthorized to access requested resource",
        ));
    };
    let resources: serde_json::Map<String, Value> = state
        .accounts
        .iter()
        .map(|a| (format!("com.cloudflare.api.account.{}", a.id), json!("*")))
        .collect();
    let groups: Vec<Value> = groups
        .iter()
        .enumerate()
        .map(|(i, name)| json!({"id": format!("{i:032x}"), "name": name}))
        .collect();
    ok(json!({
        "id": TOKEN_ID,
        "name": "cargo-edge tests",
        "status": "active",
        "policies": [{"id": "policy-1", "effect": "allow", "resources": resources, "permission_groups": groups}],
    }))
}
