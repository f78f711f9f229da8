//! Binding kinds as data. Each kind below is one entry with its six faces: the table's keys
//! (shape check, schema and did-you-mean come from them), where each key goes in the upload
//! metadata, where it goes in wrangler's config (and so what `cargo edge import` maps back),
//! and the accessor `cargo edge types` writes. Dev support lives in `dev::kinds`, keyed by
//! [`Kind::table`]. Adding a kind is adding an entry here (and its dev face).
//!
//! The older kinds (KV, D1, R2, queues, services, Durable Objects) predate this table and keep
//! their own typed model: they provision resources and have richer checks.

use serde_json::{Map, Value};

use crate::manifest::keys::{key, required, Key, Shape};

/// One binding kind.
#[derive(Debug)]
pub struct Kind {
    /// The key of its table in `[package.metadata.edge]`: `hyperdrive.DB = { … }`.
    pub table: &'static str,
    /// What one binding of the kind is, in words ("Hyperdrive configuration").
    pub what: &'static str,
    pub keys: &'static [Key],
    /// A key that defaults to `<worker>-<binding>` (env-suffixed with the worker's name).
    pub derived: Option<&'static str>,
    /// At most one binding of the kind per worker (wrangler has a single object for it).
    pub single: bool,
    /// The binding's `type` in the upload metadata.
    pub upload_type: &'static str,
    /// Table key → dotted path in the upload binding; a key not listed is local only.
    pub upload: &'static [(&'static str, &'static str)],
    /// wrangler's key for the kind.
    pub wrangler_key: &'static str,
    /// The field that names the binding in wrangler's entries (`binding` or `name`).
    pub wrangler_name: &'static str,
    /// Table key → dotted path in wrangler's entry.
    pub wrangler: &'static [(&'static str, &'static str)],
    /// The accessor's type and the `worker::Env` method that returns it.
    pub accessor: (&'static str, &'static str),
}

const STR_LIST: Shape = Shape::List(&Shape::Str);

pub const HYPERDRIVE: &[Key] = &[
    required("id", Shape::Str, "The Hyperdrive configuration's id."),
    key(
        "local_connection_string",
        Shape::Str,
        "The PostgreSQL `postgres://user:password@host:port/database` dev connects to (or set CARGO_EDGE_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING>).",
    ),
];

pub const ANALYTICS_ENGINE: &[Key] = &[key(
    "dataset",
    Shape::Str,
    "The dataset written to (default `<worker>-<binding>`).",
)];

pub const RATE_LIMIT: &[Key] = &[
    required(
        "namespace_id",
        Shape::Str,
        "A positive integer, as a string, unique in the account: limits with the same id share counters.",
    ),
    required(
        "limit",
        Shape::Int {
            min: 1,
            max: 1_000_000_000,
        },
        "Requests allowed per key and period.",
    ),
    required(
        "period",
        Shape::OneOf(&[10, 60]),
        "The period in seconds: 10 or 60.",
    ),
];

pub const SECRETS_STORE: &[Key] = &[
    required("store_id", Shape::Str, "The Secrets Store's id."),
    required(
        "secret_name",
        Shape::Str,
        "The secret's name in the store (locally: its key in `.secrets-store.toml`).",
    ),
];

pub const SEND_EMAIL: &[Key] = &[
    key(
        "destination_address",
        Shape::Str,
        "The only address messages may go to.",
    ),
    key(
        "allowed_destination_addresses",
        STR_LIST,
        "Addresses messages may go to.",
    ),
    key(
        "allowed_sender_addresses",
        STR_LIST,
        "Addresses messages may come from.",
    ),
];

pub const DISPATCH_NAMESPACE: &[Key] = &[
    required(
        "namespace",
        Shape::Str,
        "The dispatch namespace (Workers for Platforms); in dev, workers of this workspace.",
    ),
    key(
        "outbound",
        Shape::Str,
        "An outbound worker that sees every fetch of the dispatched workers.",
    ),
    key(
        "local_workers",
        STR_LIST,
        "Dev only: the workspace's workers `get(name)` finds in this namespace (default: every other worker of the workspace).",
    ),
];

/// Every binding kind described as data, in the order they are rendered.
pub const KINDS: &[Kind] = &[
    Kind {
        table: "hyperdrive",
        what: "Hyperdrive configuration",
        keys: HYPERDRIVE,
        derived: None,
        single: false,
        upload_type: "hyperdrive",
        upload: &[("id", "id")],
        wrangler_key: "hyperdrive",
        wrangler_name: "binding",
        wrangler: &[
            ("id", "id"),
            ("local_connection_string", "localConnectionString"),
        ],
        accessor: ("worker::Hyperdrive", "hyperdrive"),
    },
    Kind {
        table: "ai",
        what: "Workers AI",
        keys: &[],
        derived: None,
        single: true,
        upload_type: "ai",
        upload: &[],
        wrangler_key: "ai",
        wrangler_name: "binding",
        wrangler: &[],
        accessor: ("worker::Ai", "ai"),
    },
    Kind {
        table: "analytics_engine",
        what: "Analytics Engine dataset",
        keys: ANALYTICS_ENGINE,
        derived: Some("dataset"),
        single: false,
        upload_type: "analytics_engine",
        upload: &[("dataset", "dataset")],
        wrangler_key: "analytics_engine_datasets",
        wrangler_name: "binding",
        wrangler: &[("dataset", "dataset")],
        accessor: ("worker::AnalyticsEngineDataset", "analytics_engine"),
    },
    Kind {
        table: "rate_limits",
        what: "rate limiter",
        keys: RATE_LIMIT,
        derived: None,
        single: false,
        upload_type: "ratelimit",
        upload: &[
            ("namespace_id", "namespace_id"),
            ("limit", "simple.limit"),
            ("period", "simple.period"),
        ],
        wrangler_key: "ratelimits",
        wrangler_name: "name",
        wrangler: &[
            ("namespace_id", "namespace_id"),
            ("limit", "simple.limit"),
            ("period", "simple.period"),
        ],
        accessor: ("worker::RateLimiter", "rate_limiter"),
    },
    Kind {
        table: "secrets_store",
        what: "Secrets Store secret",
        keys: SECRETS_STORE,
        derived: None,
        single: false,
        upload_type: "secrets_store_secret",
        upload: &[("store_id", "store_id"), ("secret_name", "secret_name")],
        wrangler_key: "secrets_store_secrets",
        wrangler_name: "binding",
        wrangler: &[("store_id", "store_id"), ("secret_name", "secret_name")],
        accessor: ("worker::SecretStore", "secret_store"),
    },
    Kind {
        table: "send_email",
        what: "email sender",
        keys: SEND_EMAIL,
        derived: None,
        single: false,
        upload_type: "send_email",
        upload: &[
            ("destination_address", "destination_address"),
            (
                "allowed_destination_addresses",
                "allowed_destination_addresses",
            ),
            ("allowed_sender_addresses", "allowed_sender_addresses"),
        ],
        wrangler_key: "send_email",
        wrangler_name: "name",
        wrangler: &[
            ("destination_address", "destination_address"),
            (
                "allowed_destination_addresses",
                "allowed_destination_addresses",
            ),
            ("allowed_sender_addresses", "allowed_sender_addresses"),
        ],
        accessor: ("worker::SendEmail", "send_email"),
    },
    Kind {
        table: "version_metadata",
        what: "version metadata",
        keys: &[],
        derived: None,
        single: true,
        upload_type: "version_metadata",
        upload: &[],
        wrangler_key: "version_metadata",
        wrangler_name: "binding",
        wrangler: &[],
        accessor: ("worker::WorkerVersionMetadata", "get_binding"),
    },
    Kind {
        table: "dispatch_namespaces",
        what: "dispatch namespace",
        keys: DISPATCH_NAMESPACE,
        derived: None,
        single: false,
        upload_type: "dispatch_namespace",
        upload: &[
            ("namespace", "namespace"),
            ("outbound", "outbound.worker.service"),
        ],
        wrangler_key: "dispatch_namespaces",
        wrangler_name: "binding",
        wrangler: &[("namespace", "namespace"), ("outbound", "outbound.service")],
        accessor: ("worker::DynamicDispatcher", "dynamic_dispatcher"),
    },
];

/// The kind whose table is `table`.
pub fn kind(table: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.table == table)
}

/// The kind whose wrangler key is `key`.
pub fn by_wrangler_key(key: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.wrangler_key == key)
}

/// The object `fields` maps `values` to: each listed key's value at its dotted path.
pub fn place(values: &Map<String, Value>, fields: &[(&str, &str)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (from, path) in fields {
        if let Some(value) = values.get(*from) {
            insert_at(&mut out, path, value.clone());
        }
    }
    out
}

/// The values back from an object laid out by `fields` (the inverse of [`place`]), and every
/// field of `object` that `fields` does not cover, as dotted paths.
pub fn unplace(
    object: &Map<String, Value>,
    fields: &[(&str, &str)],
) -> (Map<String, Value>, Vec<String>) {
    let mut values = Map::new();
    for (to, path) in fields {
        if let Some(value) = get_at(object, path) {
            values.insert((*to).to_string(), value.clone());
        }
    }
    let mut unknown = Vec::new();
    leaves(object, "", &mut |path| {
        let covered = fields
            .iter()
            .any(|(_, p)| *p == path || p.starts_with(&format!("{path}.")));
        if !covered {
            unknown.push(path.to_string());
        }
    });
    (values, unknown)
}

fn insert_at(out: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            out.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let inner = out
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = inner {
                insert_at(inner, rest, value);
            }
        }
    }
}

fn get_at<'a>(object: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    match path.split_once('.') {
        None => object.get(path),
        Some((head, rest)) => get_at(object.get(head)?.as_object()?, rest),
    }
}

/// Calls `visit` with the dotted path of every field that is not a non-empty object.
fn leaves(object: &Map<String, Value>, prefix: &str, visit: &mut dyn FnMut(&str)) {
    for (key, value) in object {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner) if !inner.is_empty() => leaves(inner, &path, visit),
            _ => visit(&path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_paths_nest_and_come_back() {
        let limiter = kind("rate_limits").unwrap();
        let values = json!({"namespace_id": "1001", "limit": 10, "period": 60});
        let values = values.as_object().unwrap();
        let upload = place(values, limiter.upload);
        assert_eq!(
            Value::Object(upload.clone()),
            json!({"namespace_id": "1001", "simple": {"limit": 10, "period": 60}})
        );
        let (back, unknown) = unplace(&upload, limiter.upload);
        assert_eq!(&back, values);
        assert!(unknown.is_empty(), "{unknown:?}");
    }

    #[test]
    fn fields_no_kind_maps_are_named() {
        let hyperdrive = kind("hyperdrive").unwrap();
        let wrangler = json!({"id": "h", "localConnectionString": "postgres://x", "remote": true});
        let (_, unknown) = unplace(wrangler.as_object().unwrap(), hyperdrive.wrangler);
        assert_eq!(unknown, ["remote"]);
        let limiter = kind("rate_limits").unwrap();
        let wrangler =
            json!({"namespace_id": "1", "simple": {"limit": 1, "period": 10, "burst": 2}});
        let (_, unknown) = unplace(wrangler.as_object().unwrap(), limiter.wrangler);
        assert_eq!(unknown, ["simple.burst"]);
    }

    #[test]
    fn every_kind_maps_only_keys_it_has() {
        for kind in KINDS {
            for (from, _) in kind.upload.iter().chain(kind.wrangler) {
                assert!(
                    kind.keys.iter().any(|k| k.name == *from),
                    "{}: `{from}` is not a key",
                    kind.table
                );
            }
            assert_eq!(
                by_wrangler_key(kind.wrangler_key).unwrap().table,
                kind.table
            );
        }
    }
}
