//! `cargo edge kv …`: local KV data by default (`kv_local`, through the code that serves it to
//! `cargo edge dev`), the namespace on Cloudflare with `--remote` (`kv_remote`), as wrangler 4.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::failure::CommandResult;
use super::local::LocalArgs;
use crate::report::MessageFormat;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo edge kv put CACHE greeting hello\n  cargo edge kv get CACHE greeting --remote --env prod\n  cargo edge kv list CACHE --prefix user: --remote --message-format json\n  cargo edge kv bulk put CACHE seed.json\n\nLocal state (what `cargo edge dev` serves) unless --remote; `kv namespace` is always Cloudflare's."
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
        /// Seconds until the key expires (at least 60)
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
    /// Write or delete many keys from a JSON file
    Bulk {
        #[command(subcommand)]
        action: KvBulkAction,
    },
    /// The account's KV namespaces (on Cloudflare)
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

/// A write's outcome: its `reason` line in JSON, else `human` on standard error.
pub(super) fn done(json: bool, reason: &str, human: &str, subject: &str) {
    match json {
        true => super::json::print_json(reason, &subject),
        false => eprintln!("{human}"),
    }
}

/// `kv put`'s value: the argument itself, or standard input when it is `-`.
pub(super) fn value_bytes(value: &str) -> Result<Vec<u8>, super::failure::Failure> {
    match value {
        "-" => super::input::read_stdin("the value"),
        _ => Ok(value.as_bytes().to_vec()),
    }
}

/// `cargo edge kv …`: local state unless `--remote`; namespaces are only Cloudflare's.
pub fn kv(args: KvArgs) -> CommandResult {
    if let KvAction::Namespace { .. } = args.action {
        args.local.place.remote_only("`kv namespace`")?;
        return super::kv_remote::kv(args);
    }
    match args.local.place.is_local()? {
        true => super::kv_local::kv(args),
        false => super::kv_remote::kv(args),
    }
}
