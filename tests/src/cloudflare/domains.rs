//! Custom domains: a hostname in one of the account's zones served by a worker.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::envelope::{json_body, ok, ApiError, ApiResult, NOT_FOUND, ROUTE_CONFLICT};
use super::scripts::missing_script;
use super::state::{lock, CustomDomain, Shared};
use super::triggers::resolve_zone;

/// The body of `PUT /accounts/{a}/workers/domains`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainRequest {
    hostname: String,
    service: String,
    zone_id: Option<String>,
    zone_name: Option<String>,
    environment: Option<String>,
    override_existing_origin: Option<bool>,
    override_existing_dns_record: Option<bool>,
}

fn domain_json(domain: &CustomDomain) -> Value {
    json!({
        "id": domain.id,
        "hostname": domain.hostname,
        "service": domain.service,
        "environment": domain.environment,
        "zone_id": domain.zone_id,
        "zone_name": domain.zone_name,
    })
}

/// `PUT /accounts/{a}/workers/domains`: attach (or re-attach) a hostname to a worker. A
/// hostname that another worker serves is refused.
pub async fn put(
    State(shared): State<Shared>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let request: DomainRequest = json_body(&headers, &body)?;
    let _ = (
        request.override_existing_origin,
        request.override_existing_dns_record,
    );
    let mut state = lock(&shared);
    let zone = resolve_zone(
        &state,
        &request.hostname,
        request.zone_id.as_deref(),
        request.zone_name.as_deref(),
    )?;
    let id = state.hex_id("domain");
    let account = state.account(&account_id)?;
    if !account.scripts.contains_key(&request.service) {
        return Err(missing_script(&request.service));
    }
    let environment = request.environment.unwrap_or_else(|| "production".into());
    if let Some(existing) = account
        .domains
        .iter_mut()
        .find(|d| d.hostname == request.hostname)
    {
        if existing.service != request.service {
            return Err(ApiError::conflict(
                ROUTE_CONFLICT,
                format!(
                    "The hostname `{}` is already attached to the worker `{}`",
                    existing.hostname, existing.service
                ),
            ));
        }
        existing.environment = environment;
        return ok(domain_json(existing));
    }
    let domain = CustomDomain {
        id,
        hostname: request.hostname,
        service: request.service,
        environment,
        zone_id: zone.id,
        zone_name: zone.name,
    };
    let answer = domain_json(&domain);
    account.domains.push(domain);
    ok(answer)
}

/// `GET /accounts/{a}/workers/domains[?service=&hostname=&zone_name=&environment=]`.
pub async fn list(
    State(shared): State<Shared>,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    let wanted = |key: &str, value: &str| query.get(key).is_none_or(|v| v == value);
    let list: Vec<Value> = account
        .domains
        .iter()
        .filter(|d| {
            wanted("service", &d.service)
                && wanted("hostname", &d.hostname)
                && wanted("zone_name", &d.zone_name)
                && wanted("environment", &d.environment)
        })
        .map(domain_json)
        .collect();
    ok(json!(list))
}

/// `DELETE /accounts/{a}/workers/domains/{id}`.
pub async fn delete(
    State(shared): State<Shared>,
    Path((account_id, id)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let account = state.account(&account_id)?;
    let before = account.domains.len();
    account.domains.retain(|d| d.id != id);
    if account.domains.len() == before {
        return Err(ApiError::not_found(
            NOT_FOUND,
            format!("custom domain {id} not found"),
        ));
    }
    ok(Value::Null)
}
