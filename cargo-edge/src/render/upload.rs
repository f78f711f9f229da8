//! The `metadata` part of a Cloudflare script upload: bindings in the API's shapes, migrations
//! from the last applied tag, compatibility settings.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::bundle::Bundle;
use crate::model::{Migration, Service, Var, Worker};

/// Ids of resources the worker names but does not pin, found or created at deploy time.
#[derive(Debug, Clone, Default)]
pub struct ResourceIds {
    /// KV namespace id by title.
    pub kv: BTreeMap<String, String>,
    /// D1 database uuid by name.
    pub d1: BTreeMap<String, String>,
}

impl ResourceIds {
    fn kv(&self, title: &str) -> String {
        self.kv
            .get(title)
            .cloned()
            .unwrap_or_else(|| format!("<provisioned at deploy: KV namespace `{title}`>"))
    }

    fn d1(&self, name: &str) -> String {
        self.d1
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("<provisioned at deploy: D1 database `{name}`>"))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UploadError {
    #[error(
        "the live worker's migration tag `{tag}` is not in this worker's migrations ({known})"
    )]
    UnknownTag { tag: String, known: String },
}

/// The metadata and the warnings about what Cloudflare cannot express.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadMetadata {
    pub metadata: Value,
    pub warnings: Vec<String>,
}

/// Render the metadata. `applied_tag` is the live worker's migration tag, if it has one.
pub fn render(
    worker: &Worker,
    bundle: &Bundle,
    ids: &ResourceIds,
    applied_tag: Option<&str>,
) -> Result<UploadMetadata, UploadError> {
    let (bindings, warnings) = bindings(worker, bundle, ids);
    let mut metadata = json!({
        "main_module": bundle.main_module,
        "compatibility_date": worker.compatibility_date,
        "compatibility_flags": worker.compatibility_flags,
        "bindings": bindings,
        "keep_bindings": ["secret_text", "secret_key"],
    });
    if let Some(migrations) = migrations(&worker.migrations, applied_tag)? {
        metadata["migrations"] = migrations;
    }
    Ok(UploadMetadata { metadata, warnings })
}

fn bindings(worker: &Worker, bundle: &Bundle, ids: &ResourceIds) -> (Vec<Value>, Vec<String>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for (name, var) in &worker.vars {
        out.push(match var {
            Var::Text(text) => json!({"type": "plain_text", "name": name, "text": text}),
            Var::Json(value) => json!({"type": "json", "name": name, "json": value}),
        });
    }
    out.push(json!({"type": "plain_text", "name": worker.content_hash_binding, "text": bundle.content_hash}));
    for (name, kv) in &worker.kv {
        let id = kv.id.clone().unwrap_or_else(|| ids.kv(&kv.title));
        out.push(json!({"type": "kv_namespace", "name": name, "namespace_id": id}));
    }
    for (name, db) in &worker.d1 {
        let id = db.id.clone().unwrap_or_else(|| ids.d1(&db.name));
        out.push(json!({"type": "d1", "name": name, "id": id}));
    }
    for (name, r2) in &worker.r2 {
        let mut binding = json!({"type": "r2_bucket", "name": name, "bucket_name": r2.bucket});
        if let Some(jurisdiction) = &r2.jurisdiction {
            binding["jurisdiction"] = json!(jurisdiction);
        }
        out.push(binding);
    }
    for (name, producer) in &worker.queue_producers {
        let mut binding = json!({"type": "queue", "name": name, "queue_name": producer.queue});
        if let Some(delay) = producer.delivery_delay {
            binding["delivery_delay"] = json!(delay);
        }
        out.push(binding);
    }
    for (name, service) in &worker.services {
        match service {
            Service::Worker {
                worker: target,
                entrypoint,
            } => {
                let mut binding = json!({"type": "service", "name": name, "service": target});
                if let Some(entrypoint) = entrypoint {
                    binding["entrypoint"] = json!(entrypoint);
                }
                out.push(binding);
            }
            Service::External { url } => {
                warnings.push(format!(
                    "`{name}` is an external backend ({url}): Cloudflare has no binding for that, so it is uploaded as the plain-text URL; fetch it with `Fetch::Url`"
                ));
                out.push(json!({"type": "plain_text", "name": name, "text": url}));
            }
        }
    }
    for (name, object) in &worker.durable_objects {
        let mut binding =
            json!({"type": "durable_object_namespace", "name": name, "class_name": object.class});
        if let Some(script) = &object.worker {
            binding["script_name"] = json!(script);
        }
        out.push(binding);
    }
    if let Some(binding) = worker.assets.as_ref().and_then(|a| a.binding.as_ref()) {
        out.push(json!({"type": "assets", "name": binding}));
    }
    (out, warnings)
}

/// The migration steps after `applied_tag`, or `None` when there are none to send.
pub fn migrations(
    all: &[Migration],
    applied_tag: Option<&str>,
) -> Result<Option<Value>, UploadError> {
    let start = match applied_tag {
        None => 0,
        Some(tag) => match all.iter().position(|m| m.tag == tag) {
            Some(index) => index + 1,
            None => {
                let known = all
                    .iter()
                    .map(|m| m.tag.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(UploadError::UnknownTag {
                    tag: tag.into(),
                    known,
                });
            }
        },
    };
    let pending = &all[start.min(all.len())..];
    let Some(last) = pending.last() else {
        return Ok(None);
    };
    let steps: Vec<Value> = pending.iter().map(step).collect();
    let mut value = json!({"new_tag": last.tag, "steps": steps});
    if let Some(tag) = applied_tag {
        value["old_tag"] = json!(tag);
    }
    Ok(Some(value))
}

fn step(migration: &Migration) -> Value {
    let mut step = serde_json::Map::new();
    let mut list = |key: &str, items: &[String]| {
        if !items.is_empty() {
            step.insert(key.into(), json!(items));
        }
    };
    list("new_classes", &migration.new_classes);
    list("new_sqlite_classes", &migration.new_sqlite_classes);
    list("deleted_classes", &migration.deleted_classes);
    if !migration.renamed_classes.is_empty() {
        let renamed: Vec<Value> = migration
            .renamed_classes
            .iter()
            .map(|r| json!({"from": r.from, "to": r.to}))
            .collect();
        step.insert("renamed_classes".into(), json!(renamed));
    }
    Value::Object(step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample;

    #[test]
    fn metadata_has_every_binding_in_the_api_shape() {
        let worker = sample::worker();
        let ids = ResourceIds {
            kv: [("api-prod-cache".into(), "c0ffee".into())].into(),
            d1: Default::default(),
        };
        let upload = render(&worker, &sample::bundle("api-prod"), &ids, None).unwrap();
        insta::assert_json_snapshot!(upload.metadata);
        assert_eq!(
            upload.warnings.len(),
            1,
            "the external backend is explained"
        );
        assert!(
            !upload.metadata.to_string().contains("API_KEY"),
            "secrets are never in the metadata"
        );
    }

    #[test]
    fn migrations_start_after_the_applied_tag() {
        let worker = sample::worker();
        let v = migrations(&worker.migrations, Some("v1")).unwrap().unwrap();
        assert_eq!(
            v,
            json!({"old_tag": "v1", "new_tag": "v2", "steps": [{"renamed_classes": [{"from": "Chat", "to": "Room"}]}]})
        );
        assert_eq!(migrations(&worker.migrations, Some("v2")).unwrap(), None);
        let error = migrations(&worker.migrations, Some("v9")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the live worker's migration tag `v9` is not in this worker's migrations (v1, v2)"
        );
    }
}
