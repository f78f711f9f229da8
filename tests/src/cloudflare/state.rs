//! Everything the fake remembers: accounts and their resources, the request log and the
//! armed faults, behind one lock that no handler holds across an `.await`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::envelope::{ApiError, NO_ROUTE};
use super::faults::Faults;
use super::script::ScriptState;
use super::{LoggedRequest, Options};

/// The shared state handed to every handler.
pub type Shared = Arc<Mutex<FakeState>>;

/// Lock the state, ignoring poisoning (a panicking handler must not wedge the tests).
pub fn lock(shared: &Shared) -> MutexGuard<'_, FakeState> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// The whole fake.
pub struct FakeState {
    pub options: Options,
    pub accounts: Vec<Account>,
    pub zones: Vec<Zone>,
    pub faults: Faults,
    pub log: Vec<LoggedRequest>,
    /// Static assets: upload sessions, stored files, what each script serves.
    pub assets: super::assets::AssetsState,
    counter: u64,
}

/// One Cloudflare account and all it owns.
#[derive(Default)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub subdomain: Option<String>,
    pub kv: Vec<KvNamespace>,
    pub d1: Vec<D1Database>,
    pub r2: Vec<R2Bucket>,
    pub queues: Vec<Queue>,
    pub scripts: BTreeMap<String, ScriptState>,
    pub domains: Vec<CustomDomain>,
}

/// A zone of the account, for routes and custom domains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub id: String,
    pub name: String,
}

/// A KV namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvNamespace {
    pub id: String,
    pub title: String,
}

/// A D1 database with its own in-memory SQLite.
pub struct D1Database {
    pub uuid: String,
    pub name: String,
    pub created_at: String,
    pub connection: rusqlite::Connection,
}

/// An R2 bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct R2Bucket {
    pub name: String,
    pub creation_date: String,
    pub location: String,
}

/// A queue and its consumers.
#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    pub id: String,
    pub name: String,
    pub created_on: String,
    pub consumers: Vec<Consumer>,
}

/// A worker consuming a queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Consumer {
    pub id: String,
    pub script_name: String,
    pub dead_letter_queue: Option<String>,
    /// The `settings` object as last sent.
    pub settings: Value,
    pub created_on: String,
}

/// A custom domain attached to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomDomain {
    pub id: String,
    pub hostname: String,
    pub service: String,
    pub environment: String,
    pub zone_id: String,
    pub zone_name: String,
}

impl FakeState {
    pub fn new(options: Options) -> FakeState {
        let mut state = FakeState {
            options: options.clone(),
            accounts: Vec::new(),
            zones: Vec::new(),
            faults: Faults::default(),
            log: Vec::new(),
            assets: Default::default(),
            counter: 0,
        };
        for n in 0..options.accounts.max(1) {
            let id = state.hex_id("account");
            let subdomain = options.workers_dev_subdomain.clone().filter(|_| n == 0);
            state.accounts.push(Account {
                id,
                name: format!("Account {}", n + 1),
                subdomain,
                ..Account::default()
            });
        }
        for name in &options.zones {
            let id = state.hex_id("zone");
            state.zones.push(Zone {
                id,
                name: name.clone(),
            });
        }
        for fault in options.faults {
            state.faults.inject(fault);
        }
        state
    }

    /// A fresh 32-hex-digit id, deterministic for a given sequence of calls.
    pub fn hex_id(&mut self, kind: &str) -> String {
        self.counter += 1;
        let digest = Sha256::digest(format!("{kind}:{}", self.counter));
        hex(&digest[..16])
    }

    /// A fresh UUID-shaped id.
    pub fn uuid(&mut self, kind: &str) -> String {
        let h = self.hex_id(kind);
        format!(
            "{}-{}-4{}-8{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }

    /// The account with this id, or Cloudflare's "could not route" error.
    pub fn account(&mut self, id: &str) -> Result<&mut Account, ApiError> {
        self.accounts
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| {
                ApiError::not_found(
                    NO_ROUTE,
                    format!(
                        "Could not route to /accounts/{id}, perhaps your object identifier is invalid?"
                    ),
                )
            })
    }

    /// The zone for a hostname: the longest zone name it equals or ends with.
    pub fn zone_for_host(&self, host: &str) -> Option<Zone> {
        self.zones
            .iter()
            .filter(|z| host == z.name || host.ends_with(&format!(".{}", z.name)))
            .max_by_key(|z| z.name.len())
            .cloned()
    }
}

/// Lower-case hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The current time as RFC 3339 with microseconds, as Cloudflare writes it.
pub fn now() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_micros()
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_civil() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_415), (2025, 11, 23));
    }
}
