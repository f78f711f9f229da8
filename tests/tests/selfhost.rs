//! Self-hosting: `cargo edge compile`, `export systemd` under socket activation, `package`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use edge_tests::{cargo_edge, fixture_manifest, fixture_target_dir, free_port, get};

fn args_for(fixture: &str) -> Vec<String> {
    let manifest = fixture_manifest(fixture);
    let target = fixture_target_dir();
    vec![
        "--manifest-path".into(),
        manifest.display().to_string(),
        "--target-dir".into(),
        target.display().to_string(),
        "--profile".into(),
        "fast".into(),
    ]
}

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(url: &str) -> (u16, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(answer) = get(url) {
            return answer;
        }
        assert!(Instant::now() < deadline, "{url} never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_compiled_executable_serves_the_worker_and_its_durable_objects() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("state/do/hello")).unwrap();
    let out = dir.path().join("hello.bin");
    let mut args = vec![
        "compile".to_string(),
        "-o".into(),
        out.display().to_string(),
        "--state-dir".into(),
        dir.path().join("state").display().to_string(),
    ];
    args.extend(args_for("hello"));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = cargo_edge(&refs);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let port = free_port();
    let _server = Running(
        Command::new(&out)
            .arg("--socket-addr")
            .arg(format!("http=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert_eq!(
        wait_for(&format!("http://127.0.0.1:{port}/greet/self-hosted")),
        (200, "Hello, self-hosted!".to_string())
    );
    assert_eq!(
        get(&format!("http://127.0.0.1:{port}/counter")).unwrap(),
        (200, "1".to_string())
    );
    assert_eq!(
        get(&format!("http://127.0.0.1:{port}/counter")).unwrap(),
        (200, "2".to_string())
    );
}

#[test]
fn cloudflare_only_bindings_are_refused_with_what_to_use_instead() {
    let mut args = vec!["compile".to_string()];
    args.extend(args_for("full-stack"));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = cargo_edge(&refs);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for binding in [
        "`CACHE` (KV)",
        "`DB` (D1)",
        "`ASSETS` (R2)",
        "`JOBS` (queue producer)",
    ] {
        assert!(
            stderr.contains(binding),
            "{binding} missing from:\n{stderr}"
        );
    }
    assert!(stderr.contains("disk"), "{stderr}");
}

#[test]
fn the_exported_systemd_units_run_under_socket_activation() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "export".to_string(),
        "systemd".into(),
        "--dir".into(),
        dir.path().display().to_string(),
    ];
    args.extend(args_for("gateway"));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = cargo_edge(&refs);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let socket = std::fs::read_to_string(dir.path().join("api-gateway.socket")).unwrap();
    let service = std::fs::read_to_string(dir.path().join("api-gateway.service")).unwrap();
    assert!(socket.contains("ListenStream=8080"));
    // Run the service's ExecStart the way systemd would: the socket is descriptor 3.
    let exec = service
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap();
    let mut words = exec.split_whitespace();
    assert_eq!(words.next(), Some("/usr/local/bin/api-gateway"));
    let port = free_port();
    let _server = Running(
        Command::new("systemd-socket-activate")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg(dir.path().join("api-gateway"))
            .args(words)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("systemd-socket-activate (Debian's systemd package) runs"),
    );
    let url = format!("http://127.0.0.1:{port}/whoami");
    let deadline = Instant::now() + Duration::from_secs(30);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let answer = loop {
        if let Ok(mut response) = agent
            .get(&url)
            .header("Authorization", "Bearer letmein")
            .call()
        {
            break (
                response.status().as_u16(),
                response.body_mut().read_to_string().unwrap(),
            );
        }
        assert!(
            Instant::now() < deadline,
            "the activated worker never answered"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        answer,
        (200, "gateway → auth: admin".to_string()),
        "both workers are in the one executable"
    );
}

#[test]
fn a_package_is_byte_identical_across_two_builds() {
    let dir = tempfile::tempdir().unwrap();
    let package = |name: &str| {
        let out = dir.path().join(name);
        let mut args = vec![
            "package".to_string(),
            "-o".into(),
            out.display().to_string(),
        ];
        args.extend(args_for("hello"));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = cargo_edge(&refs);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::read(out).unwrap()
    };
    let first = package("one.zip");
    std::thread::sleep(Duration::from_millis(1100));
    let second = package("two.zip");
    assert!(first == second, "the two zips differ");
    assert!(first.len() > 10_000);
}

#[test]
fn cargo_edge_test_runs_workerd_tests_and_reports_failures() {
    let mut args = vec!["test".to_string()];
    args.extend(args_for("hello"));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let passing = cargo_edge(&refs);
    let stdout = String::from_utf8_lossy(&passing.stdout);
    assert!(
        passing.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&passing.stderr)
    );
    assert!(
        stdout.contains("test routes.test.js::greets_by_name ... ok"),
        "{stdout}"
    );
    assert!(stdout.contains("2 passed; 0 failed"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.test.js"),
        "export const expects_a_typo = { async test(ctrl, env) {\n  const r = await env.WORKER.fetch('http://x/greet/a');\n  if (await r.text() !== 'Hello, b!') throw new Error('wrong greeting');\n} };\n",
    )
    .unwrap();
    args.extend(["--tests-dir".to_string(), dir.path().display().to_string()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let failing = cargo_edge(&refs);
    let stdout = String::from_utf8_lossy(&failing.stdout);
    assert!(!failing.status.success());
    assert!(
        stdout.contains("test broken.test.js::expects_a_typo ... FAILED"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&failing.stderr).contains("wrong greeting"));
}

/// Docker cannot build here: run the Dockerfile's CMD (the exported executable and its
/// arguments) directly instead, on a free port.
#[test]
fn the_exported_dockerfile_command_runs_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "export".to_string(),
        "docker".into(),
        "--dir".into(),
        dir.path().display().to_string(),
        "--port".into(),
        "8080".into(),
    ];
    args.extend(args_for("gateway"));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = cargo_edge(&refs);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dockerfile = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("FROM debian:bookworm-slim")
            && dockerfile.contains("USER api-gateway")
            && dockerfile.contains("EXPOSE 8080")
    );
    let cmd = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("CMD "))
        .unwrap();
    let argv: Vec<String> = serde_json::from_str(cmd).unwrap();
    assert_eq!(argv[0], "/usr/local/bin/api-gateway");
    let port = free_port();
    let argv: Vec<String> = argv[1..]
        .iter()
        .map(|a| a.replace("*:8080", &format!("127.0.0.1:{port}")))
        .collect();
    let _server = Running(
        Command::new(dir.path().join("api-gateway"))
            .args(&argv)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (status, _) = wait_for(&format!("http://127.0.0.1:{port}/"));
    assert_eq!(status, 200);
}
