//! The table face of the binding kinds in [`crate::kinds`], the settings in
//! [`crate::settings`], `unsafe.bindings` and `keep_bindings`: the checks their keys' shapes
//! cannot express, and their resolution into the model.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::Problem;
use super::written::EdgeTable;
use crate::kinds::{self, Kind};
use crate::model::KindBinding;

/// Binding types `keep_bindings` may name (the upload API's `type`s).
const BINDING_TYPES: &[&str] = &[
    "ai",
    "analytics_engine",
    "assets",
    "browser",
    "d1",
    "data_blob",
    "dispatch_namespace",
    "durable_object_namespace",
    "hyperdrive",
    "images",
    "json",
    "kv_namespace",
    "mtls_certificate",
    "pipelines",
    "plain_text",
    "queue",
    "r2_bucket",
    "ratelimit",
    "secret_key",
    "secret_text",
    "secrets_store_secret",
    "send_email",
    "service",
    "text_blob",
    "vectorize",
    "version_metadata",
    "wasm_module",
    "workflow",
];

/// Problems in the kinds, `unsafe` and `keep_bindings` of one table as written.
pub fn check(table: &EdgeTable, out: &mut Vec<Problem>) {
    for (table_key, bindings) in &table.kinds {
        let Some(kind) = kinds::kind(table_key) else {
            continue;
        };
        if kind.single && bindings.len() > 1 {
            let (name, second) = bindings.iter().nth(1).expect("two bindings");
            out.push(
                Problem::error("single_binding", &second.loc, format!("`{table_key}` has a second binding `{name}`"))
                    .label("second binding")
                    .help(format!("a worker has one {} binding (as on Cloudflare): keep one entry under `{table_key}`", kind.what)),
            );
        }
        if kind.table == "send_email" {
            for (name, binding) in bindings {
                let fields = &binding.value;
                if fields.get("destination_address").is_some()
                    && fields.get("allowed_destination_addresses").is_some()
                {
                    out.push(
                        Problem::error("send_email_destination", &binding.loc, format!("`send_email.{name}` sets both `destination_address` and `allowed_destination_addresses`"))
                            .label("both set")
                            .help("keep one: `destination_address` (exactly one recipient) or `allowed_destination_addresses` (a list)"),
                    );
                }
            }
        }
        if kind.table == "rate_limits" {
            check_namespace_ids(bindings, out);
        }
        if kind.table == "hyperdrive" {
            check_hyperdrive_ids(bindings, out);
        }
    }
    for raw in table.unsafe_bindings.iter().flat_map(|l| &l.value) {
        let named = |key: &str| raw.value.get(key).and_then(Value::as_str).is_some();
        if !named("name") || !named("type") {
            out.push(
                Problem::error("unsafe_binding", &raw.loc, "an `unsafe.bindings` entry needs a string `name` and `type`")
                    .label("not a binding object")
                    .help("write the binding as the upload API takes it, e.g. { name = \"CERT\", type = \"mtls_certificate\", certificate_id = \"…\" }"),
            );
        }
    }
    for kept in table.keep_bindings.iter().flat_map(|l| &l.value) {
        if !BINDING_TYPES.contains(&kept.value.as_str()) {
            let help = match super::suggest::did_you_mean(&kept.value, BINDING_TYPES) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("binding types: {}", BINDING_TYPES.join(", ")),
            };
            out.push(
                Problem::error(
                    "keep_bindings",
                    &kept.loc,
                    format!("`{}` is not a binding type", kept.value),
                )
                .label("unknown binding type")
                .help(help),
            );
        }
    }
}

/// Cloudflare takes a rate limit's `namespace_id` as a positive integer written as a string.
fn check_namespace_ids(bindings: &super::written::Bindings<Value>, out: &mut Vec<Problem>) {
    for (name, binding) in bindings {
        let Some(id) = binding.value.get("namespace_id").and_then(Value::as_str) else {
            continue;
        };
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || id.starts_with('0') {
            out.push(
                Problem::error("rate_limit_namespace", &binding.loc, format!("`rate_limits.{name}.namespace_id` is \"{id}\", not a positive integer"))
                    .label("not a positive integer")
                    .help("write a positive integer as a string, unique in your account, e.g. namespace_id = \"1001\""),
            );
        }
    }
}

/// An empty Hyperdrive `id` (wrangler's files often carry `id = ""` for local use): dev
/// connects to `local_connection_string` without one, so a warning; deploy refuses it
/// (`super::strict`), since the upload would name no configuration.
fn check_hyperdrive_ids(bindings: &super::written::Bindings<Value>, out: &mut Vec<Problem>) {
    for binding in bindings.values() {
        let id = binding.value.get("id").and_then(Value::as_str);
        if id.is_some_and(|id| id.trim().is_empty()) {
            out.push(
                Problem::warning("hyperdrive_id", &binding.loc, format!("`{}.id` is empty; `cargo edge deploy` refuses it", binding.loc.key))
                    .label("empty id")
                    .help("write the configuration's id (the dashboard shows it under Hyperdrive), or remove the binding; dev connects to `local_connection_string` and needs no id"),
            );
        }
    }
}

/// The kinds' bindings, keyed by binding name, with defaults applied. `derived` names a
/// resource after the worker: `<worker>-<binding, lower, _ → ->`.
pub fn resolve(
    table: &EdgeTable,
    worker: &str,
    derived: impl Fn(&str, &str) -> String,
) -> BTreeMap<String, KindBinding> {
    let mut out = BTreeMap::new();
    for (table_key, bindings) in &table.kinds {
        let Some(kind) = kinds::kind(table_key) else {
            continue;
        };
        for (name, binding) in bindings {
            out.insert(
                name.clone(),
                one(kind, name, &binding.value, worker, &derived),
            );
        }
    }
    out
}

fn one(
    kind: &'static Kind,
    name: &str,
    written: &Value,
    worker: &str,
    derived: &impl Fn(&str, &str) -> String,
) -> KindBinding {
    let mut fields = written.as_object().cloned().unwrap_or_default();
    if let Some(key) = kind.derived {
        fields
            .entry(key)
            .or_insert_with(|| Value::String(derived(worker, name)));
    }
    KindBinding {
        kind: kind.table,
        fields,
    }
}

/// The settings the table sets, by key, in the API's shape.
pub fn settings(table: &EdgeTable) -> BTreeMap<String, Value> {
    table
        .settings
        .iter()
        .map(|(k, v)| (k.to_string(), crate::settings::rendered(k, &v.value)))
        .collect()
}
