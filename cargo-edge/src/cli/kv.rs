//! `cargo edge kv …`: with `--local`, local KV data through the code that serves it; without,
//! the namespace on Cloudflare (`kv_remote`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::context;
use super::failure::{plain, CommandResult, Failure};
use super::local::{call_local, dev_failure, state_dir, LocalArgs};
use crate::dev;
use crate::report::MessageFormat;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo edge kv put CACHE greeting hello --env prod\n  cargo edge kv list CACHE --prefix user: --message-format json\n  cargo edge kv bulk put CACHE seed.json\n  cargo edge kv get CACHE greeting --local"
)]
pub struct KvArgs {
    #[command(subcommand)]
    pub action: KvAction,
    #[command(flatten)]
    pub local: LocalArgs,
    #[arg(long, global = true, value_enum, value_name = "FMT", default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
}

#[derive(Debug, Subcommand)]
pub enum KvAction {
    Get {
        binding: String,
        key: String,
    },
    /// Store VALUE (or standard input when VALUE is `-`)
    Put {
        binding: String,
        key: String,
        value: String,
        /// Seconds until the key expires (at least 60; on Cloudflare)
        #[arg(long, value_name = "SECONDS")]
        ttl: Option<u64>,
    },
    List {
        binding: String,
        #[arg(long)]
        prefix: Option<String>,
    },
    Delete {
        binding: String,
        key: String,
    },
    /// Write or delete many keys from a JSON file (on Cloudflare)
    Bulk {
        #[command(subcommand)]
        action: KvBulkAction,
    },
    /// The account's KV namespaces
    Namespace {
        #[command(subcommand)]
        action: KvNamespaceAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum KvBulkAction {
    /// FILE: `[{"key": …, "value": …, "base64"?, "expiration"?, "expiration_ttl"?, "metadata"?}]`
    Put { binding: String, file: PathBuf },
    /// FILE: `["key", …]` (or the pairs of a bulk put)
    Delete { binding: String, file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum KvNamespaceAction {
    /// Every namespace: id and title
    List,
}

/// `cargo edge kv get|put|list|delete BINDING ... --local`, through the same code that serves
/// KV to workerd, so limits and expiry behave the same.
pub fn kv(args: KvArgs) -> CommandResult {
    if !args.local.is_local() {
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
