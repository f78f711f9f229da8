//! `cargo edge deploy` end to end: the real binary against the Cloudflare API stand-in.

use std::io::Write;
use std::process::Output;
use std::time::Duration;

use edge_tests::cloudflare::{FakeCloudflare, Fault, FaultKind, Options};
use edge_tests::{cargo_edge_bin, fixture_manifest, fixture_target_dir, output_text, root};

#[path = "deploy/day_two.rs"]
mod day_two;
#[path = "deploy/lost_answer.rs"]
mod lost_answer;
#[path = "deploy/remote_data.rs"]
mod remote_data;
#[path = "deploy/tail.rs"]
mod tail;

/// Run `cargo edge <args>` against `fake`, with its token in the environment.
fn edge(fake: &FakeCloudflare, args: &[&str]) -> Output {
    std::process::Command::new(cargo_edge_bin())
        .arg("edge")
        .args(args)
        .current_dir(root())
        .env("CLOUDFLARE_API_BASE_URL", fake.base_url())
        .env("CLOUDFLARE_API_TOKEN", fake.token())
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .output()
        .expect("cargo-edge runs")
}

/// `cargo edge deploy` of a fixture with the shared target dir and the fast profile.
fn deploy(fake: &FakeCloudflare, fixture: &str, extra: &[&str]) -> (bool, String) {
    let manifest = fixture_manifest(fixture);
    let target = fixture_target_dir();
    let mut args = vec![
        "deploy",
        "--color",
        "never",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
    ];
    if !extra.contains(&"--release") {
        args.extend(["--profile", "fast"]);
    }
    args.extend(extra.iter().filter(|a| **a != "--release"));
    let output = edge(fake, &args);
    let text = output_text(&output);
    assert!(
        !text.contains(&fake.token()),
        "the token leaked into the output:\n{text}"
    );
    (output.status.success(), text)
}

fn api_requests(fake: &FakeCloudflare) -> Vec<String> {
    fake.requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path.trim_start_matches("/client/v4")))
        .collect()
}

fn count(requests: &[String], method: &str, suffix: &str) -> usize {
    requests
        .iter()
        .filter(|r| r.starts_with(method) && r.ends_with(suffix))
        .count()
}

#[test]
fn first_noop_and_changed_deploys_of_the_full_stack_worker() {
    let fake = FakeCloudflare::start(Options::default());
    let (ok, text) = deploy(&fake, "full-stack", &[]);
    assert!(ok, "{text}");
    let first = api_requests(&fake);
    assert_eq!(
        fake.kv_namespaces()
            .iter()
            .filter(|n| n.title == "api-cache")
            .count(),
        1,
        "{first:#?}"
    );
    assert_eq!(
        fake.d1_databases()
            .iter()
            .filter(|(_, name)| name == "app-database")
            .count(),
        1
    );
    assert_eq!(
        fake.r2_buckets()
            .iter()
            .filter(|b| b.name == "app-assets")
            .count(),
        1
    );
    let queues: Vec<String> = fake.queues().iter().map(|q| q.name.clone()).collect();
    assert!(
        queues.contains(&"image-processing".into())
            && queues.contains(&"image-processing-dlq".into()),
        "{queues:?}"
    );
    let consumers = fake.consumers("image-processing");
    assert_eq!(consumers.len(), 1);
    assert_eq!(consumers[0].script_name, "api");
    assert_eq!(fake.schedules("api"), ["* * * * *"]);
    let script = fake.script("api").expect("the script was uploaded");
    assert_eq!(script.migration_tag.as_deref(), Some("v1"));
    let hash = script
        .plain_text("EDGE_CONTENT_HASH")
        .expect("the content hash binding");
    assert_eq!(hash.len(), 64);
    eprintln!("first deploy: {} requests", first.len());

    fake.reset_log();
    let (ok, text) = deploy(&fake, "full-stack", &[]);
    assert!(ok && text.contains("Up to date"), "{text}");
    let noop = api_requests(&fake);
    assert!(
        noop.len() <= 2,
        "a no-op deploy sends one or two requests: {noop:#?}"
    );
    assert_eq!(count(&noop, "PUT", "/workers/scripts/api"), 0);
    eprintln!(
        "no-op deploy: {} requests; {}",
        noop.len(),
        text.lines()
            .find(|l| l.contains("Up to date"))
            .unwrap_or("")
    );

    // The same source in another profile is a different bundle: a code change.
    fake.reset_log();
    let (ok, text) = deploy(&fake, "full-stack", &["--release"]);
    assert!(ok, "{text}");
    let changed = api_requests(&fake);
    assert_eq!(
        count(&changed, "PUT", "/workers/scripts/api"),
        1,
        "{changed:#?}"
    );
    assert_eq!(
        count(&changed, "POST", "/storage/kv/namespaces"),
        0,
        "nothing is created twice"
    );
    assert_ne!(
        fake.script("api")
            .unwrap()
            .plain_text("EDGE_CONTENT_HASH")
            .unwrap(),
        hash
    );
    eprintln!("code-change deploy: {} requests", changed.len());
}

#[test]
fn an_environment_deploy_creates_its_own_resources() {
    let fake = FakeCloudflare::start(Options::default());
    assert!(deploy(&fake, "multi-env", &[]).0);
    let (ok, text) = deploy(&fake, "multi-env", &["--env", "staging"]);
    assert!(ok, "{text}");
    let titles: Vec<String> = fake
        .kv_namespaces()
        .iter()
        .map(|n| n.title.clone())
        .collect();
    assert!(
        titles.contains(&"shop-cache".into()) && titles.contains(&"shop-staging-cache".into()),
        "{titles:?}"
    );
    let staging = fake.script("shop-staging").expect("the staging worker");
    assert_eq!(
        staging.plain_text("ENVIRONMENT").as_deref(),
        Some("staging")
    );
    assert_eq!(
        fake.script("shop")
            .unwrap()
            .plain_text("ENVIRONMENT")
            .as_deref(),
        Some("dev"),
        "dev is untouched"
    );
}

#[test]
fn a_removed_queue_consumer_is_detached() {
    let fake = FakeCloudflare::start(Options::default());
    assert!(deploy(&fake, "full-stack", &[]).0);
    // An earlier configuration of `api` consumed `old-jobs`; the current one does not.
    let client = fake.client();
    let queue = client
        .json(
            "POST",
            &format!("/accounts/{}/queues", fake.account_id()),
            &serde_json::json!({"queue_name": "old-jobs"}),
        )
        .unwrap();
    let id = queue.body["result"]["queue_id"]
        .as_str()
        .unwrap()
        .to_string();
    let body =
        serde_json::json!({"type": "worker", "script_name": "api", "settings": {"batch_size": 5}});
    client
        .json(
            "POST",
            &format!("/accounts/{}/queues/{id}/consumers", fake.account_id()),
            &body,
        )
        .unwrap();
    assert_eq!(fake.consumers("old-jobs").len(), 1);
    let (ok, text) = deploy(&fake, "full-stack", &["--force"]);
    assert!(ok, "{text}");
    assert!(fake.consumers("old-jobs").is_empty(), "{text}");
    assert_eq!(
        fake.consumers("image-processing").len(),
        1,
        "the current consumer stays"
    );
}

#[test]
fn a_canary_runs_beside_the_current_version_then_promotes_and_rolls_back() {
    let fake = FakeCloudflare::start(Options::default());
    assert!(deploy(&fake, "hello", &[]).0);
    let (ok, text) = deploy(&fake, "hello", &["--release", "--canary", "10"]);
    assert!(ok, "{text}");
    let shares: Vec<f64> = fake
        .deployments("hello")
        .last()
        .unwrap()
        .versions
        .iter()
        .map(|v| v.1)
        .collect();
    assert_eq!(shares.iter().sum::<f64>(), 100.0);
    let mut sorted = shares.clone();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(sorted, [10.0, 90.0]);

    let manifest = fixture_manifest("hello");
    let rollout = |action: &[&str]| {
        let mut args = vec!["rollout"];
        args.extend_from_slice(action);
        args.extend(["--manifest-path", manifest.to_str().unwrap()]);
        edge(&fake, &args)
    };
    let set = rollout(&["set", "50"]);
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let shares: Vec<f64> = fake
        .deployments("hello")
        .last()
        .unwrap()
        .versions
        .iter()
        .map(|v| v.1)
        .collect();
    assert_eq!(shares, [50.0, 50.0]);
    let rollback = rollout(&["rollback"]);
    assert!(
        rollback.status.success(),
        "{}",
        String::from_utf8_lossy(&rollback.stderr)
    );
    assert_eq!(fake.deployments("hello").last().unwrap().versions.len(), 1);
    let promote = rollout(&["promote"]);
    assert!(
        !promote.status.success(),
        "nothing to promote after a rollback"
    );
    assert!(String::from_utf8_lossy(&promote.stderr).contains("no rollout is in progress"));
}

#[test]
fn a_canary_with_durable_object_migrations_is_refused_with_the_reason() {
    let fake = FakeCloudflare::start(Options::default());
    let (ok, text) = deploy(&fake, "full-stack", &["--canary", "10"]);
    assert!(!ok);
    assert!(
        text.contains("cannot go out as a canary") && text.contains("two versions side by side"),
        "{text}"
    );
    assert!(fake.script("api").is_none(), "nothing was uploaded");
}

#[test]
fn faults_are_retried_through_or_fail_clearly_and_a_rerun_converges() {
    let fake = FakeCloudflare::start(Options::default());
    fake.inject(
        Fault::new(
            "PUT",
            "/accounts/*/workers/scripts/*",
            FaultKind::Status(500),
        )
        .times(2),
    );
    fake.inject(Fault::new(
        "POST",
        "/accounts/*/storage/kv/namespaces",
        FaultKind::RateLimited {
            retry_after_secs: 1,
        },
    ));
    fake.inject(Fault::new(
        "POST",
        "/accounts/*/d1/database",
        FaultKind::DropConnection,
    ));
    fake.inject(Fault::new(
        "GET",
        "/accounts/*/r2/buckets",
        FaultKind::Slow(Duration::from_millis(300)),
    ));
    let (ok, text) = deploy(&fake, "full-stack", &[]);
    assert!(ok, "transient faults are retried through:\n{text}");
    assert_eq!(fake.faults_remaining(), 0);
    assert_eq!(
        fake.kv_namespaces()
            .iter()
            .filter(|n| n.title == "api-cache")
            .count(),
        1
    );

    // A fault that outlasts the retries fails the deploy with what to do...
    let fresh = FakeCloudflare::start(Options::default());
    fresh.inject(
        Fault::new(
            "PUT",
            "/accounts/*/workers/scripts/*",
            FaultKind::Status(500),
        )
        .times(10),
    );
    let (ok, text) = deploy(&fresh, "full-stack", &[]);
    assert!(!ok);
    assert!(
        text.contains("HTTP 500") && text.contains("rerun the deploy"),
        "{text}"
    );
    // ...and the rerun converges without creating anything twice.
    fresh.clear_faults();
    let (ok, text) = deploy(&fresh, "full-stack", &[]);
    assert!(ok, "{text}");
    assert_eq!(
        fresh
            .kv_namespaces()
            .iter()
            .filter(|n| n.title == "api-cache")
            .count(),
        1
    );
    assert_eq!(
        fresh
            .queues()
            .iter()
            .filter(|q| q.name == "image-processing")
            .count(),
        1
    );
    assert_eq!(fresh.d1_databases().len(), 1);
}

#[test]
fn dry_run_writes_the_requests_without_sending_any() {
    let fake = FakeCloudflare::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let (ok, text) = deploy(
        &fake,
        "full-stack",
        &["--dry-run", dir.path().to_str().unwrap()],
    );
    assert!(ok, "{text}");
    assert!(
        fake.script("api").is_none() && fake.kv_namespaces().is_empty(),
        "a dry run changes nothing"
    );
    let written = std::fs::read_dir(dir.path()).unwrap().count();
    assert!(written >= 8, "{written} requests written");
    assert!(
        text.contains("Would") && text.contains("create KV namespace `api-cache`"),
        "{text}"
    );
    // A dry run says what it would do, never that it is deploying.
    assert!(!text.contains("Deploying"), "{text}");
}

#[test]
fn secrets_are_set_from_a_file_and_never_printed() {
    let fake = FakeCloudflare::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secrets.env");
    std::fs::write(&file, "API_KEY=sk-live-very-secret\n").unwrap();
    let (ok, text) = deploy(
        &fake,
        "full-stack",
        &["--secrets-file", file.to_str().unwrap()],
    );
    assert!(ok, "{text}");
    assert_eq!(
        fake.secret_value("api", "API_KEY").as_deref(),
        Some("sk-live-very-secret")
    );
    assert!(!text.contains("sk-live-very-secret"));
    fake.assert_no_secret("sk-live-very-secret");
}

/// The requests a first deploy of the full-stack fixture sends, as `--dry-run` writes them
/// (method and path; bodies carry the content hash, which changes with the code).
#[test]
fn dry_run_of_the_full_stack_worker_matches_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = fixture_manifest("full-stack");
    let target = fixture_target_dir();
    let output = std::process::Command::new(cargo_edge_bin())
        .args([
            "edge",
            "deploy",
            "--color",
            "never",
            "--profile",
            "fast",
            "--dry-run",
            dir.path().to_str().unwrap(),
        ])
        .args([
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--target-dir",
            target.to_str().unwrap(),
        ])
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env_remove("CLOUDFLARE_API_KEY")
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut lines = Vec::new();
    for file in &files {
        let request: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(file)).unwrap()).unwrap();
        lines.push(format!(
            "{} {}",
            request["method"].as_str().unwrap(),
            request["path"].as_str().unwrap()
        ));
    }
    let upload = files
        .iter()
        .find(|f| f.contains("-PUT-accounts-account-id-workers-scripts-api"))
        .expect("the upload is written");
    let upload: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(upload)).unwrap()).unwrap();
    let bindings: Vec<String> = upload["body"]["metadata"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            format!(
                "{} {}",
                b["type"].as_str().unwrap(),
                b["name"].as_str().unwrap()
            )
        })
        .collect();
    insta::assert_snapshot!(format!(
        "{}\n\nbindings:\n{}\n",
        lines.join("\n"),
        bindings.join("\n")
    ));
}

#[test]
fn secret_commands_and_remote_d1_migrations() {
    let fake = FakeCloudflare::start(Options::default());
    assert!(deploy(&fake, "full-stack", &[]).0);
    let manifest = fixture_manifest("full-stack");
    let manifest = manifest.to_str().unwrap();

    let mut put = std::process::Command::new(cargo_edge_bin())
        .args([
            "edge",
            "secret",
            "put",
            "API_KEY",
            "--manifest-path",
            manifest,
        ])
        .env("CLOUDFLARE_API_BASE_URL", fake.base_url())
        .env("CLOUDFLARE_API_TOKEN", fake.token())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    put.stdin
        .take()
        .unwrap()
        .write_all(b"from-stdin-value\n")
        .unwrap();
    let put = put.wait_with_output().unwrap();
    assert!(
        put.status.success(),
        "{}",
        String::from_utf8_lossy(&put.stderr)
    );
    assert_eq!(
        fake.secret_value("api", "API_KEY").as_deref(),
        Some("from-stdin-value")
    );
    let list = edge(&fake, &["secret", "list", "--manifest-path", manifest]);
    assert_eq!(String::from_utf8_lossy(&list.stdout).trim(), "API_KEY");
    let delete = edge(
        &fake,
        &["secret", "delete", "API_KEY", "--manifest-path", manifest],
    );
    assert!(delete.status.success());
    assert!(fake.secrets("api").is_empty());

    let apply = || {
        edge(
            &fake,
            &[
                "d1",
                "migrations",
                "apply",
                "DB",
                "--remote",
                "--manifest-path",
                manifest,
            ],
        )
    };
    let first = apply();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stderr).contains("applied 0001_notes.sql"));
    let again = apply();
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("no pending migrations"),
        "applied once"
    );
    let tables = fake.d1_query("app-database", "SELECT name FROM d1_migrations");
    assert_eq!(tables.len(), 1, "{tables:?}");
    fake.d1_query("app-database", "INSERT INTO notes (body) VALUES ('x')");
}

/// `--workspace` deploys every worker of the fixtures' workspace, each after the workers it
/// binds to; a second run uploads nothing.
#[test]
fn workspace_deploy_puts_bound_workers_first_and_converges() {
    let fake = FakeCloudflare::start(Options::default());
    let manifest = root().join("fixtures/Cargo.toml");
    let target = fixture_target_dir();
    let args = [
        "deploy",
        "--workspace",
        // The fidelity fixture lacks what Cloudflare requires on purpose (dev_fidelity.rs).
        "--exclude",
        "fidelity",
        "--color",
        "never",
        "--profile",
        "fast",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
    ];
    // Without --exclude the fidelity member's deploy-only problems stop the run before any
    // request; an --exclude naming no member is refused with the members' names.
    let everything: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| *a != "--exclude" && *a != "fidelity")
        .collect();
    let refused = edge(&fake, &everything);
    let refusal = String::from_utf8_lossy(&refused.stderr).to_string();
    assert!(!refused.status.success(), "{refusal}");
    assert!(refusal.contains("fidelity"), "{refusal}");
    assert!(api_requests(&fake).is_empty(), "{:?}", api_requests(&fake));
    let mut unknown = everything.clone();
    unknown.extend(["--exclude", "fidelty"]);
    let typo = edge(&fake, &unknown);
    let typo_text = String::from_utf8_lossy(&typo.stderr).to_string();
    assert!(!typo.status.success(), "{typo_text}");
    assert!(typo_text.contains("--exclude `fidelty`"), "{typo_text}");
    assert!(typo_text.contains("`auth-service`"), "{typo_text}");
    let output = edge(&fake, &args);
    let text = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "{text}");
    let order = text
        .lines()
        .find(|l| l.trim_start().starts_with("Order"))
        .unwrap_or_else(|| panic!("no order line:\n{text}"));
    let position = |name: &str| {
        order
            .find(&format!("`{name}`"))
            .unwrap_or_else(|| panic!("{name} not in {order}"))
    };
    assert!(
        position("auth-service") < position("api-gateway"),
        "{order}"
    );
    let uploads: Vec<String> = api_requests(&fake)
        .into_iter()
        .filter(|r| {
            r.starts_with("PUT") && r.contains("/workers/scripts/") && !r.contains("/secrets")
        })
        .collect();
    let uploaded = |name: &str| {
        uploads
            .iter()
            .position(|r| r.ends_with(&format!("/workers/scripts/{name}")))
            .unwrap_or_else(|| panic!("{name} was not uploaded: {uploads:#?}"))
    };
    assert!(uploaded("auth-service") < uploaded("api-gateway"));
    for name in ["api", "hello", "shop"] {
        assert!(fake.script(name).is_some(), "{name} missing");
    }
    let before = fake.requests().len();
    let again = edge(&fake, &args);
    let text = String::from_utf8_lossy(&again.stderr).to_string();
    assert!(again.status.success(), "{text}");
    let workers = order.matches(", then ").count() + 1;
    assert_eq!(
        text.matches("Up to date").count(),
        workers,
        "every worker is unchanged:\n{text}"
    );
    assert!(fake.requests().len() - before <= 2 * workers, "{text}");
}
