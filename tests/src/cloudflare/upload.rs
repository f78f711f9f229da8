//! The multipart body of a script or version upload: a `metadata` part and one part per module,
//! checked as strictly as Cloudflare does.

use axum::extract::{FromRequest, Multipart, Request};
use serde_json::Value;

use super::envelope::ApiError;
use super::script::Module;

/// MIME types Cloudflare accepts for module parts.
pub const MODULE_TYPES: &[&str] = &[
    "application/javascript+module",
    "application/javascript",
    "application/wasm",
    "text/plain",
    "application/octet-stream",
    "application/json",
    "application/source-map",
];

/// Keys the `metadata` part may have; any other is refused.
const METADATA_KEYS: &[&str] = &[
    "main_module",
    "compatibility_date",
    "compatibility_flags",
    "bindings",
    "migrations",
    "keep_bindings",
    "keep_assets",
    "assets",
    "logpush",
    "placement",
    "tail_consumers",
    "limits",
    "observability",
    "annotations",
    "usage_model",
    "tags",
];

/// A parsed upload.
#[derive(Debug, Clone)]
pub struct Upload {
    pub metadata: Value,
    pub main_module: String,
    pub modules: Vec<Module>,
}

/// Read and check a multipart upload.
pub async fn read(request: Request) -> Result<Upload, ApiError> {
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| ApiError::invalid(format!("expected a multipart/form-data body: {e}")))?;
    let mut metadata = None;
    let mut modules: Vec<Module> = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::invalid(format!("malformed multipart body: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(str::to_string);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::invalid(format!("malformed multipart part `{name}`: {e}")))?;
        if name == "metadata" {
            metadata = Some(parse_metadata(&bytes)?);
            continue;
        }
        modules.push(module(
            name,
            file_name,
            content_type,
            bytes.to_vec(),
            &modules,
        )?);
    }
    let metadata = metadata.ok_or_else(|| ApiError::invalid("missing the `metadata` part"))?;
    let main_module = check_main(&metadata, &modules)?;
    Ok(Upload {
        metadata,
        main_module,
        modules,
    })
}

/// Parse the `metadata` part and refuse keys Cloudflare does not know.
fn parse_metadata(bytes: &[u8]) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid(format!("metadata is not valid JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| ApiError::invalid("metadata must be a JSON object"))?;
    if let Some(key) = object.keys().find(|k| !METADATA_KEYS.contains(&k.as_str())) {
        return Err(ApiError::invalid(format!(
            "Unexpected metadata field `{key}`"
        )));
    }
    Ok(value)
}

/// Check one module part: a file name equal to the part name, a known MIME type, no duplicate.
fn module(
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
    seen: &[Module],
) -> Result<Module, ApiError> {
    if file_name.as_deref() != Some(name.as_str()) {
        return Err(ApiError::invalid(format!(
            "module part `{name}` must have the file name `{name}` (got {file_name:?})"
        )));
    }
    let content_type = content_type.unwrap_or_default();
    let bare = content_type.split(';').next().unwrap_or("").trim();
    if !MODULE_TYPES.contains(&bare) {
        return Err(ApiError::invalid(format!(
            "Unrecognized module type `{content_type}` for module `{name}`"
        )));
    }
    if seen.iter().any(|m| m.name == name) {
        return Err(ApiError::invalid(format!(
            "module `{name}` is uploaded twice"
        )));
    }
    Ok(Module {
        name,
        content_type: bare.to_string(),
        bytes,
    })
}

/// `main_module` must name a JavaScript part of the upload.
fn check_main(metadata: &Value, modules: &[Module]) -> Result<String, ApiError> {
    let main = metadata["main_module"]
        .as_str()
        .ok_or_else(|| ApiError::invalid("metadata.main_module is required (a string)"))?;
    let module = modules
        .iter()
        .find(|m| m.name == main)
        .ok_or_else(|| ApiError::invalid(format!("Uncaught Error: No such module \"{main}\".")))?;
    if !module.content_type.starts_with("application/javascript") {
        return Err(ApiError::invalid(format!(
            "main module `{main}` must be JavaScript, not {}",
            module.content_type
        )));
    }
    Ok(main.to_string())
}
