//! From the layered as-written table to the resolved `model::Worker`: defaults applied, names
//! derived (env-suffixed), folders made absolute, and the checks that need the whole table.

use std::path::{Path, PathBuf};

use super::convert::{
    build, consumer, durable_objects, map, migration, producers, route, service, text, texts, var,
};
use super::date::Date;
use super::error::Problem;
use super::written::{EdgeTable, Text, D1W};
use crate::model::{self, Worker};

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
    check_worker_name(&name, table, cx, out)?;
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
        assets: super::assets::resolve(table, &crate_dir, out),
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

/// Whether Cloudflare takes `name` as a script name: lowercase letters, digits, `-` and `_`,
/// not starting with `-`.
pub fn is_valid_worker_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Report a worker name Cloudflare would refuse (wrangler refuses it when it reads a config),
/// with a valid one to use instead.
fn check_worker_name(
    name: &str,
    table: &EdgeTable,
    cx: &Context,
    out: &mut Vec<Problem>,
) -> Option<()> {
    if is_valid_worker_name(name) {
        return Some(());
    }
    let suggestion: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .to_string();
    let message = format!(
        "`{name}` is not a valid worker name: Cloudflare takes lowercase letters, digits, `-` and `_` only"
    );
    let problem = match &table.name {
        Some(given) => Problem::error("bad_worker_name", &given.loc, message)
            .label("this name")
            .help(format!("name = \"{suggestion}\"")),
        None => Problem::error_near("bad_worker_name", table.loc.as_ref(), message)
            .label(format!("the worker is named after the package `{}`", cx.package))
            .help(format!(
                "give the worker its own name in [package.metadata.edge]:\n\n    name = \"{suggestion}\""
            )),
    };
    out.push(problem);
    None
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
    // Build and dev run on today's date (as wrangler does); deploy refuses (see `super::strict`).
    let message = format!(
        "`{}` has no `compatibility_date`; using today's, {}, and `cargo edge deploy` will refuse it",
        cx.package, cx.today
    );
    let help = format!(
        "add it to [package.metadata.edge] (or to [workspace.metadata.edge] for every member):\n\n    compatibility_date = \"{}\"",
        cx.today
    );
    let mut problem =
        Problem::error_near("missing_compatibility_date", table.loc.as_ref(), message)
            .label("set `compatibility_date` in this table")
            .help(help);
    problem.severity = miette::Severity::Warning;
    out.push(problem);
    Some(cx.today.to_string())
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
