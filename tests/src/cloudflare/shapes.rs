//! Strict checks of the binding types and worker settings cargo-edge describes as data, following
//! Cloudflare's current API schema (`ScriptUpdateParams.Metadata`): required fields, field types
//! and enums, nested objects (`ratelimit.simple`, `dispatch_namespace.outbound`) and the
//! script-level settings (`observability`, `placement`, `limits`, `logpush`, `tail_consumers`).

use serde_json::{Map, Value};

use super::envelope::ApiError;

/// Field checks beyond required/optional names, for a binding of type `kind`.
pub fn check_binding(name: &str, kind: &str, object: &Map<String, Value>) -> Result<(), ApiError> {
    let bad = |why: String| {
        Err(ApiError::invalid(format!(
            "binding '{name}' of type {kind}: {why}"
        )))
    };
    for key in [
        "dataset",
        "id",
        "database_id",
        "store_id",
        "secret_name",
        "namespace",
        "namespace_id",
        "destination_address",
        "certificate_id",
    ] {
        if object.get(key).is_some_and(|v| !v.is_string()) {
            return bad(format!("`{key}` must be a string"));
        }
    }
    for key in ["allowed_destination_addresses", "allowed_sender_addresses"] {
        if let Some(list) = object.get(key) {
            if !list
                .as_array()
                .is_some_and(|l| l.iter().all(Value::is_string))
            {
                return bad(format!("`{key}` must be an array of strings"));
            }
        }
    }
    match kind {
        "ratelimit" => ratelimit(object).or_else(bad),
        "dispatch_namespace" => match object.get("outbound") {
            None => Ok(()),
            Some(outbound) => outbound_worker(outbound).or_else(bad),
        },
        _ => Ok(()),
    }
}

fn ratelimit(object: &Map<String, Value>) -> Result<(), String> {
    let id = object["namespace_id"].as_str().unwrap_or_default();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("namespace_id '{id}' must be a positive integer"));
    }
    let simple = object["simple"]
        .as_object()
        .ok_or("`simple` must be an object")?;
    only(simple, &["limit", "period", "mitigation_timeout"], "simple")?;
    let limit = simple
        .get("limit")
        .and_then(Value::as_f64)
        .ok_or("`simple.limit` is required")?;
    if limit < 1.0 {
        return Err("`simple.limit` must be at least 1".into());
    }
    match simple.get("period").and_then(Value::as_u64) {
        Some(10 | 60) => Ok(()),
        other => Err(format!("`simple.period` must be 10 or 60, got {other:?}")),
    }
}

fn outbound_worker(outbound: &Value) -> Result<(), String> {
    let outbound = outbound.as_object().ok_or("`outbound` must be an object")?;
    only(outbound, &["worker", "params"], "outbound")?;
    if let Some(worker) = outbound.get("worker") {
        let worker = worker
            .as_object()
            .ok_or("`outbound.worker` must be an object")?;
        only(
            worker,
            &["service", "environment", "entrypoint"],
            "outbound.worker",
        )?;
        if worker.values().any(|v| !v.is_string()) {
            return Err("`outbound.worker` fields must be strings".into());
        }
    }
    Ok(())
}

/// The settings of an upload's metadata.
pub fn check_settings(metadata: &Map<String, Value>) -> Result<(), ApiError> {
    let check = |key: &str, f: fn(&Value) -> Result<(), String>| match metadata.get(key) {
        None => Ok(()),
        Some(value) => f(value).map_err(|why| ApiError::invalid(format!("metadata.{key}: {why}"))),
    };
    check("observability", observability)?;
    check("placement", placement)?;
    check("limits", limits)?;
    check("logpush", |v| {
        v.is_boolean()
            .then_some(())
            .ok_or("must be a boolean".into())
    })?;
    check("tail_consumers", tail_consumers)?;
    check("keep_bindings", |v| {
        let ok = v.as_array().is_some_and(|l| l.iter().all(Value::is_string));
        ok.then_some(())
            .ok_or("must be an array of binding types".into())
    })
}

fn observability(value: &Value) -> Result<(), String> {
    let o = value.as_object().ok_or("must be an object")?;
    only(
        o,
        &["enabled", "head_sampling_rate", "logs", "traces"],
        "observability",
    )?;
    boolean(o, "enabled", true)?;
    fraction(o, "head_sampling_rate")?;
    if let Some(logs) = o.get("logs").filter(|l| !l.is_null()) {
        let logs = logs.as_object().ok_or("`logs` must be an object")?;
        let known = [
            "enabled",
            "invocation_logs",
            "head_sampling_rate",
            "destinations",
            "persist",
        ];
        only(logs, &known, "logs")?;
        boolean(logs, "enabled", true)?;
        boolean(logs, "invocation_logs", true)?;
        fraction(logs, "head_sampling_rate")?;
    }
    if let Some(traces) = o.get("traces").filter(|t| !t.is_null()) {
        let traces = traces.as_object().ok_or("`traces` must be an object")?;
        only(
            traces,
            &["enabled", "head_sampling_rate", "destinations", "persist"],
            "traces",
        )?;
        fraction(traces, "head_sampling_rate")?;
    }
    Ok(())
}

fn placement(value: &Value) -> Result<(), String> {
    let p = value.as_object().ok_or("must be an object")?;
    match (p.get("mode"), p.len()) {
        (Some(Value::String(mode)), 1) if mode == "smart" => Ok(()),
        (Some(mode), _) => Err(format!("`mode` must be \"smart\", got {mode}")),
        (None, _)
            if p.len() == 1
                && ["region", "hostname", "host"]
                    .iter()
                    .any(|k| p[*k].is_string()) =>
        {
            Ok(())
        }
        _ => Err("expected { mode = \"smart\" } or one of region, hostname, host".into()),
    }
}

fn limits(value: &Value) -> Result<(), String> {
    let l = value.as_object().ok_or("must be an object")?;
    only(l, &["cpu_ms", "subrequests"], "limits")?;
    for key in ["cpu_ms", "subrequests"] {
        if l.get(key)
            .is_some_and(|v| v.as_u64().is_none_or(|n| n == 0))
        {
            return Err(format!("`{key}` must be a positive number"));
        }
    }
    Ok(())
}

fn tail_consumers(value: &Value) -> Result<(), String> {
    if value.is_null() {
        return Ok(());
    }
    for consumer in value.as_array().ok_or("must be an array")? {
        let c = consumer
            .as_object()
            .ok_or("each consumer must be an object")?;
        only(
            c,
            &["service", "environment", "namespace"],
            "tail_consumers[]",
        )?;
        if !c.get("service").is_some_and(Value::is_string) {
            return Err("each consumer needs a string `service`".into());
        }
    }
    Ok(())
}

fn only(object: &Map<String, Value>, known: &[&str], at: &str) -> Result<(), String> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(key) => Err(format!("unexpected field `{at}.{key}`")),
        None => Ok(()),
    }
}

fn boolean(object: &Map<String, Value>, key: &str, required: bool) -> Result<(), String> {
    match object.get(key) {
        Some(Value::Bool(_)) => Ok(()),
        None if !required => Ok(()),
        None => Err(format!("`{key}` is required")),
        Some(other) => Err(format!("`{key}` must be a boolean, got {other}")),
    }
}

fn fraction(object: &Map<String, Value>, key: &str) -> Result<(), String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(v) if v.as_f64().is_some_and(|f| (0.0..=1.0).contains(&f)) => Ok(()),
        Some(other) => Err(format!("`{key}` must be a number from 0 to 1, got {other}")),
    }
}
