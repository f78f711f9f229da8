//! Requests to the worker: [`Worker::fetch`] → [`Request`] → [`Response`].

use crate::error::{Error, Result};
use crate::Worker;

/// A request being built; [`send`](Request::send) it.
#[must_use = "call .send().await to make the request"]
pub struct Request<'w> {
    worker: &'w Worker,
    path: String,
    method: std::result::Result<reqwest::Method, String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// The worker's answer, read in full.
#[derive(Debug, Clone)]
pub struct Response {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Worker {
    /// A `GET` of `path` (`/notes?limit=2`, or a full URL whose path and query are used).
    pub fn fetch(&self, path: impl Into<String>) -> Request<'_> {
        Request {
            worker: self,
            path: path.into(),
            method: Ok(reqwest::Method::GET),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

impl Request<'_> {
    /// The method, `"POST"`, `"PUT"`, ... (an invalid name fails at [`send`](Request::send)).
    pub fn method(mut self, method: &str) -> Self {
        self.method = method
            .to_ascii_uppercase()
            .parse()
            .map_err(|_| format!("`{method}` is not an HTTP method"));
        self
    }

    /// Add a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The body, as bytes or text.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// A JSON body, with `content-type: application/json`.
    pub fn json(self, value: &serde_json::Value) -> Self {
        self.header("content-type", "application/json")
            .body(value.to_string())
    }

    /// Send it and read the whole answer.
    pub async fn send(self) -> Result<Response> {
        let path = relative(&self.path);
        let url = format!("{}{path}", self.worker.url);
        let method = self.method.map_err(Error::Http)?;
        let mut request = self.worker.client.request(method, &url);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let answer = request
            .body(self.body)
            .send()
            .await
            .map_err(|e| Error::Http(format!("{url}: {e}")))?;
        let status = answer.status().as_u16();
        let headers = answer.headers().clone();
        let body = answer
            .bytes()
            .await
            .map_err(|e| Error::Http(format!("{url}: reading the body: {e}")))?;
        Ok(Response {
            status,
            headers,
            body: body.to_vec(),
        })
    }
}

/// `/x?y` from `/x?y`, `x?y` or `http://host/x?y`.
fn relative(path: &str) -> String {
    let rest = match path.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => path,
    };
    if rest.starts_with('/') {
        rest.to_string()
    } else {
        format!("/{rest}")
    }
}

impl Response {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::Http(format!(
                "the body is not the JSON expected ({e}): {}",
                self.text()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_and_urls_become_paths() {
        assert_eq!(super::relative("/a?b=1"), "/a?b=1");
        assert_eq!(super::relative("a"), "/a");
        assert_eq!(super::relative("http://example.com/x/y?z"), "/x/y?z");
        assert_eq!(super::relative("https://example.com"), "/");
    }
}
