//! Binding checks of an upload: each type's shape, that named resources exist, unique names,
//! `inherit` and `keep_bindings`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::envelope::{
    ApiError, BAD_INHERIT, CLASS_NOT_MIGRATED, DUPLICATE_BINDING, KV_NOT_VALID, QUEUE_NOT_FOUND,
    R2_NOT_VALID, VALIDATION,
};
use super::script::ScriptState;
use super::state::Account;

/// Required and optional keys (besides `name` and `type`) of each binding type.
fn shape(kind: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match kind {
        "plain_text" | "secret_text" => (&["text"], &[]),
        "json" => (&["json"], &[]),
        "kv_namespace" => (&["namespace_id"], &[]),
        "d1" => (&["id"], &[]),
        "r2_bucket" => (&["bucket_name"], &["jurisdiction"]),
        "queue" => (&["queue_name"], &["delivery_delay"]),
        "service" => (&["service"], &["environment", "entrypoint"]),
        "durable_object_namespace" => (&["class_name"], &["script_name", "environment"]),
        "analytics_engine" => (&["dataset"], &[]),
        "hyperdrive" => (&["id"], &[]),
        "vectorize" => (&["index_name"], &[]),
        "version_metadata" | "ai" | "inherit" | "assets" => (&[], &[]),
        "secret_key" => (
            &["algorithm", "format", "usages"],
            &["key_base64", "key_jwk"],
        ),
        _ => return None,
    })
}

/// What an upload's bindings resolve to.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Bindings as the API shows them later (`secret_text` without its text).
    pub bindings: Vec<Value>,
    /// The script's secrets after this upload.
    pub secrets: BTreeMap<String, String>,
}

/// Check and resolve `metadata.bindings` of an upload to `script` (its state before the
/// upload, if it exists), with `classes` the Durable Object classes after its migrations.
pub fn resolve(
    account: &Account,
    script_name: &str,
    before: Option<&ScriptState>,
    metadata: &Value,
    classes: &BTreeSet<String>,
) -> Result<Resolved, ApiError> {
    let list = match &metadata["bindings"] {
        Value::Null => Vec::new(),
        Value::Array(list) => list.clone(),
        _ => return Err(ApiError::invalid("metadata.bindings must be an array")),
    };
    let mut out = Resolved::default();
    let mut names = BTreeSet::new();
    for binding in &list {
        let object = binding
            .as_object()
            .ok_or_else(|| ApiError::invalid("each binding must be an object"))?;
        let (name, kind) = check_shape(object)?;
        if !names.insert(name.to_string()) {
            return Err(ApiError::bad(
                DUPLICATE_BINDING,
                format!("Binding name '{name}' is already in use. Binding names must be unique."),
            ));
        }
        check_target(account, script_name, object, kind, classes)?;
        match kind {
            "inherit" => inherit(&mut out, before, name)?,
            "secret_text" => {
                let text = object
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                out.secrets.insert(name.to_string(), text.to_string());
                out.bindings.push(secret_binding(name));
            }
            _ => out.bindings.push(binding.clone()),
        }
    }
    keep(&mut out, before, metadata, &names)?;
    Ok(out)
}

/// An `inherit` binding: the previous live version's binding of that name, secret included.
fn inherit(out: &mut Resolved, before: Option<&ScriptState>, name: &str) -> Result<(), ApiError> {
    let old = before
        .and_then(ScriptState::live)
        .and_then(|v| v.bindings.iter().find(|b| b["name"] == name))
        .ok_or_else(|| {
            ApiError::bad(
                BAD_INHERIT,
                format!("Binding '{name}' cannot be inherited: the previous version has no such binding"),
            )
        })?;
    if old["type"] == "secret_text" {
        keep_secret(out, before, name);
    }
    out.bindings.push(old.clone());
    Ok(())
}

/// Check `name`, `type`, required and unknown keys; returns `(name, type)`.
fn check_shape(object: &Map<String, Value>) -> Result<(&str, &str), ApiError> {
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::invalid("binding is missing a `name`"))?;
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid(format!("binding '{name}' is missing a `type`")))?;
    let (required, optional) = shape(kind).ok_or_else(|| {
        ApiError::invalid(format!(
            "Unknown binding type '{kind}' for binding '{name}'"
        ))
    })?;
    if let Some(key) = required
        .iter()
        .find(|k| object.get(**k).is_none_or(Value::is_null))
    {
        return Err(ApiError::invalid(format!(
            "binding '{name}' of type {kind} is missing the required field `{key}`"
        )));
    }
    let known =
        |k: &str| k == "name" || k == "type" || required.contains(&k) || optional.contains(&k);
    if let Some(key) = object.keys().find(|k| !known(k)) {
        return Err(ApiError::invalid(format!(
            "binding '{name}' of type {kind} has an unexpected field `{key}`"
        )));
    }
    for key in [
        "text",
        "namespace_id",
        "bucket_name",
        "queue_name",
        "service",
        "class_name",
    ] {
        if object.contains_key(key) && !object[key].is_string() {
            return Err(ApiError::invalid(format!(
                "binding '{name}': `{key}` must be a string"
            )));
        }
    }
    Ok((name, kind))
}

/// The resource a binding names must exist in the account.
fn check_target(
    account: &Account,
    script_name: &str,
    object: &Map<String, Value>,
    kind: &str,
    classes: &BTreeSet<String>,
) -> Result<(), ApiError> {
    let field = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or_default();
    match kind {
        "kv_namespace" if !account.kv.iter().any(|n| n.id == field("namespace_id")) => {
            Err(ApiError::bad(
                KV_NOT_VALID,
                format!("KV namespace '{}' is not valid.", field("namespace_id")),
            ))
        }
        "d1" if !account.d1.iter().any(|d| d.uuid == field("id")) => Err(ApiError::bad(
            VALIDATION,
            format!("D1 database '{}' does not exist.", field("id")),
        )),
        "r2_bucket" if !account.r2.iter().any(|b| b.name == field("bucket_name")) => {
            Err(ApiError::bad(
                R2_NOT_VALID,
                format!("R2 bucket '{}' is not valid.", field("bucket_name")),
            ))
        }
        "queue" if !account.queues.iter().any(|q| q.name == field("queue_name")) => {
            Err(ApiError::bad(
                QUEUE_NOT_FOUND,
                format!("Queue '{}' does not exist.", field("queue_name")),
            ))
        }
        "durable_object_namespace" => {
            let class = field("class_name");
            let owner = object.get("script_name").and_then(Value::as_str);
            let known = match owner {
                None => classes.contains(class),
                Some(s) if s == script_name => classes.contains(class),
                Some(s) => account
                    .scripts
                    .get(s)
                    .is_some_and(|o| o.classes.contains(class)),
            };
            if known {
                Ok(())
            } else {
                Err(ApiError::bad(CLASS_NOT_MIGRATED, format!(
                    "Cannot create binding for class '{class}' because it is not currently configured to implement Durable Objects. Did you forget to apply a Durable Object migration?"
                )))
            }
        }
        _ => Ok(()),
    }
}

/// Carry over the previous version's bindings of the types listed in `keep_bindings`.
fn keep(
    out: &mut Resolved,
    before: Option<&ScriptState>,
    metadata: &Value,
    names: &BTreeSet<String>,
) -> Result<(), ApiError> {
    let kept: Vec<&str> = match &metadata["keep_bindings"] {
        Value::Null => Vec::new(),
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => return Err(ApiError::invalid("metadata.keep_bindings must be an array")),
    };
    let Some(previous) = before.and_then(ScriptState::live) else {
        return Ok(());
    };
    for binding in &previous.bindings {
        let name = binding["name"].as_str().unwrap_or_default();
        let kind = binding["type"].as_str().unwrap_or_default();
        if kept.contains(&kind) && !names.contains(name) {
            if kind == "secret_text" {
                keep_secret(out, before, name);
            }
            out.bindings.push(binding.clone());
        }
    }
    Ok(())
}

fn keep_secret(out: &mut Resolved, before: Option<&ScriptState>, name: &str) {
    if let Some(value) = before.and_then(|s| s.secrets.get(name)) {
        out.secrets.insert(name.to_string(), value.clone());
    }
}

/// A `secret_text` binding as the API lists it: no text.
pub fn secret_binding(name: &str) -> Value {
    serde_json::json!({"name": name, "type": "secret_text"})
}
