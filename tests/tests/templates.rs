//! `cargo edge new`: every template generates a project that builds, runs under
//! `cargo edge dev`, and answers one request that proves its pattern.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use edge_tests::{cargo_edge, cargo_edge_bin, fixture_target_dir, free_port, root, workerd_bin};

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
fn serve(template: &str, dir: &std::path::Path) -> (Dev, String) {
    serve_with(template, dir, &[])
}

/// [`serve`] with more arguments for `cargo edge dev` (`--env`, ...).
fn serve_with(template: &str, dir: &std::path::Path, dev_args: &[&str]) -> (Dev, String) {
    let project = dir.join(format!("my-{template}"));
    let output = cargo_edge(&[
        "new",
        &format!("my-{template}"),
        "--template",
        template,
        "--path",
        project.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    start_dev(&project, &dir.join(format!("{template}.log")), dev_args)
}

/// `cargo edge dev` on the project at `project`, logging to `log`, once it serves.
fn start_dev(
    project: &std::path::Path,
    log_path: &std::path::Path,
    dev_args: &[&str],
) -> (Dev, String) {
    // The fixtures' lock file pins the same versions, so the shared target folder is reused.
    std::fs::copy(
        root().join("fixtures/Cargo.lock"),
        project.join("Cargo.lock"),
    )
    .unwrap();
    let port = free_port();
    let log = std::fs::File::create(log_path).unwrap();
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
    let dev = Dev(child);
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(300);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        || edge_tests::get(&format!("{base}/__edge/none")).is_err()
    {
        let log = std::fs::read_to_string(log_path).unwrap_or_default();
        assert!(
            Instant::now() < deadline,
            "dev never served {}:\n{log}",
            project.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    (dev, base)
}

fn send(method: &str, url: &str, body: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = match method {
        "PUT" => agent.put(url).send(body).unwrap(),
        "DELETE" => agent.delete(url).call().unwrap(),
        "POST" => agent.post(url).send(body).unwrap(),
        _ => agent.get(url).call().unwrap(),
    };
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap(),
    )
}

#[test]
fn every_template_is_listed_with_a_description() {
    let output = cargo_edge(&["new", "--list"]);
    let text = String::from_utf8_lossy(&output.stdout);
    for name in ["hello", "kv-cache", "d1"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(name) && l.len() > name.len() + 10),
            "{name} missing from:\n{text}"
        );
    }
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
    // The template's own workerd tests pass under `cargo edge test`.
    let (ok, text) = edge_in(&dir.path().join("my-hello"), &["test"]);
    assert!(ok, "{text}");
    assert!(text.contains("2 passed; 0 failed"), "{text}");
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
    assert_eq!(
        send("GET", &format!("{base}/greeting"), ""),
        (200, "hi".to_string())
    );
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

/// GET `url` until it answers 200 (a queue consumer's work shows up a batch later).
fn eventually(url: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = send("GET", url, "");
        if status == 200 {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{url} still answers {status}: {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
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
    let result = json(&eventually(&format!("{base}/results/cat.png")));
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
    let (status, body) = send(
        "POST",
        &format!("{base}/events"),
        r#"{"kind":"signup","email":"ada@example.com"}"#,
    );
    assert_eq!(status, 202, "{body}");
    let id = json(&body)["id"].as_str().unwrap().to_string();
    let record = json(&eventually(&format!("{base}/events/{id}")));
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
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut ok = agent
        .get(format!("{base}/me"))
        .header("Authorization", "Bearer demo-token")
        .call()
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(
        json(&ok.body_mut().read_to_string().unwrap()),
        serde_json::json!({ "hello": "ada" })
    );
    let bad = agent
        .get(format!("{base}/me"))
        .header("Authorization", "Bearer wrong")
        .call()
        .unwrap();
    assert_eq!(bad.status().as_u16(), 401);
    assert_eq!(send("GET", &format!("{base}/me"), "").0, 401);
}

#[test]
fn full_stack_uses_d1_kv_r2_and_the_queue() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (_dev, base) = serve("full-stack", dir.path());
    let (status, body) = send(
        "POST",
        &format!("{base}/notes"),
        r#"{"title":"first","body":"hello"}"#,
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(json(&body)["id"], 1);
    let agent = ureq::agent();
    let from = |agent: &ureq::Agent| {
        let response = agent.get(format!("{base}/notes")).call().unwrap();
        response.headers()["x-served-from"]
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(from(&agent), "d1");
    assert_eq!(from(&agent), "kv");
    assert_eq!(
        eventually(&format!("{base}/notes/1/export")),
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
    let (dev, base) = serve_with("multi-env", dir.path(), &["--env", "staging"]);
    let first = json(&send("GET", &format!("{base}/"), "").1);
    assert_eq!(first["environment"], "staging");
    assert_eq!(first["api_url"], "https://api.staging.example.com");
    assert_eq!(first["visits"], 1);
    assert_eq!(json(&send("GET", &format!("{base}/"), "").1)["visits"], 2);
    drop(dev);
}

/// Run `cargo edge ARGS` in a generated project; the release profile is kept but without LTO
/// (the same settings, linked in seconds instead of half a minute per crate).
fn edge_in(project: &std::path::Path, args: &[&str]) -> (bool, String) {
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
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
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
    }
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
    let (_dev, base) = start_dev(&project, &dir.path().join("init.log"), &[]);
    assert_eq!(
        send("GET", &format!("{base}/"), ""),
        (200, "initialised".to_string())
    );
}
