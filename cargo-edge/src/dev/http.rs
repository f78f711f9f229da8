//! Small response builders shared by the binding handlers.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use hyper::ext::ReasonPhrase;

/// A response whose HTTP reason phrase is `reason`. workerd's KV binding turns a failed call into
/// `KV <OP> failed: <status> <reason phrase>`, so the reason is the message users see.
pub fn with_reason(status: StatusCode, reason: &str) -> Response {
    let mut response = Response::new(Body::from(reason.to_string()));
    *response.status_mut() = status;
    let printable: String = reason
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if let Ok(phrase) = ReasonPhrase::try_from(printable.into_bytes()) {
        response.extensions_mut().insert(phrase);
    }
    response
}

/// A response that refuses a request, boxed so `Result<T, Refusal>` stays small.
pub type Refusal = Box<Response>;

/// A JSON response.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

/// A plain-text response with the status's standard reason.
pub fn text(status: StatusCode, body: impl Into<String>) -> Response {
    let mut response = Response::new(Body::from(body.into()));
    *response.status_mut() = status;
    response
}

/// A response for an internal failure (SQLite, disk), logged and reported as 500.
pub fn internal(error: impl std::fmt::Display) -> Response {
    tracing::error!("binding server: {error}");
    with_reason(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string())
}

/// One request to a binding, read in full.
#[derive(Debug)]
pub struct Call {
    pub method: axum::http::Method,
    /// The decoded path, without the leading `/`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: axum::http::HeaderMap,
    pub body: axum::body::Bytes,
}

impl Call {
    /// The first query parameter named `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Split a query string into decoded pairs (`+` is a space).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

/// Decode `%XX` escapes; invalid escapes are kept as written.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| {
            std::str::from_utf8(h)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        });
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_paths_and_queries() {
        assert_eq!(super::percent_decode("a%2Fb%20c%zz"), "a/b c%zz");
        let q = super::parse_query("prefix=a%2B&limit=5&x");
        assert_eq!(q[0], ("prefix".into(), "a+".into()));
        assert_eq!(q[2], ("x".into(), "".into()));
    }
}
