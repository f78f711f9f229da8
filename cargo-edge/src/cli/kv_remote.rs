//! `cargo edge kv … --remote` (and `kv namespace`): the namespace on Cloudflare that the
//! binding names (`--env` picks the environment's namespace).

use std::io::Write;

use super::failure::{plain, CommandResult};
use super::json::print_json;
use super::kv::{done, value_bytes, KvAction, KvArgs, KvBulkAction, KvNamespaceAction};
use super::local::announce_remote;
use super::remote::connect;
use crate::remote::{kv, resolve};
use crate::report::MessageFormat;

pub fn kv(args: KvArgs) -> CommandResult {
    let (client, worker, account) = connect(&args.local.worker)?;
    announce_remote(&account);
    let json = args.message_format == MessageFormat::Json;
    let namespace = |binding: &str| resolve::kv_namespace(&client, &account, &worker, binding);
    match &args.action {
        KvAction::Get { binding, key } => {
            match kv::get(&client, &account, &namespace(binding)?, key)? {
                Some(bytes) if json => print_json(
                    "kv-value",
                    &serde_json::json!({"key": key, "value": String::from_utf8_lossy(&bytes)}),
                ),
                Some(bytes) => {
                    let _ = std::io::stdout().write_all(&bytes);
                }
                None => {
                    return Err(plain(
                        format!("no key `{key}` in `{binding}` on Cloudflare"),
                        format!("`cargo edge kv list {binding} --remote` shows its keys"),
                    ))
                }
            }
        }
        KvAction::Put {
            binding,
            key,
            value,
            ttl,
        } => {
            let bytes = value_bytes(value)?;
            kv::put(&client, &account, &namespace(binding)?, key, &bytes, *ttl)?;
            done(
                json,
                "kv-put",
                &format!("stored `{key}` in `{binding}`"),
                key,
            );
        }
        KvAction::List { binding, prefix } => {
            for key in kv::list(&client, &account, &namespace(binding)?, prefix.as_deref())? {
                match json {
                    true => print_json("kv-key", &key),
                    false => println!("{}", key.name),
                }
            }
        }
        KvAction::Delete { binding, key } => {
            kv::delete(&client, &account, &namespace(binding)?, key)?;
            done(
                json,
                "kv-delete",
                &format!("deleted `{key}` from `{binding}`"),
                key,
            );
        }
        KvAction::Bulk { action } => bulk(&client, &account, action, json, &namespace)?,
        KvAction::Namespace {
            action: KvNamespaceAction::List,
        } => {
            for (id, title) in kv::namespaces(&client, &account)? {
                match json {
                    true => print_json(
                        "kv-namespace",
                        &serde_json::json!({"id": id, "title": title}),
                    ),
                    false => println!("{id}  {title}"),
                }
            }
        }
    }
    Ok(())
}

fn bulk(
    client: &crate::deploy::client::Client,
    account: &str,
    action: &KvBulkAction,
    json: bool,
    namespace: &dyn Fn(&str) -> Result<String, crate::deploy::error::DeployError>,
) -> CommandResult {
    let bad = |e: String| plain(e, "see `cargo edge kv bulk --help` for the file's shape");
    match action {
        KvBulkAction::Put { binding, file } => {
            let pairs =
                kv::parse_pairs(file, kv::read_bulk_file(file).map_err(bad)?).map_err(bad)?;
            let count = kv::bulk_put(client, account, &namespace(binding)?, &pairs)?;
            done(
                json,
                "kv-bulk-put",
                &format!("stored {count} keys in `{binding}`"),
                &count.to_string(),
            );
        }
        KvBulkAction::Delete { binding, file } => {
            let keys = kv::parse_keys(file, kv::read_bulk_file(file).map_err(bad)?).map_err(bad)?;
            let count = kv::bulk_delete(client, account, &namespace(binding)?, &keys)?;
            done(
                json,
                "kv-bulk-delete",
                &format!("deleted {count} keys from `{binding}`"),
                &count.to_string(),
            );
        }
    }
    Ok(())
}
