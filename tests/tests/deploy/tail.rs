//! `cargo edge tail` against the stand-in's tail sockets and the worker it hosts: events for
//! requests made while it runs, a dropped socket survived, filters sent as wrangler sends
//! them, and the tail deleted on Ctrl-C.

use std::io::BufRead;
use std::process::{Child, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use edge_tests::cloudflare::{FakeCloudflare, Fault, FaultKind, Options};
use edge_tests::{cargo_edge_bin, fixture_manifest, root};
use serde_json::{json, Value};

use super::{api_requests, deploy};

/// `cargo edge tail ARGS` for the hello fixture, its stdout lines on a channel.
fn start_tail(fake: &FakeCloudflare, args: &[&str]) -> (Child, Receiver<String>) {
    let manifest = fixture_manifest("hello");
    let mut child = std::process::Command::new(cargo_edge_bin())
        .args([
            "edge",
            "tail",
            "--manifest-path",
            manifest.to_str().unwrap(),
        ])
        .args(args)
        .current_dir(root())
        .env("CLOUDFLARE_API_BASE_URL", fake.base_url())
        .env("CLOUDFLARE_API_TOKEN", fake.token())
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (send, lines) = channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = send.send(line);
        }
    });
    (child, lines)
}

/// Wait until the tails have received `n` filter messages in all (one per connection).
fn wait_for_connections(fake: &FakeCloudflare, n: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let tails = fake.tails();
        let filters: Vec<Value> = tails.iter().flat_map(|t| t.filters.clone()).collect();
        if filters.len() >= n {
            return filters[n - 1].clone();
        }
        assert!(
            Instant::now() < deadline,
            "the tail did not connect {n} times: {tails:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn request(fake: &FakeCloudflare, method: &str, path: &str) {
    let url = format!("{}{path}", fake.worker_url("hello"));
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("x-user", "ada")
        .body(())
        .unwrap();
    agent.run(request).unwrap();
}

fn next_line(lines: &Receiver<String>) -> String {
    lines
        .recv_timeout(Duration::from_secs(20))
        .expect("an event line")
}

fn interrupt(child: Child) -> (bool, String) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[test]
fn tail_prints_events_survives_a_dropped_socket_and_deletes_its_tail_on_ctrl_c() {
    let fake = FakeCloudflare::start(Options::default());
    assert!(deploy(&fake, "hello", &[]).0);
    fake.reset_log();
    fake.inject(Fault::new(
        "POST",
        "/accounts/*/workers/scripts/*/tails",
        FaultKind::RateLimited {
            retry_after_secs: 1,
        },
    ));
    let (child, lines) = start_tail(&fake, &["--format", "json"]);
    assert_eq!(
        wait_for_connections(&fake, 1),
        json!({"filters": [], "debug": false})
    );
    request(&fake, "GET", "/notes");
    request(&fake, "POST", "/fail");
    let first: Value = serde_json::from_str(&next_line(&lines)).unwrap();
    assert_eq!(
        (
            first["outcome"].as_str(),
            first["event"]["request"]["method"].as_str()
        ),
        (Some("ok"), Some("GET"))
    );
    assert_eq!(
        first["event"]["request"]["url"],
        "https://hello.edge-tests.workers.dev/notes"
    );
    let second: Value = serde_json::from_str(&next_line(&lines)).unwrap();
    assert_eq!(second["exceptions"][0]["message"], "failed on /fail");

    fake.drop_tail_sockets();
    wait_for_connections(&fake, 2);
    request(&fake, "GET", "/after");
    let third: Value = serde_json::from_str(&next_line(&lines)).unwrap();
    assert_eq!(
        third["event"]["request"]["url"],
        "https://hello.edge-tests.workers.dev/after"
    );

    let tail_id = fake.tails()[0].id.clone();
    let (ok, stderr) = interrupt(child);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("3 events, 1 reconnects; the tail is deleted"),
        "{stderr}"
    );
    assert!(fake.tails().is_empty(), "the tail is deleted on exit");
    let account = fake.account_id();
    let calls: Vec<String> = api_requests(&fake)
        .into_iter()
        .filter(|r| r.contains("/tails"))
        .collect();
    assert_eq!(
        calls,
        [
            format!("POST /accounts/{account}/workers/scripts/hello/tails"),
            format!("POST /accounts/{account}/workers/scripts/hello/tails"),
            format!("DELETE /accounts/{account}/workers/scripts/hello/tails/{tail_id}"),
        ],
        "a 429 retried, then one tail for the whole session"
    );
}

#[test]
fn tail_filters_go_out_as_wrangler_sends_them_and_events_read_as_blocks() {
    let fake = FakeCloudflare::start(Options::default());
    assert!(deploy(&fake, "hello", &[]).0);
    let (child, lines) = start_tail(
        &fake,
        &[
            "--status",
            "error",
            "--method",
            "POST",
            "--header",
            "x-user:ada",
            "--search",
            "fail",
        ],
    );
    assert_eq!(
        wait_for_connections(&fake, 1),
        json!({"filters": [
            {"outcome": ["exception", "exceededCpu", "exceededMemory", "unknown"]},
            {"method": ["POST"]},
            {"header": {"key": "x-user", "query": "ada"}},
            {"query": "fail"},
        ], "debug": false})
    );
    request(&fake, "GET", "/fail");
    request(&fake, "POST", "/ok");
    request(&fake, "POST", "/fail");
    let head = next_line(&lines);
    assert!(
        head.starts_with('[')
            && head.ends_with("] POST https://hello.edge-tests.workers.dev/fail 500 (exception)"),
        "{head}"
    );
    assert_eq!(next_line(&lines), "  (error) handled POST /fail");
    assert_eq!(next_line(&lines), "  exception Error: failed on /fail");
    assert_eq!(next_line(&lines), "    at fetch (shim.mjs:12:5)");
    let (ok, stderr) = interrupt(child);
    assert!(
        ok && stderr.contains("1 events"),
        "only the failing POST passed the filters: {stderr}"
    );
    assert!(fake.tails().is_empty());
}
