//! The resolved `[package.metadata.edge.assets]` table and its renderings in Cloudflare's and
//! wrangler's words.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::{json, Value};

/// Static assets of one worker, every default applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assets {
    /// Absolute path of the folder served.
    pub directory: PathBuf,
    /// The folder as written, relative to the crate (for wrangler.toml and messages).
    pub directory_as_written: String,
    /// The binding the worker reads the assets under (`env.ASSETS`), if any.
    pub binding: Option<String>,
    pub html_handling: HtmlHandling,
    pub not_found_handling: NotFoundHandling,
    pub run_worker_first: RunWorkerFirst,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum HtmlHandling {
    #[default]
    AutoTrailingSlash,
    ForceTrailingSlash,
    DropTrailingSlash,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum NotFoundHandling {
    #[default]
    #[serde(rename = "none")]
    None,
    #[serde(rename = "404-page")]
    Page404,
    #[serde(rename = "single-page-application")]
    SinglePageApplication,
}

/// `run_worker_first`: never, always, or for requests matching route patterns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunWorkerFirst {
    Always(bool),
    Patterns(Vec<String>),
}

impl Default for RunWorkerFirst {
    fn default() -> Self {
        RunWorkerFirst::Always(false)
    }
}

impl HtmlHandling {
    pub const ALL: [&'static str; 4] = [
        "auto-trailing-slash",
        "force-trailing-slash",
        "drop-trailing-slash",
        "none",
    ];

    pub fn parse(text: &str) -> Option<HtmlHandling> {
        Some(match text {
            "auto-trailing-slash" => HtmlHandling::AutoTrailingSlash,
            "force-trailing-slash" => HtmlHandling::ForceTrailingSlash,
            "drop-trailing-slash" => HtmlHandling::DropTrailingSlash,
            "none" => HtmlHandling::None,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HtmlHandling::AutoTrailingSlash => "auto-trailing-slash",
            HtmlHandling::ForceTrailingSlash => "force-trailing-slash",
            HtmlHandling::DropTrailingSlash => "drop-trailing-slash",
            HtmlHandling::None => "none",
        }
    }
}

impl NotFoundHandling {
    pub const ALL: [&'static str; 3] = ["none", "404-page", "single-page-application"];

    pub fn parse(text: &str) -> Option<NotFoundHandling> {
        Some(match text {
            "none" => NotFoundHandling::None,
            "404-page" => NotFoundHandling::Page404,
            "single-page-application" => NotFoundHandling::SinglePageApplication,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NotFoundHandling::None => "none",
            NotFoundHandling::Page404 => "404-page",
            NotFoundHandling::SinglePageApplication => "single-page-application",
        }
    }
}

impl RunWorkerFirst {
    /// As JSON: `true`, `false` or the list of patterns (upload metadata and wrangler).
    pub fn to_json(&self) -> Value {
        match self {
            RunWorkerFirst::Always(all) => json!(all),
            RunWorkerFirst::Patterns(patterns) => json!(patterns),
        }
    }
}

impl Assets {
    /// The `config` Cloudflare takes beside the upload's completion token.
    pub fn upload_config(&self) -> Value {
        json!({
            "html_handling": self.html_handling.as_str(),
            "not_found_handling": self.not_found_handling.as_str(),
            "run_worker_first": self.run_worker_first.to_json(),
        })
    }

    /// A plain folder of defaults (tests and `cargo edge import`).
    pub fn with_directory(directory: PathBuf, as_written: &str) -> Assets {
        Assets {
            directory,
            directory_as_written: as_written.to_string(),
            binding: None,
            html_handling: HtmlHandling::default(),
            not_found_handling: NotFoundHandling::default(),
            run_worker_first: RunWorkerFirst::default(),
        }
    }
}

/// wrangler's `assets` table, with the folder written relative to the config (`directory`).
pub fn wrangler(assets: &Assets, directory: &str) -> Value {
    let mut table = json!({
        "directory": directory,
        "html_handling": assets.html_handling.as_str(),
        "not_found_handling": assets.not_found_handling.as_str(),
        "run_worker_first": assets.run_worker_first.to_json(),
    });
    if let Some(binding) = &assets.binding {
        table["binding"] = json!(binding);
    }
    table
}

/// wrangler's `assets` table as `[package.metadata.edge.assets]`, and the keys left out.
pub fn import(wrangler: &Value) -> (Value, Vec<String>) {
    const KEYS: [&str; 5] = [
        "directory",
        "binding",
        "html_handling",
        "not_found_handling",
        "run_worker_first",
    ];
    let mut table = serde_json::Map::new();
    let mut skipped = Vec::new();
    for (key, value) in wrangler.as_object().into_iter().flatten() {
        if KEYS.contains(&key.as_str()) {
            table.insert(key.clone(), value.clone());
        } else {
            skipped.push(key.clone());
        }
    }
    (Value::Object(table), skipped)
}
