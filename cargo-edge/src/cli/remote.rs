//! What the commands that talk to Cloudflare share: a live client, the account, the script path.

use super::context;
use super::failure::Failure;
use super::flags::WorkerArgs;
use crate::deploy::client::{Auth, Client, Mode, RetryPolicy};
use crate::deploy::error::DeployError;
use crate::deploy::live;
use crate::model::Worker;

/// A live client and the account and script path for the selected worker.
pub fn connect(args: &WorkerArgs) -> Result<(Client, Worker, String), Failure> {
    let worker = context::load_worker(args)?;
    let (client, account) = remote(&worker)?;
    Ok((client, worker, account))
}

/// A live client (credentials from the environment) and the account `worker` deploys to.
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

/// The API path of the worker's script.
pub fn script_path(account: &str, worker: &Worker) -> String {
    format!("/accounts/{account}/workers/scripts/{}", worker.name)
}
