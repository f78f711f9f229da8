//! A wrangler configuration (wrangler.toml or wrangler.jsonc) equivalent to the model, so users
//! can keep using wrangler's other commands. wrangler does not inherit bindings into
//! environments, so every `[env.NAME]` carries its bindings in full.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::model::{Route as ModelRoute, Service, Var, Worker, Zone};

#[derive(Debug, Serialize)]
pub struct WranglerConfig {
    #[serde(rename = "$schema", skip_serializing_if = "Option::is_none")]
    schema: Option<String>,
    main: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
    no_bundle: bool,
    rules: Vec<ModuleRule>,
    build: BuildCommand,
    #[serde(flatten)]
    top: Section,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    migrations: Vec<MigrationOut>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    env: BTreeMap<String, Section>,
}

#[derive(Debug, Serialize)]
struct ModuleRule {
    #[serde(rename = "type")]
    kind: &'static str,
    globs: Vec<&'static str>,
    fallthrough: bool,
}

#[derive(Debug, Serialize)]
struct BuildCommand {
    command: String,
}

/// What wrangler wants repeated in every environment.
#[derive(Debug, Serialize)]
struct Section {
    name: String,
    compatibility_date: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    compatibility_flags: Vec<String>,
    workers_dev: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    routes: Vec<RouteOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    triggers: Option<Triggers>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    vars: BTreeMap<String, Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    kv_namespaces: Vec<KvOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    d1_databases: Vec<D1Out>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    r2_buckets: Vec<R2Out>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queues: Option<QueuesOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    services: Vec<ServiceOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    durable_objects: Option<DurableObjectsOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assets: Option<Value>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum RouteOut {
    Pattern(String),
    ZoneName {
        pattern: String,
        zone_name: String,
    },
    ZoneId {
        pattern: String,
        zone_id: String,
    },
    CustomDomain {
        pattern: String,
        custom_domain: bool,
    },
}

#[derive(Debug, Serialize)]
struct Triggers {
    crons: Vec<String>,
}

#[derive(Debug, Serialize)]
struct KvOut {
    binding: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
}

#[derive(Debug, Serialize)]
struct D1Out {
    binding: String,
    database_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    database_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    migrations_dir: Option<String>,
}

#[derive(Debug, Serialize)]
struct R2Out {
    binding: String,
    bucket_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    jurisdiction: Option<String>,
}

#[derive(Debug, Serialize)]
struct QueuesOut {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    producers: Vec<ProducerOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    consumers: Vec<ConsumerOut>,
}

#[derive(Debug, Serialize)]
struct ProducerOut {
    binding: String,
    queue: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_delay: Option<u32>,
}

#[derive(Debug, Serialize)]
struct ConsumerOut {
    queue: String,
    max_batch_size: u32,
    /// wrangler takes seconds.
    max_batch_timeout: f64,
    max_retries: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    dead_letter_queue: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_concurrency: Option<u32>,
    retry_delay: u32,
}

#[derive(Debug, Serialize)]
struct ServiceOut {
    binding: String,
    service: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    entrypoint: Option<String>,
}

#[derive(Debug, Serialize)]
struct DurableObjectsOut {
    bindings: Vec<DurableObjectOut>,
}

#[derive(Debug, Serialize)]
struct DurableObjectOut {
    name: String,
    class_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    script_name: Option<String>,
}

#[derive(Debug, Serialize)]
struct MigrationOut {
    tag: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    new_classes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    new_sqlite_classes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    renamed_classes: Vec<RenamedOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    deleted_classes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct RenamedOut {
    from: String,
    to: String,
}

/// Build the config for the worker without an environment (`base`) and each of its `envs`.
/// Paths (main module, migrations) are written relative to `config_dir`.
pub fn config(
    base: &Worker,
    envs: &[Worker],
    main_module: &Path,
    config_dir: &Path,
) -> WranglerConfig {
    let relative = |p: &Path| super::capnp::relative(p, config_dir);
    let manifest = relative(&base.manifest_path);
    WranglerConfig {
        schema: None,
        main: relative(main_module),
        account_id: base.account_id.clone(),
        no_bundle: true,
        rules: vec![
            ModuleRule {
                kind: "ESModule",
                globs: vec!["**/*.js", "**/*.mjs"],
                fallthrough: false,
            },
            ModuleRule {
                kind: "CompiledWasm",
                globs: vec!["**/*.wasm"],
                fallthrough: false,
            },
        ],
        build: BuildCommand {
            command: format!("cargo edge build --manifest-path {manifest}"),
        },
        top: section(base, config_dir),
        migrations: base.migrations.iter().map(migration).collect(),
        env: envs
            .iter()
            .filter_map(|w| Some((w.env.clone()?, section(w, config_dir))))
            .collect(),
    }
}

/// wrangler.toml text.
pub fn to_toml(config: &WranglerConfig) -> String {
    let body = toml::to_string_pretty(config).expect("the wrangler config always serializes");
    format!("# Generated by `cargo edge config --format wrangler` from Cargo.toml's [package.metadata.edge].\n# Edit Cargo.toml, not this file.\n\n{body}")
}

/// wrangler.jsonc text, with the schema wrangler ships for editors.
pub fn to_jsonc(mut config: WranglerConfig) -> String {
    config.schema = Some("node_modules/wrangler/config-schema.json".into());
    let body =
        serde_json::to_string_pretty(&config).expect("the wrangler config always serializes");
    format!("// Generated by `cargo edge config --format wrangler-json` from Cargo.toml's [package.metadata.edge].\n// Edit Cargo.toml, not this file.\n{body}\n")
}

fn section(worker: &Worker, config_dir: &Path) -> Section {
    let mut routes: Vec<RouteOut> = worker.routes.iter().map(route).collect();
    routes.extend(worker.domains.iter().map(|d| RouteOut::CustomDomain {
        pattern: d.clone(),
        custom_domain: true,
    }));
    Section {
        name: worker.name.clone(),
        compatibility_date: worker.compatibility_date.clone(),
        compatibility_flags: worker.compatibility_flags.clone(),
        workers_dev: worker.workers_dev,
        routes,
        triggers: (!worker.crons.is_empty()).then(|| Triggers {
            crons: worker.crons.clone(),
        }),
        vars: vars(worker),
        kv_namespaces: worker
            .kv
            .iter()
            .map(|(b, kv)| KvOut {
                binding: b.clone(),
                id: kv.id.clone(),
            })
            .collect(),
        d1_databases: worker
            .d1
            .iter()
            .map(|(b, db)| D1Out {
                binding: b.clone(),
                database_name: db.name.clone(),
                database_id: db.id.clone(),
                migrations_dir: db
                    .migrations_dir
                    .as_deref()
                    .map(|d| super::capnp::relative(d, config_dir)),
            })
            .collect(),
        r2_buckets: worker
            .r2
            .iter()
            .map(|(b, r2)| R2Out {
                binding: b.clone(),
                bucket_name: r2.bucket.clone(),
                jurisdiction: r2.jurisdiction.clone(),
            })
            .collect(),
        queues: queues(worker),
        services: worker
            .services
            .iter()
            .filter_map(|(b, s)| match s {
                Service::Worker { worker, entrypoint } => Some(ServiceOut {
                    binding: b.clone(),
                    service: worker.clone(),
                    entrypoint: entrypoint.clone(),
                }),
                Service::External { .. } => None, // rendered as a var: see `vars`
            })
            .collect(),
        durable_objects: (!worker.durable_objects.is_empty()).then(|| DurableObjectsOut {
            bindings: worker
                .durable_objects
                .iter()
                .map(|(b, d)| DurableObjectOut {
                    name: b.clone(),
                    class_name: d.class.clone(),
                    script_name: d.worker.clone(),
                })
                .collect(),
        }),
        assets: worker.assets.as_ref().map(|a| {
            crate::assets::config::wrangler(a, &super::capnp::relative(&a.directory, config_dir))
        }),
    }
}

/// Vars, plus external backends as their URL (Cloudflare has no binding for those).
fn vars(worker: &Worker) -> BTreeMap<String, Value> {
    let mut vars: BTreeMap<String, Value> = worker
        .vars
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Var::Text(text) => Value::String(text.clone()),
                Var::Json(json) => json.clone(),
            };
            (k.clone(), value)
        })
        .collect();
    for (binding, service) in &worker.services {
        if let Service::External { url } = service {
            vars.insert(binding.clone(), Value::String(url.clone()));
        }
    }
    vars
}

fn queues(worker: &Worker) -> Option<QueuesOut> {
    let producers: Vec<ProducerOut> = worker
        .queue_producers
        .iter()
        .map(|(b, p)| ProducerOut {
            binding: b.clone(),
            queue: p.queue.clone(),
            delivery_delay: p.delivery_delay,
        })
        .collect();
    let consumers: Vec<ConsumerOut> = worker
        .queue_consumers
        .values()
        .map(|c| ConsumerOut {
            queue: c.queue.clone(),
            max_batch_size: c.max_batch_size,
            max_batch_timeout: f64::from(c.max_wait_ms) / 1000.0,
            max_retries: c.max_retries,
            dead_letter_queue: c.dead_letter_queue.clone(),
            max_concurrency: c.max_concurrency,
            retry_delay: c.retry_delay,
        })
        .collect();
    (!producers.is_empty() || !consumers.is_empty()).then_some(QueuesOut {
        producers,
        consumers,
    })
}

fn route(route: &ModelRoute) -> RouteOut {
    match &route.zone {
        None => RouteOut::Pattern(route.pattern.clone()),
        Some(Zone::Name(zone_name)) => RouteOut::ZoneName {
            pattern: route.pattern.clone(),
            zone_name: zone_name.clone(),
        },
        Some(Zone::Id(zone_id)) => RouteOut::ZoneId {
            pattern: route.pattern.clone(),
            zone_id: zone_id.clone(),
        },
    }
}

fn migration(m: &crate::model::Migration) -> MigrationOut {
    MigrationOut {
        tag: m.tag.clone(),
        new_classes: m.new_classes.clone(),
        new_sqlite_classes: m.new_sqlite_classes.clone(),
        renamed_classes: m
            .renamed_classes
            .iter()
            .map(|r| RenamedOut {
                from: r.from.clone(),
                to: r.to.clone(),
            })
            .collect(),
        deleted_classes: m.deleted_classes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample;

    fn sample_config() -> WranglerConfig {
        let mut base = sample::worker();
        base.name = "api".into();
        base.env = None;
        let prod = sample::worker();
        config(
            &base,
            &[prod],
            Path::new("/work/target/edge/api/shim.mjs"),
            Path::new("/work/api"),
        )
    }

    #[test]
    fn toml_has_every_binding_and_env() {
        insta::assert_snapshot!(to_toml(&sample_config()));
    }

    #[test]
    fn jsonc_parses_as_json_after_its_comments() {
        let text = to_jsonc(sample_config());
        let json: String = text
            .lines()
            .filter(|l| !l.starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["env"]["prod"]["name"], "api-prod");
        assert_eq!(value["queues"]["consumers"][0]["max_batch_timeout"], 5.0);
        assert_eq!(value["main"], "../target/edge/api/shim.mjs");
    }
}
