//! `cargo edge new`: every template generates a project that builds, runs under
//! `cargo edge dev`, and answers one request that proves its pattern.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use edge_tests::{
    cargo_edge, cargo_edge_bin, fixture_target_dir, free_port, new_project, output_text, root,
    workerd_bin,
};

struct Dev(Child);

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-INT")
            .arg(self.0.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Generate `template`, start `cargo edge dev` on it and return the base URL.
fn serve(template: &str, dir: &Path) -> (Dev, String) {
    let project = generate(template, dir);
    start(template, &project, Duration::from_secs(300))
}

/// `cargo edge new my-<template>` in `dir`, with the fixtures' lock file; returns its folder.
fn generate(template: &str, dir: &Path) -> PathBuf {
    new_project(dir, &format!("my-{template}"), template)
}

/// Rewrite the generated Cargo.toml: `from` must occur in it.
fn edit_manifest(project: &Path, from: &str, to: &str) {
    let path = project.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "no `{from}` in\n{text}");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

/// `cargo edge dev` on a generated project; waits up to `build_time` for it to serve.
fn start(template: &str, project: &Path, build_time: Duration) -> (Dev, String) {
    start_with(template, project, build_time, &[])
}

/// [`start`] with more arguments for `cargo edge dev` (`--env`, ...).
fn start_with(
    template: &str,
    project: &Path,
    build_time: Duration,
    dev_args: &[&str],
) -> (Dev, String) {
    let dir = project.parent().unwrap();
    let port = free_port();
    let log_path = dir.join(format!("{template}.log"));
    let log = std::fs::File::create(&log_path).unwrap();
    let child = Command::new(cargo_edge_bin())
        .args([
            "edge",
            "dev",
            "--no-watch",
            "--no-persist",
            "--port",
            &port.to_string(),
        ])
        .args(dev_args)
        .arg("--manifest-path")
        .arg(project.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(fixture_target_dir())
        .env("WORKERD", workerd_bin())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut dev = Dev(child);
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + build_time;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        || edge_tests::get(&format!("{base}/__edge/none")).is_err()
    {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        assert!(
            Instant::now() < deadline,
            "dev never served {template}:\n{log}"
        );
        // A failed build ends `cargo edge dev --no-watch`: no need to wait any longer.
        if let Ok(Some(status)) = dev.0.try_wait() {
            panic!("dev exited ({status}) for {template}:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // A generated project compiles without warnings (cargo sums them up per crate).
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(
        !log.contains("(lib) generated"),
        "{template} compiles with warnings:\n{log}"
    );
    (dev, base)
}

fn send(method: &str, url: &str, body: &str) -> (u16, String) {
    let reply = request(method, url, &[], body);
    (reply.status, reply.body)
}

/// An answer: status, headers (names in lower case) and body.
struct Reply {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{e}: not JSON: {:?}", self.body))
    }
}

/// Any method, with headers; an empty body is sent as no body (GET, HEAD and DELETE).
fn request(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        // Redirects are answers to check, not to follow.
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut response = if body.is_empty() && !matches!(method, "POST" | "PUT") {
        agent.run(builder.body(()).unwrap())
    } else {
        agent.run(builder.body(body.to_string()).unwrap())
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.body_mut().read_to_string().unwrap_or_default(),
    }
}

#[test]
fn every_template_is_listed_with_a_description() {
    let output = cargo_edge(&["new", "--list"]);
    let text = String::from_utf8_lossy(&output.stdout);
    for name in [
        "hello",
        "kv-cache",
        "d1",
        "router",
        "axum",
        "r2-assets",
        "durable-object",
        "cron",
        "proxy",
        "queue",
        "event-bus",
        "services",
        "full-stack",
        "multi-env",
        "assets",
    ] {
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().next() == Some(name) && l.len() > name.len() + 10),
            "{name} missing from:\n{text}"
        );
    }
    // The descriptions line up, whatever the length of the names.
    let columns: std::collections::BTreeSet<usize> = text
        .lines()
        .map(|l| l.len() - l.split_once(' ').unwrap().1.trim_start().len())
        .collect();
    assert_eq!(columns.len(), 1, "{text}");
}

/// One template at a time: each builds in the shared target folder, which cargo locks anyway,
/// and two dev sessions building at once would only slow both down.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn hello_answers() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (dev, base) = serve("hello", dir.path());
    assert_eq!(
        send("GET", &format!("{base}/"), ""),
        (200, "Hello from my-hello!".to_string())
    );
    drop(dev);
    // The template's own workerd tests pass under `cargo edge test --js`.
    let (ok, text) = edge_in(&dir.path().join("my-hello"), &["test", "--js"]);
    assert!(ok, "{text}");
    assert!(text.contains("2 passed; 0 failed"), "{text}");
}

/// The template's edge-test test (tests/worker.rs) under `cargo edge test --native`, as its
/// user runs it after `cargo edge new`: edge-test from the dev-dependency the command wrote,
/// compiled for the host with cargo-edge (the costly part: see [`native_test`]).
#[test]
fn hello_edge_test_example_passes_under_cargo_edge_test_native() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let project = generate("hello", dir.path());
    let manifest = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    let checkout = root().join("edge-test").canonicalize().unwrap();
    let wanted = format!("edge-test = {{ path = \"{}\" }}", checkout.display());
    assert!(manifest.contains(&wanted), "{manifest}");
    let (ok, text) = native_test(&project);
    assert!(ok, "{text}");
    assert!(text.contains("test greets ... ok"), "{text}");
    assert!(text.contains("1 passed; 0 failed"), "{text}");
}

/// `cargo edge test --native` in a generated project. The native build goes to this test run's
/// own target folder with the workspace's dev profile (a `.cargo/config.toml` beside the
/// project), so edge-test, cargo-edge and their dependencies are reused from the build that
/// compiled this test where the generated project enables the same features; edge-test's wasm
/// build of the worker goes to the fixtures' folder, where `cargo edge dev` just built it.
fn native_test(project: &Path) -> (bool, String) {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let config = project.parent().unwrap().join(".cargo");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), workspace_dev_profile()).unwrap();
    let output = Command::new(cargo_edge_bin())
        .args(["edge", "test", "--native", "--target-dir"])
        .arg(target)
        .current_dir(project)
        .env("WORKERD", workerd_bin())
        .env("EDGE_TEST_TARGET_DIR", fixture_target_dir())
        .output()
        .unwrap();
    (output.status.success(), output_text(&output))
}

/// The workspace's `[profile.dev]` as cargo configuration, its members' settings given to
/// edge-test and cargo-edge (path dependencies of the generated project, which `package."*"`
/// would otherwise cover).
fn workspace_dev_profile() -> String {
    let text = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let manifest: toml::Table = text.parse().unwrap();
    let mut dev = manifest["profile"]["dev"].as_table().unwrap().clone();
    let base: toml::Table = dev
        .iter()
        .filter(|(key, _)| *key != "package")
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let packages = dev.entry("package").or_insert(toml::Table::new().into());
    let packages = packages.as_table_mut().unwrap();
    for member in ["cargo-edge", "edge-test"] {
        let mut settings = base.clone();
        settings.entry("opt-level").or_insert(0.into());
        packages.insert(member.into(), settings.into());
    }
    let mut profile = toml::Table::new();
    profile.insert("dev".into(), dev.into());
    let mut config = toml::Table::new();
    config.insert("profile".into(), profile.into());
    toml::to_string(&config).unwrap()
}

#[test]
fn kv_cache_stores_and_reads_back() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (_dev, base) = serve("kv-cache", dir.path());
    assert_eq!(
        send("PUT", &format!("{base}/greeting"), "hi"),
        (200, "cached".to_string())
    );
    let hit = request("GET", &format!("{base}/greeting"), &[], "");
    assert_eq!((hit.status, hit.body.as_str()), (200, "hi"));
    assert_eq!(hit.header("x-cache"), "hit");
    // A hit is counted after its response (`wait_until`) by a read and a write, so two hits
    // in flight at once may count as one, as the template says. Wait for each count before the
    // next hit.
    wait_for_hits(&base, "1");
    send("GET", &format!("{base}/greeting"), "");
    wait_for_hits(&base, "2");
    let miss = request("GET", &format!("{base}/nothing"), &[], "");
    assert_eq!((miss.status, miss.header("x-cache")), (404, "miss"));
}

/// Wait until `/greeting/hits` reads `count`.
fn wait_for_hits(base: &str, count: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = send("GET", &format!("{base}/greeting/hits"), "").1;
        if seen == count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the hit counter reads {seen}, not {count}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn d1_inserts_and_lists_through_its_migration() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (_dev, base) = serve("d1", dir.path());
    assert_eq!(send("POST", &format!("{base}/todos"), "write tests").0, 200);
    assert_eq!(
        send("GET", &format!("{base}/todos"), ""),
        (200, r#"[{"id":1,"title":"write tests"}]"#.to_string())
    );
}

#[test]
fn router_answers_json_with_path_params_and_error_statuses() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (_dev, base) = serve("router", dir.path());
    let items = format!("{base}/items");

    let created = request("POST", &items, &[], r#"{"name": " apple ", "quantity": 3}"#);
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_string();
    assert_eq!(created.header("location"), format!("/items/{id}"));
    let read = request("GET", &format!("{items}/{id}"), &[], "");
    assert_eq!(read.status, 200);
    assert_eq!(
        read.json(),
        serde_json::json!({"id": id, "name": "apple", "quantity": 3})
    );

    // PUT creates under the id in the path, then replaces.
    assert_eq!(
        send("PUT", &format!("{items}/pear"), r#"{"name": "pear"}"#).0,
        201
    );
    assert_eq!(
        send("PUT", &format!("{items}/pear"), r#"{"name": "nashi"}"#).0,
        200
    );
    let all = request("GET", &items, &[], "").json();
    let mut names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["apple", "nashi"]);

    let malformed = request("POST", &items, &[], "not json");
    assert_eq!(malformed.status, 400);
    assert!(malformed.json()["error"].is_string(), "{}", malformed.body);
    assert_eq!(
        request("POST", &items, &[], r#"{"name": "  "}"#).status,
        422
    );
    assert_eq!(request("POST", &items, &[], r#"{"nom": "x"}"#).status, 400);

    assert_eq!(
        request("DELETE", &format!("{items}/pear"), &[], "").status,
        204
    );
    let gone = request("GET", &format!("{items}/pear"), &[], "");
    assert_eq!(
        (gone.status, gone.json()),
        (404, serde_json::json!({"error": "no item `pear`"}))
    );
    assert_eq!(
        request("DELETE", &format!("{items}/pear"), &[], "").status,
        404
    );
    for path in ["/nowhere", "/"] {
        let nowhere = request("GET", &format!("{base}{path}"), &[], "");
        assert_eq!(
            (nowhere.status, nowhere.json()),
            (404, serde_json::json!({"error": "no such route"})),
            "{path}"
        );
    }
    let patch = request("PATCH", &format!("{items}/{id}"), &[], "{}");
    assert_eq!(
        (patch.status, patch.json()["error"].as_str()),
        (405, Some("method not allowed"))
    );
}

#[test]
fn r2_assets_uploads_and_serves_with_etag_conditionals_and_ranges() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (_dev, base) = serve("r2-assets", dir.path());
    let file = format!("{base}/files/docs/hello.txt");
    let text = [("content-type", "text/plain; charset=utf-8")];

    let uploaded = request("PUT", &file, &text, "hello, R2");
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    assert_eq!(uploaded.json()["size"], 9);
    let etag = uploaded.header("etag").to_string();
    assert!(etag.starts_with('"'), "{etag}");

    let got = request("GET", &file, &[], "");
    assert_eq!((got.status, got.body.as_str()), (200, "hello, R2"));
    assert_eq!(got.header("content-type"), "text/plain; charset=utf-8");
    assert_eq!(got.header("etag"), etag);

    let cached = request("GET", &file, &[("if-none-match", &etag)], "");
    assert_eq!((cached.status, cached.body.as_str()), (304, ""));
    let stale = request("GET", &file, &[("if-none-match", "\"other\"")], "");
    assert_eq!(stale.status, 200);

    let part = request("GET", &file, &[("range", "bytes=0-4")], "");
    assert_eq!((part.status, part.body.as_str()), (206, "hello"));
    assert_eq!(part.header("content-range"), "bytes 0-4/9");
    let tail = request("GET", &file, &[("range", "bytes=-2")], "");
    assert_eq!((tail.status, tail.body.as_str()), (206, "R2"));
    assert_eq!(tail.header("content-range"), "bytes 7-8/9");

    let head = request("HEAD", &file, &[], "");
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    assert_eq!(head.header("etag"), etag);
    assert_eq!(head.header("content-type"), "text/plain; charset=utf-8");

    let json = [("content-type", "application/json")];
    assert_eq!(
        request("PUT", &format!("{base}/files/docs/a.json"), &json, "{}").status,
        201
    );
    assert_eq!(
        request("PUT", &format!("{base}/files/top.txt"), &text, "x").status,
        201
    );
    let listed = request("GET", &format!("{base}/files?prefix=docs/"), &[], "").json();
    let keys: Vec<&str> = listed["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["docs/a.json", "docs/hello.txt"]);

    assert_eq!(request("DELETE", &file, &[], "").status, 204);
    assert_eq!(request("GET", &file, &[], "").status, 404);
}

#[test]
fn durable_object_keeps_counts_per_name_and_its_alarm_closes_the_window() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let project = generate("durable-object", dir.path());
    edit_manifest(
        &project,
        r#"WINDOW_SECONDS = "60""#,
        r#"WINDOW_SECONDS = "2""#,
    );
    let (_dev, base) = start("durable-object", &project, Duration::from_secs(300));
    let alice = format!("{base}/counter/alice");

    for expected in 1..=3 {
        let hit = request("POST", &alice, &[], "");
        assert_eq!(hit.status, 200, "{}", hit.body);
        assert_eq!(hit.json()["count"], expected, "{}", hit.body);
        assert!(hit.json()["window_closes_at"].is_i64(), "{}", hit.body);
    }
    // Another name is another object.
    let bob = request("GET", &format!("{base}/counter/bob"), &[], "").json();
    assert_eq!(
        (bob["count"].as_u64(), bob["last_window"].is_null()),
        (Some(0), true)
    );
    assert_eq!(request("GET", &alice, &[], "").json()["count"], 3);

    // The alarm fires about two seconds after the first hit and closes the window.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let state = request("GET", &alice, &[], "").json();
        if state["last_window"]["count"] == 3 {
            assert_eq!(state["count"], 0, "{state}");
            assert!(state["window_closes_at"].is_null(), "{state}");
            break;
        }
        assert!(Instant::now() < deadline, "the alarm never fired: {state}");
        std::thread::sleep(Duration::from_millis(250));
    }
    let next = request("POST", &alice, &[], "").json();
    assert_eq!(
        (
            next["count"].as_u64(),
            next["last_window"]["count"].as_u64()
        ),
        (Some(1), Some(3))
    );
}

#[test]
fn cron_records_each_triggered_run() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (_dev, base) = serve("cron", dir.path());
    let runs = format!("{base}/runs");
    // `*/5 * * * *` also fires on its own schedule while the test runs: those runs are scheduled
    // on a minute boundary, where a triggered run is scheduled at the moment of the trigger.
    let triggered = |recorded: &serde_json::Value| -> Vec<String> {
        recorded
            .as_array()
            .unwrap()
            .iter()
            .filter(|run| run["scheduled_time"].as_u64().unwrap() % 60_000 != 0)
            .map(|run| run["cron"].as_str().unwrap().to_string())
            .collect()
    };
    let before = request("GET", &runs, &[], "");
    assert_eq!(before.status, 200);
    assert!(triggered(&before.json()).is_empty(), "{}", before.body);

    let fired = request(
        "POST",
        &format!("{base}/__edge/trigger/cron?cron=*/5+*+*+*+*"),
        &[],
        "",
    );
    assert_eq!(fired.status, 200, "{}", fired.body);
    let fired = request(
        "POST",
        &format!("{base}/__edge/trigger/cron?cron=0+3+*+*+mon"),
        &[],
        "",
    );
    assert_eq!(fired.status, 200, "{}", fired.body);

    let recorded = request("GET", &runs, &[], "").json();
    assert_eq!(
        triggered(&recorded),
        ["0 3 * * mon", "*/5 * * * *"],
        "{recorded}"
    );
    assert!(
        recorded[0]["ran_at"].as_u64().unwrap() > 1_600_000_000_000,
        "{recorded}"
    );
}

/// A backend that answers `saw METHOD TARGET BODY` (or a redirect to `/new` for `/old`) and
/// hands each request it got, head and body, to the test.
fn backend() -> (u16, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (seen, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let (head, body) = read_request(&mut stream);
            let mut line = head.lines().next().unwrap_or_default().split(' ');
            let (method, target) = (
                line.next().unwrap_or_default(),
                line.next().unwrap_or_default(),
            );
            let answer = if target == "/old" {
                "HTTP/1.1 302 Found\r\nlocation: /new\r\ncontent-length: 0\r\n\
                 connection: close\r\n\r\n"
                    .to_string()
            } else {
                let text = format!("saw {method} {target} {body}");
                format!(
                    "HTTP/1.1 200 OK\r\nserver: tiny/1.0\r\nx-powered-by: tests\r\n\
                     content-type: text/plain\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n{text}",
                    text.len()
                )
            };
            let _ = std::io::Write::write_all(&mut stream, answer.as_bytes());
            let _ = seen.send(format!("{head}\r\n\r\n{body}"));
        }
    });
    (port, received)
}

/// One HTTP/1.1 request: its head and its body, sent with a
/// `content-length` or chunked.
fn read_request(stream: &mut std::net::TcpStream) -> (String, String) {
    use std::io::Read;
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    let complete = |bytes: &[u8]| -> Option<(String, String)> {
        let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let lower = head.to_lowercase();
        let rest = &bytes[end + 4..];
        if lower.contains("transfer-encoding: chunked") {
            let mut body = Vec::new();
            let mut at = 0;
            loop {
                let line_end = at + rest[at..].windows(2).position(|w| w == b"\r\n")?;
                let size = usize::from_str_radix(
                    std::str::from_utf8(&rest[at..line_end]).ok()?.trim(),
                    16,
                )
                .ok()?;
                if size == 0 {
                    return Some((head, String::from_utf8_lossy(&body).into_owned()));
                }
                body.extend_from_slice(rest.get(line_end + 2..line_end + 2 + size)?);
                at = line_end + 2 + size + 2;
            }
        }
        let length: usize = lower
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap());
        let body = rest.get(..length)?;
        Some((head, String::from_utf8_lossy(body).into_owned()))
    };
    loop {
        if let Some(request) = complete(&bytes) {
            return request;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return (String::from_utf8_lossy(&bytes).into_owned(), String::new()),
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
        }
    }
}

#[test]
fn proxy_forwards_to_its_backend_with_forwarded_headers() {
    let _serial = serial();
    let (port, received) = backend();
    let dir = tempfile::tempdir().unwrap();
    let project = generate("proxy", dir.path());
    edit_manifest(
        &project,
        "http://127.0.0.1:8080",
        &format!("http://127.0.0.1:{port}"),
    );
    let (_dev, base) = start("proxy", &project, Duration::from_secs(300));

    let answer = request(
        "POST",
        &format!("{base}/api/echo?x=1"),
        &[("x-custom", "kept"), ("connection", "keep-alive")],
        "ping",
    );
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "saw POST /echo?x=1 ping")
    );
    assert_eq!(answer.header("via"), "1.1 my-proxy");
    assert_eq!(answer.header("content-type"), "text/plain");
    assert!(
        answer.headers.get("x-powered-by").is_none(),
        "{:?}",
        answer.headers
    );
    assert!(
        answer.headers.get("server").is_none(),
        "{:?}",
        answer.headers
    );
    let seen = received
        .recv_timeout(Duration::from_secs(10))
        .unwrap()
        .to_lowercase();
    for header in [
        "x-custom: kept",
        "x-forwarded-host: 127.0.0.1",
        "x-forwarded-proto: http",
        "x-forwarded-prefix: /api",
    ] {
        assert!(seen.contains(header), "no `{header}` in:\n{seen}");
    }

    // A redirect on the backend points under the prefix here.
    let moved = request("GET", &format!("{base}/api/old"), &[], "");
    assert_eq!((moved.status, moved.header("location")), (302, "/api/new"));
    received.recv_timeout(Duration::from_secs(10)).unwrap();

    // Outside the prefix: answered by the proxy, never forwarded.
    assert_eq!(
        request("GET", &format!("{base}/apiary"), &[], "").status,
        404
    );
    assert!(received.recv_timeout(Duration::from_millis(500)).is_err());
}

#[test]
fn a_project_named_like_its_dependency_builds_and_serves() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let project = new_project(dir.path(), "axum", "axum");
    // `cargo build -p axum` would be ambiguous here: the package and its dependency share it.
    let (_dev, base) = start("axum", &project, Duration::from_secs(900));
    assert_eq!(
        send("GET", &format!("{base}/"), ""),
        (200, "Hello from axum, served by axum!".to_string())
    );
}

#[test]
fn axum_routes_with_extractors_state_and_json_errors() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let project = generate("axum", dir.path());
    // Its own `worker` features compile `worker` once more, with axum: a longer first build.
    let (_dev, base) = start("axum", &project, Duration::from_secs(900));
    assert_eq!(
        send("GET", &format!("{base}/"), ""),
        (200, "Hello from my-axum, served by axum!".to_string())
    );
    let note = format!("{base}/notes/todo");
    let json = [("content-type", "application/json")];
    let stored = request("PUT", &note, &json, r#"{"text": "buy milk"}"#);
    assert_eq!(stored.status, 200, "{}", stored.body);
    let expected = serde_json::json!({"id": "todo", "text": "buy milk"});
    assert_eq!(stored.json(), expected);
    let read = request("GET", &note, &[], "");
    assert_eq!((read.status, read.json()), (200, expected));

    let missing = request("GET", &format!("{base}/notes/nope"), &[], "");
    assert_eq!(
        (missing.status, missing.json()),
        (404, serde_json::json!({"error": "no note `nope`"}))
    );
    assert_eq!(request("PUT", &note, &json, "not json").status, 400);
    assert_eq!(request("PUT", &note, &json, r#"{"txt": "x"}"#).status, 422);
    assert_eq!(request("PUT", &note, &[], r#"{"text": "x"}"#).status, 415);
    let nowhere = request("GET", &format!("{base}/nowhere"), &[], "");
    assert_eq!(
        (nowhere.status, nowhere.json()),
        (404, serde_json::json!({"error": "no such route"}))
    );
}

/// GET `url` until it answers 200 (a queue consumer's work shows up a batch later).
fn eventually(url: &str) -> Reply {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = request("GET", url, &[], "");
        if reply.status == 200 {
            return reply;
        }
        assert!(
            Instant::now() < deadline,
            "{url} still answers {}: {}",
            reply.status,
            reply.body
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn queue_consumer_processes_an_upload_into_r2() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (_dev, base) = serve("queue", dir.path());
    assert_eq!(
        send("PUT", &format!("{base}/images/cat.png"), "not really a png"),
        (202, "queued cat.png".to_string())
    );
    let result = eventually(&format!("{base}/results/cat.png")).json();
    assert_eq!(result["name"], "cat.png");
    assert_eq!(result["bytes"], 16);
    assert_eq!(send("PUT", &format!("{base}/images/empty"), "").0, 400);
}

#[test]
fn event_bus_consumer_worker_handles_the_producers_events() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    // Run from the workspace root: cargo's default member (the producer) with its consumer.
    let (_dev, base) = serve("event-bus", dir.path());
    let accepted = request(
        "POST",
        &format!("{base}/events"),
        &[],
        r#"{"kind":"signup","email":"ada@example.com"}"#,
    );
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let id = accepted.json()["id"].as_str().unwrap().to_string();
    let record = eventually(&format!("{base}/events/{id}")).json();
    assert_eq!(record["kind"], "signup");
    assert_eq!(record["email"], "ada@example.com");
    assert_eq!(
        send(
            "POST",
            &format!("{base}/events"),
            r#"{"kind":"x","email":"nope"}"#
        )
        .0,
        400
    );
}

#[test]
fn services_gateway_reaches_auth_over_the_binding() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (_dev, base) = serve("services", dir.path());
    let me = format!("{base}/me");
    let ok = request("GET", &me, &[("Authorization", "Bearer demo-token")], "");
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json(), serde_json::json!({ "hello": "ada" }));
    let bad = request("GET", &me, &[("Authorization", "Bearer wrong")], "");
    assert_eq!(bad.status, 401);
    assert_eq!(send("GET", &format!("{base}/me"), "").0, 401);
}

#[test]
fn full_stack_uses_d1_kv_r2_and_the_queue() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (_dev, base) = serve("full-stack", dir.path());
    let created = request(
        "POST",
        &format!("{base}/notes"),
        &[],
        r#"{"title":"first","body":"hello"}"#,
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["id"], 1);
    let from = || {
        let reply = request("GET", &format!("{base}/notes"), &[], "");
        reply.header("x-served-from").to_string()
    };
    assert_eq!(from(), "d1");
    assert_eq!(from(), "kv");
    assert_eq!(
        eventually(&format!("{base}/notes/1/export")).body,
        "# first\n\nhello\n"
    );
    assert_eq!(send("PUT", &format!("{base}/files/a.txt"), "abc").0, 201);
    assert_eq!(
        send("GET", &format!("{base}/files/a.txt"), ""),
        (200, "abc".to_string())
    );
}

#[test]
fn multi_env_runs_each_environment_with_its_own_vars() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let project = generate("multi-env", dir.path());
    let (_dev, base) = start_with(
        "multi-env",
        &project,
        Duration::from_secs(300),
        &["--env", "staging"],
    );
    let root = format!("{base}/");
    let first = request("GET", &root, &[], "").json();
    assert_eq!(first["environment"], "staging");
    assert_eq!(first["api_url"], "https://api.staging.example.com");
    assert_eq!(first["visits"], 1);
    assert_eq!(request("GET", &root, &[], "").json()["visits"], 2);
}

/// Run `cargo edge ARGS` in a generated project; the release profile is kept but without LTO
/// (the same settings, linked in seconds instead of half a minute per crate).
fn edge_in(project: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(cargo_edge_bin())
        .arg("edge")
        .args(args)
        .arg("--target-dir")
        .arg(fixture_target_dir())
        .current_dir(project)
        .env("WORKERD", workerd_bin())
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true")
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env_remove("CLOUDFLARE_API_KEY")
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .output()
        .unwrap();
    (output.status.success(), output_text(&output))
}

/// Every template `--list` shows, untouched: `cargo edge build` without a warning (the
/// compiler's or ours), `cargo edge config --format capnp`, and `cargo edge deploy --dry-run`,
/// for each of its workers.
#[test]
fn every_template_builds_renders_and_plans_a_deploy_without_edits() {
    let _serial = serial();
    let listed = cargo_edge(&["new", "--list"]);
    let names: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(names.len() >= 8, "{names:?}");
    let dir = tempfile::tempdir().unwrap();
    for template in &names {
        let project = dir.path().join(format!("t-{template}"));
        let output = cargo_edge(&[
            "new",
            &format!("t-{template}"),
            "--template",
            template,
            "--path",
            project.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{template}");
        std::fs::copy(
            root().join("fixtures/Cargo.lock"),
            project.join("Cargo.lock"),
        )
        .unwrap();
        // A workspace template: each member; a single crate: itself.
        let packages: Vec<String> = std::fs::read_dir(&project)
            .unwrap()
            .filter_map(|e| {
                let path = e.unwrap().path().join("Cargo.toml");
                let text = std::fs::read_to_string(&path).ok()?;
                let name = text.lines().nth(1)?.strip_prefix("name = \"")?;
                Some(name.trim_end_matches('"').to_string())
            })
            .collect();
        let packages = if packages.is_empty() {
            vec![format!("t-{template}")]
        } else {
            packages
        };
        for package in &packages {
            let (ok, text) = edge_in(&project, &["build", "-p", package]);
            assert!(ok, "{template}/{package}: build failed\n{text}");
            assert!(
                !text.contains("warning"),
                "{template}/{package}: build warned\n{text}"
            );
            let (ok, text) = edge_in(&project, &["config", "--format", "capnp", "-p", package]);
            assert!(ok, "{template}/{package}: config failed\n{text}");
            assert!(
                text.contains("using Workerd = import \"/workerd/workerd.capnp\"")
                    && text.contains(package.as_str()),
                "{template}/{package}: not a config\n{text}"
            );
            let plan = dir.path().join(format!("plan-{package}"));
            let (ok, text) = edge_in(
                &project,
                &["deploy", "-p", package, "--dry-run", plan.to_str().unwrap()],
            );
            assert!(ok, "{template}/{package}: dry run failed\n{text}");
            assert!(
                std::fs::read_dir(&plan).unwrap().count() >= 2,
                "{template}/{package}: no requests written\n{text}"
            );
        }
        if packages.len() > 1 {
            workspace_root_selects_like_cargo(template, &project, &packages);
        }
    }
}

/// At a workspace template's root, without `-p`: `build` and `config` take cargo's default
/// member, `--workspace` every member, each reported on its own (the members are built already,
/// so this only re-bundles).
fn workspace_root_selects_like_cargo(template: &str, project: &Path, packages: &[String]) {
    let bundled = |text: &str| text.matches("bundle for worker `").count();
    let (ok, text) = edge_in(project, &["build"]);
    assert!(ok, "{template}: build at the root failed\n{text}");
    assert_eq!(
        bundled(&text),
        1,
        "{template}: not the default member\n{text}"
    );
    let (ok, text) = edge_in(project, &["build", "--workspace"]);
    assert!(ok, "{template}: build --workspace failed\n{text}");
    assert_eq!(bundled(&text), packages.len(), "{template}\n{text}");
    for package in packages {
        assert!(
            text.contains(&format!("bundle for worker `{package}`")),
            "{template}: `{package}` not built\n{text}"
        );
    }
    let (ok, text) = edge_in(project, &["config", "--format", "capnp"]);
    assert!(
        ok && text.contains("using Workerd = import"),
        "{template}: config at the root\n{text}"
    );
    let (ok, text) = edge_in(project, &["config", "--format", "model", "--workspace"]);
    assert!(ok, "{template}: config --workspace failed\n{text}");
    let models: serde_json::Value = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .next()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("{template}: not JSON\n{text}"));
    let mut names: Vec<&String> = models.as_object().unwrap().keys().collect();
    names.sort();
    let mut expected: Vec<&String> = packages.iter().collect();
    expected.sort();
    assert_eq!(names, expected, "{template}");
}

#[test]
fn init_turns_a_cargo_new_crate_into_a_running_worker() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("existing");
    let created = Command::new("cargo")
        .args(["new", "--lib", "--vcs", "none", "--name", "existing"])
        .arg(&project)
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let manifest = project.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.insert_str(0, "# Written by hand: keep me.\n");
    std::fs::write(&manifest, &text).unwrap();
    let output = Command::new(cargo_edge_bin())
        .args(["edge", "init"])
        .current_dir(&project)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("has no #[event(fetch)] handler"), "{said}");
    assert!(std::fs::read_to_string(&manifest)
        .unwrap()
        .starts_with("# Written by hand: keep me.\n[package]\nname = \"existing\""));
    // The user writes their handler; then the crate builds and runs like a template.
    std::fs::write(
        project.join("src/lib.rs"),
        "use worker::*;\n\n#[event(fetch)]\nasync fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {\n    Response::ok(\"initialised\")\n}\n",
    )
    .unwrap();
    std::fs::copy(
        root().join("fixtures/Cargo.lock"),
        project.join("Cargo.lock"),
    )
    .unwrap();
    let (_dev, base) = start("init", &project, Duration::from_secs(300));
    assert_eq!(
        send("GET", &format!("{base}/"), ""),
        (200, "initialised".to_string())
    );
}
