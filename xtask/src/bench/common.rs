//! What every section shares: the fixtures, timing a command, summaries of runs, source edits
//! that are always undone.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::root;

/// A fixture crate the bench builds, and the string literal an edit changes in its `/` route.
pub struct Fixture {
    pub name: &'static str,
    pub package: &'static str,
    pub worker: &'static str,
    pub marker: &'static str,
}

pub const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "hello",
        package: "hello",
        worker: "hello",
        marker: "Hello from Rust on workerd!",
    },
    Fixture {
        name: "full-stack",
        package: "full-stack",
        worker: "api",
        marker: "full-stack worker ({environment})",
    },
];

impl Fixture {
    pub fn dir(&self) -> PathBuf {
        root().join("fixtures").join(self.name)
    }
    pub fn manifest(&self) -> PathBuf {
        self.dir().join("Cargo.toml")
    }
    pub fn lib_rs(&self) -> PathBuf {
        self.dir().join("src/lib.rs")
    }
}

/// The bench's own target folders, apart from the tests' so clean builds are really clean.
pub fn bench_dir() -> PathBuf {
    root().join("target/bench")
}

/// An edit of a fixture's source that is undone when dropped, whatever happens in between.
pub struct Edit {
    path: PathBuf,
    original: String,
}

impl Edit {
    /// Change the fixture's `/` response so the new code is visible: `marker` → `marker tag`.
    pub fn apply(fixture: &Fixture, tag: &str) -> Result<Edit> {
        let path = fixture.lib_rs();
        let original = std::fs::read_to_string(&path)?;
        let edited = original.replacen(fixture.marker, &format!("{} {tag}", fixture.marker), 1);
        if edited == original {
            bail!("{} no longer contains {:?}", path.display(), fixture.marker);
        }
        std::fs::write(&path, edited)?;
        Ok(Edit { path, original })
    }
}

impl Drop for Edit {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.path, &self.original);
    }
}

/// Run a command to completion, quietly, and return how long it took; a failure is an error
/// with its output's tail.
pub fn timed(command: &mut Command) -> Result<Duration> {
    let started = Instant::now();
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("starting {command:?}"))?;
    let took = started.elapsed();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let tail: Vec<&str> = stderr
            .lines()
            .chain(stdout.lines())
            .rev()
            .take(25)
            .collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "{command:?} failed ({}):\n{}",
            output.status,
            tail.join("\n")
        );
    }
    Ok(took)
}

/// min/median/max of a list of samples.
pub fn summary(samples: &[f64]) -> Value {
    if samples.is_empty() {
        return json!(null);
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let median = if sorted.len() % 2 == 1 {
        sorted[sorted.len() / 2]
    } else {
        (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0
    };
    json!({
        "min": sorted[0],
        "median": median,
        "max": sorted[sorted.len() - 1],
        "runs": samples,
    })
}

/// The median of a [`summary`], if it has one.
pub fn median(value: &Value) -> Option<f64> {
    value.get("median")?.as_f64()
}

/// A loopback port the OS says is free now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(18787)
}

/// `GET http://127.0.0.1:port/path` with HTTP/1.0: (status, body), or None if nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    http(port, "GET", path, "")
}

/// One HTTP/1.0 request on a fresh connection.
pub fn http(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response);
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}
