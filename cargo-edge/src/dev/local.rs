//! Local values of bindings whose production value lives on Cloudflare: Secrets Store secrets
//! from `.secrets-store.toml` next to the worker's Cargo.toml, and Hyperdrive connection strings
//! from `CARGO_EDGE_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING>` (or wrangler's
//! `CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING>`). They reach workerd only through
//! the in-memory config.

use std::path::Path;

use crate::model::Worker;
use crate::render::capnp::{LocalValues, RenderError};

/// The file of local Secrets Store values: `secret_name = "value"` lines.
pub const SECRETS_STORE_FILE: &str = ".secrets-store.toml";

/// The local values every worker's bindings need.
pub fn values(workers: &[Worker]) -> Result<LocalValues, RenderError> {
    let mut local = LocalValues::default();
    for worker in workers {
        let uses = |kind: &str| worker.kind_bindings.values().any(|b| b.kind == kind);
        if uses("secrets_store") {
            let dir = worker.manifest_path.parent().unwrap_or(Path::new("."));
            local
                .secrets_store
                .extend(secrets_store(&dir.join(SECRETS_STORE_FILE))?);
        }
        for (name, _) in worker
            .kind_bindings
            .iter()
            .filter(|(_, b)| b.kind == "hyperdrive")
        {
            let from_env = ["CARGO_EDGE", "CLOUDFLARE"].iter().find_map(|prefix| {
                std::env::var(format!(
                    "{prefix}_HYPERDRIVE_LOCAL_CONNECTION_STRING_{name}"
                ))
                .ok()
            });
            if let Some(value) = from_env {
                local.hyperdrive.insert(name.clone(), value);
            }
        }
    }
    Ok(local)
}

/// `secret_name = "value"` pairs; a missing file is no values (each `get()` then says so).
fn secrets_store(path: &Path) -> Result<Vec<(String, String)>, RenderError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(bad(path, e.to_string())),
    };
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(path, e.to_string()))?;
    table
        .into_iter()
        .map(|(name, value)| match value {
            toml::Value::String(s) => Ok((name, s)),
            other => Err(bad(
                path,
                format!("`{name}` is {}, not a string", other.type_str()),
            )),
        })
        .collect()
}

fn bad(path: &Path, message: String) -> RenderError {
    RenderError::SecretsStoreFile {
        path: path.display().to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secrets_store_file_is_names_and_strings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SECRETS_STORE_FILE);
        assert!(secrets_store(&path).unwrap().is_empty());
        std::fs::write(&path, "stripe = \"sk_test\"\n").unwrap();
        assert_eq!(
            secrets_store(&path).unwrap(),
            [("stripe".to_string(), "sk_test".to_string())]
        );
        std::fs::write(&path, "stripe = 1\n").unwrap();
        let error = secrets_store(&path).unwrap_err().to_string();
        assert!(
            error.contains("`stripe` is integer, not a string"),
            "{error}"
        );
    }
}
