//! A worker script as the fake keeps it: its versions, deployments, triggers and secrets, and
//! the JSON shapes the API shows of them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

/// One module of an upload: part name (= file name), MIME type and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// An uploaded version of a script.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub id: String,
    /// 1 for the first version of the script, counting up.
    pub number: u64,
    pub created_on: String,
    pub main_module: String,
    pub modules: Vec<Module>,
    /// The `metadata` part as uploaded (secret values included).
    pub metadata: Value,
    /// The resolved bindings: inherited and kept ones included, `secret_text` without text.
    pub bindings: Vec<Value>,
    /// Hex SHA-256 over the modules' names and contents.
    pub etag: String,
    pub handlers: Vec<String>,
    pub annotations: Value,
    pub compatibility_date: Option<String>,
    pub compatibility_flags: Vec<String>,
    /// The script's Durable Object migration tag when the version was made: a deployment of a
    /// version made under another tag is refused (a migration happened in between).
    pub migration_tag: Option<String>,
}

/// A deployment: which versions serve which share of traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    pub id: String,
    pub created_on: String,
    /// `(version id, percentage)`.
    pub versions: Vec<(String, f64)>,
    pub annotations: Value,
    pub force: bool,
}

/// A route bound to a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub id: String,
    pub pattern: String,
    pub zone_id: String,
    pub zone_name: String,
}

/// Everything the fake holds about one script.
#[derive(Debug, Clone, Default)]
pub struct ScriptState {
    pub name: String,
    pub created_on: String,
    pub modified_on: String,
    pub migration_tag: Option<String>,
    /// Durable Object classes the migrations so far have created.
    pub classes: BTreeSet<String>,
    /// Oldest first.
    pub versions: Vec<Version>,
    /// Oldest first.
    pub deployments: Vec<Deployment>,
    pub schedules: Vec<String>,
    pub routes: Vec<Route>,
    /// Secret values by name.
    pub secrets: BTreeMap<String, String>,
    pub subdomain_enabled: bool,
    pub previews_enabled: bool,
    /// `logpush`, `observability`, `tail_consumers`, `tags` as last patched.
    pub settings: Value,
}

impl ScriptState {
    pub fn new(name: &str, now: &str) -> ScriptState {
        ScriptState {
            name: name.to_string(),
            created_on: now.to_string(),
            modified_on: now.to_string(),
            settings: json!({"logpush": false, "observability": null, "tail_consumers": [], "tags": []}),
            ..ScriptState::default()
        }
    }

    /// The version that serves the most traffic in the newest deployment.
    /// The id of the version serving most traffic, or "" before the first deployment.
    pub fn version_id(&self) -> String {
        self.live().map(|v| v.id.clone()).unwrap_or_default()
    }

    pub fn live(&self) -> Option<&Version> {
        let deployment = self.deployments.last()?;
        let (id, _) = deployment
            .versions
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        self.version(id)
    }

    pub fn version(&self, id: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.id == id)
    }

    /// The script object of list and upload answers.
    pub fn summary(&self) -> Value {
        let live = self.live();
        json!({
            "id": self.name,
            "etag": live.map(|v| v.etag.clone()),
            "handlers": live.map(|v| v.handlers.clone()).unwrap_or_default(),
            "migration_tag": self.migration_tag,
            "created_on": self.created_on,
            "modified_on": self.modified_on,
            "usage_model": "standard",
            "compatibility_date": live.and_then(|v| v.compatibility_date.clone()),
            "compatibility_flags": live.map(|v| v.compatibility_flags.clone()).unwrap_or_default(),
            "startup_time_ms": 1,
            "has_modules": true,
            "last_deployed_from": "api",
        })
    }

    /// Bindings and settings of the live version (`GET …/settings`).
    pub fn settings_json(&self) -> Value {
        let live = self.live();
        let mut settings = self.settings.clone();
        settings["bindings"] = json!(live.map(|v| v.bindings.clone()).unwrap_or_default());
        settings["compatibility_date"] = json!(live.and_then(|v| v.compatibility_date.clone()));
        settings["compatibility_flags"] = json!(live
            .map(|v| v.compatibility_flags.clone())
            .unwrap_or_default());
        settings["usage_model"] = json!("standard");
        settings["placement"] = json!({});
        settings
    }
}

impl Version {
    /// The version object of `GET …/versions/{id}` and of a version upload.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "number": self.number,
            "metadata": {
                "created_on": self.created_on,
                "modified_on": self.created_on,
                "source": "api",
                "author_email": "fake@example.com",
                "hasPreview": false,
            },
            "annotations": self.annotations,
            "startup_time_ms": 1,
            "resources": {
                "bindings": self.bindings,
                "script": {"etag": self.etag, "handlers": self.handlers, "last_deployed_from": "api"},
                "script_runtime": {
                    "compatibility_date": self.compatibility_date,
                    "compatibility_flags": self.compatibility_flags,
                    "usage_model": "standard",
                },
            },
        })
    }
}

impl Deployment {
    /// The deployment object of `GET …/deployments`.
    pub fn to_json(&self) -> Value {
        let versions: Vec<Value> = self
            .versions
            .iter()
            .map(|(id, pct)| json!({"version_id": id, "percentage": pct}))
            .collect();
        json!({
            "id": self.id,
            "source": "api",
            "strategy": "percentage",
            "author_email": "fake@example.com",
            "created_on": self.created_on,
            "annotations": self.annotations,
            "versions": versions,
        })
    }
}

/// The handlers a main module seems to export: `fetch` always, and `scheduled`, `queue`,
/// `email`, `tail` when their names appear in it.
pub fn handlers(main: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(main);
    let mut out = vec!["fetch".to_string()];
    for name in ["scheduled", "queue", "email", "tail"] {
        if text.contains(name) {
            out.push(name.to_string());
        }
    }
    out
}
