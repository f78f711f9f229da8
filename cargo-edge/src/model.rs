//! The resolved worker: one worker in one environment, every default applied and every check
//! passed. Everything downstream (render, dev, deploy) reads only this; `manifest` produces it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

/// The default name of the plain-text binding that carries the bundle's content hash.
pub const CONTENT_HASH_BINDING: &str = "EDGE_CONTENT_HASH";

/// Every worker of a workspace that resolved, in one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Project {
    pub workspace_root: PathBuf,
    pub env: Option<String>,
    /// Sorted by package name.
    pub workers: Vec<Worker>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Worker {
    /// The script name on Cloudflare: `name` from the table (default: the package name), with
    /// `-<env>` appended in an environment unless the environment sets its own `name`.
    pub name: String,
    pub package: String,
    pub manifest_path: PathBuf,
    pub env: Option<String>,
    pub account_id: Option<String>,
    pub compatibility_date: String,
    pub compatibility_flags: Vec<String>,
    pub workers_dev: bool,
    pub routes: Vec<Route>,
    /// Custom domains (hostnames).
    pub domains: Vec<String>,
    pub crons: Vec<String>,
    pub vars: BTreeMap<String, Var>,
    /// Secret names; values come from `.dev.vars` locally and `cargo edge secret` remotely.
    pub secrets: Vec<String>,
    pub kv: BTreeMap<String, KvNamespace>,
    pub d1: BTreeMap<String, D1Database>,
    pub r2: BTreeMap<String, R2Bucket>,
    pub queue_producers: BTreeMap<String, QueueProducer>,
    /// Keyed by queue name.
    pub queue_consumers: BTreeMap<String, QueueConsumer>,
    pub services: BTreeMap<String, Service>,
    pub durable_objects: BTreeMap<String, DurableObject>,
    pub migrations: Vec<Migration>,
    pub build: BuildSettings,
    /// Workers Static Assets (`[package.metadata.edge.assets]`).
    pub assets: Option<crate::assets::Assets>,
    /// Name of the plain-text binding that carries the content hash ([`CONTENT_HASH_BINDING`]).
    pub content_hash_binding: String,
    /// Bindings of the kinds described in [`crate::kinds`], keyed by binding name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub kind_bindings: BTreeMap<String, KindBinding>,
    /// `unsafe.bindings`: raw upload binding objects, passed through.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsafe_bindings: Vec<serde_json::Value>,
    /// Binding types a deploy keeps from the live worker (besides secrets).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keep_bindings: Vec<String>,
    /// The settings in [`crate::settings`] the worker sets, by key, in the API's shape.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, serde_json::Value>,
}

/// One binding of a kind in [`crate::kinds`]: the kind's table key and the binding's fields
/// (defaults applied).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindBinding {
    pub kind: &'static str,
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl KindBinding {
    /// The kind's description.
    pub fn kind(&self) -> &'static crate::kinds::Kind {
        crate::kinds::kind(self.kind).expect("a KindBinding is made from a known kind")
    }

    /// A string field.
    pub fn str(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(serde_json::Value::as_str)
    }

    /// A list-of-strings field (`None` when absent).
    pub fn strs(&self, field: &str) -> Option<Vec<&str>> {
        let list = self.fields.get(field)?.as_array()?;
        Some(list.iter().filter_map(serde_json::Value::as_str).collect())
    }
}

impl Worker {
    /// The workers each dispatch namespace finds in dev, by binding: `local_workers` as
    /// written (renamed in an environment), or `None` for "every other worker of the
    /// workspace".
    pub fn dispatch_namespaces(&self) -> impl Iterator<Item = (&str, Option<Vec<&str>>)> {
        self.kind_bindings
            .iter()
            .filter(|(_, b)| b.kind == "dispatch_namespaces")
            .map(|(name, b)| (name.as_str(), b.strs("local_workers")))
    }

    /// Each dispatch namespace's outbound worker, by binding: the worker its dispatched
    /// workers' `fetch()` subrequests go through.
    pub fn dispatch_outbounds(&self) -> impl Iterator<Item = (&str, &str)> {
        self.kind_bindings
            .iter()
            .filter(|(_, b)| b.kind == "dispatch_namespaces")
            .filter_map(|(name, b)| Some((name.as_str(), b.str("outbound")?)))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Var {
    /// A TOML string: a `plain_text` binding.
    Text(String),
    /// Any other TOML value: a `json` binding.
    Json(serde_json::Value),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub pattern: String,
    pub zone: Option<Zone>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    Name(String),
    Id(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KvNamespace {
    /// A fixed namespace id; `None` means provisioned by `title`.
    pub id: Option<String>,
    /// The title the namespace is found or created by (env-suffixed by default).
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct D1Database {
    /// A fixed database uuid; `None` means provisioned by `name`.
    pub id: Option<String>,
    pub name: String,
    /// Absolute path of the migrations folder, if the crate has one.
    pub migrations_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct R2Bucket {
    pub bucket: String,
    pub jurisdiction: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueProducer {
    pub queue: String,
    pub delivery_delay: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueConsumer {
    pub queue: String,
    pub max_batch_size: u32,
    pub max_wait_ms: u32,
    pub max_retries: u32,
    /// Seconds before a retried message is delivered again.
    pub retry_delay: u32,
    pub dead_letter_queue: Option<String>,
    pub max_concurrency: Option<u32>,
}

impl QueueConsumer {
    /// Cloudflare's defaults for a consumer declared with no settings.
    pub fn with_defaults(queue: impl Into<String>) -> QueueConsumer {
        QueueConsumer {
            queue: queue.into(),
            max_batch_size: 10,
            max_wait_ms: 5000,
            max_retries: 3,
            retry_delay: 0,
            dead_letter_queue: None,
            max_concurrency: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Service {
    /// Another worker, optionally a named entrypoint of it. `worker` is its resolved script name.
    Worker {
        worker: String,
        entrypoint: Option<String>,
    },
    /// An HTTP backend outside Cloudflare (the reverse-proxy pattern).
    External { url: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DurableObject {
    pub class: String,
    /// The worker that defines the class, when it is not this one.
    pub worker: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Migration {
    pub tag: String,
    pub new_classes: Vec<String>,
    pub new_sqlite_classes: Vec<String>,
    pub renamed_classes: Vec<RenamedClass>,
    pub deleted_classes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenamedClass {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct BuildSettings {
    /// Cargo profile for `build`/`deploy` (default: release).
    pub profile: Option<String>,
    pub features: Vec<String>,
    pub no_default_features: bool,
    /// Run `wasm-opt` when one is found (default: on).
    pub wasm_opt: bool,
}

impl Worker {
    /// A worker with no bindings, triggers or settings beyond its name and date.
    pub fn minimal(
        name: &str,
        package: &str,
        manifest_path: PathBuf,
        compatibility_date: &str,
    ) -> Worker {
        Worker {
            name: name.into(),
            package: package.into(),
            manifest_path,
            env: None,
            account_id: None,
            compatibility_date: compatibility_date.into(),
            compatibility_flags: Vec::new(),
            workers_dev: true,
            routes: Vec::new(),
            domains: Vec::new(),
            crons: Vec::new(),
            vars: BTreeMap::new(),
            secrets: Vec::new(),
            kv: BTreeMap::new(),
            d1: BTreeMap::new(),
            r2: BTreeMap::new(),
            queue_producers: BTreeMap::new(),
            queue_consumers: BTreeMap::new(),
            services: BTreeMap::new(),
            durable_objects: BTreeMap::new(),
            migrations: Vec::new(),
            build: BuildSettings {
                wasm_opt: true,
                ..BuildSettings::default()
            },
            assets: None,
            content_hash_binding: CONTENT_HASH_BINDING.into(),
            kind_bindings: BTreeMap::new(),
            unsafe_bindings: Vec::new(),
            keep_bindings: Vec::new(),
            settings: BTreeMap::new(),
        }
    }

    /// Every binding name the worker declares, with the kind of binding it is.
    pub fn binding_names(&self) -> Vec<(&str, &'static str)> {
        let mut names: Vec<(&str, &'static str)> = Vec::new();
        names.extend(self.vars.keys().map(|k| (k.as_str(), "vars")));
        names.extend(self.secrets.iter().map(|k| (k.as_str(), "secrets")));
        names.extend(self.kv.keys().map(|k| (k.as_str(), "kv")));
        names.extend(self.d1.keys().map(|k| (k.as_str(), "d1")));
        names.extend(self.r2.keys().map(|k| (k.as_str(), "r2")));
        names.extend(
            self.queue_producers
                .keys()
                .map(|k| (k.as_str(), "queues.producers")),
        );
        names.extend(self.services.keys().map(|k| (k.as_str(), "services")));
        names.extend(
            self.durable_objects
                .keys()
                .map(|k| (k.as_str(), "durable_objects")),
        );
        names.extend(self.kind_bindings.iter().map(|(k, b)| (k.as_str(), b.kind)));
        names.extend(
            self.assets
                .iter()
                .filter_map(|a| a.binding.as_deref())
                .map(|b| (b, "assets")),
        );
        names
    }

    /// The Durable Object classes this worker defines itself.
    pub fn own_durable_object_classes(&self) -> Vec<&str> {
        let mut classes: Vec<&str> = self
            .durable_objects
            .values()
            .filter(|d| d.worker.is_none())
            .map(|d| d.class.as_str())
            .collect();
        classes.sort();
        classes.dedup();
        classes
    }

    /// Classes whose storage is SQLite-backed after all migrations ran (renames carry it over).
    pub fn sqlite_classes(&self) -> Vec<&str> {
        let mut sqlite: Vec<&str> = Vec::new();
        for migration in &self.migrations {
            sqlite.extend(migration.new_sqlite_classes.iter().map(String::as_str));
            for rename in &migration.renamed_classes {
                if let Some(class) = sqlite.iter_mut().find(|c| **c == rename.from) {
                    *class = &rename.to;
                }
            }
            sqlite.retain(|c| !migration.deleted_classes.iter().any(|d| d == c));
        }
        sqlite
    }
}
