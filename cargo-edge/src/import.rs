//! `cargo edge import wrangler.toml`: an existing wrangler configuration (TOML, JSON or JSONC)
//! turned into the `[package.metadata.edge]` table, written into Cargo.toml with toml_edit so
//! the rest of the file (formatting, comments) stays as it was.

use std::path::Path;

use serde_json::{json, Map, Value};

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ImportError {
    #[error("could not read {path}: {message}")]
    #[diagnostic(code(edge::import::read), help("check the path"))]
    Read { path: String, message: String },
    #[error("{path} is not valid {format}: {message}")]
    #[diagnostic(
        code(edge::import::parse),
        help("fix the file so wrangler itself accepts it, then import again")
    )]
    Parse {
        path: String,
        format: &'static str,
        message: String,
    },
    #[error("{path} already has a [package.metadata.edge] table")]
    #[diagnostic(code(edge::import::exists), help("pass --force to replace it"))]
    Exists { path: String },
}

/// The converted table and what could not be carried over.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub table: Value,
    pub skipped: Vec<String>,
    /// What the import added that wrangler's file did not say (a migration a deploy needs).
    pub added: Vec<String>,
    /// What the import chose for the user and they should look at (a compatibility date).
    pub warnings: Vec<String>,
}

/// Parse a wrangler config: TOML by extension, JSON/JSONC otherwise.
pub fn read_wrangler(path: &Path) -> Result<Value, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|e| ImportError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let parse_error = |format, message: String| ImportError::Parse {
        path: path.display().to_string(),
        format,
        message,
    };
    if path.extension().is_some_and(|e| e == "toml") {
        let value: toml::Value =
            toml::from_str(&text).map_err(|e| parse_error("TOML", e.to_string()))?;
        return serde_json::to_value(value).map_err(|e| parse_error("TOML", e.to_string()));
    }
    serde_json::from_str(&strip_jsonc(&text)).map_err(|e| parse_error("JSON", e.to_string()))
}

/// Remove `//` and `/* */` comments and trailing commas outside strings.
fn strip_jsonc(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut in_string) = (0, false);
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            out.push(c);
            if c == '\\' && i + 1 < chars.len() {
                out.push(chars[i + 1]);
                i += 1;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
            continue;
        } else if c == ','
            && chars[i + 1..]
                .iter()
                .find(|c| !c.is_whitespace())
                .is_some_and(|n| *n == '}' || *n == ']')
        {
            // a trailing comma
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// Keys wrangler has that cargo-edge derives itself or does not model.
const DERIVED: &[&str] = &[
    "main",
    "build",
    "rules",
    "no_bundle",
    "find_additional_modules",
    "base_dir",
    "preserve_file_names",
    "$schema",
];

/// Convert a wrangler config (and its environments) into the metadata table.
pub fn convert(wrangler: &Value) -> Imported {
    let mut skipped = Vec::new();
    let mut table = section(wrangler, "", &mut skipped);
    if let Some(envs) = wrangler.get("env").and_then(Value::as_object) {
        let mut out = Map::new();
        for (name, env) in envs {
            let mut converted = section(env, &format!("env.{name}."), &mut skipped);
            // wrangler names an environment's worker `<name>-<env>` too: only keep a different one.
            let default_name = wrangler
                .get("name")
                .and_then(Value::as_str)
                .map(|n| format!("{n}-{name}"));
            if converted.get("name").and_then(Value::as_str) == default_name.as_deref() {
                converted.remove("name");
            }
            out.insert(name.clone(), Value::Object(converted));
        }
        table.insert("env".into(), Value::Object(out));
    }
    if let Some(migrations) = wrangler.get("migrations") {
        table.insert("migrations".into(), migrations.clone());
    }
    let added = add_missing_migration(&mut table);
    let warnings = add_missing_date(&mut table).into_iter().collect();
    Imported {
        table: Value::Object(table),
        skipped,
        added,
        warnings,
    }
}

/// wrangler's `dev` runs a file without `compatibility_date` on a date of its own (with a
/// warning) and its `deploy` refuses it; the import writes the newest date the bundled workerd
/// supports, so the worker builds, runs and deploys, and says so.
fn add_missing_date(table: &mut Map<String, Value>) -> Option<String> {
    if table.contains_key("compatibility_date") {
        return None;
    }
    let date = crate::new::COMPATIBILITY_DATE;
    table.insert("compatibility_date".into(), json!(date));
    Some(format!(
        "wrangler's file has no `compatibility_date` (wrangler deploy would refuse it); wrote \"{date}\", the newest the bundled workerd supports. If the worker was written against older runtime behaviour, set the date it was tested with in [package.metadata.edge]"
    ))
}

/// Durable Object classes the worker binds itself (in any environment) that no migration
/// creates get one more migration creating them SQLite-backed: Cloudflare refuses a deploy
/// without it. Returns what was added, to tell the user.
fn add_missing_migration(table: &mut Map<String, Value>) -> Vec<String> {
    let steps = table
        .get("migrations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut live: Vec<String> = Vec::new();
    let names = |step: &Value, key: &str| -> Vec<String> {
        let list = step.get(key).and_then(Value::as_array).cloned();
        let text = |v: &Value| v.as_str().map(str::to_string);
        list.unwrap_or_default().iter().filter_map(text).collect()
    };
    for step in &steps {
        live.extend(names(step, "new_classes"));
        live.extend(names(step, "new_sqlite_classes"));
        for rename in step
            .get("renamed_classes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            live.extend(rename.get("to").and_then(Value::as_str).map(str::to_string));
        }
        let deleted = names(step, "deleted_classes");
        live.retain(|c| !deleted.contains(c));
    }
    let top = Value::Object(table.clone());
    let envs = table
        .get("env")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|e| e.values());
    let mut missing: Vec<String> = Vec::new();
    for section in envs.chain(std::iter::once(&top)) {
        let objects = section.get("durable_objects").and_then(Value::as_object);
        for object in objects.into_iter().flat_map(|o| o.values()) {
            let class = object.get("class").and_then(Value::as_str);
            if let (Some(class), None) = (class, object.get("worker")) {
                if !live.iter().any(|c| c == class) && !missing.iter().any(|c| c == class) {
                    missing.push(class.to_string());
                }
            }
        }
    }
    if missing.is_empty() {
        return Vec::new();
    }
    missing.sort();
    let tag = (steps.len() + 1..)
        .map(|n| format!("v{n}"))
        .find(|t| {
            !steps
                .iter()
                .any(|s| s.get("tag").and_then(Value::as_str) == Some(t))
        })
        .unwrap_or_default();
    let mut steps = steps;
    steps.push(json!({ "tag": tag, "new_sqlite_classes": missing }));
    table.insert("migrations".into(), Value::Array(steps));
    vec![format!(
        "migration `{tag}` creating {} (SQLite-backed): wrangler's file had none, and `cargo edge deploy` needs one",
        missing.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
    )]
}

fn section(config: &Value, prefix: &str, skipped: &mut Vec<String>) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(config) = config.as_object() else {
        return out;
    };
    for (key, value) in config {
        let mut by_binding = |list: &Value, name_key: &str, fields: &[(&str, &str)]| {
            let at = format!("{prefix}{key}");
            by_binding(list, name_key, fields, &at, skipped)
        };
        match key.as_str() {
            "name"
            | "compatibility_date"
            | "compatibility_flags"
            | "account_id"
            | "workers_dev" => {
                out.insert(key.clone(), value.clone());
            }
            // The content-hash var is cargo-edge's own (its rendering of wrangler adds it).
            "vars" => {
                let mut vars = value.clone();
                if let Some(vars) = vars.as_object_mut() {
                    vars.remove(crate::model::CONTENT_HASH_BINDING);
                }
                out.insert(key.clone(), vars);
            }
            "secrets" => {
                for (field, inner) in value.as_object().into_iter().flatten() {
                    match field.as_str() {
                        "required" => {
                            out.insert("secrets".into(), inner.clone());
                        }
                        other => skipped.push(format!("{prefix}secrets.{other}")),
                    }
                }
            }
            "routes" | "route" => routes(value, &mut out),
            "triggers" => {
                if let Some(crons) = value.get("crons") {
                    out.insert("crons".into(), crons.clone());
                }
            }
            "kv_namespaces" => out
                .insert("kv".into(), by_binding(value, "binding", &[("id", "id")]))
                .map_or((), |_| ()),
            "d1_databases" => out
                .insert(
                    "d1".into(),
                    by_binding(
                        value,
                        "binding",
                        &[
                            ("database_name", "database"),
                            ("database_id", "id"),
                            ("migrations_dir", "migrations"),
                        ],
                    ),
                )
                .map_or((), |_| ()),
            "r2_buckets" => out
                .insert(
                    "r2".into(),
                    by_binding(
                        value,
                        "binding",
                        &[("bucket_name", "bucket"), ("jurisdiction", "jurisdiction")],
                    ),
                )
                .map_or((), |_| ()),
            "services" => out
                .insert(
                    "services".into(),
                    by_binding(
                        value,
                        "binding",
                        &[("service", "worker"), ("entrypoint", "entrypoint")],
                    ),
                )
                .map_or((), |_| ()),
            "durable_objects" => {
                let bindings = value.get("bindings").cloned().unwrap_or(Value::Null);
                let at = format!("{prefix}durable_objects.bindings");
                let mut by_binding = |list: &Value, name_key: &str, fields: &[(&str, &str)]| {
                    self::by_binding(list, name_key, fields, &at, skipped)
                };
                out.insert(
                    "durable_objects".into(),
                    by_binding(
                        &bindings,
                        "name",
                        &[("class_name", "class"), ("script_name", "worker")],
                    ),
                );
            }
            "queues" => queues(value, &format!("{prefix}queues"), skipped, &mut out),
            "assets" => {
                let (table, extra) = crate::assets::config::import(value);
                out.insert("assets".into(), table);
                skipped.extend(extra.into_iter().map(|k| format!("{prefix}assets.{k}")));
            }
            "env" | "migrations" if prefix.is_empty() => {}
            other if DERIVED.contains(&other) => {}
            other if kinds::convert(other, value, prefix, skipped, &mut out) => {}
            other => skipped.push(format!("{prefix}{other}")),
        }
    }
    out
}

fn routes(value: &Value, out: &mut Map<String, Value>) {
    let list = match value {
        Value::Array(items) => items.clone(),
        single => vec![single.clone()],
    };
    let (mut routes, mut domains) = (Vec::new(), Vec::new());
    for route in list {
        match route.get("custom_domain").and_then(Value::as_bool) {
            Some(true) => domains.extend(route.get("pattern").cloned()),
            _ => routes.push(route),
        }
    }
    if !routes.is_empty() {
        out.insert("routes".into(), Value::Array(routes));
    }
    if !domains.is_empty() {
        out.insert("domains".into(), Value::Array(domains));
    }
}

/// `[{binding = "X", a = 1}]` → `{ X = { a' = 1 } }` with keys renamed by `fields`. Every
/// other sub-field is reported in `skipped` as `<at>[X].<field>`.
fn by_binding(
    list: &Value,
    key: &str,
    fields: &[(&str, &str)],
    at: &str,
    skipped: &mut Vec<String>,
) -> Value {
    let mut out = Map::new();
    for item in list.as_array().into_iter().flatten() {
        let Some(name) = item.get(key).and_then(Value::as_str) else {
            continue;
        };
        let mut entry = Map::new();
        for (field, value) in item.as_object().into_iter().flatten() {
            match fields.iter().find(|(from, _)| from == field) {
                Some((_, to)) => {
                    entry.insert((*to).to_string(), value.clone());
                }
                None if field == key => {}
                None => skipped.push(format!("{at}[{name}].{field}")),
            }
        }
        out.insert(name.to_string(), Value::Object(entry));
    }
    Value::Object(out)
}

fn queues(value: &Value, at: &str, skipped: &mut Vec<String>, out: &mut Map<String, Value>) {
    let mut queues = Map::new();
    if let Some(producers) = value.get("producers") {
        queues.insert(
            "producers".into(),
            by_binding(
                producers,
                "binding",
                &[("queue", "queue"), ("delivery_delay", "delivery_delay")],
                &format!("{at}.producers"),
                skipped,
            ),
        );
    }
    let mut consumers = Map::new();
    for consumer in value
        .get("consumers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(queue) = consumer.get("queue").and_then(Value::as_str) else {
            continue;
        };
        let mut entry = Map::new();
        for (key, value) in consumer.as_object().into_iter().flatten() {
            match key.as_str() {
                "queue" => {}
                "max_batch_size" | "max_retries" | "dead_letter_queue" | "max_concurrency"
                | "retry_delay" => {
                    entry.insert(key.clone(), value.clone());
                }
                "max_batch_timeout" => {
                    if let Some(seconds) = value.as_f64() {
                        entry.insert(
                            "max_wait_ms".into(),
                            json!((seconds * 1000.0).round() as u64),
                        );
                    }
                }
                other => skipped.push(format!("{at}.consumers[{queue}].{other}")),
            }
        }
        consumers.insert(queue.to_string(), Value::Object(entry));
    }
    if !consumers.is_empty() {
        queues.insert("consumers".into(), Value::Object(consumers));
    }
    out.insert("queues".into(), Value::Object(queues));
}

/// Write `table` as `[package.metadata.edge]` into the Cargo.toml text, keeping the rest.
pub fn write_into(
    cargo_toml: &str,
    path: &Path,
    table: &Value,
    force: bool,
) -> Result<String, ImportError> {
    let mut doc: toml_edit::DocumentMut =
        cargo_toml
            .parse()
            .map_err(|e: toml_edit::TomlError| ImportError::Parse {
                path: path.display().to_string(),
                format: "TOML",
                message: e.to_string(),
            })?;
    let package = doc["package"].or_insert(toml_edit::table());
    let metadata = package["metadata"].or_insert(toml_edit::table());
    if let Some(table) = metadata.as_table_mut() {
        table.set_implicit(true);
    }
    if metadata.get("edge").is_some() && !force {
        return Err(ImportError::Exists {
            path: path.display().to_string(),
        });
    }
    let rendered: toml::Value =
        serde_json::from_value(table.clone()).unwrap_or(toml::Value::Table(Default::default()));
    let text = toml::to_string_pretty(&toml::Value::Table(
        [("edge".to_string(), rendered)].into_iter().collect(),
    ))
    .unwrap_or_default();
    let edge: toml_edit::DocumentMut = text.parse().expect("toml renders valid TOML");
    metadata["edge"] = edge["edge"].clone();
    place::place_edge_tables(&mut doc);
    Ok(doc.to_string())
}

#[path = "import_kinds.rs"]
mod kinds;
#[path = "import_place.rs"]
mod place;

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
