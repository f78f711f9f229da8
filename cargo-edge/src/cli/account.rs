//! The account a command about the account (not one worker) works on: the worker's here when
//! there is one, else `CLOUDFLARE_ACCOUNT_ID` or the token's only account.

use super::context;
use super::failure::Failure;
use super::flags::WorkerArgs;
use super::remote::remote;
use crate::deploy::client::{Auth, Client, Mode, RetryPolicy};
use crate::deploy::error::DeployError;
use crate::deploy::live;

pub fn account(args: &WorkerArgs) -> Result<(Client, String), Failure> {
    match context::load_worker(args) {
        Ok(worker) => remote(&worker),
        Err(failure) if args.manifest_path.is_some() || args.package.is_some() => Err(failure),
        Err(_) => {
            let auth = Auth::from_env().ok_or(DeployError::NoCredentials)?;
            let client = Client::new(
                &Client::base_url_from_env(),
                auth,
                RetryPolicy::default(),
                Mode::Live,
            )?;
            let account = live::resolve_account(&client, None)?;
            Ok((client, account))
        }
    }
}
