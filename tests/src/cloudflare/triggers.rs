//! How requests reach a script: cron schedules, routes (with the zones they live in) and
//! custom domains.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::envelope::{json_body, ok, paged, ApiError, ApiResult, ROUTE_CONFLICT, ZONE_NOT_FOUND};
use super::script::Route;
use super::scripts::script_mut;
use super::state::{lock, now, FakeState, Shared, Zone};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Schedule {
    cron: String,
}

/// `PUT …/scripts/{name}/schedules [{cron}]`: replaces the whole set.
pub async fn put_schedules(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let schedules: Vec<Schedule> = json_body(&headers, &body)?;
    if let Some(bad) = schedules
        .iter()
        .find(|s| s.cron.split_whitespace().count() != 5)
    {
        return Err(ApiError::invalid(format!(
            "invalid cron expression `{}`",
            bad.cron
        )));
    }
    let mut state = lock(&shared);
    let script = script_mut(state.account(&account_id)?, &name)?;
    script.schedules = schedules.into_iter().map(|s| s.cron).collect();
    ok(schedules_json(&script.schedules))
}

/// `GET …/scripts/{name}/schedules`.
pub async fn schedules(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let script = script_mut(state.account(&account_id)?, &name)?;
    ok(schedules_json(&script.schedules))
}

fn schedules_json(crons: &[String]) -> Value {
    let time = now();
    let list: Vec<Value> = crons
        .iter()
        .map(|c| json!({"cron": c, "created_on": time, "modified_on": time}))
        .collect();
    json!({ "schedules": list })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteRequest {
    pattern: String,
    zone_id: Option<String>,
    zone_name: Option<String>,
}

/// The zone a route or domain belongs to: the one named by id or name, which must contain the
/// host, or else the zone the host falls in.
pub fn resolve_zone(
    state: &FakeState,
    host: &str,
    zone_id: Option<&str>,
    zone_name: Option<&str>,
) -> Result<Zone, ApiError> {
    let named = match (zone_id, zone_name) {
        (Some(id), _) => Some(
            state
                .zones
                .iter()
                .find(|z| z.id == id)
                .cloned()
                .ok_or_else(|| {
                    ApiError::not_found(ZONE_NOT_FOUND, format!("zone `{id}` not found"))
                })?,
        ),
        (None, Some(name)) => Some(
            state
                .zones
                .iter()
                .find(|z| z.name == name)
                .cloned()
                .ok_or_else(|| {
                    ApiError::not_found(ZONE_NOT_FOUND, format!("zone `{name}` not found"))
                })?,
        ),
        (None, None) => None,
    };
    let found = state.zone_for_host(host);
    match (named, found) {
        (Some(zone), Some(found)) if zone == found => Ok(zone),
        (Some(zone), _) => Err(ApiError::bad(
            ROUTE_CONFLICT,
            format!("`{host}` is not in the zone {}", zone.name),
        )),
        (None, Some(found)) => Ok(found),
        (None, None) => Err(ApiError::bad(
            ROUTE_CONFLICT,
            format!("`{host}` is in none of this account's zones"),
        )),
    }
}

/// `PUT …/scripts/{name}/routes [{pattern, zone_id?|zone_name?}]`: replaces the script's routes.
pub async fn put_routes(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let requests: Vec<RouteRequest> = json_body(&headers, &body)?;
    let mut state = lock(&shared);
    let mut routes = Vec::new();
    for request in &requests {
        let host = request.pattern.split('/').next().unwrap_or_default();
        let host = host.trim_start_matches("*.").trim_start_matches('*');
        let zone = resolve_zone(
            &state,
            host,
            request.zone_id.as_deref(),
            request.zone_name.as_deref(),
        )?;
        let id = state.hex_id("route");
        routes.push(Route {
            id,
            pattern: request.pattern.clone(),
            zone_id: zone.id,
            zone_name: zone.name,
        });
    }
    let account = state.account(&account_id)?;
    for route in &routes {
        let taken = account
            .scripts
            .values()
            .find(|s| s.name != name && s.routes.iter().any(|r| r.pattern == route.pattern));
        if let Some(other) = taken {
            return Err(ApiError::conflict(
                ROUTE_CONFLICT,
                format!(
                    "The route `{}` is already assigned to the worker `{}`",
                    route.pattern, other.name
                ),
            ));
        }
    }
    let script = script_mut(account, &name)?;
    script.routes = routes;
    ok(routes_json(&script.name, &script.routes))
}

/// `GET …/scripts/{name}/routes`.
pub async fn routes(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
) -> ApiResult {
    let mut state = lock(&shared);
    let script = script_mut(state.account(&account_id)?, &name)?;
    ok(routes_json(&script.name, &script.routes))
}

fn routes_json(script: &str, routes: &[Route]) -> Value {
    json!(routes
        .iter()
        .map(|r| json!({"id": r.id, "pattern": r.pattern, "script": script, "zone_id": r.zone_id, "zone_name": r.zone_name}))
        .collect::<Vec<_>>())
}

/// `GET /zones?name=`: the fake zones, paginated.
pub async fn zones(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let state = lock(&shared);
    let account = &state.accounts[0];
    let items: Vec<Value> = state
        .zones
        .iter()
        .filter(|z| query.get("name").is_none_or(|n| *n == z.name))
        .map(|z| json!({"id": z.id, "name": z.name, "status": "active", "account": {"id": account.id, "name": account.name}}))
        .collect();
    paged(items, &query, 20, 50)
}
