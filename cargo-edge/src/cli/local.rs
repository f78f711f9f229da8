//! What the local-state commands (`d1`, `kv`, `r2` with `--local`) share: where the state is,
//! and one call through the handler that serves it to workerd.

use std::path::{Path, PathBuf};

use clap::Args;

use super::failure::{plain, Failure};
use super::flags::WorkerArgs;
use crate::dev;
use crate::model::Worker;

/// Where local state is: every local-data command takes these.
#[derive(Debug, Args, Clone)]
pub struct LocalArgs {
    #[command(flatten)]
    pub worker: WorkerArgs,
    /// Use local state (what `cargo edge dev` serves) instead of the data on Cloudflare
    #[arg(long, global = true)]
    pub local: bool,
    /// Local state folder (default `.edge/state` beside Cargo.toml); implies --local
    #[arg(long, global = true, value_name = "DIR")]
    pub persist_to: Option<PathBuf>,
}

impl LocalArgs {
    pub fn is_local(&self) -> bool {
        implies_local(self.local, self.persist_to.as_deref())
    }
}

/// `--local`, or `--persist-to` (a state folder only means something locally).
pub fn implies_local(local: bool, persist_to: Option<&Path>) -> bool {
    local || persist_to.is_some()
}

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

/// A local-state error, with where to look.
pub fn dev_failure(error: dev::DevError) -> Failure {
    plain(
        error.to_string(),
        "check the local state folder (`.edge/state`)",
    )
}

/// Run one call through a local binding handler and collect the response.
pub fn call_local(
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
