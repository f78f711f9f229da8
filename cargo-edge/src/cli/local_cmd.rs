//! `cargo edge d1 ...` and `cargo edge kv ... --local`: local state (what `cargo edge dev`
//! serves) and D1 on Cloudflare.

use std::path::{Path, PathBuf};

use super::args::{D1Action, D1Args, KvAction, KvArgs, MigrationsAction, R2Action, R2Args};
use super::context;
use super::outcome::{plain, CommandResult, Failure};
use crate::deploy::client::{Auth, Client, Mode, RetryPolicy};
use crate::deploy::error::DeployError;
use crate::deploy::{d1 as remote_d1, live};
use crate::dev;
use crate::model::{D1Database, Worker};

/// Local state: `--persist-to`, or `.edge/state` beside the worker's Cargo.toml.
pub fn state_dir(worker: &Worker, persist_to: Option<&Path>) -> PathBuf {
    match persist_to {
        Some(dir) => dir.to_path_buf(),
        None => worker
            .manifest_path
            .parent()
            .unwrap_or(Path::new("."))
            .join(".edge")
            .join("state"),
    }
}

pub fn dev_failure(error: dev::DevError) -> Failure {
    plain(
        error.to_string(),
        "check the local state folder (`.edge/state`)",
    )
}

pub fn database<'w>(worker: &'w Worker, binding: &str) -> Result<&'w D1Database, Failure> {
    worker.d1.get(binding).ok_or_else(|| {
        let known: Vec<&String> = worker.d1.keys().collect();
        plain(
            format!("`{}` has no D1 binding named `{binding}`", worker.name),
            format!("D1 bindings in [package.metadata.edge.d1]: {known:?}"),
        )
    })
}

pub fn d1(args: D1Args) -> CommandResult {
    match args.action {
        D1Action::Export {
            database,
            worker,
            output,
        } => super::d1_remote::export(&worker, &database, &output, args.message_format),
        D1Action::Migrations {
            action:
                MigrationsAction::List {
                    database,
                    worker,
                    local,
                    persist_to,
                },
        } => super::d1_remote::list_migrations(&worker, &database, local, persist_to.as_deref(), args.message_format),
        D1Action::Migrations {
            action:
                MigrationsAction::Create {
                    database,
                    name,
                    worker,
                },
        } => super::d1_remote::create_migration(&worker, &database, &name),
        D1Action::Migrations {
            action:
                MigrationsAction::Apply {
                    database: binding,
                    worker,
                    local,
                    persist_to,
                },
        } => {
            let worker = context::load_worker(&worker)?;
            let db = database(&worker, &binding)?;
            let Some(dir) = &db.migrations_dir else {
                return Err(plain(format!("D1 binding `{binding}` has no migrations folder"), "create `migrations/` beside Cargo.toml, or set `migrations = \"path\"` on the binding"));
            };
            let applied = if local {
                dev::migrations::apply_local(
                    &state_dir(&worker, persist_to.as_deref()),
                    &db.name,
                    dir,
                )
                .map_err(dev_failure)?
            } else {
                let migrations = dev::migrations::list(dir).map_err(dev_failure)?;
                let (client, account) = remote(&worker)?;
                let uuid = remote_d1::database_id(&client, &account, &db.name, db.id.as_deref())?;
                remote_d1::apply_remote(&client, &account, &uuid, &migrations)?
            };
            let place = if local { "locally" } else { "on Cloudflare" };
            match applied.as_slice() {
                [] => eprintln!("D1 `{}` {place}: no pending migrations", db.name),
                names => eprintln!("D1 `{}` {place}: applied {}", db.name, names.join(", ")),
            }
            Ok(())
        }
        D1Action::Execute {
            database: binding,
            worker,
            local,
            persist_to,
            command,
            file,
        } => {
            let worker = context::load_worker(&worker)?;
            let db = database(&worker, &binding)?;
            let sql = match (command, file) {
                (Some(sql), _) => sql,
                (None, Some(path)) => std::fs::read_to_string(&path).map_err(|e| {
                    plain(
                        format!("could not read {}: {e}", path.display()),
                        "check the path",
                    )
                })?,
                (None, None) => unreachable!("clap requires --command or --file"),
            };
            if !local {
                let (client, account) = remote(&worker)?;
                return super::d1_remote::execute(&client, &account, &worker, &binding, &sql, args.message_format);
            }
            let mut conn =
                dev::d1::open_database(&state_dir(&worker, persist_to.as_deref()), &db.name)
                    .map_err(dev_failure)?;
            let results = dev::d1::execute_sql(&mut conn, &sql)
                .map_err(|e| plain(format!("SQL failed: {e}"), "fix the statement"))?;
            println!("{}", serde_json::to_string_pretty(&results).expect("json"));
            Ok(())
        }
    }
}

pub fn remote(worker: &Worker) -> Result<(Client, String), Failure> {
    let auth = Auth::from_env().ok_or(DeployError::NoCredentials)?;
    let client = Client::new(
        &Client::base_url_from_env(),
        auth,
        RetryPolicy::default(),
        Mode::Live,
    )?;
    let account = live::resolve_account(&client, worker.account_id.as_deref())?;
    Ok((client, account))
}

/// `cargo edge kv get|put|list|delete BINDING ... --local`, through the same code that serves
/// KV to workerd, so limits and expiry behave the same.
pub fn kv(args: KvArgs) -> CommandResult {
    if !args.local.local {
        return super::kv_remote::kv(args);
    }
    let worker = context::load_worker(&args.local.worker)?;
    let stores = dev::store::Stores::new(&state_dir(&worker, args.local.persist_to.as_deref()))
        .map_err(dev_failure)?;
    let (binding, method, path, query, body) = match &args.action {
        KvAction::Get { binding, key } => (binding, "GET", key.clone(), vec![], Vec::new()),
        KvAction::Put {
            binding,
            key,
            value,
            ..
        } => (binding, "PUT", key.clone(), vec![], put_value(value)?),
        KvAction::List { binding, prefix } => {
            let query = prefix
                .iter()
                .map(|p| ("prefix".to_string(), p.clone()))
                .collect();
            (binding, "GET", String::new(), query, Vec::new())
        }
        KvAction::Delete { binding, key } => (binding, "DELETE", key.clone(), vec![], Vec::new()),
        KvAction::Bulk { .. } | KvAction::Namespace { .. } => {
            return Err(plain(
                "`kv bulk` and `kv namespace` work on Cloudflare's data",
                "drop --local",
            ))
        }
    };
    let namespace = worker.kv.get(binding).ok_or_else(|| {
        plain(
            format!("`{}` has no KV binding named `{binding}`", worker.name),
            format!("KV bindings: {:?}", worker.kv.keys().collect::<Vec<_>>()),
        )
    })?;
    let resource = namespace
        .id
        .clone()
        .unwrap_or_else(|| namespace.title.clone());
    let call = dev::http::Call {
        method: method.parse().expect("a valid method"),
        path,
        query,
        headers: Default::default(),
        body: body.into(),
    };
    let (status, _, bytes) = call_local(dev::kv::handle, &stores, &resource, call)?;
    match (status, &args.action) {
        (404, KvAction::Get { key, .. }) => Err(plain(
            format!("no key `{key}` in `{binding}`"),
            "list the keys with `cargo edge kv list BINDING --local`",
        )),
        (200..=299, KvAction::Get { .. }) => {
            use std::io::Write;
            let _ = std::io::stdout().write_all(&bytes);
            Ok(())
        }
        (200..=299, KvAction::List { .. }) => {
            let listing: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            for key in listing["keys"].as_array().into_iter().flatten() {
                println!("{}", key["name"].as_str().unwrap_or(""));
            }
            Ok(())
        }
        (200..=299, KvAction::Put { key, .. }) => {
            eprintln!("stored `{key}` in `{binding}`");
            Ok(())
        }
        (200..=299, KvAction::Delete { key, .. }) => {
            eprintln!("deleted `{key}` from `{binding}`");
            Ok(())
        }
        (_, _) => Err(plain(
            format!("KV refused ({status}): {}", String::from_utf8_lossy(&bytes)),
            "see Cloudflare's KV limits",
        )),
    }
}

fn put_value(value: &str) -> Result<Vec<u8>, Failure> {
    if value != "-" {
        return Ok(value.as_bytes().to_vec());
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(|e| {
        plain(
            format!("could not read standard input: {e}"),
            "pipe the value in",
        )
    })?;
    Ok(bytes)
}

/// Run one call through a local binding handler and collect the response.
fn call_local(
    handler: fn(&dev::store::Stores, &str, &dev::http::Call) -> axum::response::Response,
    stores: &dev::store::Stores,
    resource: &str,
    call: dev::http::Call,
) -> Result<(u16, axum::http::HeaderMap, Vec<u8>), Failure> {
    let response = handler(stores, resource, &call);
    let (parts, body) = response.into_parts();
    let bytes = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| plain(e.to_string(), "retry"))?
        .block_on(axum::body::to_bytes(body, usize::MAX))
        .unwrap_or_default();
    Ok((parts.status.as_u16(), parts.headers, bytes.to_vec()))
}

/// `cargo edge r2 get|put|list|delete BINDING ... --local`, through the handler that serves R2
/// to workerd (same wire format, same storage).
pub fn r2(args: R2Args) -> CommandResult {
    if !args.local.local {
        return super::r2_remote::r2(args);
    }
    let worker = context::load_worker(&args.local.worker)?;
    let stores = dev::store::Stores::new(&state_dir(&worker, args.local.persist_to.as_deref()))
        .map_err(dev_failure)?;
    let (binding, request, payload) = match &args.action {
        R2Action::Get { binding, key, .. } => (
            binding,
            serde_json::json!({"version": 1, "method": "get", "object": key}),
            None,
        ),
        R2Action::Put {
            binding, key, file, ..
        } => (
            binding,
            serde_json::json!({"version": 1, "method": "put", "object": key}),
            Some(read_input(file)?),
        ),
        R2Action::List { binding, prefix } => (
            binding,
            serde_json::json!({"version": 1, "method": "list", "prefix": prefix.clone().unwrap_or_default(), "limit": 1000}),
            None,
        ),
        R2Action::Delete { binding, key } => (
            binding,
            serde_json::json!({"version": 1, "method": "delete", "object": key}),
            Some(Vec::new()),
        ),
    };
    let bucket = worker.r2.get(binding).ok_or_else(|| {
        plain(
            format!("`{}` has no R2 binding named `{binding}`", worker.name),
            format!("R2 bindings: {:?}", worker.r2.keys().collect::<Vec<_>>()),
        )
    })?;
    let call = r2_call(&request, payload);
    let (status, headers, bytes) = call_local(dev::r2::handle, &stores, &bucket.bucket, call)?;
    let metadata_size: usize = headers
        .get("cf-r2-metadata-size")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let (metadata, object) = bytes.split_at(metadata_size.min(bytes.len()));
    if status >= 400 {
        let reason = headers
            .get("cf-r2-error")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        return match &args.action {
            R2Action::Get { key, .. } if status == 404 => Err(plain(
                format!("no object `{key}` in `{binding}`"),
                "list the keys with `cargo edge r2 list BINDING --local`",
            )),
            _ => Err(plain(
                format!("R2 refused ({status}): {reason}"),
                "see Cloudflare's R2 limits",
            )),
        };
    }
    use std::io::Write;
    match &args.action {
        R2Action::Get { output: None, .. } => {
            let _ = std::io::stdout().write_all(object);
        }
        R2Action::Get {
            output: Some(path), ..
        } => std::fs::write(path, object).map_err(|e| {
            plain(
                format!("could not write {}: {e}", path.display()),
                "check the path",
            )
        })?,
        R2Action::List { .. } => {
            let listing: serde_json::Value = serde_json::from_slice(metadata).unwrap_or_default();
            for object in listing["objects"].as_array().into_iter().flatten() {
                println!(
                    "{}\t{}",
                    object["key"]
                        .as_str()
                        .or(object["name"].as_str())
                        .unwrap_or(""),
                    object["size"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| object["size"].to_string())
                );
            }
        }
        R2Action::Put { key, .. } => eprintln!("stored `{key}` in `{binding}`"),
        R2Action::Delete { key, .. } => eprintln!("deleted `{key}` from `{binding}`"),
    }
    Ok(())
}

/// A wire-format R2 call: reads carry the request in a header, writes prefix it to the body.
fn r2_call(request: &serde_json::Value, payload: Option<Vec<u8>>) -> dev::http::Call {
    let text = request.to_string();
    let mut headers = axum::http::HeaderMap::new();
    let (method, body) = match payload {
        None => {
            headers.insert(
                "cf-r2-request",
                text.parse().expect("JSON is a valid header value"),
            );
            (axum::http::Method::GET, Vec::new())
        }
        Some(payload) => {
            headers.insert(
                "cf-r2-metadata-size",
                text.len().to_string().parse().expect("a number"),
            );
            let mut body = text.into_bytes();
            body.extend(payload);
            (axum::http::Method::PUT, body)
        }
    };
    dev::http::Call {
        method,
        path: String::new(),
        query: Vec::new(),
        headers,
        body: body.into(),
    }
}

fn read_input(file: &Path) -> Result<Vec<u8>, Failure> {
    if file == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(|e| {
            plain(
                format!("could not read standard input: {e}"),
                "pipe the object in",
            )
        })?;
        return Ok(bytes);
    }
    std::fs::read(file).map_err(|e| {
        plain(
            format!("could not read {}: {e}", file.display()),
            "check the path",
        )
    })
}
