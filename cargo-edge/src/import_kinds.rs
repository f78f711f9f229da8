//! The import face of the binding kinds in [`crate::kinds`], the settings, `unsafe` and
//! `keep_vars`: wrangler's key back to the table's, every sub-field not carried over reported.

use serde_json::{json, Map, Value};

use crate::kinds::{self, Kind};
use crate::manifest::keys::{Key, Shape, PACKAGE_KEYS};

/// Converts wrangler's `key` = `value` into `out` when it is one of these; `false` otherwise.
pub fn convert(
    key: &str,
    value: &Value,
    at: &str,
    skipped: &mut Vec<String>,
    out: &mut Map<String, Value>,
) -> bool {
    if let Some(kind) = kinds::by_wrangler_key(key) {
        let entries = match value {
            Value::Array(list) => list.clone(),
            single => vec![single.clone()],
        };
        let mut table = Map::new();
        for entry in entries.iter().filter_map(Value::as_object) {
            bind(kind, entry, &format!("{at}{key}"), skipped, &mut table);
        }
        out.insert(kind.table.into(), Value::Object(table));
        return true;
    }
    match key {
        "observability" | "placement" | "limits" | "logpush" | "tail_consumers" => {
            let shape = &table_key(key).shape;
            let mut kept = value.clone();
            prune(&mut kept, shape, &format!("{at}{key}"), skipped);
            out.insert(key.into(), kept);
        }
        "unsafe" => {
            for (field, inner) in value.as_object().into_iter().flatten() {
                match field.as_str() {
                    "bindings" => {
                        out.insert("unsafe".into(), json!({ "bindings": inner }));
                    }
                    other => skipped.push(format!("{at}unsafe.{other}")),
                }
            }
        }
        // wrangler keeps the dashboard's vars with `keep_vars`: the types they are.
        "keep_vars" => {
            if value.as_bool() == Some(true) {
                out.insert("keep_bindings".into(), json!(["plain_text", "json"]));
            }
        }
        _ => return false,
    }
    true
}

/// One wrangler entry of `kind` into `table`, keyed by its binding name.
fn bind(
    kind: &Kind,
    entry: &Map<String, Value>,
    at: &str,
    skipped: &mut Vec<String>,
    table: &mut Map<String, Value>,
) {
    let Some(name) = entry.get(kind.wrangler_name).and_then(Value::as_str) else {
        skipped.push(format!("{at} (an entry without `{}`)", kind.wrangler_name));
        return;
    };
    let mut rest = entry.clone();
    rest.remove(kind.wrangler_name);
    let (values, unknown) = kinds::unplace(&rest, kind.wrangler);
    skipped.extend(unknown.iter().map(|field| format!("{at}[{name}].{field}")));
    table.insert(name.to_string(), Value::Object(values));
}

fn table_key(name: &str) -> &'static Key {
    PACKAGE_KEYS
        .iter()
        .find(|k| k.name == name)
        .expect("every setting is a package key")
}

/// Removes from `value` every field `shape` does not know, reporting each as a dotted path.
fn prune(value: &mut Value, shape: &Shape, at: &str, skipped: &mut Vec<String>) {
    match (shape, value) {
        (Shape::Table(keys), Value::Object(map)) => {
            map.retain(|field, _| {
                let known = keys.iter().any(|k| k.name == field);
                if !known {
                    skipped.push(format!("{at}.{field}"));
                }
                known
            });
            for (field, inner) in map.iter_mut() {
                if let Some(key) = keys.iter().find(|k| k.name == field) {
                    prune(inner, &key.shape, &format!("{at}.{field}"), skipped);
                }
            }
        }
        (Shape::List(inner), Value::Array(items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                prune(item, inner, &format!("{at}[{i}]"), skipped);
            }
        }
        _ => {}
    }
}
