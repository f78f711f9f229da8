//! What the data commands (`d1`, `kv`, `r2`, `analytics`) share: which state they use (local
//! unless `--remote`, as wrangler 4), where local state is, the line saying which, and one call
//! through the handler that serves local state to workerd.

use std::path::{Path, PathBuf};

use clap::Args;

use super::failure::{plain, Failure};
use super::flags::WorkerArgs;
use crate::dev;
use crate::model::Worker;

/// Where a data command's state is: local by default, Cloudflare's with `--remote`.
#[derive(Debug, Args, Clone, Default)]
pub struct PlaceArgs {
    /// Use local state, what `cargo edge dev` serves (the default)
    #[arg(long, global = true)]
    pub local: bool,
    /// Use the data on Cloudflare instead of local state
    #[arg(long, global = true)]
    pub remote: bool,
    /// Local state folder (default `.edge/state` beside Cargo.toml)
    #[arg(long, global = true, value_name = "DIR")]
    pub persist_to: Option<PathBuf>,
}

impl PlaceArgs {
    /// Whether the command uses local state: the one place the rule lives.
    pub fn is_local(&self) -> Result<bool, Failure> {
        match (self.local, self.remote, &self.persist_to) {
            (true, true, _) => Err(plain(
                "`--local` and `--remote` name two places at once",
                "drop one: without either the command uses local state, with --remote Cloudflare's",
            )),
            (_, true, Some(dir)) => Err(plain(
                format!(
                    "`--persist-to {}` names a local state folder, but `--remote` uses the data on Cloudflare",
                    dir.display()
                ),
                "drop --persist-to for Cloudflare's data, or --remote for that folder's",
            )),
            (_, remote, _) => Ok(!remote),
        }
    }

    /// Refuse local flags on a command that only works on Cloudflare (`what` names it).
    pub fn remote_only(&self, what: &str) -> Result<(), Failure> {
        if self.local || self.persist_to.is_some() {
            return Err(plain(
                format!("{what} works on Cloudflare's data only"),
                "drop --local and --persist-to",
            ));
        }
        Ok(())
    }
}

/// Where local state is, and which worker: every local-data command takes these.
#[derive(Debug, Args, Clone)]
pub struct LocalArgs {
    #[command(flatten)]
    pub worker: WorkerArgs,
    #[command(flatten)]
    pub place: PlaceArgs,
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

/// The local state folder of `worker`, said on standard error so nobody wonders which data
/// a command read or wrote.
pub fn local_state(worker: &Worker, persist_to: Option<&Path>) -> PathBuf {
    let dir = state_dir(worker, persist_to);
    eprintln!(
        "{:>12} local state in {} (--remote for Cloudflare's)",
        "Using",
        dir.display()
    );
    dir
}

/// Say on standard error that the data is Cloudflare's, on `account`.
pub fn announce_remote(account: &str) {
    eprintln!("{:>12} the data on Cloudflare, account {account}", "Using");
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

#[cfg(test)]
mod tests {
    use super::*;

    fn place(local: bool, remote: bool, persist_to: Option<&str>) -> PlaceArgs {
        PlaceArgs {
            local,
            remote,
            persist_to: persist_to.map(PathBuf::from),
        }
    }

    #[test]
    fn local_unless_remote_and_contradictions_refused() {
        let local = |place: PlaceArgs| place.is_local().ok();
        assert_eq!(local(place(false, false, None)), Some(true));
        assert_eq!(local(place(true, false, None)), Some(true));
        assert_eq!(local(place(false, false, Some("s"))), Some(true));
        assert_eq!(local(place(false, true, None)), Some(false));
        let refusal = |place: PlaceArgs| match place.is_local() {
            Ok(local) => panic!("accepted as local = {local}"),
            Err(failure) => failure.report.to_string(),
        };
        let both = refusal(place(true, true, None));
        assert!(both.contains("`--local` and `--remote`"), "{both}");
        let folder = refusal(place(false, true, Some("s")));
        assert!(folder.contains("`--persist-to s`"), "{folder}");
    }
}
