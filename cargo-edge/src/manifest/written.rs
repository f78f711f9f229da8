//! The metadata table as written: every key optional, every value with the place it was written.
//! [`resolve`](super::resolve) turns one of these (after the env overlay) into a `model::Worker`.

use std::collections::BTreeMap;

use super::source::{Loc, Spanned};

pub type Text = Spanned<String>;
pub type TextList = Spanned<Vec<Text>>;
/// Bindings keyed by name; each entry's location is its key.
pub type Bindings<T> = BTreeMap<String, Spanned<T>>;

/// `[package.metadata.edge]`, an `env.<NAME>` table, or `[workspace.metadata.edge]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EdgeTable {
    /// Where the table is (its header or key), for problems about the table as a whole.
    pub loc: Option<Loc>,
    pub name: Option<Text>,
    pub account_id: Option<Text>,
    pub compatibility_date: Option<Text>,
    pub compatibility_flags: Option<TextList>,
    pub workers_dev: Option<Spanned<bool>>,
    pub routes: Option<Spanned<Vec<Spanned<RouteW>>>>,
    pub domains: Option<TextList>,
    pub crons: Option<TextList>,
    pub secrets: Option<TextList>,
    pub content_hash_binding: Option<Text>,
    pub vars: Bindings<serde_json::Value>,
    pub kv: Bindings<KvW>,
    pub d1: Bindings<D1W>,
    pub r2: Bindings<R2W>,
    pub producers: Bindings<ProducerW>,
    /// Keyed by queue name.
    pub consumers: Bindings<ConsumerW>,
    pub services: Bindings<ServiceW>,
    pub durable_objects: Bindings<DurableObjectW>,
    pub migrations: Option<Spanned<Vec<Spanned<MigrationW>>>>,
    pub build: BuildW,
    /// `assets = { directory, ... }` (replaced whole by an environment).
    pub assets: Option<Spanned<super::assets::AssetsW>>,
    /// Environments, keyed by name (only in a package table).
    pub env: Bindings<EdgeTable>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RouteW {
    pub pattern: Text,
    pub zone_name: Option<Text>,
    pub zone_id: Option<Text>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct KvW {
    pub id: Option<Text>,
    pub title: Option<Text>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct D1W {
    pub id: Option<Text>,
    pub database: Option<Text>,
    pub migrations: Option<Text>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct R2W {
    pub bucket: Option<Text>,
    pub jurisdiction: Option<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProducerW {
    pub queue: Option<Text>,
    pub delivery_delay: Option<Spanned<i64>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsumerW {
    pub max_batch_size: Option<Spanned<i64>>,
    pub max_wait_ms: Option<Spanned<i64>>,
    pub max_retries: Option<Spanned<i64>>,
    pub retry_delay: Option<Spanned<i64>>,
    pub dead_letter_queue: Option<Text>,
    pub max_concurrency: Option<Spanned<i64>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceW {
    pub worker: Option<Text>,
    pub entrypoint: Option<Text>,
    pub url: Option<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DurableObjectW {
    pub class: Option<Text>,
    pub worker: Option<Text>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MigrationW {
    pub tag: Option<Text>,
    pub new_classes: Vec<Text>,
    pub new_sqlite_classes: Vec<Text>,
    pub renamed_classes: Vec<Spanned<RenamedW>>,
    pub deleted_classes: Vec<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RenamedW {
    pub from: Option<Text>,
    pub to: Option<Text>,
}

/// `build = { ... }`: each key overrides on its own in an environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildW {
    pub profile: Option<Text>,
    pub features: Option<TextList>,
    pub no_default_features: Option<Spanned<bool>>,
    pub wasm_opt: Option<Spanned<bool>>,
}
