//! The JSON schema of the metadata table as written, generated from [`keys`](super::keys), the
//! same definition the shape check and did-you-mean use. Published as
//! `cargo-edge/schema/edge-metadata.schema.json`.

use serde_json::{json, Map, Value};

use super::keys::{Key, Shape, PACKAGE_KEYS, WORKSPACE_KEYS};

/// The schema of `[package.metadata.edge]`, with `[workspace.metadata.edge]` under `$defs`.
pub fn schema() -> Value {
    let mut root = table(PACKAGE_KEYS);
    if let Value::Object(map) = &mut root {
        map.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        map.insert("title".into(), json!("[package.metadata.edge]"));
        map.insert(
            "description".into(),
            json!("cargo-edge worker configuration, read from Cargo.toml. Environments under `env` inherit every key; binding tables merge by name."),
        );
        let mut workspace = table(WORKSPACE_KEYS);
        if let Value::Object(w) = &mut workspace {
            w.insert(
                "description".into(),
                json!("[workspace.metadata.edge]: defaults every member inherits."),
            );
        }
        map.insert("$defs".into(), json!({ "workspace": workspace }));
    }
    root
}

/// The schema as committed: pretty JSON with a trailing newline.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    text.push('\n');
    text
}

fn table(keys: &[Key]) -> Value {
    let properties: Map<String, Value> = keys
        .iter()
        .map(|k| {
            let mut s = shape(&k.shape);
            if let Value::Object(map) = &mut s {
                map.insert("description".into(), json!(k.doc));
            }
            (k.name.to_string(), s)
        })
        .collect();
    let required: Vec<&str> = keys.iter().filter(|k| k.required).map(|k| k.name).collect();
    let mut schema =
        json!({ "type": "object", "properties": properties, "additionalProperties": false });
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

fn shape(shape: &Shape) -> Value {
    match shape {
        Shape::Str => json!({ "type": "string" }),
        Shape::Bool => json!({ "type": "boolean" }),
        Shape::Int { min, max } => json!({ "type": "integer", "minimum": min, "maximum": max }),
        Shape::OneOf(allowed) => json!({ "type": "integer", "enum": allowed }),
        Shape::Number { min, max } => json!({ "type": "number", "minimum": min, "maximum": max }),
        Shape::Word(words) => json!({ "type": "string", "enum": words }),
        Shape::Date => {
            json!({ "type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" })
        }
        Shape::Any => json!({}),
        Shape::List(inner) => json!({ "type": "array", "items": self::shape(inner) }),
        Shape::Table(keys) => table(keys),
        Shape::Map { what, value } => json!({
            "type": "object",
            "propertyNames": { "description": format!("{what} name") },
            "additionalProperties": self::shape(value),
        }),
        Shape::BoolOr(inner) => json!({ "anyOf": [{ "type": "boolean" }, self::shape(inner)] }),
        Shape::StrOr(keys) => json!({ "anyOf": [{ "type": "string" }, table(keys)] }),
    }
}
