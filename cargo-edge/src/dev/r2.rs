//! R2 over workerd's R2 binding protocol: reads are `GET /` with the request JSON in
//! `CF-R2-Request`; writes are `PUT /` whose body starts with `CF-R2-Metadata-Size` bytes of
//! request JSON. Storage is [`super::r2_store`]; listing [`super::r2_list`]; multipart uploads
//! [`super::r2_multipart`].

use axum::http::{Method, StatusCode};
use axum::response::Response;
use base64::Engine;
use md5::{Digest, Md5};
use rusqlite::OptionalExtension;
use serde_json::{json, Value};

use super::http::{internal, Call};
use super::r2_store::Bucket;
use super::r2_wire::{self as wire, Include, Object};
use super::store::{lock, now_ms, random_id, Stores};

/// Serve one R2 call for bucket `resource`.
pub fn handle(stores: &Stores, resource: &str, call: &Call) -> Response {
    let bucket = match Bucket::open(stores, resource) {
        Ok(bucket) => bucket,
        Err(e) => return internal(e),
    };
    let (request, payload) = match split_request(call) {
        Some(parts) => parts,
        None => return wire::invalid_argument("Malformed R2 binding request."),
    };
    let method = request["method"].as_str().unwrap_or_default();
    let result = match method {
        "head" => head(&bucket, &request),
        "get" => get(&bucket, &request),
        "put" => put(&bucket, &request, payload),
        "delete" => delete(&bucket, &request),
        "list" => super::r2_list::list(&bucket, &request),
        "createMultipartUpload"
        | "uploadPart"
        | "completeMultipartUpload"
        | "abortMultipartUpload" => super::r2_multipart::handle(&bucket, method, &request, payload),
        other => Ok(wire::invalid_argument(&format!(
            "Unsupported R2 method `{other}`."
        ))),
    };
    result.unwrap_or_else(internal)
}

/// The request JSON and the payload after it.
fn split_request(call: &Call) -> Option<(Value, &[u8])> {
    if call.method == Method::GET {
        let request = serde_json::from_str(call.header("CF-R2-Request")?).ok()?;
        return Some((request, &[]));
    }
    let size: usize = call.header("CF-R2-Metadata-Size")?.parse().ok()?;
    let meta = call.body.get(..size)?;
    Some((serde_json::from_slice(meta).ok()?, &call.body[size..]))
}

/// Internal failures of a handler: SQLite or blob files.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

fn head(bucket: &Bucket, request: &Value) -> Result<Response, Failure> {
    let key = request["object"].as_str().unwrap_or_default();
    Ok(match bucket.load(key)? {
        Some((object, _)) => {
            wire::success(StatusCode::OK, &object.to_json(Include::ALL, None), vec![])
        }
        None => wire::no_such_key(),
    })
}

fn get(bucket: &Bucket, request: &Value) -> Result<Response, Failure> {
    let key = request["object"].as_str().unwrap_or_default();
    let Some((object, location)) = bucket.load(key)? else {
        return Ok(wire::no_such_key());
    };
    if !wire::condition_holds(&request["onlyIf"], Some(&object)) {
        let head = object.to_json(Include::ALL, None);
        return Ok(wire::precondition_failed(Some(&head)));
    }
    let asked = !request["range"].is_null() || request["rangeHeader"].is_string();
    let Some((offset, length)) = resolve_range(request, object.size) else {
        let msg = "The requested range is not satisfiable";
        return Ok(wire::error(StatusCode::RANGE_NOT_SATISFIABLE, 10039, msg));
    };
    let bytes = bucket.read(&location, offset, length)?;
    let head = object.to_json(Include::ALL, asked.then_some((offset, length)));
    Ok(wire::success(StatusCode::OK, &head, bytes))
}

/// The (offset, length) a get asks for, clamped to the object; `None` when unsatisfiable.
pub fn resolve_range(request: &Value, size: u64) -> Option<(u64, u64)> {
    let range = &request["range"];
    let (offset, length, suffix) = match request["rangeHeader"].as_str() {
        Some(header) => parse_range_header(header)?,
        None => (
            wire::u64_field(&range["offset"]),
            wire::u64_field(&range["length"]),
            wire::u64_field(&range["suffix"]),
        ),
    };
    if let Some(suffix) = suffix {
        let length = suffix.min(size);
        return Some((size - length, length));
    }
    let offset = offset.unwrap_or(0);
    if offset > size || (offset == size && size > 0 && length != Some(0)) {
        return None;
    }
    let length = length.unwrap_or(size - offset).min(size - offset);
    Some((offset, length))
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` as (offset, length, suffix).
fn parse_range_header(header: &str) -> Option<(Option<u64>, Option<u64>, Option<u64>)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    let (start, end) = spec.split_once('-')?;
    match (start.trim(), end.trim()) {
        ("", n) => Some((None, None, Some(n.parse().ok()?))),
        (a, "") => Some((Some(a.parse().ok()?), None, None)),
        (a, b) => {
            let (a, b): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
            Some((Some(a), Some(b.checked_sub(a)? + 1), None))
        }
    }
}

fn put(bucket: &Bucket, request: &Value, payload: &[u8]) -> Result<Response, Failure> {
    let key = request["object"].as_str().unwrap_or_default().to_string();
    if key.len() > 1024 {
        return Ok(wire::error(
            StatusCode::BAD_REQUEST,
            10020,
            "The specified object name is not valid.",
        ));
    }
    if !request["onlyIf"].is_null() {
        let existing = bucket.load(&key)?.map(|(object, _)| object);
        if !wire::condition_holds(&request["onlyIf"], existing.as_ref()) {
            return Ok(wire::precondition_failed(None));
        }
    }
    let checksums = match verify_checksums(request, payload) {
        Ok(checksums) => checksums,
        Err(refusal) => return Ok(*refusal),
    };
    let object = Object {
        key,
        version: random_id(),
        size: payload.len() as u64,
        etag: checksums["0"].as_str().unwrap_or_default().to_string(),
        uploaded: now_ms(),
        http: fields(&request["httpFields"], json!({})),
        custom: fields(&request["customFields"], json!([])),
        checksums,
    };
    let (data, file) = bucket.place(payload)?;
    bucket.save(&object, data, file)?;
    Ok(wire::success(
        StatusCode::OK,
        &object.to_json(Include::ALL, None),
        vec![],
    ))
}

pub fn fields(value: &Value, default: Value) -> Value {
    if value.is_null() {
        default
    } else {
        value.clone()
    }
}

/// A hex digest function.
type HexDigest = fn(&[u8]) -> String;

/// Compute the object's checksums and check those the put supplied (`md5` base64, SHA hex).
fn verify_checksums(request: &Value, payload: &[u8]) -> Result<Value, Box<Response>> {
    let md5 = hex::encode(Md5::digest(payload));
    let mut out = json!({ "0": md5 });
    if let Some(given) = request["md5"].as_str() {
        let given = base64::engine::general_purpose::STANDARD
            .decode(given)
            .map(hex::encode)
            .unwrap_or_default();
        if given != md5 {
            let msg = "The MD5 checksum you specified did not match what we received.";
            return Err(Box::new(wire::error(StatusCode::BAD_REQUEST, 10037, msg)));
        }
    }
    let shas: [(&str, &str, &str, HexDigest); 4] = [
        ("sha1", "1", "SHA-1", |b| hex::encode(sha1::Sha1::digest(b))),
        ("sha256", "2", "SHA-256", |b| {
            hex::encode(sha2::Sha256::digest(b))
        }),
        ("sha384", "3", "SHA-384", |b| {
            hex::encode(sha2::Sha384::digest(b))
        }),
        ("sha512", "4", "SHA-512", |b| {
            hex::encode(sha2::Sha512::digest(b))
        }),
    ];
    for (field, slot, label, digest) in shas {
        let Some(given) = request[field].as_str() else {
            continue;
        };
        let actual = digest(payload);
        if !given.eq_ignore_ascii_case(&actual) {
            let msg = format!("The {label} checksum you specified did not match what we received.");
            return Err(Box::new(wire::error(StatusCode::BAD_REQUEST, 10037, &msg)));
        }
        out[slot] = json!(actual);
    }
    Ok(out)
}

fn delete(bucket: &Bucket, request: &Value) -> Result<Response, Failure> {
    let keys: Vec<String> = match request["objects"].as_array() {
        Some(keys) => keys
            .iter()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect(),
        None => request["object"]
            .as_str()
            .map(str::to_string)
            .into_iter()
            .collect(),
    };
    for key in keys {
        let file: Option<String> = lock(&bucket.db)
            .query_row(
                "DELETE FROM objects WHERE key = ?1 RETURNING file",
                [&key],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        bucket.release(file);
    }
    Ok(wire::success(StatusCode::OK, &json!({}), vec![]))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn ranges_follow_r2() {
        let r = |v| super::resolve_range(&v, 10);
        assert_eq!(r(json!({})), Some((0, 10)));
        assert_eq!(
            r(json!({"range": {"offset": "2", "length": "3"}})),
            Some((2, 3))
        );
        assert_eq!(r(json!({"range": {"suffix": "4"}})), Some((6, 4)));
        assert_eq!(
            r(json!({"range": {"offset": "8", "length": "30"}})),
            Some((8, 2))
        );
        assert_eq!(r(json!({"rangeHeader": "bytes=1-3"})), Some((1, 3)));
        assert_eq!(r(json!({"range": {"offset": "11"}})), None);
    }
}
