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
    // The fixtures' lock file pins the same versions, so the shared target folder is reused.
    std::fs::copy(
        root().join("fixtures/Cargo.lock"),
        project.join("Cargo.lock"),
    )
    .unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.join(format!("{template}.log"))).unwrap();
    let child = Command::new(cargo_edge_bin())
        .args([
            "edge",
            "dev",
            "--no-watch",
            "--no-persist",
            "--port",
            &port.to_string(),
        ])
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
        let log = std::fs::read_to_string(dir.join(format!("{template}.log"))).unwrap_or_default();
        assert!(
            Instant::now() < deadline,
            "dev never served {template}:\n{log}"
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
    let (_dev, base) = serve("hello", dir.path());
    assert_eq!(
        send("GET", &format!("{base}/"), ""),
        (200, "Hello from my-hello!".to_string())
    );
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
