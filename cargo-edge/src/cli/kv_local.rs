//! `cargo edge kv …` on local state (the default): every call goes through the handler that
//! serves KV to workerd, so limits, expiry and metadata behave as in `cargo edge dev`.

use std::io::Write;

use base64::Engine;

use super::context;
use super::failure::{plain, CommandResult, Failure};
use super::json::print_json;
use super::kv::{done, value_bytes, KvAction, KvArgs, KvBulkAction};
use super::local::{call_local, dev_failure, local_state};
use crate::dev;
use crate::model::Worker;
use crate::remote::kv::{self as remote_kv, BulkPair};
use crate::report::MessageFormat;

/// One local KV namespace: its store and the resource name dev serves it under.
struct Namespace<'a> {
    stores: &'a dev::store::Stores,
    binding: &'a str,
    resource: String,
}

impl Namespace<'_> {
    fn call(
        &self,
        method: &str,
        key: &str,
        query: Vec<(String, String)>,
        headers: axum::http::HeaderMap,
        body: Vec<u8>,
    ) -> Result<(u16, Vec<u8>), Failure> {
        let call = dev::http::Call {
            method: method.parse().expect("a valid method"),
            path: key.to_string(),
            query,
            headers,
            body: body.into(),
        };
        let (status, _, bytes) = call_local(dev::kv::handle, self.stores, &self.resource, call)?;
        match status {
            200..=299 | 404 => Ok((status, bytes)),
            _ => Err(plain(
                format!("KV refused ({status}): {}", String::from_utf8_lossy(&bytes)),
                "see Cloudflare's KV limits",
            )),
        }
    }

    /// A bulk file's pair: its value decoded when `base64`, its expiry and metadata kept.
    fn put_pair(&self, pair: &BulkPair) -> Result<(), Failure> {
        let value = match pair.base64 {
            Some(true) => base64::engine::general_purpose::STANDARD
                .decode(&pair.value)
                .map_err(|e| {
                    plain(
                        format!("the value of `{}` is not base64: {e}", pair.key),
                        "set \"base64\": false for plain text",
                    )
                })?,
            _ => pair.value.clone().into_bytes(),
        };
        let expiry = [
            ("expiration", pair.expiration),
            ("expiration_ttl", pair.expiration_ttl),
        ];
        self.put(&pair.key, value, &expiry, pair.metadata.as_ref())
    }

    fn put(
        &self,
        key: &str,
        value: Vec<u8>,
        expiry: &[(&str, Option<u64>)],
        metadata: Option<&serde_json::Value>,
    ) -> Result<(), Failure> {
        let query = expiry
            .iter()
            .filter_map(|(name, seconds)| seconds.map(|s| (name.to_string(), s.to_string())))
            .collect();
        let mut headers = axum::http::HeaderMap::new();
        if let Some(metadata) = metadata {
            let text = metadata.to_string().parse().map_err(|_| {
                plain(
                    format!("the metadata of `{key}` is not a valid header value"),
                    "keep metadata to printable JSON",
                )
            })?;
            headers.insert("CF-KV-Metadata", text);
        }
        self.call("PUT", key, query, headers, value)?;
        Ok(())
    }
}

pub fn kv(args: KvArgs) -> CommandResult {
    let worker = context::load_worker(&args.local.worker)?;
    let state = local_state(&worker, args.local.place.persist_to.as_deref());
    let stores = dev::store::Stores::new(&state).map_err(dev_failure)?;
    let json = args.message_format == MessageFormat::Json;
    let binding = match &args.action {
        KvAction::Get { binding, .. }
        | KvAction::Put { binding, .. }
        | KvAction::List { binding, .. }
        | KvAction::Delete { binding, .. }
        | KvAction::Bulk {
            action: KvBulkAction::Put { binding, .. } | KvBulkAction::Delete { binding, .. },
        } => binding,
        KvAction::Namespace { .. } => unreachable!("`kv namespace` is Cloudflare's"),
    };
    let namespace = Namespace {
        stores: &stores,
        binding,
        resource: resource(&worker, binding)?,
    };
    match &args.action {
        KvAction::Get { key, .. } => get(&namespace, key, json),
        KvAction::Put {
            key, value, ttl, ..
        } => {
            namespace.put(key, value_bytes(value)?, &[("expiration_ttl", *ttl)], None)?;
            done(
                json,
                "kv-put",
                &format!("stored `{key}` in `{binding}`"),
                key,
            );
            Ok(())
        }
        KvAction::List { prefix, .. } => list(&namespace, prefix.as_deref(), json),
        KvAction::Delete { key, .. } => {
            namespace.call("DELETE", key, vec![], Default::default(), Vec::new())?;
            done(
                json,
                "kv-delete",
                &format!("deleted `{key}` from `{binding}`"),
                key,
            );
            Ok(())
        }
        KvAction::Bulk { action } => bulk(&namespace, action, json),
        KvAction::Namespace { .. } => unreachable!("`kv namespace` is Cloudflare's"),
    }
}

/// The name local state keeps the binding's namespace under (as `cargo edge dev` does).
fn resource(worker: &Worker, binding: &str) -> Result<String, Failure> {
    let namespace = worker.kv.get(binding).ok_or_else(|| {
        plain(
            format!("`{}` has no KV binding named `{binding}`", worker.name),
            format!("KV bindings: {:?}", worker.kv.keys().collect::<Vec<_>>()),
        )
    })?;
    Ok(namespace
        .id
        .clone()
        .unwrap_or_else(|| namespace.title.clone()))
}

fn get(namespace: &Namespace, key: &str, json: bool) -> CommandResult {
    let (status, bytes) = namespace.call("GET", key, vec![], Default::default(), Vec::new())?;
    if status == 404 {
        return Err(plain(
            format!("no key `{key}` in `{}` (local state)", namespace.binding),
            format!("`cargo edge kv list {}` shows its keys", namespace.binding),
        ));
    }
    match json {
        true => print_json(
            "kv-value",
            &serde_json::json!({"key": key, "value": String::from_utf8_lossy(&bytes)}),
        ),
        false => {
            let _ = std::io::stdout().write_all(&bytes);
        }
    }
    Ok(())
}

fn list(namespace: &Namespace, prefix: Option<&str>, json: bool) -> CommandResult {
    let query = prefix
        .iter()
        .map(|p| ("prefix".to_string(), p.to_string()))
        .collect();
    let (_, bytes) = namespace.call("GET", "", query, Default::default(), Vec::new())?;
    let listing: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    for key in listing["keys"].as_array().into_iter().flatten() {
        match json {
            true => print_json("kv-key", key),
            false => println!("{}", key["name"].as_str().unwrap_or("")),
        }
    }
    Ok(())
}

fn bulk(namespace: &Namespace, action: &KvBulkAction, json: bool) -> CommandResult {
    let bad = |e: String| plain(e, "see `cargo edge kv bulk --help` for the file's shape");
    let binding = namespace.binding;
    match action {
        KvBulkAction::Put { file, .. } => {
            let read = remote_kv::read_bulk_file(file).map_err(bad)?;
            let pairs = remote_kv::parse_pairs(file, read).map_err(bad)?;
            for pair in &pairs {
                namespace.put_pair(pair)?;
            }
            let count = pairs.len().to_string();
            let human = format!("stored {count} keys in `{binding}`");
            done(json, "kv-bulk-put", &human, &count);
        }
        KvBulkAction::Delete { file, .. } => {
            let read = remote_kv::read_bulk_file(file).map_err(bad)?;
            let keys = remote_kv::parse_keys(file, read).map_err(bad)?;
            for key in &keys {
                namespace.call("DELETE", key, vec![], Default::default(), Vec::new())?;
            }
            let count = keys.len().to_string();
            let human = format!("deleted {count} keys from `{binding}`");
            done(json, "kv-bulk-delete", &human, &count);
        }
    }
    Ok(())
}
