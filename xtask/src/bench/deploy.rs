//! `cargo edge deploy` against `wrangler deploy`, both pointed at the tests' Cloudflare API
//! stand-in: requests and bytes of a first, a no-op and a code-change deploy.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::build::Tool;
use super::common::{median, summary, timed, Edit, Fixture};
use super::dev::{wrangler_env, wrangler_project};
use super::Bench;
use crate::root;

/// One request the stand-in answered.
#[derive(Clone)]
struct Request {
    line: String,
    body: u64,
    headers: u64,
}

/// The stand-in as a child process; closing its stdin stops it.
struct Fake {
    child: Child,
    stdin: Option<ChildStdin>,
    base_url: String,
    token: String,
    account: String,
    log: Arc<Mutex<Vec<Request>>>,
}

impl Fake {
    fn start(binary: &Path) -> Result<Fake> {
        let mut child = Command::new(binary)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
        let ready = lines.next().context("the stand-in printed nothing")??;
        let fields: Vec<&str> = ready.split_whitespace().collect();
        let [_, base_url, token, account] = fields[..] else {
            bail!("unexpected first line from the stand-in: {ready}");
        };
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(|l| l.ok()) {
                let fields: Vec<&str> = line.split_whitespace().collect();
                if let ["request", method, path, body, headers] = fields[..] {
                    let path = path.split_once("/client/v4").map_or(path, |(_, p)| p);
                    sink.lock().unwrap().push(Request {
                        line: format!("{method} {path}"),
                        body: body.parse().unwrap_or(0),
                        headers: headers.parse().unwrap_or(0),
                    });
                }
            }
        });
        Ok(Fake {
            stdin: child.stdin.take(),
            child,
            base_url: base_url.into(),
            token: token.into(),
            account: account.into(),
            log,
        })
    }

    /// Everything logged so far, then forget it (after the stand-in has flushed).
    fn take(&self) -> Vec<Request> {
        std::thread::sleep(Duration::from_millis(100));
        std::mem::take(&mut *self.log.lock().unwrap())
    }

    fn env(&self, command: &mut Command) {
        command
            .env("CLOUDFLARE_API_BASE_URL", &self.base_url)
            .env("CLOUDFLARE_API_TOKEN", &self.token)
            .env("CLOUDFLARE_ACCOUNT_ID", &self.account);
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

#[derive(Clone, Copy)]
enum Deployer {
    CargoEdge,
    Wrangler,
}

fn deploy_command(bench: &Bench, deployer: Deployer, fixture: &Fixture) -> Result<Command> {
    Ok(match deployer {
        Deployer::CargoEdge => {
            let mut command = Command::new(&bench.cargo_edge);
            command
                .current_dir(root())
                .args(["edge", "deploy", "--color", "never", "--manifest-path"])
                .arg(fixture.manifest())
                .arg("--target-dir")
                .arg(Tool::CargoEdge.target_dir());
            command
        }
        Deployer::Wrangler => {
            let dir = wrangler_project(bench, fixture)?;
            let mut command = Command::new(&bench.peers.node22);
            command
                .current_dir(dir)
                .arg(&bench.peers.wrangler_js)
                .arg("deploy");
            wrangler_env(bench, &mut command);
            command
        }
    })
}

/// One deploy: seconds, requests, bytes.
fn one(bench: &Bench, deployer: Deployer, fixture: &Fixture, fake: &Fake) -> Result<Value> {
    let mut command = deploy_command(bench, deployer, fixture)?;
    fake.env(&mut command);
    let took = timed(&mut command)?;
    let requests = fake.take();
    Ok(json!({
        "seconds": took.as_secs_f64(),
        "requests": requests.len(),
        "body_bytes": requests.iter().map(|r| r.body).sum::<u64>(),
        "header_bytes": requests.iter().map(|r| r.headers).sum::<u64>(),
        "calls": requests
            .iter()
            .map(|r| r.line.replace(&fake.account, ":account"))
            .collect::<Vec<_>>(),
    }))
}

/// First, no-op (several times) and code-change deploys by one deployer to a fresh stand-in.
fn sequence(bench: &Bench, deployer: Deployer, fixture: &Fixture) -> Result<Value> {
    let fake = Fake::start(&bench.fake_cloudflare)?;
    let first = one(bench, deployer, fixture, &fake)?;
    let mut noops = Vec::new();
    for _ in 0..bench.runs.dev.max(1) {
        noops.push(one(bench, deployer, fixture, &fake)?);
    }
    let change = {
        let _edit = Edit::apply(fixture, "deploy-edit")?;
        one(bench, deployer, fixture, &fake)?
    };
    let seconds: Vec<f64> = noops.iter().filter_map(|n| n["seconds"].as_f64()).collect();
    let mut noop = noops[0].clone();
    noop["seconds"] = summary(&seconds);
    Ok(json!({ "first": first, "noop": noop, "change": change }))
}

pub fn measure(bench: &Bench, fixture: &Fixture) -> Result<Value> {
    let edge = sequence(bench, Deployer::CargoEdge, fixture)?;
    let wrangler = sequence(bench, Deployer::Wrangler, fixture)
        .unwrap_or_else(|error| json!({ "error": format!("{error:#}") }));
    let noop_seconds = median(&edge["noop"]["seconds"]);
    Ok(json!({
        "cargo-edge": edge,
        "wrangler": wrangler,
        "noop_target_met": edge["noop"]["requests"].as_u64().is_some_and(|r| r <= 2)
            && noop_seconds.is_some_and(|s| s < 1.0),
    }))
}
