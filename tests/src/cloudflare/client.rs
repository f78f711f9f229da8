//! A small blocking client for driving the fake directly from tests, and a multipart builder
//! for script uploads.

use std::time::Duration;

use serde_json::Value;

/// One answer: status, headers and the JSON body (`Null` when empty or not JSON).
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl ApiResponse {
    /// `body.result`.
    pub fn result(&self) -> &Value {
        &self.body["result"]
    }

    /// The first error's code, if the envelope carries one.
    pub fn error_code(&self) -> Option<u64> {
        self.body["errors"][0]["code"].as_u64()
    }

    /// A header's value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Requests against a base URL, with a bearer token or none.
#[derive(Clone)]
pub struct ApiClient {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl ApiClient {
    pub fn new(base: &str, token: Option<&str>) -> ApiClient {
        ApiClient::with_timeout(base, token, Duration::from_secs(30))
    }

    /// A client whose requests fail after `timeout`.
    pub fn with_timeout(base: &str, token: Option<&str>, timeout: Duration) -> ApiClient {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build()
            .into();
        ApiClient {
            agent,
            base: base.trim_end_matches('/').to_string(),
            token: token.map(str::to_string),
        }
    }

    pub fn get(&self, path: &str) -> Result<ApiResponse, ureq::Error> {
        self.send("GET", path, None)
    }

    pub fn delete(&self, path: &str) -> Result<ApiResponse, ureq::Error> {
        self.send("DELETE", path, None)
    }

    /// A JSON body with any method.
    pub fn json(&self, method: &str, path: &str, body: &Value) -> Result<ApiResponse, ureq::Error> {
        let bytes = serde_json::to_vec(body).expect("JSON serialises");
        self.send(method, path, Some(("application/json", bytes)))
    }

    /// A raw body with its content type.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<ApiResponse, ureq::Error> {
        self.send(method, path, Some((content_type, body)))
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<ApiResponse, ureq::Error> {
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let mut response = match body {
            Some((content_type, bytes)) => {
                let request = builder.header("content-type", content_type).body(bytes)?;
                self.agent.run(request)?
            }
            None => self.agent.run(builder.body(())?)?,
        };
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let text = response.body_mut().read_to_string()?;
        Ok(ApiResponse {
            status: response.status().as_u16(),
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        })
    }
}

/// A multipart upload: the `metadata` part and one part per `(name, content type, bytes)`
/// module, named and filed under the module name as wrangler does. Returns the content type
/// (with its boundary) and the body.
pub fn multipart(metadata: &Value, modules: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----edge-tests-boundary-7d2f1c";
    let mut body = Vec::new();
    let mut part = |headers: String, content: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    };
    let json = serde_json::to_vec(metadata).expect("JSON serialises");
    part(
        "Content-Disposition: form-data; name=\"metadata\"; filename=\"blob\"\r\nContent-Type: application/json".into(),
        &json,
    );
    for (name, content_type, bytes) in modules {
        part(
            format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\nContent-Type: {content_type}"),
            bytes,
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
