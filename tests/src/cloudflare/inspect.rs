//! Looking inside the fake from a test: the request log and the state of the first account.

use axum::http::request::Parts;
use serde_json::Value;

use super::script::{Deployment, Module, Route, Version};
use super::state::{lock, Account, Consumer, CustomDomain, KvNamespace, Queue, R2Bucket};
use super::FakeCloudflare;

/// One request the fake received (faulted and refused ones included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: String,
    /// The full path, `/client/v4/…` included.
    pub path: String,
    pub query: Option<String>,
    pub body_bytes: usize,
    pub content_type: Option<String>,
    /// Every header, as text.
    pub headers: Vec<(String, String)>,
    /// The body, for the checks of [`FakeCloudflare::assert_no_secret`].
    pub body: Vec<u8>,
}

impl LoggedRequest {
    pub(super) fn new(parts: &Parts, body: &[u8]) -> LoggedRequest {
        let headers: Vec<(String, String)> = parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let content_type = headers
            .iter()
            .find(|(k, _)| k == "content-type")
            .map(|(_, v)| v.clone());
        LoggedRequest {
            method: parts.method.to_string(),
            path: parts.uri.path().to_string(),
            query: parts.uri.query().map(str::to_string),
            body_bytes: body.len(),
            content_type,
            headers,
            body: body.to_vec(),
        }
    }
}

/// The live state of a script: its most-deployed version and what surrounds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub name: String,
    pub main_module: String,
    pub modules: Vec<Module>,
    /// The `metadata` part of the live version's upload.
    pub metadata: Value,
    /// The live bindings (`secret_text` without text).
    pub bindings: Vec<Value>,
    pub migration_tag: Option<String>,
    /// Durable Object classes created by the migrations so far.
    pub classes: Vec<String>,
    pub etag: String,
    pub version_id: String,
    /// `logpush`, `observability`, `tail_consumers`, `tags`.
    pub settings: Value,
}

impl Script {
    /// The `text` of the live `plain_text` binding called `name`.
    pub fn plain_text(&self, name: &str) -> Option<String> {
        self.bindings
            .iter()
            .find(|b| b["name"] == name && b["type"] == "plain_text")
            .and_then(|b| b["text"].as_str().map(str::to_string))
    }

    /// The live binding called `name`, whatever its type.
    pub fn binding(&self, name: &str) -> Option<&Value> {
        self.bindings.iter().find(|b| b["name"] == name)
    }
}

impl FakeCloudflare {
    fn with_account<T>(&self, f: impl FnOnce(&Account) -> T) -> T {
        f(&lock(&self.state).accounts[0])
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.state).log.clone()
    }

    /// Forget the requests logged so far.
    pub fn reset_log(&self) {
        lock(&self.state).log.clear();
    }

    /// Panic if `secret` appears in any logged URL or header, or in any body other than a
    /// secrets upload (`PUT …/secrets`).
    pub fn assert_no_secret(&self, secret: &str) {
        for request in self.requests() {
            let url = format!(
                "{}?{}",
                request.path,
                request.query.clone().unwrap_or_default()
            );
            assert!(
                !url.contains(secret),
                "the secret leaked into the URL {url}"
            );
            for (name, value) in &request.headers {
                assert!(
                    !value.contains(secret),
                    "the secret leaked into the header {name} of {url}"
                );
            }
            let secrets_upload = request.method == "PUT" && request.path.ends_with("/secrets");
            let body = String::from_utf8_lossy(&request.body);
            assert!(
                secrets_upload || !body.contains(secret),
                "the secret leaked into the body of {} {url}",
                request.method
            );
        }
    }

    pub fn kv_namespaces(&self) -> Vec<KvNamespace> {
        self.with_account(|a| a.kv.clone())
    }

    /// `(uuid, name)` of each D1 database.
    pub fn d1_databases(&self) -> Vec<(String, String)> {
        self.with_account(|a| {
            a.d1.iter()
                .map(|d| (d.uuid.clone(), d.name.clone()))
                .collect()
        })
    }

    /// Rows of a query run directly on a D1 database (by name), as JSON objects.
    pub fn d1_query(&self, database: &str, sql: &str) -> Vec<Value> {
        let state = lock(&self.state);
        let db = state.accounts[0].d1.iter().find(|d| d.name == database);
        let db = db.unwrap_or_else(|| panic!("no D1 database `{database}`"));
        let mut statement = db.connection.prepare(sql).expect("the query prepares");
        let names: Vec<String> = statement
            .column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        let rows = statement.query_map([], |row| {
            let mut object = serde_json::Map::new();
            for (i, name) in names.iter().enumerate() {
                let value: rusqlite::types::Value = row.get(i)?;
                object.insert(name.clone(), sql_to_json(value));
            }
            Ok(Value::Object(object))
        });
        let rows: Vec<Value> = rows
            .expect("the query runs")
            .map(|r| r.expect("a row reads"))
            .collect();
        rows
    }

    pub fn r2_buckets(&self) -> Vec<R2Bucket> {
        self.with_account(|a| a.r2.clone())
    }

    pub fn queues(&self) -> Vec<Queue> {
        self.with_account(|a| a.queues.clone())
    }

    /// The consumers of the queue called `queue`.
    pub fn consumers(&self, queue: &str) -> Vec<Consumer> {
        self.with_account(|a| {
            a.queues
                .iter()
                .find(|q| q.name == queue)
                .map(|q| q.consumers.clone())
                .unwrap_or_default()
        })
    }

    /// The live state of a script, if it exists and has been deployed.
    pub fn script(&self, name: &str) -> Option<Script> {
        self.with_account(|a| {
            let script = a.scripts.get(name)?;
            let live = script.live()?;
            Some(Script {
                name: script.name.clone(),
                main_module: live.main_module.clone(),
                modules: live.modules.clone(),
                metadata: live.metadata.clone(),
                bindings: live.bindings.clone(),
                migration_tag: script.migration_tag.clone(),
                classes: script.classes.iter().cloned().collect(),
                etag: live.etag.clone(),
                version_id: live.id.clone(),
                settings: script.settings.clone(),
            })
        })
    }

    /// Names of the scripts in the account.
    pub fn script_names(&self) -> Vec<String> {
        self.with_account(|a| a.scripts.keys().cloned().collect())
    }

    /// Versions of a script, oldest first.
    pub fn versions(&self, script: &str) -> Vec<Version> {
        self.with_account(|a| {
            a.scripts
                .get(script)
                .map(|s| s.versions.clone())
                .unwrap_or_default()
        })
    }

    /// Deployments of a script, oldest first.
    pub fn deployments(&self, script: &str) -> Vec<Deployment> {
        self.with_account(|a| {
            a.scripts
                .get(script)
                .map(|s| s.deployments.clone())
                .unwrap_or_default()
        })
    }

    pub fn schedules(&self, script: &str) -> Vec<String> {
        self.with_account(|a| {
            a.scripts
                .get(script)
                .map(|s| s.schedules.clone())
                .unwrap_or_default()
        })
    }

    pub fn routes(&self, script: &str) -> Vec<Route> {
        self.with_account(|a| {
            a.scripts
                .get(script)
                .map(|s| s.routes.clone())
                .unwrap_or_default()
        })
    }

    pub fn domains(&self) -> Vec<CustomDomain> {
        self.with_account(|a| a.domains.clone())
    }

    /// Names of a script's live secrets.
    pub fn secrets(&self, script: &str) -> Vec<String> {
        self.with_account(|a| {
            a.scripts
                .get(script)
                .map(super::secrets::names)
                .unwrap_or_default()
        })
    }

    /// The value of a live secret, for assertions like "the value equals".
    pub fn secret_value(&self, script: &str, name: &str) -> Option<String> {
        if !self.secrets(script).iter().any(|s| s == name) {
            return None;
        }
        self.with_account(|a| a.scripts.get(script)?.secrets.get(name).cloned())
    }

    /// Whether the script is served on workers.dev.
    pub fn subdomain_enabled(&self, script: &str) -> bool {
        self.with_account(|a| a.scripts.get(script).is_some_and(|s| s.subdomain_enabled))
    }
}

fn sql_to_json(value: rusqlite::types::Value) -> Value {
    use rusqlite::types::Value as Sql;
    match value {
        Sql::Null => Value::Null,
        Sql::Integer(i) => i.into(),
        Sql::Real(r) => r.into(),
        Sql::Text(t) => t.into(),
        Sql::Blob(b) => b.into(),
    }
}
