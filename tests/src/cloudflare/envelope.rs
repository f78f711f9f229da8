//! Cloudflare's response envelope, its error codes, pagination and strict JSON bodies.
//!
//! Each code constant says where it comes from: *verified* codes were seen in wrangler's source
//! or in error output quoted in its issues; *guessed* ones are plausible choices made here.

use std::collections::HashMap;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// Verified: "Authentication error" on a bad or missing credential.
pub const AUTH_ERROR: u32 = 10000;
/// Verified: a path that routes nowhere ("Could not route to …").
pub const NO_ROUTE: u32 = 7003;
/// Guessed: a method the path does not accept.
pub const METHOD_NOT_ALLOWED: u32 = 10405;
/// Verified: "Invalid request headers" (a wrong `Content-Type`).
pub const BAD_HEADERS: u32 = 6003;
/// Verified: a script (or an account subdomain) that does not exist.
pub const NOT_FOUND: u32 = 10007;
/// Verified: `workers.api.error.service_not_found` from `GET …/workers/services/{name}`.
pub const SERVICE_NOT_FOUND: u32 = 10090;
/// Verified: validation and startup errors of a script upload ("No such module").
pub const VALIDATION: u32 = 10021;
/// Verified (research notes): two bindings share a name.
pub const DUPLICATE_BINDING: u32 = 10053;
/// Verified (research notes): an `inherit` binding with nothing to inherit.
pub const BAD_INHERIT: u32 = 10057;
/// Verified from memory of wrangler issues: a Durable Object class without a migration.
pub const CLASS_NOT_MIGRATED: u32 = 10061;
/// Verified: "Migration tag precondition failed; current tag is …" (workers-sdk #705).
pub const MIGRATION_TAG: u32 = 10079;
/// Verified (research notes): migrations sent with a version upload.
pub const MIGRATION_IN_VERSION: u32 = 10211;
/// Guessed code (the refusal is documented: no rollback across a Durable Object migration): a
/// deployment of a version made before a migration that has since been applied.
pub const MIGRATION_BETWEEN: u32 = 10217;
/// Verified (research notes): a plain script upload while a split deployment is live.
pub const LATEST_NOT_DEPLOYED: u32 = 10215;
/// Verified from wrangler issues: "KV namespace '…' is not valid."
pub const KV_NOT_VALID: u32 = 10041;
/// Guessed: an R2 bucket binding naming no bucket.
pub const R2_NOT_VALID: u32 = 10085;
/// Guessed: a secret that does not exist.
pub const SECRET_NOT_FOUND: u32 = 10056;
/// Verified: "a namespace with this account ID and title already exists".
pub const KV_EXISTS: u32 = 10014;
/// Guessed: a KV namespace id that does not exist.
pub const KV_NOT_FOUND: u32 = 10013;
/// Verified: D1 "A database with that name already exists" (workers-sdk #2143).
pub const D1_EXISTS: u32 = 7502;
/// Verified from D1 behaviour: SQL errors and unknown databases.
pub const D1_ERROR: u32 = 7500;
/// From R2's documented error codes (`NoSuchBucket`): a bucket that does not exist.
pub const R2_NOT_FOUND: u32 = 10006;
/// Guessed: the R2 bucket already exists.
pub const R2_EXISTS: u32 = 10004;
/// Guessed from third-party fakes: "Queue name already taken".
pub const QUEUE_EXISTS: u32 = 11009;
/// Guessed: a queue or a consumer that does not exist, or a bad queue request.
pub const QUEUE_NOT_FOUND: u32 = 11000;
/// Verified: `workers.api.error.consumer_exists` (workers-sdk #5347).
pub const CONSUMER_EXISTS: u32 = 11004;
/// Guessed: a route or custom domain outside the account's zones, or taken by another worker.
pub const ROUTE_CONFLICT: u32 = 10020;
/// Guessed: an unknown zone.
pub const ZONE_NOT_FOUND: u32 = 1001;
/// Verified from memory: "An unknown error has occurred" on a 500.
pub const INTERNAL: u32 = 10013;
/// Verified from memory: "Please wait and consider throttling your request speed" on a 429.
pub const RATE_LIMITED: u32 = 971;

/// An error answer: HTTP status, Cloudflare code and message, in the envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
}

/// What every handler returns.
pub type ApiResult = Result<Response, ApiError>;

impl ApiError {
    pub fn new(status: u16, code: u32, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            code,
            message: message.into(),
        }
    }

    /// A 400 with the given code.
    pub fn bad(code: u32, message: impl Into<String>) -> ApiError {
        ApiError::new(400, code, message)
    }

    /// A 404 with the given code.
    pub fn not_found(code: u32, message: impl Into<String>) -> ApiError {
        ApiError::new(404, code, message)
    }

    /// A 409 with the given code.
    pub fn conflict(code: u32, message: impl Into<String>) -> ApiError {
        ApiError::new(409, code, message)
    }

    /// Validation failure of a request body (code 10021).
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::bad(VALIDATION, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "success": false,
            "errors": [{"code": self.code, "message": self.message}],
            "messages": [],
            "result": null,
        });
        (self.status, axum::Json(body)).into_response()
    }
}

/// A successful answer with `result`.
pub fn ok(result: Value) -> ApiResult {
    let body = json!({"success": true, "errors": [], "messages": [], "result": result});
    Ok(axum::Json(body).into_response())
}

/// One page of `items` with `result_info`, from the `page` and `per_page` query parameters.
pub fn paged(
    items: Vec<Value>,
    query: &HashMap<String, String>,
    default_per_page: usize,
    max: usize,
) -> ApiResult {
    paged_as(None, items, query, default_per_page, max)
}

/// Like [`paged`], with the page under `result.<key>` when a key is given (`{"items": [..]}`).
pub fn paged_as(
    key: Option<&str>,
    items: Vec<Value>,
    query: &HashMap<String, String>,
    default_per_page: usize,
    max: usize,
) -> ApiResult {
    let number = |key: &str, default: usize| -> Result<usize, ApiError> {
        match query.get(key) {
            None => Ok(default),
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| ApiError::invalid(format!("`{key}` must be a positive integer"))),
        }
    };
    let page = number("page", 1)?;
    let per_page = number("per_page", default_per_page)?.min(max);
    let total = items.len();
    let total_pages = total.div_ceil(per_page);
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let count = slice.len();
    let result = match key {
        Some(key) => json!({ key: slice }),
        None => json!(slice),
    };
    let body = json!({
        "success": true, "errors": [], "messages": [],
        "result_info": {
            "page": page, "per_page": per_page, "count": count,
            "total_count": total, "total_pages": total_pages,
        },
        "result": result,
    });
    Ok(axum::Json(body).into_response())
}

/// Parse a JSON body strictly: the `Content-Type` must be JSON and the shape must match `T`
/// (whose serde attributes deny unknown fields).
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, ApiError> {
    require_json(headers)?;
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("invalid request body: {e}")))
}

/// Refuse a body whose `Content-Type` is not `application/json`, as Cloudflare's edge does.
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") {
        Ok(())
    } else {
        Err(ApiError::bad(
            BAD_HEADERS,
            "Invalid request headers: Content-Type must be application/json",
        ))
    }
}
