//! Dev's `Binding` banner lines, one per binding, in the spirit of wrangler's binding table
//! (`env.NAME (value)`, its type, where it runs): the binding's type in wrangler's words, then
//! what it is locally — a var's value (shortened as wrangler shortens it), whether a secret is
//! set and from which file (never its value), the file a KV namespace, D1 database, R2 bucket
//! or queue keeps its state in, and so on. Service bindings and dispatch namespaces are told by
//! the session, which knows the other workers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::model::{KindBinding, Var, Worker};

/// What the lines need besides the worker.
pub struct Context<'a> {
    pub state_dir: &'a Path,
    /// The local secret values (names only are shown).
    pub secrets: &'a BTreeMap<String, String>,
}

/// wrangler's name for a binding of `kind` (a `binding_names` kind).
pub fn type_name(kind: &str) -> &'static str {
    match kind {
        "vars" | "secrets" => "Environment Variable",
        "kv" => "KV Namespace",
        "d1" => "D1 Database",
        "r2" => "R2 Bucket",
        "queues.producers" => "Queue",
        "services" => "Worker",
        "durable_objects" => "Durable Object",
        "hyperdrive" => "Hyperdrive Config",
        "ai" => "AI",
        "analytics_engine" => "Analytics Engine Dataset",
        "rate_limits" => "Rate Limit",
        "secrets_store" => "Secrets Store Secret",
        "send_email" => "Send Email",
        "version_metadata" => "Worker Version Metadata",
        "dispatch_namespaces" => "Dispatch Namespace",
        "assets" => "Assets",
        _ => "Binding",
    }
}

/// What binding `name` (of `kind`) of `worker` is locally; `None` for the kinds the session
/// describes itself (services, dispatch namespaces).
pub fn describe(worker: &Worker, name: &str, kind: &str, cx: &Context) -> Option<String> {
    let state = |parts: &[&str]| state_file(cx.state_dir, parts);
    Some(match kind {
        "vars" => match worker.vars.get(name)? {
            Var::Text(text) => format!("\"{}\"", truncate(text)),
            Var::Json(value) => truncate(&value.to_string()),
        },
        "secrets" => secret(worker, name, cx.secrets),
        "kv" => {
            let kv = worker.kv.get(name)?;
            let resource = kv.id.as_deref().unwrap_or(&kv.title);
            format!("`{}`, local: {}", kv.title, state(&["kv", resource]))
        }
        "d1" => {
            let db = &worker.d1.get(name)?.name;
            format!("`{db}`, local: {}", state(&["d1", db]))
        }
        "r2" => {
            let bucket = &worker.r2.get(name)?.bucket;
            format!("`{bucket}`, local: {}", state(&["r2", bucket]))
        }
        "queues.producers" => {
            let queue = &worker.queue_producers.get(name)?.queue;
            format!("`{queue}`, local: {}", state(&["queues", queue]))
        }
        "durable_objects" => durable_object(worker, name, cx.state_dir)?,
        "assets" => format!("static assets, served by {}", worker.name),
        "services" | "dispatch_namespaces" => return None,
        _ => kind_binding(worker, name, worker.kind_bindings.get(name)?, cx)?,
    })
}

/// `(NAME, line)` for each of `unsafe.bindings`: dev does not bind them.
pub fn unsafe_lines(worker: &Worker) -> Vec<(String, String)> {
    let text = |b: &serde_json::Value, key: &str| b[key].as_str().unwrap_or("?").to_string();
    worker
        .unsafe_bindings
        .iter()
        .map(|b| {
            let line = format!(
                "`{}` (unsafe.bindings): not bound in dev; passed to Cloudflare as written",
                text(b, "type")
            );
            (text(b, "name"), line)
        })
        .collect()
}

/// `"value"` as wrangler shows it: at most 40 characters, a longer one cut with `...`.
fn truncate(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() < MAX {
        return text.to_string();
    }
    let kept: String = text.chars().take(MAX - 3).collect();
    format!("{kept}...")
}

/// The state file of a resource, as the binding server names it.
fn state_file(state_dir: &Path, parts: &[&str]) -> String {
    let [folder, resource] = parts else {
        return state_dir.display().to_string();
    };
    let file = format!("{}.sqlite", super::store::file_stem(resource));
    state_dir.join(folder).join(file).display().to_string()
}

/// Whether a secret is set and where from; its value is never shown.
fn secret(worker: &Worker, name: &str, secrets: &BTreeMap<String, String>) -> String {
    let dir = crate::testing::crate_dir(worker);
    let files = dev_vars_files(&dir, worker.env.as_deref());
    if !secrets.contains_key(name) {
        let file = files.last().unwrap_or(&dir).display().to_string();
        return format!("secret, not set: add `{name}=...` to {file}");
    }
    // A later file wins (`.dev.vars.<env>` over `.dev.vars`), as when they were read.
    let from = files.iter().rev().find(|path| {
        crate::dotenv::read(path)
            .map(|values| values.contains_key(name))
            .unwrap_or(false)
    });
    match from {
        Some(path) => format!("secret, set from {} (hidden)", path.display()),
        None => "secret, set (hidden)".to_string(),
    }
}

fn dev_vars_files(dir: &Path, env: Option<&str>) -> Vec<PathBuf> {
    let mut files = vec![dir.join(".dev.vars")];
    if let Some(env) = env {
        files.push(dir.join(format!(".dev.vars.{env}")));
    }
    files
}

fn durable_object(worker: &Worker, name: &str, state_dir: &Path) -> Option<String> {
    let object = worker.durable_objects.get(name)?;
    let owner = object.worker.as_deref().unwrap_or(&worker.name);
    let state = state_dir.join("do").join(owner);
    Some(format!(
        "class `{}` of {owner}, local (workerd, SQLite): {}",
        object.class,
        state.display()
    ))
}

/// The kinds described as data (`crate::kinds`).
fn kind_binding(worker: &Worker, name: &str, b: &KindBinding, cx: &Context) -> Option<String> {
    let state = cx.state_dir;
    Some(match b.kind {
        "hyperdrive" => hyperdrive(name, b),
        "ai" => {
            "no local model: calls fail with an error (Workers AI runs only on Cloudflare)".into()
        }
        "analytics_engine" => {
            let dataset = b
                .str("dataset")
                .map(String::from)
                .unwrap_or_else(|| format!("{}-{name}", worker.name));
            format!(
                "`{dataset}`, local: {}",
                state_file(state, &["analytics", &dataset])
            )
        }
        "rate_limits" => format!(
            "{} per {} s per key, counted locally",
            b.fields.get("limit")?,
            b.fields.get("period")?
        ),
        "secrets_store" => secrets_store(worker, b),
        "send_email" => send_email(worker, name, b, state),
        "version_metadata" => "id, tag and timestamp of the local build".into(),
        _ => return None,
    })
}

/// The configuration's id and the local database it reaches (its password hidden).
fn hyperdrive(name: &str, b: &KindBinding) -> String {
    let id = b.str("id").unwrap_or_default();
    let from_env = ["CARGO_EDGE", "CLOUDFLARE"].iter().find_map(|prefix| {
        let var = format!("{prefix}_HYPERDRIVE_LOCAL_CONNECTION_STRING_{name}");
        std::env::var(&var).ok().map(|value| (value, var))
    });
    let (url, from) = match (from_env, b.str("local_connection_string")) {
        (Some((value, var)), _) => (value, format!("${var}")),
        (None, Some(value)) => (value.to_string(), "Cargo.toml".to_string()),
        (None, None) => return format!("`{id}`, no local database"),
    };
    format!("`{id}`, local: {} (from {from})", without_password(&url))
}

/// `scheme://user:password@host/...` with the password left out.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_string(),
    }
}

fn secrets_store(worker: &Worker, b: &KindBinding) -> String {
    let secret = b.str("secret_name").unwrap_or_default();
    let store = b.str("store_id").unwrap_or_default();
    let file = crate::testing::crate_dir(worker).join(super::local::SECRETS_STORE_FILE);
    let set = std::fs::read_to_string(&file)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .is_some_and(|table| table.contains_key(secret));
    let local = match set {
        true => format!("set in {} (hidden)", file.display()),
        false => format!("not set: add `{secret} = \"...\"` to {}", file.display()),
    };
    format!("`{store}/{secret}`, {local}")
}

/// wrangler's summary of the allow-lists, and where sent messages go.
fn send_email(worker: &Worker, name: &str, b: &KindBinding, state: &Path) -> String {
    let to = b
        .str("destination_address")
        .map(String::from)
        .or_else(|| {
            b.strs("allowed_destination_addresses")
                .map(|l| l.join(", "))
        })
        .unwrap_or_else(|| "unrestricted".into());
    let senders = b
        .strs("allowed_sender_addresses")
        .map(|l| format!(" - senders: {}", l.join(", ")))
        .unwrap_or_default();
    let dir = state
        .join("email")
        .join(super::store::file_stem(&worker.name));
    let dir = dir.join(super::store::file_stem(name));
    format!(
        "{to}{senders}; sent messages are written to {}",
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker() -> Worker {
        Worker::minimal("app", "app", "/src/app/Cargo.toml".into(), "2026-11-01")
    }

    fn line(worker: &Worker, name: &str, kind: &str) -> String {
        let secrets = BTreeMap::from([("TOKEN".to_string(), "s3cr3t".to_string())]);
        let cx = Context {
            state_dir: Path::new("/state"),
            secrets: &secrets,
        };
        describe(worker, name, kind, &cx).unwrap()
    }

    #[test]
    fn a_var_shows_its_value_shortened_as_wrangler_does() {
        let mut w = worker();
        w.vars.insert("MODE".into(), Var::Text("dev".into()));
        w.vars.insert("LONG".into(), Var::Text("x".repeat(50)));
        w.vars
            .insert("LIMITS".into(), Var::Json(serde_json::json!({"max": 3})));
        assert_eq!(line(&w, "MODE", "vars"), "\"dev\"");
        assert_eq!(
            line(&w, "LONG", "vars"),
            format!("\"{}...\"", "x".repeat(37))
        );
        assert_eq!(line(&w, "LIMITS", "vars"), r#"{"max":3}"#);
    }

    #[test]
    fn a_secret_says_whether_it_is_set_never_its_value() {
        let mut w = worker();
        w.secrets = vec!["TOKEN".into(), "MISSING".into()];
        let set = line(&w, "TOKEN", "secrets");
        assert!(
            set.starts_with("secret, set") && set.ends_with("(hidden)"),
            "{set}"
        );
        assert!(!set.contains("s3cr3t"));
        assert_eq!(
            line(&w, "MISSING", "secrets"),
            "secret, not set: add `MISSING=...` to /src/app/.dev.vars"
        );
    }

    #[test]
    fn storage_names_its_local_state_file() {
        let mut w = worker();
        w.d1.insert(
            "DB".into(),
            crate::model::D1Database {
                id: None,
                name: "app-db".into(),
                migrations_dir: None,
            },
        );
        assert_eq!(
            line(&w, "DB", "d1"),
            "`app-db`, local: /state/d1/app-db.sqlite"
        );
    }

    #[test]
    fn a_connection_string_loses_its_password() {
        assert_eq!(
            without_password("postgres://edge:pw@127.0.0.1:5432/edge"),
            "postgres://edge@127.0.0.1:5432/edge"
        );
        assert_eq!(without_password("postgres://h/db"), "postgres://h/db");
    }
}
