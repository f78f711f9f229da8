//! `cargo edge config`: every rendering of the fixtures, and the capnp proven by running it.

use std::io::{Read, Write};
use std::net::TcpListener;

use edge_tests::{
    cargo_edge, fixture_manifest, fixture_target_dir, free_port, scratch_crate, Workerd,
};

/// Render `format` for a fixture into `dir/<file>`.
fn render(
    fixture: &str,
    format: &str,
    env: Option<&str>,
    dir: &std::path::Path,
    file: &str,
) -> String {
    let manifest = fixture_manifest(fixture);
    let target = fixture_target_dir();
    let out = dir.join(file);
    let mut args = vec![
        "config",
        "--format",
        format,
        "--profile",
        "fast",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend([
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
    ]);
    if let Some(env) = env {
        args.extend(["--env", env]);
    }
    let output = cargo_edge(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read_to_string(&out).unwrap()
}

/// Serve a rendered capnp with workerd on a free port, with extra arguments.
fn serve(fixture: &str, env: Option<&str>, extra: &[String]) -> Workerd {
    let dir = tempfile::tempdir().unwrap();
    render(fixture, "capnp", env, dir.path(), "config.capnp");
    let port = free_port();
    let mut args = vec![
        "--socket-addr".to_string(),
        format!("http=127.0.0.1:{port}"),
    ];
    args.extend_from_slice(extra);
    let config = dir.path().join("config.capnp");
    Workerd::start_with(dir, &config, port, &args).unwrap()
}

#[test]
fn the_full_stack_capnp_starts_in_workerd_in_each_environment() {
    for env in [None, Some("prod")] {
        let workerd = serve("full-stack", env, &[]);
        let (status, body) = edge_tests::get(&workerd.url("/")).unwrap();
        let expected = if env.is_some() {
            "full-stack worker (prod)"
        } else {
            "full-stack worker (dev)"
        };
        assert_eq!(
            (status, body.as_str()),
            (200, expected),
            "{}",
            workerd.logs()
        );
    }
}

#[test]
fn a_workspace_capnp_runs_both_workers_and_the_service_binding_between_them() {
    let workerd = serve("gateway", None, &[]);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut answer = agent
        .get(&workerd.url("/whoami"))
        .header("Authorization", "Bearer letmein")
        .call()
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", workerd.logs());
    assert_eq!(
        answer.body_mut().read_to_string().unwrap(),
        "gateway → auth: admin"
    );
    let refused = agent.get(&workerd.url("/whoami")).call().unwrap();
    assert_eq!(refused.status(), 401);
}

#[test]
fn the_proxy_capnp_forwards_to_its_external_backend() {
    let backend = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = backend.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in backend.incoming().flatten() {
            let mut stream = stream;
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\nconnection: close\r\n\r\nfrom backend",
            );
        }
    });
    // The worker gets the backend's URL as text (as on Cloudflare): point it at this backend.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.capnp");
    let text = render("proxy", "capnp", None, dir.path(), "config.capnp");
    assert!(
        text.contains("(name = \"BACKEND\", text = \"http://127.0.0.1:18080\")"),
        "{text}"
    );
    std::fs::write(
        &config,
        text.replace("127.0.0.1:18080", &address.to_string()),
    )
    .unwrap();
    let port = free_port();
    let socket = format!("http=127.0.0.1:{port}");
    let workerd =
        Workerd::start_with(dir, &config, port, &["--socket-addr".into(), socket]).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent.get(&workerd.url("/anything")).call().unwrap();
    assert_eq!(response.status(), 200, "{}", workerd.logs());
    assert_eq!(
        response.headers().get("x-proxied-by").unwrap(),
        "cargo-edge-proxy"
    );
    assert_eq!(
        response.body_mut().read_to_string().unwrap(),
        "from backend"
    );
}

#[test]
fn wrangler_and_upload_renderings_carry_every_environment_and_binding() {
    let dir = tempfile::tempdir().unwrap();
    let toml = render("multi-env", "wrangler", None, dir.path(), "wrangler.toml");
    let parsed: toml::Value = toml::from_str(&toml).unwrap();
    assert_eq!(parsed["name"].as_str(), Some("shop"));
    assert_eq!(parsed["env"]["prod"]["name"].as_str(), Some("shop-prod"));
    assert_eq!(
        parsed["env"]["prod"]["vars"]["GREETING"].as_str(),
        Some("welcome")
    );
    assert_eq!(
        parsed["env"]["prod"]["kv_namespaces"][0]["id"].as_str(),
        Some("5f1c0e2a9b8d4c7e8f6a1b2c3d4e5f60")
    );
    assert_eq!(
        parsed["env"]["staging"]["vars"]["ENVIRONMENT"].as_str(),
        Some("staging")
    );
    let upload = render(
        "full-stack",
        "upload-json",
        Some("prod"),
        dir.path(),
        "upload.json",
    );
    let upload: serde_json::Value = serde_json::from_str(&upload).unwrap();
    let env = upload["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "ENVIRONMENT")
        .unwrap();
    assert_eq!(env["text"], "prod");
    assert_eq!(upload["migrations"]["new_tag"], "v1");
    assert!(
        !upload.to_string().contains("API_KEY"),
        "secrets are never rendered"
    );
}

#[test]
fn the_committed_typed_bindings_module_is_current() {
    let manifest = fixture_manifest("full-stack");
    let output = cargo_edge(&[
        "types",
        "--check",
        "--manifest-path",
        manifest.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stale = cargo_edge(&[
        "types",
        "--check",
        "-o",
        "src/lib.rs",
        "--manifest-path",
        manifest.to_str().unwrap(),
    ]);
    assert!(!stale.status.success());
    assert!(String::from_utf8_lossy(&stale.stderr).contains("is not current with Cargo.toml"));
}

/// wrangler's own schema (installed by `cargo xtask setup`) accepts every fixture's rendering.
#[test]
fn wrangler_renderings_validate_against_wranglers_schema() {
    let schema = std::env::var_os("EDGE_WRANGLER_SCHEMA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            edge_tests::root().join(".tools/wrangler-schema/config-schema-4.86.0.json")
        });
    assert!(
        schema.is_file(),
        "{} is missing: run the tests with `cargo xtask test`",
        schema.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut configs = Vec::new();
    for fixture in [
        "full-stack",
        "multi-env",
        "gateway",
        "auth",
        "proxy",
        "hello",
        "bindings",
    ] {
        let text = render(
            fixture,
            "wrangler-json",
            None,
            dir.path(),
            &format!("{fixture}.jsonc"),
        );
        let json: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let path = dir.path().join(format!("{fixture}.json"));
        std::fs::write(&path, json).unwrap();
        configs.push(path);
    }
    let tools = schema.parent().unwrap().to_path_buf();
    let output = std::process::Command::new("node")
        .arg(edge_tests::root().join("tests/wrangler-schema/validate.mjs"))
        .arg(&schema)
        .args(&configs)
        .env("EDGE_AJV_DIR", &tools)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The 64-hex-digit value of the `EDGE_CONTENT_HASH` var in a rendered wrangler.toml.
fn content_hash_in(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.starts_with("EDGE_CONTENT_HASH = "))
        .unwrap_or_else(|| panic!("no content-hash var in:\n{text}"));
    let hash = line
        .trim_start_matches("EDGE_CONTENT_HASH = ")
        .trim_matches('"');
    assert_eq!(hash.len(), 64, "{line}");
    hash.to_string()
}

/// Every fixture's wrangler.toml (which carries every environment), as a reviewed snapshot.
#[test]
fn wrangler_toml_of_every_fixture_matches_its_snapshot() {
    // Printed, not written: paths are then relative to the crate, the same on every checkout.
    for fixture in [
        "full-stack",
        "multi-env",
        "gateway",
        "auth",
        "proxy",
        "hello",
        "bindings",
    ] {
        let manifest = fixture_manifest(fixture);
        let target = fixture_target_dir();
        let output = cargo_edge(&[
            "config",
            "--format",
            "wrangler",
            "--profile",
            "fast",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--target-dir",
            target.to_str().unwrap(),
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // The content hash depends on the compiler: the snapshot shows where it goes.
        let text = String::from_utf8_lossy(&output.stdout);
        let hash = content_hash_in(&text);
        insta::assert_snapshot!(
            format!("wrangler-{fixture}"),
            text.replace(&hash, "<content hash>")
        );
    }
}

#[test]
fn a_binding_to_a_worker_outside_the_workspace_is_named_before_anything_builds() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = scratch_crate(
        dir.path(),
        "[package]\nname = \"gate\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[package.metadata.edge]\ncompatibility_date = \"2025-06-01\"\nservices.AUTH = { worker = \"auth-elsewhere\" }\n",
    );
    let manifest = manifest.to_str().unwrap();
    // (`cargo edge dev` starts with a 503 stand-in instead: dev.rs tests it.)
    let args = ["config", "--format", "capnp", "--manifest-path", manifest];
    let output = cargo_edge(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{args:?}: {stderr}");
    assert!(
        stderr.contains("service binding `AUTH` names worker `auth-elsewhere`"),
        "{args:?}: {stderr}"
    );
    assert!(stderr.contains("members"), "{args:?}: the fix: {stderr}");
    assert!(!stderr.contains("Compiling"), "{args:?}: {stderr}");
}

/// #16: in an environment, a service binding to a sibling worker names the sibling's script in
/// that environment (wrangler's `name-<env>`), for one worker as for the workspace.
#[test]
fn in_an_environment_a_service_binding_names_the_siblings_script() {
    let dir = tempfile::tempdir().unwrap();
    let model = render(
        "gateway",
        "model",
        Some("staging"),
        dir.path(),
        "model.json",
    );
    let model: serde_json::Value = serde_json::from_str(&model).unwrap();
    assert_eq!(model["name"], "api-gateway-staging");
    assert_eq!(
        model["services"]["AUTH"]["worker"], "auth-service-staging",
        "{model:#}"
    );
    // wrangler's file carries every environment: `[env.staging]` names the sibling's script
    // there, the top level its own (the schema test validates the same rendering).
    let jsonc = render("gateway", "wrangler-json", None, dir.path(), "w.jsonc");
    let json: String = jsonc
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let wrangler: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(wrangler["services"][0]["service"], "auth-service");
    assert_eq!(
        wrangler["env"]["staging"]["services"][0]["service"], "auth-service-staging",
        "{wrangler:#}"
    );
}
