//! Durable Object migrations of a script upload: `{old_tag?, new_tag, steps}` checked against
//! the script's current tag and applied to its set of classes.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::envelope::{ApiError, MIGRATION_TAG};

const STEP_KEYS: &[&str] = &[
    "new_classes",
    "new_sqlite_classes",
    "renamed_classes",
    "deleted_classes",
    "transferred_classes",
];

/// The tag and classes after an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub tag: Option<String>,
    pub classes: BTreeSet<String>,
}

/// Apply `migrations` (the metadata value, maybe null) to a script whose current tag and
/// classes are given.
pub fn apply(
    current_tag: Option<&str>,
    classes: &BTreeSet<String>,
    migrations: &Value,
) -> Result<Applied, ApiError> {
    let mut applied = Applied {
        tag: current_tag.map(str::to_string),
        classes: classes.clone(),
    };
    let object = match migrations {
        Value::Null => return Ok(applied),
        Value::Object(object) => object,
        _ => return Err(ApiError::invalid("metadata.migrations must be an object")),
    };
    let allowed = |k: &str| ["old_tag", "new_tag", "steps"].contains(&k) || STEP_KEYS.contains(&k);
    if let Some(key) = object.keys().find(|k| !allowed(k)) {
        return Err(ApiError::invalid(format!(
            "unexpected migrations field `{key}`"
        )));
    }
    let old_tag = optional_str(object, "old_tag")?;
    let new_tag = optional_str(object, "new_tag")?
        .ok_or_else(|| ApiError::invalid("migrations.new_tag is required"))?;
    if old_tag.as_deref() != current_tag {
        return Err(ApiError::bad(
            MIGRATION_TAG,
            format!(
                "Migration tag precondition failed; current tag is {}",
                current_tag.unwrap_or("null")
            ),
        ));
    }
    match object.get("steps") {
        Some(Value::Array(steps)) => {
            for step in steps {
                let step = step
                    .as_object()
                    .ok_or_else(|| ApiError::invalid("each migration step must be an object"))?;
                apply_step(&mut applied.classes, step)?;
            }
        }
        Some(_) => return Err(ApiError::invalid("migrations.steps must be an array")),
        None => apply_step(&mut applied.classes, object)?,
    }
    applied.tag = Some(new_tag);
    Ok(applied)
}

fn optional_str(object: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid(format!(
            "migrations.{key} must be a non-empty string"
        ))),
    }
}

/// Apply one step: create, rename, delete classes (transfers are accepted and ignored).
fn apply_step(classes: &mut BTreeSet<String>, step: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(key) = step.keys().find(|k| {
        !STEP_KEYS.contains(&k.as_str()) && !["old_tag", "new_tag", "steps"].contains(&k.as_str())
    }) {
        return Err(ApiError::invalid(format!(
            "unexpected migration step field `{key}`"
        )));
    }
    for key in ["new_classes", "new_sqlite_classes"] {
        for class in strings(step, key)? {
            if !classes.insert(class.clone()) {
                return Err(ApiError::invalid(format!(
                    "Cannot apply new-class migration to class '{class}' that is already depended on"
                )));
            }
        }
    }
    for rename in step
        .get("renamed_classes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let from = rename["from"].as_str().unwrap_or_default();
        let to = rename["to"].as_str().unwrap_or_default();
        if from.is_empty() || to.is_empty() {
            return Err(ApiError::invalid(
                "renamed_classes entries need `from` and `to`",
            ));
        }
        if !classes.remove(from) {
            return Err(ApiError::invalid(format!(
                "Cannot rename class '{from}': it does not exist"
            )));
        }
        if !classes.insert(to.to_string()) {
            return Err(ApiError::invalid(format!(
                "Cannot rename to '{to}': the class exists"
            )));
        }
    }
    for class in strings(step, "deleted_classes")? {
        if !classes.remove(&class) {
            return Err(ApiError::invalid(format!(
                "Cannot delete class '{class}': it does not exist"
            )));
        }
    }
    Ok(())
}

fn strings(step: &Map<String, Value>, key: &str) -> Result<Vec<String>, ApiError> {
    match step.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| ApiError::invalid(format!("{key} must be strings")))
            })
            .collect(),
        Some(_) => Err(ApiError::invalid(format!("{key} must be an array"))),
    }
}
