//! What a deploy sends: counted for the summary, and written out by `--dry-run` with secrets
//! redacted.

use std::path::Path;
use std::sync::Mutex;

use reqwest::Method;
use serde::Serialize;
use serde_json::{json, Value};

use super::client::Body;

/// One request as a user may read it: never a credential, never a secret's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: Value,
}

impl Recorded {
    pub fn new(method: &Method, path: &str, body: &Body) -> Recorded {
        let body = match body {
            Body::None => Value::Null,
            Body::Json(value) => redact(path, value),
            Body::Multipart(_, description) => (*description).clone(),
        };
        Recorded {
            method: method.to_string(),
            path: path.to_string(),
            body,
        }
    }
}

/// Secret values are replaced before anything is recorded.
fn redact(path: &str, body: &Value) -> Value {
    let mut body = body.clone();
    if path.contains("/secrets") {
        if let Some(text) = body.get_mut("text") {
            *text = json!("***");
        }
    }
    body
}

#[derive(Debug, Default)]
pub struct Recorder {
    entries: Mutex<Vec<Recorded>>,
}

impl Recorder {
    pub fn record(&self, entry: Recorded) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.push(entry);
        }
    }

    pub fn entries(&self) -> Vec<Recorded> {
        self.entries.lock().map(|e| e.clone()).unwrap_or_default()
    }

    pub fn count(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or_default()
    }

    /// Write each request as `NNN-METHOD-path.json` into `dir`.
    pub fn write(entries: &[Recorded], dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (index, entry) in entries.iter().enumerate() {
            let slug: String = entry
                .path
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect::<String>()
                .split('-')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("-");
            let name = format!(
                "{:03}-{}-{}.json",
                index + 1,
                entry.method,
                slug.chars().take(80).collect::<String>()
            );
            let text = serde_json::to_string_pretty(entry).expect("records serialize");
            std::fs::write(dir.join(name), format!("{text}\n"))?;
        }
        Ok(())
    }
}
