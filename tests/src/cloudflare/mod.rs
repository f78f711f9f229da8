//! A local, stateful and strict stand-in for `api.cloudflare.com/client/v4`, for testing
//! `cargo edge deploy` without the network.
//!
//! ```no_run
//! use edge_tests::cloudflare::{FakeCloudflare, Fault, FaultKind, Options};
//!
//! let fake = FakeCloudflare::start(Options::default());
//! fake.inject(Fault::new("PUT", "/accounts/*/workers/scripts/*", FaultKind::Status(500)));
//! // Point the client at it: CLOUDFLARE_API_BASE_URL = fake.base_url(),
//! // CLOUDFLARE_API_TOKEN = fake.token(), CLOUDFLARE_ACCOUNT_ID = fake.account_id().
//! ```
//!
//! Endpoints live one resource per file; [`envelope`] lists every error code the fake emits
//! and whether it was verified against Cloudflare's behaviour or guessed.

pub mod envelope;
pub mod faults;

mod accounts;
mod assets;
mod bindings;
mod client;
mod consumers;
mod d1;
mod domains;
mod inspect;
mod migrations;
mod queues;
mod routes;
mod script;
mod scripts;
mod secrets;
mod server;
mod state;
mod storage;
mod triggers;
mod upload;
mod versions;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub use client::{multipart, ApiClient, ApiResponse};
pub use faults::{Fault, FaultKind};
pub use inspect::{LoggedRequest, Script};
pub use script::{Deployment, Module, Route, Version};
pub use state::{Consumer, CustomDomain, KvNamespace, Queue, R2Bucket};

/// How the fake starts.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many accounts the token sees (at least 1); several make account discovery ambiguous.
    pub accounts: usize,
    /// The first account's workers.dev subdomain, or `None` for an account without one.
    pub workers_dev_subdomain: Option<String>,
    /// The only valid API token.
    pub token: String,
    /// A valid legacy `(X-Auth-Key, X-Auth-Email)` pair, if any.
    pub api_key: Option<(String, String)>,
    /// Zone names that routes and custom domains may use.
    pub zones: Vec<String>,
    /// Faults armed from the first request on.
    pub faults: Vec<Fault>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            accounts: 1,
            workers_dev_subdomain: Some("edge-tests".into()),
            token: "fake-cloudflare-token-0123456789".into(),
            api_key: Some(("fake-global-api-key".into(), "dev@example.com".into())),
            zones: vec!["example.com".into(), "example.org".into()],
            faults: Vec::new(),
        }
    }
}

/// A running fake Cloudflare API, stopped when dropped.
pub struct FakeCloudflare {
    state: state::Shared,
    server: server::Server,
}

impl FakeCloudflare {
    /// Start serving on 127.0.0.1 with an OS-chosen port.
    pub fn start(options: Options) -> FakeCloudflare {
        let state = Arc::new(Mutex::new(state::FakeState::new(options)));
        let server = server::Server::start(state.clone(), routes::router(state.clone()))
            .expect("the fake Cloudflare API starts");
        FakeCloudflare { state, server }
    }

    /// What to put in `CLOUDFLARE_API_BASE_URL`: `http://127.0.0.1:PORT/client/v4`.
    pub fn base_url(&self) -> String {
        format!("http://{}/client/v4", self.server.addr)
    }

    /// The first account's id.
    pub fn account_id(&self) -> String {
        state::lock(&self.state).accounts[0].id.clone()
    }

    /// Every account's id, in `GET /accounts` order.
    pub fn account_ids(&self) -> Vec<String> {
        let state = state::lock(&self.state);
        state.accounts.iter().map(|a| a.id.clone()).collect()
    }

    /// The only valid API token.
    pub fn token(&self) -> String {
        state::lock(&self.state).options.token.clone()
    }

    /// Arm a fault on the running fake.
    pub fn inject(&self, fault: Fault) {
        state::lock(&self.state).faults.inject(fault);
    }

    /// How many fault strikes are still armed.
    pub fn faults_remaining(&self) -> usize {
        state::lock(&self.state).faults.remaining()
    }

    /// Disarm every fault.
    pub fn clear_faults(&self) {
        state::lock(&self.state).faults.clear();
    }

    /// The static assets deployed with `script` (first account): path → hash.
    pub fn asset_files(&self, script: &str) -> BTreeMap<String, String> {
        let state = state::lock(&self.state);
        let key = (state.accounts[0].id.clone(), script.to_string());
        state.assets.deployed.get(&key).cloned().unwrap_or_default()
    }

    /// A deployed asset of `script` as Cloudflare stores it: content type and bytes.
    pub fn asset(&self, script: &str, path: &str) -> Option<(String, Vec<u8>)> {
        let state = state::lock(&self.state);
        let account = state.accounts[0].id.clone();
        let hash = state
            .assets
            .deployed
            .get(&(account.clone(), script.to_string()))?
            .get(path)?
            .clone();
        state.assets.stored.get(&(account, hash)).cloned()
    }

    /// The `assets.config` `script` was last deployed with.
    pub fn asset_config(&self, script: &str) -> Option<serde_json::Value> {
        let state = state::lock(&self.state);
        let key = (state.accounts[0].id.clone(), script.to_string());
        state.assets.configs.get(&key).cloned()
    }

    /// How long new asset upload sessions' tokens are valid (zero: expired at once).
    pub fn set_asset_session_ttl(&self, ttl: std::time::Duration) {
        state::lock(&self.state).assets.session_ttl = ttl;
    }

    /// A client for this fake with the valid token.
    pub fn client(&self) -> ApiClient {
        ApiClient::new(&self.base_url(), Some(&self.token()))
    }
}
