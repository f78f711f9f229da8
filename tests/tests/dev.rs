//! `cargo edge dev` end to end: the real binary serving real fixture crates in real workerd,
//! driven over real HTTP on a loopback port.
//!
//! Every session builds with `--profile fast` into the shared fixture target folder, so a
//! fixture that is already built starts in about a second.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use edge_tests::{
    cargo_edge_bin, fixture_manifest, fixture_target_dir, free_port, root, standalone_fixture,
    workerd_bin,
};

/// One running `cargo edge dev`, killed (with everything it started) when dropped.
struct Dev {
    child: Option<Child>,
    port: u16,
    /// Holds `stdout.log` and `stderr.log`.
    logs_dir: tempfile::TempDir,
    /// From spawning the process to the first HTTP answer on the port.
    ready_in: Duration,
}

impl Dev {
    /// `cargo edge dev --manifest-path MANIFEST` on a free port, plus `extra` flags.
    fn start(manifest: &Path, extra: &[&str]) -> Dev {
        Dev::start_on(manifest, free_port(), extra)
    }

    fn start_on(manifest: &Path, port: u16, extra: &[&str]) -> Dev {
        let logs_dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(cargo_edge_bin());
        command
            .arg("edge")
            .arg("dev")
            .arg("--manifest-path")
            .arg(manifest)
            .arg("--port")
            .arg(port.to_string())
            .arg("--target-dir")
            .arg(fixture_target_dir())
            .arg("--profile")
            .arg("fast")
            .arg("--workerd")
            .arg(workerd_bin())
            .args(extra)
            .current_dir(root())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(logs_dir.path().join("stdout.log")).unwrap())
            .stderr(std::fs::File::create(logs_dir.path().join("stderr.log")).unwrap())
            // Its own process group, so a kill can reach workerd and cargo too.
            .process_group(0);
        let started = Instant::now();
        let child = command.spawn().expect("cargo-edge starts");
        let mut dev = Dev {
            child: Some(child),
            port,
            logs_dir,
            ready_in: Duration::ZERO,
        };
        dev.wait_ready(started, Duration::from_secs(180));
        dev
    }

    /// Poll until the port answers HTTP (the proxy holds requests until workerd is up, so a
    /// request that times out is simply retried).
    fn wait_ready(&mut self, started: Instant, limit: Duration) {
        let agent = agent(Duration::from_secs(2));
        while started.elapsed() < limit {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "cargo edge dev exited with {status} before serving:\n{}",
                    self.logs()
                );
            }
            if let Ok(response) = agent.get(&self.url("/")).call() {
                if response.status().as_u16() != 503 {
                    self.ready_in = started.elapsed();
                    eprintln!(
                        "[dev] port {} answered {} after {:.2?}",
                        self.port,
                        response.status().as_u16(),
                        self.ready_in
                    );
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "cargo edge dev did not answer on port {} within {limit:?}:\n{}",
            self.port,
            self.logs()
        );
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Everything it printed so far: stdout, then stderr.
    fn logs(&self) -> String {
        let read = |name: &str| {
            std::fs::read_to_string(self.logs_dir.path().join(name)).unwrap_or_default()
        };
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            read("stdout.log"),
            read("stderr.log")
        )
    }

    /// Poll the logs until `needle` shows up.
    fn wait_for_log(&self, needle: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.logs().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// Ctrl-C: SIGINT to cargo-edge alone, then wait up to 15 s for it to exit (then kill).
    /// Returns its exit status and the processes it had started, which must be gone.
    fn stop(mut self) -> (ExitStatus, Vec<u32>) {
        let mut child = self.child.take().unwrap();
        let pid = child.id();
        let descendants = descendants(pid);
        signal("-INT", &pid.to_string());
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return (status, descendants);
            }
            if Instant::now() > deadline {
                kill_group(pid);
                let _ = child.wait();
                panic!(
                    "cargo edge dev did not stop within 15 s of SIGINT:\n{}",
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `kill -9` cargo-edge, then whatever it started (they share its process group).
    /// Returns the processes it had started that outlived it, before they were killed too.
    fn kill9(mut self) -> Vec<(u32, String)> {
        let mut child = self.child.take().unwrap();
        let pid = child.id();
        let descendants = descendants(pid);
        signal("-KILL", &pid.to_string());
        let _ = child.wait();
        std::thread::sleep(Duration::from_millis(500));
        let orphans: Vec<(u32, String)> = descendants
            .iter()
            .filter(|p| alive(**p))
            .map(|p| (*p, command_name(*p)))
            .collect();
        kill_group(pid);
        for p in &descendants {
            signal("-KILL", &p.to_string());
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while descendants.iter().any(|p| alive(*p)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let left: Vec<String> = descendants
            .iter()
            .filter(|p| alive(**p))
            .map(|p| format!("{p} ({})", command_name(*p)))
            .collect();
        assert!(left.is_empty(), "still running after kill -9: {left:?}");
        orphans
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_group(child.id());
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn signal(signal: &str, target: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", target])
        .stderr(Stdio::null())
        .status();
}

fn kill_group(pid: u32) {
    signal("-KILL", &format!("-{pid}"));
}

/// Every process below `pid`, children first.
fn descendants(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut queue = vec![pid];
    while let Some(parent) = queue.pop() {
        let output = Command::new("pgrep")
            .arg("-P")
            .arg(parent.to_string())
            .output()
            .expect("pgrep runs");
        for child in String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .filter_map(|p| p.parse::<u32>().ok())
        {
            found.push(child);
            queue.push(child);
        }
    }
    found
}

/// Whether `pid` is running (a zombie waiting to be reaped does not count).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next());
            !matches!(state, Some("Z") | Some("X"))
        }
        Err(_) => false,
    }
}

fn command_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// One HTTP request; status and body whatever the status.
fn request(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Result<(u16, String)> {
    let mut response = match method {
        "GET" | "DELETE" => {
            let mut builder = match method {
                "GET" => agent.get(url),
                _ => agent.delete(url),
            };
            for (name, value) in headers {
                builder = builder.header(*name, *value);
            }
            builder.call()?
        }
        "PUT" | "POST" => {
            let mut builder = match method {
                "PUT" => agent.put(url),
                _ => agent.post(url),
            };
            for (name, value) in headers {
                builder = builder.header(*name, *value);
            }
            builder.send(body)?
        }
        other => panic!("no helper for {other}"),
    };
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string()?;
    Ok((status, body))
}

/// A client for the test's own checks.
struct Client {
    agent: ureq::Agent,
}

impl Client {
    fn new() -> Client {
        Client {
            agent: agent(Duration::from_secs(30)),
        }
    }

    fn call(&self, dev: &Dev, method: &str, path: &str, body: &str) -> (u16, String) {
        self.call_with(dev, method, path, body, &[])
    }

    fn call_with(
        &self,
        dev: &Dev,
        method: &str,
        path: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> (u16, String) {
        request(&self.agent, method, &dev.url(path), body, headers)
            .unwrap_or_else(|e| panic!("{method} {path}: {e:#}\n{}", dev.logs()))
    }

    /// A request that must answer `status` with exactly `body`.
    fn expect(&self, dev: &Dev, method: &str, path: &str, body: &str, want: (u16, &str)) {
        let (status, got) = self.call(dev, method, path, body);
        assert_eq!(
            (status, got.as_str()),
            want,
            "{method} {path}\n{}",
            dev.logs()
        );
    }

    /// Poll a GET until `done` accepts its answer; returns that answer.
    fn poll(
        &self,
        dev: &Dev,
        path: &str,
        limit: Duration,
        what: &str,
        done: impl Fn(u16, &str) -> bool,
    ) -> (u16, String) {
        let deadline = Instant::now() + limit;
        let mut last = (0, String::new());
        while Instant::now() < deadline {
            last = self.call(dev, "GET", path, "");
            if done(last.0, &last.1) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "{what}: GET {path} still answers {last:?} after {limit:?}\n{}",
            dev.logs()
        );
    }
}

#[test]
fn full_stack_bindings_work_under_dev() {
    let started = Instant::now();
    let dev = Dev::start(
        &fixture_manifest("full-stack"),
        &["--no-persist", "--no-watch"],
    );
    let http = Client::new();
    http.expect(&dev, "GET", "/", "", (200, "full-stack worker (dev)"));
    assert!(
        dev.logs()
            .contains("Migrated D1 `app-database`: 0001_notes.sql"),
        "{}",
        dev.logs()
    );

    // KV
    http.expect(&dev, "GET", "/kv/greeting", "", (404, "not found"));
    http.expect(&dev, "PUT", "/kv/greeting", "hello kv", (200, "stored"));
    http.expect(&dev, "GET", "/kv/greeting", "", (200, "hello kv"));
    http.expect(&dev, "PUT", "/kv/greeting", "hello again", (200, "stored"));
    http.expect(&dev, "GET", "/kv/greeting", "", (200, "hello again"));
    http.expect(&dev, "DELETE", "/kv/greeting", "", (200, "deleted"));
    http.expect(&dev, "GET", "/kv/greeting", "", (404, "not found"));

    // D1, on the table the migration created
    http.expect(&dev, "GET", "/notes", "", (200, "[]"));
    http.expect(
        &dev,
        "POST",
        "/notes",
        "first note",
        (200, r#"{"id":1,"body":"first note"}"#),
    );
    http.expect(
        &dev,
        "POST",
        "/notes",
        "second note",
        (200, r#"{"id":2,"body":"second note"}"#),
    );
    http.expect(
        &dev,
        "GET",
        "/notes",
        "",
        (
            200,
            r#"[{"id":1,"body":"first note"},{"id":2,"body":"second note"}]"#,
        ),
    );

    // R2
    http.expect(&dev, "GET", "/assets/logo.txt", "", (404, "not found"));
    http.expect(&dev, "PUT", "/assets/logo.txt", "pixels", (200, "6 bytes"));
    http.expect(&dev, "GET", "/assets/logo.txt", "", (200, "pixels"));

    // Queue: produced by a request, consumed by the same worker, which writes to R2.
    http.expect(&dev, "POST", "/jobs", "job-1", (200, "queued"));
    http.expect(&dev, "POST", "/jobs", "fail", (200, "queued"));
    http.expect(&dev, "POST", "/jobs", "job-2", (200, "queued"));
    http.poll(
        &dev,
        "/processed",
        Duration::from_secs(20),
        "the consumer writes both jobs",
        |status, body| {
            status == 200 && body.contains("processed/job-1") && body.contains("processed/job-2")
        },
    );
    // `fail` is retried (max_retries = 2), then moved to the dead-letter queue: it is never
    // processed, and dev says where it went.
    assert!(
        dev.wait_for_log("image-processing-dlq", Duration::from_secs(20)),
        "the failing message is never dead-lettered:\n{}",
        dev.logs()
    );
    let (status, processed) = http.call(&dev, "GET", "/processed", "");
    assert_eq!(status, 200);
    let processed: Vec<String> = serde_json::from_str(&processed).unwrap();
    assert_eq!(processed, ["processed/job-1", "processed/job-2"]);

    // Durable Object counter, and the alarm it sets.
    http.expect(&dev, "GET", "/counter", "", (200, "1"));
    http.expect(&dev, "GET", "/counter", "", (200, "2"));
    http.expect(&dev, "GET", "/counter", "", (200, "3"));
    http.poll(
        &dev,
        "/kv/alarm-fired",
        Duration::from_secs(15),
        "the Durable Object alarm fires",
        |status, body| status == 200 && body == "yes",
    );

    // Cron, fired now through the trigger endpoint.
    let (status, body) = http.call(&dev, "POST", "/__edge/trigger/cron?cron=*+*+*+*+*", "");
    assert_eq!(status, 200, "{body}\n{}", dev.logs());
    assert!(body.contains("ok"), "{body}");
    let (status, last) = http.call(&dev, "GET", "/kv/cron:last", "");
    assert_eq!(status, 200, "{last}\n{}", dev.logs());
    let when: u64 = last.trim().parse().unwrap_or_else(|_| panic!("{last}"));
    assert!(when > 1_600_000_000_000, "cron:last is {when}");
    // wrangler's URL for the same, as wrangler users have it in their scripts.
    let (status, body) = http.call(&dev, "GET", "/__scheduled?cron=*+*+*+*+*", "");
    assert_eq!(status, 200, "{body}\n{}", dev.logs());
    // A cron the worker does not declare is refused.
    let (status, body) = http.call(&dev, "POST", "/__edge/trigger/cron?cron=*/5+*+*+*+*", "");
    assert_eq!(status, 404, "{body}");

    let (status, _) = dev.stop();
    assert!(status.success(), "{status}");
    eprintln!(
        "[dev] full_stack_bindings_work_under_dev: {:.2?}",
        started.elapsed()
    );
}

#[test]
fn state_survives_a_dev_restart() {
    let started = Instant::now();
    let state = tempfile::tempdir().unwrap();
    let persist = state.path().to_str().unwrap();
    let manifest = fixture_manifest("full-stack");
    let http = Client::new();

    let dev = Dev::start(&manifest, &["--persist-to", persist, "--no-watch"]);
    http.expect(&dev, "PUT", "/kv/kept", "kv value", (200, "stored"));
    http.expect(
        &dev,
        "POST",
        "/notes",
        "kept note",
        (200, r#"{"id":1,"body":"kept note"}"#),
    );
    http.expect(
        &dev,
        "PUT",
        "/assets/kept.txt",
        "r2 value",
        (200, "8 bytes"),
    );
    // Last, and stopped at once: a queued message and (very likely) the Durable Object's
    // 500 ms alarm are still pending when dev stops; both must happen after the restart.
    http.expect(
        &dev,
        "POST",
        "/jobs",
        "queued-before-restart",
        (200, "queued"),
    );
    http.expect(&dev, "GET", "/counter", "", (200, "1"));
    http.expect(&dev, "GET", "/counter", "", (200, "2"));
    let (_, alarm_before) = http.call(&dev, "GET", "/kv/alarm-fired", "");
    let (_, processed_before) = http.call(&dev, "GET", "/processed", "");
    let (status, started_processes) = dev.stop();
    assert!(status.success(), "cargo edge dev exited with {status}");
    let left: Vec<u32> = started_processes
        .iter()
        .copied()
        .filter(|p| alive(*p))
        .collect();
    assert!(left.is_empty(), "still running after Ctrl-C: {left:?}");

    let dev = Dev::start(&manifest, &["--persist-to", persist, "--no-watch"]);
    assert!(
        !dev.logs().contains("Migrated"),
        "migrations ran twice:\n{}",
        dev.logs()
    );
    http.expect(&dev, "GET", "/kv/kept", "", (200, "kv value"));
    http.expect(
        &dev,
        "GET",
        "/notes",
        "",
        (200, r#"[{"id":1,"body":"kept note"}]"#),
    );
    http.expect(&dev, "GET", "/assets/kept.txt", "", (200, "r2 value"));
    http.expect(&dev, "GET", "/counter", "", (200, "3"));
    eprintln!(
        "[dev] before the restart: alarm-fired = {alarm_before:?}, processed = {processed_before}"
    );
    http.poll(
        &dev,
        "/processed",
        Duration::from_secs(20),
        "the message queued before the restart is consumed",
        |status, body| status == 200 && body == r#"["processed/queued-before-restart"]"#,
    );
    http.poll(
        &dev,
        "/kv/alarm-fired",
        Duration::from_secs(15),
        "the alarm set before the restart fires",
        |status, body| status == 200 && body == "yes",
    );
    let (status, _) = dev.stop();
    assert!(status.success(), "{status}");
    eprintln!(
        "[dev] state_survives_a_dev_restart: {:.2?}",
        started.elapsed()
    );
}

#[test]
fn a_kill_9_during_writes_loses_no_acknowledged_write() {
    let started = Instant::now();
    let state = tempfile::tempdir().unwrap();
    let persist = state.path().to_str().unwrap();
    let manifest = fixture_manifest("full-stack");

    let dev = Dev::start(&manifest, &["--persist-to", persist, "--no-watch"]);
    let acknowledged = Arc::new(Mutex::new(Vec::<usize>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let killing = Arc::new(AtomicBool::new(false));
    let writer = {
        let acknowledged = acknowledged.clone();
        let stop = stop.clone();
        let killing = killing.clone();
        let url = dev.url("/kv/");
        std::thread::spawn(move || {
            let agent = agent(Duration::from_secs(5));
            let mut i = 0;
            let mut refused_before_kill = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let key = format!("{url}k{i}");
                let t = Instant::now();
                let answer = request(&agent, "PUT", &key, &format!("v{i}"), &[]);
                match answer {
                    Ok((200, _)) => acknowledged.lock().unwrap().push(i),
                    other if !killing.load(Ordering::SeqCst) => {
                        refused_before_kill.push(format!("k{i} after {:?}: {other:?}", t.elapsed()))
                    }
                    _ => {}
                }
                i += 1;
            }
            (i, refused_before_kill)
        })
    };
    std::thread::sleep(Duration::from_millis(1500));
    killing.store(true, Ordering::SeqCst);
    let orphans = dev.kill9();
    stop.store(true, Ordering::SeqCst);
    let (attempted, refused_before_kill) = writer.join().unwrap();
    assert!(
        refused_before_kill.is_empty(),
        "writes failed before the kill: {refused_before_kill:?}"
    );
    let acknowledged = acknowledged.lock().unwrap().clone();
    eprintln!(
        "[dev] kill -9: {} of {attempted} writes acknowledged; outlived cargo-edge: {orphans:?}",
        acknowledged.len()
    );
    assert!(
        orphans.is_empty(),
        "outlived cargo-edge's kill -9: {orphans:?}"
    );
    assert!(
        acknowledged.len() >= 5,
        "too few writes before the kill to mean anything: {acknowledged:?}"
    );

    let dev = Dev::start(&manifest, &["--persist-to", persist, "--no-watch"]);
    let http = Client::new();
    let lost: Vec<String> = acknowledged
        .iter()
        .filter_map(|i| {
            let (status, body) = http.call(&dev, "GET", &format!("/kv/k{i}"), "");
            (status != 200 || body != format!("v{i}")).then(|| format!("k{i}: {status} {body}"))
        })
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost: {lost:?}\n{}",
        lost.len(),
        dev.logs()
    );
    let (status, _) = dev.stop();
    assert!(status.success(), "{status}");
    eprintln!(
        "[dev] a_kill_9_during_writes_loses_no_acknowledged_write: {:.2?}",
        started.elapsed()
    );
}

#[test]
fn a_service_binding_reaches_the_other_worker() {
    let started = Instant::now();
    let dev = Dev::start(
        &fixture_manifest("gateway"),
        &["--no-persist", "--no-watch"],
    );
    let http = Client::new();
    let whoami = |headers: &[(&str, &str)]| http.call_with(&dev, "GET", "/whoami", "", headers);
    assert_eq!(
        whoami(&[("Authorization", "Bearer letmein")]),
        (200, "gateway → auth: admin".to_string()),
        "{}",
        dev.logs()
    );
    let (status, body) = whoami(&[]);
    assert_eq!(status, 401, "{body}\n{}", dev.logs());
    let (status, body) = whoami(&[("Authorization", "Bearer wrong")]);
    assert_eq!(status, 401, "{body}\n{}", dev.logs());
    let (status, _) = dev.stop();
    assert!(status.success(), "{status}");
    eprintln!(
        "[dev] a_service_binding_reaches_the_other_worker: {:.2?}",
        started.elapsed()
    );
}

/// #16: `cargo edge dev --env staging` runs the sibling as `auth-service-staging` (wrangler's
/// env naming) and the service binding reaches it.
#[test]
fn in_an_environment_the_service_binding_reaches_the_siblings_script() {
    let started = Instant::now();
    let dev = Dev::start(
        &fixture_manifest("gateway"),
        &["--no-persist", "--no-watch", "--env", "staging"],
    );
    let http = Client::new();
    let auth = [("Authorization", "Bearer letmein")];
    let whoami = || http.call_with(&dev, "GET", "/whoami", "", &auth);
    assert_eq!(
        whoami(),
        (200, "gateway → auth: admin".to_string()),
        "{}",
        dev.logs()
    );
    assert!(
        dev.logs().contains("api-gateway-staging.AUTH"),
        "{}",
        dev.logs()
    );
    // An email to a worker without an `#[event(email)]` handler says so (and exits 1).
    let message = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        message.path(),
        "Message-ID: <a@b>\r\nFrom: a@b\r\nTo: c@d\r\n\r\nhi",
    )
    .unwrap();
    let sent = Command::new(cargo_edge_bin())
        .args(["edge", "trigger", "email", "--from", "a@b", "--to", "c@d"])
        .arg(message.path())
        .args(["--port", &dev.port.to_string()])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&sent.stderr);
    assert_eq!(sent.status.code(), Some(1), "{said}");
    assert!(
        said.contains("the worker has no email handler (#[event(email)])"),
        "{said}"
    );
    let (status, _) = dev.stop();
    assert!(status.success(), "{status}");
    eprintln!(
        "[dev] in_an_environment_the_service_binding_reaches_the_siblings_script: {:.2?}",
        started.elapsed()
    );
}

/// A service binding to a worker this workspace lacks: dev starts anyway (as wrangler dev does),
/// says so once and in the banner, and a call through the binding answers 503 with Miniflare's
/// text, while the rest of the worker serves.
#[test]
fn a_service_binding_to_a_worker_outside_the_workspace_answers_503() {
    let started = Instant::now();
    let dir = standalone_fixture(
        "gateway",
        "gateway-alone",
        "[package.metadata.edge.services]\nAUTH = { worker = \"auth-elsewhere\" }\n",
    );
    let dev = Dev::start(
        &dir.path().join("Cargo.toml"),
        &["--no-persist", "--no-watch"],
    );
    let http = Client::new();
    let (status, body) = http.call_with(&dev, "GET", "/whoami", "", &[]);
    assert_eq!(status, 503, "{body}\n{}", dev.logs());
    assert!(
        body.contains(
            r#"gateway → auth: Worker "auth-elsewhere" not found. Make sure it is running locally."#
        ),
        "{body}"
    );
    http.expect(
        &dev,
        "GET",
        "/",
        "",
        (200, "gateway: try /whoami with an Authorization header"),
    );
    let logs = dev.logs();
    assert!(
        logs.contains(
            "a service binding names `auth-elsewhere`, which is not a worker of this workspace"
        ),
        "{logs}"
    );
    assert!(
        logs.contains("AUTH (Worker): worker `auth-elsewhere` [not connected"),
        "{logs}"
    );
    let (status, _) = dev.stop();
    assert!(status.success(), "{status}");
    eprintln!(
        "[dev] a_service_binding_to_a_worker_outside_the_workspace_answers_503: {:.2?}",
        started.elapsed()
    );
}

/// `fixtures/hello` as a crate of its own in a temporary folder, so it can be edited. Its
/// package is `hello-live-<name>`: tests running at once build into the shared target folder,
/// and one package name would make them overwrite each other's `.wasm`.
fn standalone_hello(name: &str) -> tempfile::TempDir {
    standalone_fixture("hello", &format!("hello-live-{name}"), "")
}

/// What a background client saw while it requested `/` over and over.
#[derive(Default)]
struct Watching {
    requests: usize,
    failures: Vec<String>,
    /// Each distinct body in the order it was first seen, with later reappearances.
    bodies: Vec<String>,
}

#[test]
fn an_edit_is_served_live_without_a_failed_request_and_a_broken_edit_keeps_the_old_version() {
    const OLD: &str = "Hello from Rust on workerd!";
    const NEW: &str = "Hello from a live edit!";
    let started = Instant::now();
    let crate_dir = standalone_hello("edit");
    let lib: PathBuf = crate_dir.path().join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    assert!(source.contains(OLD));

    let dev = Dev::start(&crate_dir.path().join("Cargo.toml"), &["--no-persist"]);
    let http = Client::new();
    http.expect(&dev, "GET", "/", "", (200, OLD));

    let seen = Arc::new(Mutex::new(Watching::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let seen = seen.clone();
        let stop = stop.clone();
        let url = dev.url("/");
        std::thread::spawn(move || {
            let agent = agent(Duration::from_secs(60));
            while !stop.load(Ordering::SeqCst) {
                let answer = request(&agent, "GET", &url, "", &[]);
                let mut seen = seen.lock().unwrap();
                seen.requests += 1;
                match answer {
                    Ok((200, body)) => {
                        if seen.bodies.last() != Some(&body) {
                            seen.bodies.push(body);
                        }
                    }
                    Ok((status, body)) => seen.failures.push(format!("{status}: {body}")),
                    Err(error) => seen.failures.push(format!("{error:#}")),
                }
                drop(seen);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(500));

    std::fs::write(&lib, source.replace(OLD, NEW)).unwrap();
    let edited = Instant::now();
    http.poll(
        &dev,
        "/",
        Duration::from_secs(120),
        "the edit is served",
        |status, body| status == 200 && body == NEW,
    );
    let edit_to_new = edited.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    watcher.join().unwrap();
    let seen = seen.lock().unwrap();
    eprintln!(
        "[dev] edit to new response: {edit_to_new:.2?}; {} background requests",
        seen.requests
    );
    assert!(
        seen.failures.is_empty(),
        "{} of {} requests failed during the reload: {:?}\n{}",
        seen.failures.len(),
        seen.requests,
        seen.failures,
        dev.logs()
    );
    // The old version until the reload, the new one from then on: never back.
    assert_eq!(seen.bodies, [OLD, NEW], "{}", dev.logs());
    assert!(dev.logs().contains("Reloaded in"), "{}", dev.logs());

    // A syntax error: the build fails, dev says so, and the last good version keeps serving.
    std::fs::write(
        &lib,
        format!("{}\nfn broken( {{\n", source.replace(OLD, NEW)),
    )
    .unwrap();
    assert!(
        dev.wait_for_log("the build failed", Duration::from_secs(120)),
        "no build failure reported:\n{}",
        dev.logs()
    );
    http.expect(&dev, "GET", "/", "", (200, NEW));
    http.expect(&dev, "GET", "/greet/again", "", (200, "Hello, again!"));
    // Each request's line says the version served is the last good one, and since when.
    assert!(
        dev.wait_for_log("GET /greet/again 200 OK (", Duration::from_secs(20)),
        "no request line:\n{}",
        dev.logs()
    );
    let stale_line = dev
        .logs()
        .lines()
        .find(|l| l.contains("GET /greet/again 200 OK ("))
        .map(str::to_string)
        .unwrap_or_default();
    assert!(
        stale_line.contains("[stale: the build failed at ")
            && stale_line.contains("; this is the last good version]"),
        "{stale_line}\n{}",
        dev.logs()
    );
    assert_eq!(
        dev.logs().matches("Reloaded in").count(),
        1,
        "one good edit, one reload:\n{}",
        dev.logs()
    );

    // Fixing the error reloads again.
    const FIXED: &str = "Hello after the fix!";
    std::fs::write(&lib, source.replace(OLD, FIXED)).unwrap();
    http.poll(
        &dev,
        "/",
        Duration::from_secs(120),
        "the fixed source is served",
        |status, body| status == 200 && body == FIXED,
    );

    // A request line per request (method, path, status, milliseconds), current again after the
    // fix; no watcher noise after the edits.
    let logs = dev.logs();
    let last = logs
        .lines()
        .rfind(|l| l.contains("GET / 200 OK ("))
        .unwrap_or_default();
    assert!(last.ends_with(" ms)"), "{last}\n{logs}");
    assert!(
        !logs.contains("WatchNotFound") && !logs.contains("WARN"),
        "{logs}"
    );
    let (status, _) = dev.stop();
    assert!(status.success(), "{status}");
    eprintln!("[dev] an_edit_is_served_live...: {:.2?}", started.elapsed());
}

/// SIGTERM (what `kill PID`, `timeout` and most process managers send) should stop dev as
/// Ctrl-C does, workerd included.
#[test]
fn sigterm_stops_dev_and_its_workerd() {
    let dev = Dev::start(&fixture_manifest("hello"), &["--no-persist", "--no-watch"]);
    let pid = dev.child.as_ref().map(Child::id).unwrap();
    let started = descendants(pid);
    assert!(!started.is_empty(), "no workerd under cargo-edge");
    signal("-TERM", &pid.to_string());
    let deadline = Instant::now() + Duration::from_secs(15);
    while started.iter().any(|p| alive(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<String> = started
        .iter()
        .filter(|p| alive(**p))
        .map(|p| format!("{p} ({})", command_name(*p)))
        .collect();
    assert!(
        left.is_empty(),
        "still running 15 s after SIGTERM: {left:?}\n{}",
        dev.logs()
    );
    assert!(dev.logs().contains("Stopping"), "{}", dev.logs());
}

/// A save of Cargo.toml rebuilds; what it declares under `[package.metadata.edge]` (here a
/// new var, and a service binding to a worker outside the workspace, which gets dev's 503
/// stand-in as at start) should be served by the reloaded worker too.
#[test]
fn a_manifest_edit_is_applied_on_reload() {
    let crate_dir = standalone_hello("manifest");
    let dev = Dev::start(&crate_dir.path().join("Cargo.toml"), &["--no-persist"]);
    let lib = crate_dir.path().join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap().replace(
        r#".get("/", |_, _| Response::ok("Hello from Rust on workerd!"))"#,
        r#".get("/", |_, ctx| Response::ok(ctx.var("GREETING")?.to_string()))
        .get_async("/billing", |req, ctx| async move {
            ctx.env.service("BILLING")?.fetch_request(req).await
        })"#,
    );
    let manifest = crate_dir.path().join("Cargo.toml");
    let toml = std::fs::read_to_string(&manifest).unwrap().replace(
        "[workspace]",
        "[package.metadata.edge.vars]\nGREETING = \"from the manifest\"\n\n\
         [package.metadata.edge.services]\nBILLING = { worker = \"billing-elsewhere\" }\n\n\
         [workspace]",
    );
    std::fs::write(&manifest, toml).unwrap();
    std::fs::write(&lib, source).unwrap();
    assert!(
        dev.wait_for_log("Reloaded in", Duration::from_secs(120)),
        "{}",
        dev.logs()
    );
    Client::new().poll(
        &dev,
        "/",
        Duration::from_secs(30),
        "the new var is bound",
        |status, body| status == 200 && body == "from the manifest",
    );
    let (status, body) = Client::new().call(&dev, "GET", "/billing", "");
    assert_eq!(status, 503, "{body}\n{}", dev.logs());
    let said = r#"Worker "billing-elsewhere" not found. Make sure it is running locally."#;
    assert!(body.contains(said), "{body}");
    let warned = "a service binding names `billing-elsewhere`, which is not a worker";
    assert!(dev.logs().contains(warned), "{}", dev.logs());

    // A binding dev cannot serve (Hyperdrive with no local database) keeps the last good
    // version serving, and says why.
    let toml = std::fs::read_to_string(&manifest).unwrap().replace(
        "[workspace]",
        "[package.metadata.edge.hyperdrive]\nPG = { id = \"0123456789abcdef0123456789abcdef\" }\n\n[workspace]",
    );
    std::fs::write(&manifest, toml).unwrap();
    assert!(
        dev.wait_for_log(
            "the new version cannot run locally; the last good version keeps serving",
            Duration::from_secs(120)
        ),
        "{}",
        dev.logs()
    );
    assert!(
        dev.logs().contains("has no local database"),
        "{}",
        dev.logs()
    );
    let (status, body) = Client::new().call(&dev, "GET", "/", "");
    assert_eq!((status, body.as_str()), (200, "from the manifest"));
}

/// A cron and a KV namespace added to Cargo.toml while `cargo edge dev` runs are served by the
/// reloaded worker: the cron fires through the trigger endpoint and writes to the new namespace.
#[test]
fn a_cron_added_on_reload_fires() {
    let crate_dir = standalone_hello("cron");
    let dev = Dev::start(&crate_dir.path().join("Cargo.toml"), &["--no-persist"]);
    let http = Client::new();
    let (status, _) = http.call(&dev, "POST", "/__edge/trigger/cron?cron=0+3+*+*+*", "");
    assert_eq!(status, 404, "no cron is declared yet");
    let lib = crate_dir.path().join("src/lib.rs");
    let mut source = std::fs::read_to_string(&lib).unwrap().replace(
        r#".get("/", |_, _| Response::ok("Hello from Rust on workerd!"))"#,
        r#".get_async("/", |_, ctx| async move {
            let last = ctx.kv("CACHE")?.get("last-cron").text().await?;
            Response::ok(last.unwrap_or_else(|| "never".into()))
        })"#,
    );
    let logging = r#"async fn scheduled(event: ScheduledEvent, _env: Env, _ctx: ScheduleContext) {
    console_log!("cron {} fired", event.cron());
}"#;
    assert!(
        source.contains(logging),
        "the hello fixture's cron handler changed"
    );
    source = source.replace(
        logging,
        r#"async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let kv = env.kv("CACHE").expect("CACHE is bound");
    kv.put("last-cron", event.cron()).expect("a put").execute().await.expect("stored");
}"#,
    );
    let manifest = crate_dir.path().join("Cargo.toml");
    let toml = std::fs::read_to_string(&manifest).unwrap().replace(
        "[workspace]",
        "crons = [\"0 3 * * *\"]\n\n[package.metadata.edge.kv]\nCACHE = {}\n\n[workspace]",
    );
    std::fs::write(&manifest, toml).unwrap();
    std::fs::write(&lib, source).unwrap();
    assert!(
        dev.wait_for_log("Reloaded in", Duration::from_secs(120)),
        "{}",
        dev.logs()
    );
    assert!(dev.logs().contains("1 cron(s)"), "{}", dev.logs());
    http.expect(&dev, "GET", "/", "", (200, "never"));
    let (status, body) = http.call(&dev, "POST", "/__edge/trigger/cron?cron=0+3+*+*+*", "");
    assert_eq!(status, 200, "{body}\n{}", dev.logs());
    http.expect(&dev, "GET", "/", "", (200, "0 3 * * *"));
}
