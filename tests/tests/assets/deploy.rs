//! `cargo edge deploy` of the `assets` template against the Cloudflare stand-in: the upload
//! session, bucketed uploads, retries, expired tokens, no-op deploys, `--dry-run`, `package`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use edge_tests::cloudflare::{FakeCloudflare, Fault, FaultKind, LoggedRequest, Options};
use edge_tests::{cargo_edge_bin, fixture_target_dir, output_text};

fn edge(fake: &FakeCloudflare, project: &Path, args: &[&str]) -> (bool, String) {
    let target = fixture_target_dir();
    let mut all = args.to_vec();
    all.extend(["--color", "never", "--target-dir", target.to_str().unwrap()]);
    plain(fake, project, &all)
}

/// `cargo edge <args> --manifest-path <project>` (for commands without cargo's flags).
fn plain(fake: &FakeCloudflare, project: &Path, args: &[&str]) -> (bool, String) {
    let output: Output = std::process::Command::new(cargo_edge_bin())
        .arg("edge")
        .args(args)
        .arg("--manifest-path")
        .arg(project.join("Cargo.toml"))
        .current_dir(project)
        .env("CLOUDFLARE_API_BASE_URL", fake.base_url())
        .env("CLOUDFLARE_API_TOKEN", fake.token())
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .output()
        .expect("cargo-edge runs");
    (output.status.success(), output_text(&output))
}

fn deploy(fake: &FakeCloudflare, project: &Path) -> (bool, String) {
    edge(fake, project, &["deploy", "--profile", "fast"])
}

/// The hashes each asset upload request carried (its part names), in order.
fn uploads(requests: &[LoggedRequest]) -> Vec<Vec<String>> {
    requests
        .iter()
        .filter(|r| r.path.ends_with("/workers/assets/upload"))
        .map(|r| parts(r).into_iter().map(|(name, _, _)| name).collect())
        .collect()
}

/// `(name, content type, text)` of each part of a multipart body.
pub fn parts(request: &LoggedRequest) -> Vec<(String, String, String)> {
    let content_type = request.content_type.clone().unwrap_or_default();
    let Some(boundary) = content_type.split("boundary=").nth(1) else {
        return Vec::new();
    };
    let body = String::from_utf8_lossy(&request.body).into_owned();
    let mut out = Vec::new();
    for chunk in body.split(&format!("--{boundary}")).skip(1) {
        let Some((head, text)) = chunk.split_once("\r\n\r\n") else {
            continue;
        };
        let name = head
            .split("name=\"")
            .nth(1)
            .and_then(|n| n.split('"').next())
            .unwrap_or_default();
        let kind = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-type: ")
                    .map(str::to_string)
            })
            .unwrap_or_default();
        out.push((
            name.to_string(),
            kind,
            text.trim_end_matches("\r\n").to_string(),
        ));
    }
    out
}

/// Requests and request-body bytes since the log was last reset: all, then the assets ones.
fn traffic(fake: &FakeCloudflare) -> (usize, usize, usize, usize) {
    let requests = fake.requests();
    let assets: Vec<&LoggedRequest> = requests
        .iter()
        .filter(|r| r.path.contains("assets"))
        .collect();
    (
        requests.len(),
        requests.iter().map(|r| r.body_bytes).sum(),
        assets.len(),
        assets.iter().map(|r| r.body_bytes).sum(),
    )
}

/// The fake's log as JSON lines for `shared/cfapi/validate.py`.
fn write_validator_log(requests: &[LoggedRequest], out: &Path) {
    let mut lines = String::new();
    for r in requests {
        let multipart = r
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("multipart/"));
        let body: serde_json::Value = if multipart || r.body.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null)
        };
        let mut line = serde_json::json!({
            "method": r.method, "path": r.path, "query": r.query.clone().unwrap_or_default(),
            "content_type": r.content_type, "body": body,
        });
        if multipart {
            let parts: serde_json::Map<String, serde_json::Value> = parts(r)
                .into_iter()
                .map(|(name, kind, text)| {
                    (
                        name,
                        serde_json::json!({"content_type": kind, "text": text}),
                    )
                })
                .collect();
            line["parts"] = serde_json::Value::Object(parts);
        }
        lines.push_str(&format!("{line}\n"));
    }
    std::fs::write(out, lines).unwrap();
}

#[test]
fn deploy_uploads_each_asset_once_and_converges_after_failures() {
    let dir = tempfile::tempdir().unwrap();
    let project = super::generate(dir.path(), "shop");
    let fake = FakeCloudflare::start(Options::default());
    let mut log = Vec::new();

    // First deploy: every file once, in buckets; the script carries the completion token.
    let (ok, out) = deploy(&fake, &project);
    assert!(ok, "{out}");
    let served = fake.asset_files("shop");
    let expected: BTreeSet<&str> = [
        "/404.html",
        "/about.html",
        "/api/docs/readme.txt",
        "/app.js",
        "/data.json",
        "/docs/404.html",
        "/docs/guide.html",
        "/docs/index.html",
        "/index.html",
        "/logo.svg",
        "/style.css",
    ]
    .into();
    assert_eq!(
        served.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        expected
    );
    let sent: Vec<String> = uploads(&fake.requests()).into_iter().flatten().collect();
    assert_eq!(
        sent.len(),
        expected.len(),
        "every file exactly once: {sent:?}"
    );
    assert_eq!(sent.iter().collect::<BTreeSet<_>>().len(), expected.len());
    let (content_type, bytes) = fake.asset("shop", "/about.html").unwrap();
    assert_eq!(
        (content_type.as_str(), bytes.as_slice()),
        ("text/html; charset=utf-8", &b"<p>about</p>"[..])
    );
    let config = fake.asset_config("shop").unwrap();
    assert_eq!(config["run_worker_first"], serde_json::json!(["/api/*"]));
    assert_eq!(config["not_found_handling"], "single-page-application");
    let script = fake.script("shop").unwrap();
    let bindings = script
        .bindings
        .iter()
        .find(|b| b["type"] == "assets")
        .cloned();
    assert_eq!(bindings.unwrap()["name"], "ASSETS");
    let first = traffic(&fake);
    log.extend(fake.requests());

    // No change: a no-op, nothing uploaded.
    fake.reset_log();
    let (ok, out) = deploy(&fake, &project);
    assert!(ok && out.contains("Up to date"), "{out}");
    assert!(uploads(&fake.requests()).is_empty());
    let noop = traffic(&fake);
    log.extend(fake.requests());

    // One file changed: that file only.
    fake.reset_log();
    std::fs::write(project.join("public/style.css"), "body { color: teal; }").unwrap();
    let (ok, out) = deploy(&fake, &project);
    assert!(ok && !out.contains("Up to date"), "{out}");
    let changed = fake.asset_files("shop")["/style.css"].clone();
    assert_ne!(changed, served["/style.css"]);
    assert_eq!(uploads(&fake.requests()), vec![vec![changed]]);
    assert_eq!(
        fake.asset("shop", "/style.css").unwrap().1,
        b"body { color: teal; }"
    );
    let one = traffic(&fake);
    log.extend(fake.requests());

    // A bucket answered with a 5xx is retried.
    fake.reset_log();
    std::fs::write(project.join("public/data.json"), "{\"ok\":2}").unwrap();
    fake.inject(Fault::new(
        "POST",
        "/accounts/*/workers/assets/upload",
        FaultKind::Status(502),
    ));
    let (ok, out) = deploy(&fake, &project);
    assert!(ok, "{out}");
    assert_eq!(
        uploads(&fake.requests()).len(),
        2,
        "one failed attempt, one retry"
    );
    assert_eq!(fake.asset("shop", "/data.json").unwrap().1, b"{\"ok\":2}");
    log.extend(fake.requests());

    // An expired session token fails clearly; the rerun converges.
    std::fs::write(project.join("public/about.html"), "<p>about v2</p>").unwrap();
    fake.set_asset_session_ttl(Duration::ZERO);
    let (ok, out) = deploy(&fake, &project);
    assert!(
        !ok && out.contains("asset upload session was refused") && out.contains("expired"),
        "{out}"
    );
    assert!(out.contains("rerun `cargo edge deploy`"), "{out}");
    assert_eq!(
        fake.asset("shop", "/about.html").unwrap().1,
        b"<p>about</p>",
        "nothing half-deployed"
    );
    fake.set_asset_session_ttl(Duration::from_secs(3600));
    let (ok, out) = deploy(&fake, &project);
    assert!(ok, "{out}");
    assert_eq!(
        fake.asset("shop", "/about.html").unwrap().1,
        b"<p>about v2</p>"
    );

    // A forged token is refused.
    let forged = ureq::post(&format!(
        "{}/accounts/{}/workers/assets/upload?base64=true",
        fake.base_url(),
        fake.account_id()
    ))
    .header("Authorization", "Bearer e30.e30.forged")
    .config()
    .http_status_as_error(false)
    .build()
    .send_empty()
    .unwrap();
    assert_eq!(forged.status().as_u16(), 401);

    // --dry-run lists what would be offered and writes the session request.
    std::fs::write(project.join("public/logo.svg"), "<svg/>").unwrap();
    let plan = dir.path().join("plan");
    let (ok, out) = edge(
        &fake,
        &project,
        &[
            "deploy",
            "--profile",
            "fast",
            "--dry-run",
            plan.to_str().unwrap(),
        ],
    );
    assert!(
        ok && out.contains("Would offer") && out.contains("asset /logo.svg"),
        "{out}"
    );
    let recorded: serde_json::Value = std::fs::read_dir(&plan)
        .unwrap()
        .map(|e| {
            serde_json::from_str(&std::fs::read_to_string(e.unwrap().path()).unwrap()).unwrap()
        })
        .find(|r: &serde_json::Value| {
            r["path"]
                .as_str()
                .unwrap()
                .ends_with("/assets-upload-session")
        })
        .expect("the session request is written");
    assert_eq!(recorded["body"]["manifest"]["/logo.svg"]["size"], 6);

    // package: the files and the manifest beside the modules.
    let zip = dir.path().join("shop.zip");
    let (ok, out) = edge(
        &fake,
        &project,
        &[
            "package",
            "--profile",
            "fast",
            "--out",
            zip.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    let archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let names: BTreeSet<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    assert!(
        names.contains("assets-manifest.json") && names.contains("assets/docs/index.html"),
        "{names:?}"
    );
    assert!(!names.contains("assets/secret.txt"));

    // The typed accessor and wrangler's view of the same table (checked with its schema).
    let (ok, types) = plain(&fake, &project, &["types", "--output", "-"]);
    assert!(
        ok && types.contains("self.assets(names::ASSETS)"),
        "{types}"
    );
    let (ok, jsonc) = plain(&fake, &project, &["config", "--format", "wrangler-json"]);
    assert!(ok && jsonc.contains("\"run_worker_first\""), "{jsonc}");
    validate_with_wranglers_schema(&jsonc, dir.path());

    eprintln!(
        "MEASURE first deploy: {} requests, {} bytes; assets: {} requests, {} bytes",
        first.0, first.1, first.2, first.3
    );
    eprintln!(
        "MEASURE no-op deploy: {} requests, {} bytes; assets: {} requests, {} bytes",
        noop.0, noop.1, noop.2, noop.3
    );
    eprintln!(
        "MEASURE one file changed: {} requests, {} bytes; assets: {} requests, {} bytes",
        one.0, one.1, one.2, one.3
    );
    let jsonl = fixture_target_dir().join("assets-deploy-requests.jsonl");
    write_validator_log(&log, &jsonl);
    eprintln!("validator log: {}", jsonl.display());
}

/// wrangler's own `config-schema.json` accepts the rendering (as `tests/config.rs` checks).
fn validate_with_wranglers_schema(jsonc: &str, dir: &Path) {
    let schema = std::env::var_os("EDGE_WRANGLER_SCHEMA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            edge_tests::root().join(".tools/wrangler-schema/config-schema-4.86.0.json")
        });
    let json: Vec<&str> = jsonc
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect();
    let path = dir.join("wrangler.json");
    std::fs::write(&path, json.join("\n")).unwrap();
    let output = std::process::Command::new("node")
        .arg(edge_tests::root().join("tests/wrangler-schema/validate.mjs"))
        .arg(&schema)
        .arg(&path)
        .env("EDGE_AJV_DIR", schema.parent().unwrap())
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
