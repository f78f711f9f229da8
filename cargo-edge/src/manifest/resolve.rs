//! From the layered as-written table to the resolved `model::Worker`: defaults applied, names
//! derived (env-suffixed), folders made absolute, and the checks that need the whole table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::date::Date;
use super::error::Problem;
use super::source::Loc;
use super::validate::binding_names;
use super::written::{ConsumerW, EdgeTable, RouteW, ServiceW, Text, D1W};
use crate::model::{self, QueueConsumer, Var, Worker};

/// What resolution needs besides the table.
pub struct Context<'a> {
    pub package: &'a str,
    pub manifest_path: &'a Path,
    pub env: Option<&'a str>,
    /// The selected environment sets its own `name` (then no `-<env>` suffix is added).
    pub env_sets_name: bool,
    pub today: Date,
}

/// Resolves `table` (workspace defaults, package table and environment already layered).
pub fn resolve(table: &EdgeTable, cx: &Context, out: &mut Vec<Problem>) -> Option<Worker> {
    let date = compatibility_date(table, cx, out)?;
    let name = worker_name(table, cx);
    let crate_dir = crate_dir(cx.manifest_path);
    let auto = |binding: &str, given: &Option<Text>| given_or_default(&name, binding, given);
    let list = |l: &Option<super::written::TextList>| texts(l.as_ref().map(|l| &l.value));
    let worker = Worker {
        package: cx.package.to_string(),
        manifest_path: crate_dir.join(file_name(cx.manifest_path)),
        env: cx.env.map(str::to_string),
        account_id: table.account_id.as_ref().map(|a| a.value.clone()),
        compatibility_date: date,
        compatibility_flags: list(&table.compatibility_flags),
        workers_dev: table.workers_dev.as_ref().is_none_or(|w| w.value),
        routes: table
            .routes
            .iter()
            .flat_map(|r| &r.value)
            .map(|r| route(&r.value))
            .collect(),
        domains: list(&table.domains),
        crons: list(&table.crons),
        vars: table
            .vars
            .iter()
            .map(|(k, v)| (k.clone(), var(&v.value)))
            .collect(),
        secrets: list(&table.secrets),
        kv: map(&table.kv, |k, kv| model::KvNamespace {
            id: text(&kv.id),
            title: auto(k, &kv.title),
        }),
        d1: map(&table.d1, |k, d1| database(k, d1, &name, &crate_dir, out)),
        r2: map(&table.r2, |k, r2| model::R2Bucket {
            bucket: auto(k, &r2.bucket),
            jurisdiction: text(&r2.jurisdiction),
        }),
        queue_producers: producers(table),
        queue_consumers: map(&table.consumers, consumer),
        services: table
            .services
            .iter()
            .filter_map(|(k, s)| Some((k.clone(), service(&s.value)?)))
            .collect(),
        durable_objects: durable_objects(table),
        migrations: table
            .migrations
            .iter()
            .flat_map(|m| &m.value)
            .map(|m| migration(&m.value))
            .collect(),
        build: build(table),
        content_hash_binding: text(&table.content_hash_binding)
            .unwrap_or_else(|| model::CONTENT_HASH_BINDING.to_string()),
        name,
    };
    Some(worker)
}

/// `name` (default: the package name), with `-<env>` unless the environment names itself.
fn worker_name(table: &EdgeTable, cx: &Context) -> String {
    let base = table.name.as_ref().map_or(cx.package, |n| n.value.as_str());
    match cx.env {
        Some(env) if !cx.env_sets_name => format!("{base}-{env}"),
        _ => base.to_string(),
    }
}

/// The name a resource is provisioned by: as given, or `<worker>-<binding, lower, _ → ->`.
fn given_or_default(worker: &str, binding: &str, given: &Option<Text>) -> String {
    match given {
        Some(g) => g.value.clone(),
        None => format!(
            "{worker}-{}",
            binding.to_ascii_lowercase().replace('_', "-")
        ),
    }
}

fn compatibility_date(table: &EdgeTable, cx: &Context, out: &mut Vec<Problem>) -> Option<String> {
    if let Some(date) = &table.compatibility_date {
        return Some(date.value.clone());
    }
    let message = format!("`{}` has no `compatibility_date`", cx.package);
    let help = format!(
        "add it to [package.metadata.edge] (or to [workspace.metadata.edge] for every member):\n\n    compatibility_date = \"{}\"",
        cx.today
    );
    let problem = match &table.loc {
        Some(loc) => Problem::error("missing_compatibility_date", loc, message)
            .label("set `compatibility_date` in this table"),
        None => Problem::unplaced("missing_compatibility_date", message),
    };
    out.push(problem.help(help));
    None
}

/// A binding name may be used once across all kinds (vars, secrets, kv, d1, ...).
pub fn check_duplicates(table: &EdgeTable, out: &mut Vec<Problem>) {
    let mut seen: BTreeMap<&str, (&str, &Loc)> = BTreeMap::new();
    for (name, kind, loc) in binding_names(table) {
        match seen.get(name) {
            Some((first_kind, first)) => out.push(
                Problem::error("duplicate_binding", loc, format!("binding `{name}` is declared twice: in `{first_kind}` and in `{kind}`"))
                    .label(format!("`{name}` is already a `{first_kind}` binding (at {})", first.key))
                    .help("every binding becomes `env.NAME`, so each name can be used once; rename one of them"),
            ),
            None => {
                seen.insert(name, (kind, loc));
            }
        }
    }
}

fn crate_dir(manifest_path: &Path) -> PathBuf {
    let dir = match manifest_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

fn file_name(path: &Path) -> &std::ffi::OsStr {
    path.file_name().unwrap_or("Cargo.toml".as_ref())
}

fn text(t: &Option<Text>) -> Option<String> {
    t.as_ref().map(|t| t.value.clone())
}

fn texts(list: Option<&Vec<Text>>) -> Vec<String> {
    list.map_or_else(Vec::new, |l| l.iter().map(|t| t.value.clone()).collect())
}

fn map<W, M>(
    bindings: &BTreeMap<String, super::source::Spanned<W>>,
    mut f: impl FnMut(&str, &W) -> M,
) -> BTreeMap<String, M> {
    bindings
        .iter()
        .map(|(k, v)| (k.clone(), f(k, &v.value)))
        .collect()
}

fn var(value: &serde_json::Value) -> Var {
    match value {
        serde_json::Value::String(s) => Var::Text(s.clone()),
        other => Var::Json(other.clone()),
    }
}

fn route(route: &RouteW) -> model::Route {
    let zone = match (&route.zone_name, &route.zone_id) {
        (Some(name), _) => Some(model::Zone::Name(name.value.clone())),
        (None, Some(id)) => Some(model::Zone::Id(id.value.clone())),
        (None, None) => None,
    };
    model::Route {
        pattern: route.pattern.value.clone(),
        zone,
    }
}

fn database(
    binding: &str,
    d1: &D1W,
    worker: &str,
    crate_dir: &Path,
    out: &mut Vec<Problem>,
) -> model::D1Database {
    let migrations_dir = match &d1.migrations {
        Some(dir) => {
            let path = crate_dir.join(&dir.value);
            if !path.is_dir() {
                out.push(
                    Problem::error("d1_migrations", &dir.loc, format!("D1 migrations folder `{}` does not exist", dir.value))
                        .label("no such folder next to this Cargo.toml")
                        .help("create the folder, or point `migrations` at the folder (relative to the crate) that holds the .sql files"),
                );
            }
            Some(path)
        }
        None => Some(crate_dir.join("migrations")).filter(|p| p.is_dir()),
    };
    model::D1Database {
        id: text(&d1.id),
        name: given_or_default(worker, binding, &d1.database),
        migrations_dir,
    }
}

fn producers(table: &EdgeTable) -> BTreeMap<String, model::QueueProducer> {
    let each = table.producers.iter().filter_map(|(k, p)| {
        let producer = model::QueueProducer {
            queue: p.value.queue.as_ref()?.value.clone(),
            delivery_delay: p
                .value
                .delivery_delay
                .as_ref()
                .and_then(|d| u32::try_from(d.value).ok()),
        };
        Some((k.clone(), producer))
    });
    each.collect()
}

fn consumer(queue: &str, c: &ConsumerW) -> QueueConsumer {
    let d = QueueConsumer::with_defaults(queue);
    let num = |v: &Option<super::source::Spanned<i64>>, default: u32| {
        v.as_ref()
            .and_then(|v| u32::try_from(v.value).ok())
            .unwrap_or(default)
    };
    QueueConsumer {
        max_batch_size: num(&c.max_batch_size, d.max_batch_size),
        max_wait_ms: num(&c.max_wait_ms, d.max_wait_ms),
        max_retries: num(&c.max_retries, d.max_retries),
        retry_delay: num(&c.retry_delay, d.retry_delay),
        dead_letter_queue: text(&c.dead_letter_queue),
        max_concurrency: c
            .max_concurrency
            .as_ref()
            .and_then(|v| u32::try_from(v.value).ok()),
        queue: d.queue,
    }
}

fn service(s: &ServiceW) -> Option<model::Service> {
    match (&s.worker, &s.url) {
        (Some(worker), _) => Some(model::Service::Worker {
            worker: worker.value.clone(),
            entrypoint: text(&s.entrypoint),
        }),
        (None, Some(url)) => Some(model::Service::External {
            url: url.value.clone(),
        }),
        (None, None) => None,
    }
}

fn durable_objects(table: &EdgeTable) -> BTreeMap<String, model::DurableObject> {
    let each = table.durable_objects.iter().filter_map(|(k, d)| {
        let object = model::DurableObject {
            class: d.value.class.as_ref()?.value.clone(),
            worker: text(&d.value.worker),
        };
        Some((k.clone(), object))
    });
    each.collect()
}

fn migration(m: &super::written::MigrationW) -> model::Migration {
    let names = |l: &Vec<Text>| l.iter().map(|t| t.value.clone()).collect();
    model::Migration {
        tag: text(&m.tag).unwrap_or_default(),
        new_classes: names(&m.new_classes),
        new_sqlite_classes: names(&m.new_sqlite_classes),
        renamed_classes: m
            .renamed_classes
            .iter()
            .filter_map(|r| {
                Some(model::RenamedClass {
                    from: text(&r.value.from)?,
                    to: text(&r.value.to)?,
                })
            })
            .collect(),
        deleted_classes: names(&m.deleted_classes),
    }
}

fn build(table: &EdgeTable) -> model::BuildSettings {
    let b = &table.build;
    model::BuildSettings {
        profile: text(&b.profile),
        features: texts(b.features.as_ref().map(|f| &f.value)),
        no_default_features: b.no_default_features.as_ref().is_some_and(|v| v.value),
        wasm_opt: b.wasm_opt.as_ref().is_none_or(|v| v.value),
    }
}
