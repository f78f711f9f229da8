//! Day-two commands against the stand-in: versions, rollback, deployments status, delete,
//! whoami, secret bulk and queues — exact requests, output, pagination and faults.

use edge_tests::cloudflare::{multipart, FakeCloudflare, Fault, FaultKind, Options};
use edge_tests::{fixture_manifest, fixture_target_dir};
use serde_json::{json, Value};

use super::{api_requests, deploy, edge};

/// `cargo edge ARGS --manifest-path <fixture>`: (success, stdout, stderr), token never shown.
pub fn run(fake: &FakeCloudflare, fixture: &str, args: &[&str]) -> (bool, String, String) {
    let manifest = fixture_manifest(fixture);
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--manifest-path", manifest.to_str().unwrap()]);
    let output = edge(fake, &all);
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    );
    assert!(
        !out.contains(&fake.token()) && !err.contains(&fake.token()),
        "the token leaked:\n{out}{err}"
    );
    (output.status.success(), out, err)
}

/// Upload a version of `script` straight to the API (no cargo-edge), annotated with `tag`.
fn upload_version(fake: &FakeCloudflare, script: &str, tag: &str) -> String {
    let metadata = json!({
        "main_module": "shim.mjs",
        "compatibility_date": "2025-01-01",
        "bindings": [],
        "annotations": {"workers/tag": tag},
    });
    let (content_type, body) = multipart(
        &metadata,
        &[(
            "shim.mjs",
            "application/javascript+module",
            b"export default { async fetch() { return new Response('old') } }",
        )],
    );
    let path = format!(
        "/accounts/{}/workers/scripts/{script}/versions",
        fake.account_id()
    );
    let response = fake
        .client()
        .raw("POST", &path, &content_type, body)
        .unwrap();
    assert_eq!(response.status, 200, "{:?}", response.body);
    response.result()["id"].as_str().unwrap().to_string()
}

fn shares(fake: &FakeCloudflare, script: &str) -> Vec<(String, f64)> {
    fake.deployments(script).last().unwrap().versions.clone()
}

#[test]
fn versions_upload_deploy_by_share_and_roll_back_to_any_earlier_version() {
    let fake = FakeCloudflare::start(Options::default());
    assert!(deploy(&fake, "hello", &[]).0);
    let first = fake.versions("hello")[0].id.clone();
    // More versions than one page of the API (100) holds.
    for n in 0..105 {
        upload_version(&fake, "hello", &format!("bulk-{n}"));
    }
    let target = fixture_target_dir();
    let (ok, out, err) = run(
        &fake,
        "hello",
        &[
            "versions",
            "upload",
            "--tag",
            "v2",
            "--message",
            "new greeting",
            "--profile",
            "fast",
            "--target-dir",
            target.to_str().unwrap(),
            "--message-format",
            "json",
        ],
    );
    assert!(ok, "{err}");
    let uploaded: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let v2 = uploaded["result"]["version_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        shares(&fake, "hello"),
        [(first.clone(), 100.0)],
        "an upload deploys nothing"
    );
    let newest = fake.versions("hello").last().unwrap().clone();
    assert_eq!(
        (newest.id.as_str(), &newest.annotations["workers/tag"]),
        (v2.as_str(), &json!("v2"))
    );

    fake.reset_log();
    let (ok, out, err) = run(&fake, "hello", &["versions", "list"]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 107, "every page is listed:\n{out}");
    assert!(
        out.lines()
            .next()
            .unwrap()
            .starts_with(&format!("#107 {v2}")),
        "{out}"
    );
    assert!(
        out.lines()
            .next()
            .unwrap()
            .contains("tag v2  \"new greeting\""),
        "{out}"
    );
    let pages: Vec<String> = api_requests(&fake)
        .into_iter()
        .filter(|r| r.contains("/versions"))
        .collect();
    assert_eq!(pages.len(), 2, "two pages of 100: {pages:#?}");

    let (ok, _, err) = run(
        &fake,
        "hello",
        &[
            "versions",
            "deploy",
            &format!("{v2}@10"),
            &format!("{first}@90"),
            "-m",
            "canary",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(
        shares(&fake, "hello"),
        [(v2.clone(), 10.0), (first.clone(), 90.0)]
    );
    let (ok, out, _) = run(&fake, "hello", &["deployments", "status"]);
    assert!(ok);
    assert!(
        out.contains("message  canary")
            && out.contains(&format!("   10%  #107 {v2}"))
            && out.contains(&format!("   90%  #1 {first}")),
        "{out}"
    );
    let (ok, _, err) = run(&fake, "hello", &["versions", "deploy", &format!("{v2}@10")]);
    assert!(!ok && err.contains("add up to 100"), "{err}");

    // The default target is the newest version older than the one serving most.
    assert!(run(&fake, "hello", &["versions", "deploy", &v2]).0);
    fake.reset_log();
    let (ok, _, err) = run(&fake, "hello", &["rollback", "--yes", "-m", "too loud"]);
    assert!(ok, "{err}");
    let bulk_104 = fake.versions("hello")[105].id.clone();
    assert!(
        err.contains(&format!("Rolling back to #106 {bulk_104}")) && err.contains("tag bulk-104"),
        "{err}"
    );
    assert!(
        err.contains("compatibility date:") && err.contains("code:"),
        "the changes are listed:\n{err}"
    );
    assert_eq!(shares(&fake, "hello"), [(bulk_104, 100.0)]);
    let posted: Vec<String> = api_requests(&fake)
        .into_iter()
        .filter(|r| r.starts_with("POST"))
        .collect();
    assert_eq!(
        posted,
        [format!(
            "POST /accounts/{}/workers/scripts/hello/deployments",
            fake.account_id()
        )]
    );
    assert_eq!(
        fake.deployments("hello").last().unwrap().annotations["workers/message"],
        "too loud"
    );

    // Any earlier version, by id; without --yes and without a terminal nothing happens.
    let (ok, _, err) = run(&fake, "hello", &["rollback", &first]);
    assert!(!ok && err.contains("--yes"), "{err}");
    let (ok, _, err) = run(&fake, "hello", &["rollback", &first, "--yes"]);
    assert!(ok, "{err}");
    assert_eq!(shares(&fake, "hello"), [(first, 100.0)]);
}

#[test]
fn a_rollback_across_a_durable_object_migration_is_refused_with_the_reason() {
    let fake = FakeCloudflare::start(Options::default());
    // `api` existed before its Counter class (no migrations), then the deploy migrated it.
    let metadata =
        json!({"main_module": "shim.mjs", "compatibility_date": "2025-01-01", "bindings": []});
    let (content_type, body) = multipart(
        &metadata,
        &[(
            "shim.mjs",
            "application/javascript+module",
            b"export default {}",
        )],
    );
    let path = format!("/accounts/{}/workers/scripts/api", fake.account_id());
    assert_eq!(
        fake.client()
            .raw("PUT", &path, &content_type, body)
            .unwrap()
            .status,
        200
    );
    let before = fake.versions("api")[0].id.clone();
    let (ok, text) = deploy(&fake, "full-stack", &[]);
    assert!(ok, "{text}");
    let (ok, _, err) = run(&fake, "full-stack", &["rollback", &before, "--yes"]);
    assert!(!ok);
    assert!(
        err.contains("Durable Object migration") && err.contains("made since the last migration"),
        "{err}"
    );
    assert_eq!(
        fake.deployments("api").last().unwrap().versions[0].0,
        fake.script("api").unwrap().version_id,
        "nothing changed"
    );
}

#[test]
fn delete_with_resources_leaves_nothing_it_created_and_nothing_else_touched() {
    let fake = FakeCloudflare::start(Options::default());
    assert!(deploy(&fake, "full-stack", &[]).0);
    assert!(deploy(&fake, "hello", &[]).0);
    let account = fake.account_id();
    let client = fake.client();
    client
        .json(
            "POST",
            &format!("/accounts/{account}/storage/kv/namespaces"),
            &json!({"title": "unrelated"}),
        )
        .unwrap();
    let object = format!("/accounts/{account}/r2/buckets/app-assets/objects/photos/cat.jpg");
    assert_eq!(
        client
            .raw("PUT", &object, "image/jpeg", b"jpeg".to_vec())
            .unwrap()
            .status,
        200
    );

    let (ok, _, err) = run(
        &fake,
        "full-stack",
        &["delete", "--with-resources", "--dry-run"],
    );
    assert!(ok, "{err}");
    for line in [
        "detach the consumer of queue `image-processing`",
        "delete the worker script",
        "delete KV namespace `api-cache`",
        "delete D1 database `app-database`",
        "delete R2 bucket `app-assets`",
        "delete queue `image-processing`",
        "delete queue `image-processing-dlq`",
    ] {
        assert!(err.contains(line), "{line} missing:\n{err}");
    }
    assert!(fake.script("api").is_some(), "a dry run deletes nothing");

    // A dropped connection and a 500 on the way are retried through.
    fake.inject(Fault::new(
        "DELETE",
        "/accounts/*/workers/scripts/*",
        FaultKind::DropAfterApply,
    ));
    fake.inject(Fault::new(
        "DELETE",
        "/accounts/*/d1/database/*",
        FaultKind::Status(500),
    ));
    let (ok, _, err) = run(
        &fake,
        "full-stack",
        &["delete", "--with-resources", "--yes"],
    );
    assert!(ok, "{err}");
    assert_eq!(fake.faults_remaining(), 0);
    assert!(fake.script("api").is_none());
    let titles: Vec<String> = fake
        .kv_namespaces()
        .iter()
        .map(|n| n.title.clone())
        .collect();
    assert_eq!(titles, ["unrelated"]);
    assert!(
        fake.d1_databases().is_empty() && fake.r2_buckets().is_empty() && fake.queues().is_empty()
    );
    assert!(
        fake.script("hello").is_some(),
        "another worker is untouched"
    );
    let (ok, _, err) = run(&fake, "full-stack", &["delete", "--yes"]);
    assert!(!ok && err.contains("is not deployed"), "{err}");
}

#[test]
fn delete_keeps_a_resource_another_worker_binds() {
    let fake = FakeCloudflare::start(Options::default());
    assert!(deploy(&fake, "full-stack", &[]).0);
    let account = fake.account_id();
    let cache = fake.kv_namespaces()[0].id.clone();
    let metadata = json!({"main_module": "shim.mjs", "compatibility_date": "2025-01-01",
        "bindings": [{"type": "kv_namespace", "name": "SHARED", "namespace_id": cache}]});
    let (content_type, body) = multipart(
        &metadata,
        &[(
            "shim.mjs",
            "application/javascript+module",
            b"export default {}",
        )],
    );
    let path = format!("/accounts/{account}/workers/scripts/reader");
    assert_eq!(
        fake.client()
            .raw("PUT", &path, &content_type, body)
            .unwrap()
            .status,
        200
    );
    let (ok, _, err) = run(
        &fake,
        "full-stack",
        &["delete", "--with-resources", "--yes"],
    );
    assert!(ok, "{err}");
    assert!(
        err.contains("(kept) KV namespace `api-cache`: still bound by `reader`"),
        "{err}"
    );
    assert_eq!(fake.kv_namespaces().len(), 1);
}

#[test]
fn whoami_names_the_accounts_and_the_permissions_deploy_lacks() {
    let fake = FakeCloudflare::start(Options::default());
    let (ok, out, err) = run(&fake, "full-stack", &["whoami"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("Authenticated with an API token (ed17a1c2b3d4e5f60718293a4b5c6d7e, active)"),
        "{out}"
    );
    assert!(
        out.contains(&format!("  {}  Account 1", fake.account_id())),
        "{out}"
    );
    assert!(
        out.contains("deploy: the token has every permission it needs"),
        "{out}"
    );

    let limited = FakeCloudflare::start(Options {
        token_permissions: Some(vec![
            "Workers Scripts Write".into(),
            "Account Settings Read".into(),
            "D1 Write".into(),
        ]),
        ..Options::default()
    });
    let (ok, out, _) = run(
        &limited,
        "full-stack",
        &["whoami", "--message-format", "json"],
    );
    assert!(ok);
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        report["result"]["missing_for_deploy"],
        json!([
            "Workers KV Storage Write",
            "Workers R2 Storage Write",
            "Queues Write"
        ])
    );
    let (_, out, _) = run(&limited, "hello", &["whoami"]);
    assert!(
        out.contains("deploy: the token has every permission it needs"),
        "hello binds nothing: {out}"
    );

    let opaque = FakeCloudflare::start(Options {
        token_permissions: None,
        ..Options::default()
    });
    let (ok, out, _) = run(&opaque, "hello", &["whoami"]);
    assert!(ok && out.contains("Permissions: unknown"), "{out}");

    let output = std::process::Command::new(edge_tests::cargo_edge_bin())
        .args(["edge", "whoami"])
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env_remove("CLOUDFLARE_API_KEY")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("no Cloudflare credentials"));
}

#[test]
fn secret_bulk_sets_every_secret_from_json_or_dotenv_and_prints_no_value() {
    let fake = FakeCloudflare::start(Options::default());
    assert!(deploy(&fake, "hello", &[]).0);
    let dir = tempfile::tempdir().unwrap();
    let json_file = dir.path().join("secrets.json");
    std::fs::write(
        &json_file,
        r#"{"API_KEY": "sk-bulk-1", "DB_PASSWORD": "pw-bulk-2"}"#,
    )
    .unwrap();
    fake.inject(Fault::new(
        "PUT",
        "/accounts/*/workers/scripts/*/secrets",
        FaultKind::RateLimited {
            retry_after_secs: 1,
        },
    ));
    let (ok, out, err) = run(
        &fake,
        "hello",
        &["secret", "bulk", json_file.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    assert!(
        err.contains("2 secrets set on `hello`: API_KEY, DB_PASSWORD"),
        "{err}"
    );
    assert!(!format!("{out}{err}").contains("sk-bulk-1"));
    assert_eq!(
        fake.secret_value("hello", "DB_PASSWORD").as_deref(),
        Some("pw-bulk-2")
    );
    let env_file = dir.path().join(".env.prod");
    std::fs::write(&env_file, "API_KEY=sk-bulk-3\n").unwrap();
    assert!(
        run(
            &fake,
            "hello",
            &["secret", "bulk", env_file.to_str().unwrap()]
        )
        .0
    );
    assert_eq!(
        fake.secret_value("hello", "API_KEY").as_deref(),
        Some("sk-bulk-3")
    );
    std::fs::write(&json_file, r#"{"PORT": 8080}"#).unwrap();
    let (ok, _, err) = run(
        &fake,
        "hello",
        &["secret", "bulk", json_file.to_str().unwrap()],
    );
    assert!(
        !ok && err.contains("the value of `PORT` is a number, not a string"),
        "{err}"
    );
    fake.assert_no_secret("sk-bulk-1");
}

#[test]
fn queues_list_every_page_show_info_and_purge_only_when_confirmed() {
    let fake = FakeCloudflare::start(Options::default());
    assert!(deploy(&fake, "full-stack", &[]).0);
    let account = fake.account_id();
    for n in 0..120 {
        fake.client()
            .json(
                "POST",
                &format!("/accounts/{account}/queues"),
                &json!({"queue_name": format!("extra-{n:03}")}),
            )
            .unwrap();
    }
    fake.inject(Fault::new(
        "GET",
        "/accounts/*/queues",
        FaultKind::Status(503),
    ));
    let (ok, out, err) = run(&fake, "full-stack", &["queues", "list"]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 122, "{out}");
    let (ok, out, _) = run(&fake, "full-stack", &["queues", "info", "image-processing"]);
    assert!(ok);
    assert!(out.contains("consumers  api") && out.contains("batch size 10, max wait 500 ms, max retries 2, dead letter queue image-processing-dlq"), "{out}");
    let (ok, _, err) = run(
        &fake,
        "full-stack",
        &["queues", "purge", "image-processing"],
    );
    assert!(!ok && err.contains("--yes"), "{err}");
    assert!(
        !api_requests(&fake).iter().any(|r| r.ends_with("/purge")),
        "nothing was purged"
    );
    let (ok, _, err) = run(
        &fake,
        "full-stack",
        &["queues", "purge", "image-processing", "--yes"],
    );
    assert!(
        ok && err.contains("Purged queue `image-processing`"),
        "{err}"
    );
    let (ok, _, err) = run(&fake, "full-stack", &["queues", "info", "nope"]);
    assert!(!ok && err.contains("queue `nope` does not exist"), "{err}");
}
