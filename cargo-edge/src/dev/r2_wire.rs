//! The JSON of workerd's R2 binding protocol (capnp `JsonCodec` of `r2-api.capnp`: 64-bit numbers
//! are strings) and R2's error codes, carried in the `CF-R2-Error` header.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

/// A stored object's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub key: String,
    pub version: String,
    pub size: u64,
    pub etag: String,
    /// Milliseconds since the epoch.
    pub uploaded: i64,
    /// `httpFields` as the binding sent them.
    pub http: Value,
    /// `customFields`: `[{"k","v"}]`.
    pub custom: Value,
    /// `{"0": md5 hex, "1": sha1 hex, ...}`.
    pub checksums: Value,
}

/// What a head/get/list answer includes.
#[derive(Debug, Clone, Copy)]
pub struct Include {
    pub http: bool,
    pub custom: bool,
}

impl Include {
    pub const ALL: Include = Include {
        http: true,
        custom: true,
    };
}

impl Object {
    /// The `R2HeadResponse` JSON, with the served `range` when one was asked for.
    pub fn to_json(&self, include: Include, range: Option<(u64, u64)>) -> Value {
        let mut out = json!({
            "name": self.key,
            "version": self.version,
            "size": self.size.to_string(),
            "etag": self.etag,
            "uploaded": self.uploaded.to_string(),
            "checksums": self.checksums,
        });
        if include.http {
            out["httpFields"] = self.http.clone();
        }
        if include.custom {
            out["customFields"] = self.custom.clone();
        }
        if let Some((offset, length)) = range {
            out["range"] = json!({"offset": offset.to_string(), "length": length.to_string()});
        }
        out
    }
}

/// A 64-bit field: the codec writes strings, accept numbers too.
pub fn u64_field(value: &Value) -> Option<u64> {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| value.as_u64())
        .filter(|v| *v != u64::MAX)
}

/// An R2 error: HTTP `status`, and `{"version":1,"v4code","message"}` in `CF-R2-Error`, which
/// workerd turns into `<action>: <message> (<v4code>)`.
pub fn error(status: StatusCode, v4code: u32, message: &str) -> Response {
    let header = json!({"version": 1, "v4code": v4code, "message": message}).to_string();
    let mut response = Response::new(Body::from(message.to_string()));
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(&header) {
        response.headers_mut().insert("CF-R2-Error", value);
    }
    response
}

/// A success: `CF-R2-Metadata-Size` bytes of metadata JSON, then the payload.
pub fn success(status: StatusCode, metadata: &Value, payload: Vec<u8>) -> Response {
    let meta = metadata.to_string();
    let mut body = Vec::with_capacity(meta.len() + payload.len());
    body.extend_from_slice(meta.as_bytes());
    body.extend_from_slice(&payload);
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("CF-R2-Metadata-Size", HeaderValue::from(meta.len()));
    response
}

pub fn no_such_key() -> Response {
    error(
        StatusCode::NOT_FOUND,
        10007,
        "The specified key does not exist.",
    )
}

pub fn no_such_upload() -> Response {
    error(
        StatusCode::NOT_FOUND,
        10024,
        "The specified multipart upload does not exist.",
    )
}

pub fn invalid_argument(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, 10033, message)
}

/// A failed `onlyIf`: for a get, the object's metadata rides along so the binding returns an
/// `R2Object` without a body; a put returns `null`.
pub fn precondition_failed(head: Option<&Value>) -> Response {
    let message = "During the execution of the request, the precondition failed.";
    let mut response = match head {
        Some(head) => success(StatusCode::PRECONDITION_FAILED, head, Vec::new()),
        None => Response::new(Body::empty()),
    };
    *response.status_mut() = StatusCode::PRECONDITION_FAILED;
    let header = json!({"version": 1, "v4code": 10031, "message": message}).to_string();
    if let Ok(value) = HeaderValue::from_str(&header) {
        response.headers_mut().insert("CF-R2-Error", value);
    }
    response
}

/// Does `onlyIf` hold for `object` (`None`: no such object)? HTTP's rules: a passing etag test
/// makes the matching date test moot.
pub fn condition_holds(only_if: &Value, object: Option<&Object>) -> bool {
    if only_if.is_null() {
        return true;
    }
    let etag = object.map(|o| o.etag.as_str());
    let matches = |list: &Value| {
        list.as_array().map(|tags| {
            tags.iter().any(|t| {
                t["type"] == "wildcard" && etag.is_some()
                    || Some(t["value"].as_str().unwrap_or("")) == etag
            })
        })
    };
    let seconds = only_if["secondsGranularity"].as_bool().unwrap_or(false);
    let uploaded = object.map(|o| {
        if seconds {
            o.uploaded / 1000 * 1000
        } else {
            o.uploaded
        }
    });
    let date = |field: &str| u64_field(&only_if[field]).map(|d| d as i64);
    match matches(&only_if["etagMatches"]) {
        Some(false) => return false,
        Some(true) => {}
        None => match (date("uploadedBefore"), uploaded) {
            (Some(before), Some(at)) if at >= before => return false,
            _ => {}
        },
    }
    match matches(&only_if["etagDoesNotMatch"]) {
        Some(true) => false,
        Some(false) => true,
        None => {
            !matches!((date("uploadedAfter"), uploaded), (Some(after), Some(at)) if at <= after)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{condition_holds, Object};

    fn object() -> Object {
        Object {
            key: "k".into(),
            version: "v".into(),
            size: 1,
            etag: "abc".into(),
            uploaded: 10_500,
            http: json!({}),
            custom: json!([]),
            checksums: json!({}),
        }
    }

    #[test]
    fn conditionals_follow_http_precedence() {
        let holds = |only_if| condition_holds(&only_if, Some(&object()));
        let tag = |v: &str| json!([{"value": v, "type": "strong"}]);
        assert!(holds(json!(null)));
        assert!(holds(json!({"etagMatches": tag("abc")})));
        assert!(!holds(json!({"etagMatches": tag("xyz")})));
        assert!(holds(json!({"etagMatches": [{"type": "wildcard"}]})));
        assert!(!holds(json!({"etagDoesNotMatch": tag("abc")})));
        assert!(holds(json!({"uploadedBefore": "11000"})));
        assert!(!holds(json!({"uploadedBefore": "10000"})));
        assert!(holds(json!({"uploadedAfter": "10000"})));
        assert!(!holds(json!({"uploadedAfter": "10500"})));
        assert!(holds(
            json!({"uploadedAfter": "10000", "secondsGranularity": false})
        ));
        assert!(
            !holds(json!({"uploadedAfter": "10000", "secondsGranularity": true})),
            "10.5 s is 10 s"
        );
        assert!(
            holds(json!({"etagMatches": tag("abc"), "uploadedBefore": "1"})),
            "a matching etag wins"
        );
        assert!(!condition_holds(
            &json!({"etagMatches": [{"type": "wildcard"}]}),
            None
        ));
    }
}
