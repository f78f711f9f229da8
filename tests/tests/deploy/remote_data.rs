//! `cargo edge kv|r2|d1 --remote`: the deployed worker's data on the stand-in, with
//! pagination past one page and faults retried through.

use edge_tests::cloudflare::{FakeCloudflare, Fault, FaultKind, Options};
use edge_tests::scratch_crate;
use serde_json::{json, Value};

use super::{api_requests, deploy};

/// A data command with `--remote` (without it, the command would use local state).
fn run(fake: &FakeCloudflare, fixture: &str, args: &[&str]) -> (bool, String, String) {
    let mut all = args.to_vec();
    all.push("--remote");
    super::day_two::run(fake, fixture, &all)
}

#[test]
fn kv_on_cloudflare_get_put_list_every_page_bulk_and_namespaces() {
    let fake = FakeCloudflare::start(Options::default());
    let (ok, _, err) = run(&fake, "full-stack", &["kv", "get", "CACHE", "k"]);
    assert!(
        !ok && err.contains("KV namespace `api-cache` does not exist on Cloudflare yet")
            && err.contains("run `cargo edge deploy` first"),
        "{err}"
    );
    assert!(deploy(&fake, "full-stack", &[]).0);
    let (ok, _, err) = run(&fake, "full-stack", &["kv", "get", "NOPE", "k"]);
    assert!(
        !ok && err.contains("`NOPE` is not a KV binding") && err.contains("`CACHE`"),
        "{err}"
    );

    fake.inject(Fault::new(
        "PUT",
        "/accounts/*/storage/kv/namespaces/*/values/*",
        FaultKind::DropConnection,
    ));
    let (ok, _, err) = run(
        &fake,
        "full-stack",
        &["kv", "put", "CACHE", "user:1/name", "Ada", "--ttl", "3600"],
    );
    assert!(
        ok && err.contains("stored `user:1/name` in `CACHE`"),
        "{err}"
    );
    let id = fake.kv_namespaces()[0].id.clone();
    let puts: Vec<String> = api_requests(&fake)
        .into_iter()
        .filter(|r| r.starts_with("PUT") && r.contains("/values/"))
        .collect();
    assert_eq!(
        puts,
        vec![
            format!(
                "PUT /accounts/{}/storage/kv/namespaces/{id}/values/user%3A1%2Fname",
                fake.account_id()
            );
            2
        ],
        "sent, dropped, retried"
    );
    let (ok, out, err) = run(&fake, "full-stack", &["kv", "get", "CACHE", "user:1/name"]);
    assert!(ok);
    assert_eq!(out, "Ada");
    let account = fake.account_id();
    assert!(
        err.contains(&format!("Using the data on Cloudflare, account {account}")),
        "{err}"
    );

    // Without --remote the same command reads local state, even with credentials at hand:
    // nothing is asked of Cloudflare.
    let state = tempfile::tempdir().unwrap();
    let sent = api_requests(&fake).len();
    let persist = ["--persist-to", state.path().to_str().unwrap()];
    let local =
        |args: &[&str]| super::day_two::run(&fake, "full-stack", &[args, &persist].concat());
    let (ok, _, err) = local(&["kv", "get", "CACHE", "user:1/name"]);
    assert!(
        !ok && err.contains("no key `user:1/name` in `CACHE` (local state)"),
        "{err}"
    );
    assert!(local(&["kv", "put", "CACHE", "user:1/name", "Local Ada"]).0);
    assert_eq!(local(&["kv", "get", "CACHE", "user:1/name"]).1, "Local Ada");
    assert_eq!(api_requests(&fake).len(), sent, "local state only");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("seed.json");
    let pairs: Vec<Value> = (0..1500)
        .map(|n| json!({"key": format!("seed:{n:04}"), "value": format!("v{n}")}))
        .collect();
    std::fs::write(&file, serde_json::to_string(&pairs).unwrap()).unwrap();
    let (ok, _, err) = run(
        &fake,
        "full-stack",
        &["kv", "bulk", "put", "CACHE", file.to_str().unwrap()],
    );
    assert!(ok && err.contains("stored 1500 keys in `CACHE`"), "{err}");
    fake.reset_log();
    let (ok, out, _) = run(
        &fake,
        "full-stack",
        &["kv", "list", "CACHE", "--prefix", "seed:"],
    );
    assert!(ok);
    assert_eq!(out.lines().count(), 1500);
    assert_eq!(out.lines().next(), Some("seed:0000"));
    let pages = api_requests(&fake)
        .iter()
        .filter(|r| r.contains("/keys"))
        .count();
    assert_eq!(pages, 2, "1000 keys a page");
    let (_, out, _) = run(
        &fake,
        "full-stack",
        &[
            "kv",
            "list",
            "CACHE",
            "--prefix",
            "user:",
            "--message-format",
            "json",
        ],
    );
    let key: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(key["result"]["name"], "user:1/name");
    assert!(key["result"]["expiration"].as_u64().is_some(), "{key}");

    let keys: Vec<String> = (0..1500).map(|n| format!("seed:{n:04}")).collect();
    std::fs::write(&file, serde_json::to_string(&keys).unwrap()).unwrap();
    let (ok, _, err) = run(
        &fake,
        "full-stack",
        &["kv", "bulk", "delete", "CACHE", file.to_str().unwrap()],
    );
    assert!(ok && err.contains("deleted 1500 keys"), "{err}");
    let (_, out, _) = run(&fake, "full-stack", &["kv", "list", "CACHE"]);
    assert_eq!(out.trim(), "user:1/name");
    std::fs::write(&file, r#"[{"key": "a"}]"#).unwrap();
    let (ok, _, err) = run(
        &fake,
        "full-stack",
        &["kv", "bulk", "put", "CACHE", file.to_str().unwrap()],
    );
    assert!(!ok && err.contains("missing field `value`"), "{err}");
    let (ok, _, _) = run(
        &fake,
        "full-stack",
        &["kv", "delete", "CACHE", "user:1/name"],
    );
    assert!(ok);
    let (ok, _, err) = run(&fake, "full-stack", &["kv", "get", "CACHE", "user:1/name"]);
    assert!(!ok && err.contains("no key `user:1/name`"), "{err}");
    // Listing the account's namespaces only exists on Cloudflare: no flag needed (wrangler's).
    let listing = super::day_two::run(&fake, "full-stack", &["kv", "namespace", "list"]);
    let (ok, out, _) = listing;
    assert!(ok && out.trim() == format!("{id}  api-cache"), "{out}");
}

#[test]
fn r2_on_cloudflare_streams_objects_and_lists_every_page() {
    let fake = FakeCloudflare::start(Options::default());
    assert!(deploy(&fake, "full-stack", &[]).0);
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.bin");
    let bytes: Vec<u8> = (0..3_000_000u32).map(|n| (n % 251) as u8).collect();
    std::fs::write(&big, &bytes).unwrap();
    fake.inject(Fault::new(
        "PUT",
        "/accounts/*/r2/buckets/*/objects/**",
        FaultKind::Status(502),
    ));
    let (ok, _, err) = run(
        &fake,
        "full-stack",
        &[
            "r2",
            "put",
            "ASSETS",
            "photos/big.bin",
            big.to_str().unwrap(),
        ],
    );
    assert!(
        ok && err.contains("stored `photos/big.bin` in `ASSETS` (3000000 bytes)"),
        "{err}"
    );
    let back = dir.path().join("back.bin");
    let (ok, _, err) = run(
        &fake,
        "full-stack",
        &[
            "r2",
            "get",
            "ASSETS",
            "photos/big.bin",
            "-o",
            back.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert!(
        std::fs::read(&back).unwrap() == bytes,
        "the object comes back byte for byte"
    );

    let account = fake.account_id();
    for n in 0..1005 {
        let path = format!("/accounts/{account}/r2/buckets/app-assets/objects/logs/{n:04}.txt");
        fake.client()
            .raw("PUT", &path, "text/plain", b"x".to_vec())
            .unwrap();
    }
    fake.reset_log();
    let (ok, out, _) = run(
        &fake,
        "full-stack",
        &["r2", "list", "ASSETS", "--prefix", "logs/"],
    );
    assert!(ok);
    assert_eq!(out.lines().count(), 1005);
    assert_eq!(out.lines().next(), Some("logs/0000.txt\t1"));
    assert_eq!(
        api_requests(&fake)
            .iter()
            .filter(|r| r.contains("/objects"))
            .count(),
        2
    );
    let (ok, _, _) = run(
        &fake,
        "full-stack",
        &["r2", "delete", "ASSETS", "photos/big.bin"],
    );
    assert!(ok);
    let (ok, _, err) = run(
        &fake,
        "full-stack",
        &["r2", "get", "ASSETS", "photos/big.bin"],
    );
    assert!(
        !ok && err.contains("no object `photos/big.bin` in `ASSETS`"),
        "{err}"
    );
}

#[test]
fn d1_on_cloudflare_executes_as_a_table_or_json_exports_and_lists_migrations() {
    let fake = FakeCloudflare::start(Options::default());
    assert!(deploy(&fake, "full-stack", &[]).0);
    let (ok, out, _) = run(&fake, "full-stack", &["d1", "migrations", "list", "DB"]);
    assert!(ok && out.trim() == "pending  0001_notes.sql", "{out}");
    assert!(run(&fake, "full-stack", &["d1", "migrations", "apply", "DB"]).0);
    let (_, out, _) = run(
        &fake,
        "full-stack",
        &["d1", "migrations", "list", "DB", "--message-format", "json"],
    );
    let listed: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        listed["result"],
        json!([{"name": "0001_notes.sql", "applied": true}])
    );

    fake.inject(Fault::new(
        "POST",
        "/accounts/*/d1/database/*/raw",
        FaultKind::RateLimited {
            retry_after_secs: 1,
        },
    ));
    let (ok, _, err) = run(
        &fake,
        "full-stack",
        &[
            "d1",
            "execute",
            "DB",
            "--command",
            "INSERT INTO notes (body, created_at) VALUES ('first', 'today'), ('it''s', 'now')",
        ],
    );
    assert!(ok && err.contains("2 rows changed"), "{err}");
    let (ok, out, _) = run(
        &fake,
        "full-stack",
        &[
            "d1",
            "execute",
            "DB",
            "--command",
            "SELECT id, body FROM notes ORDER BY id",
        ],
    );
    assert!(ok);
    assert_eq!(out, "id │ body\n───┼──────\n1  │ first\n2  │ it's\n");
    let (_, out, _) = run(
        &fake,
        "full-stack",
        &[
            "d1",
            "execute",
            "DB",
            "--command",
            "SELECT count(*) AS n FROM notes",
            "--message-format",
            "json",
        ],
    );
    let result: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(result["result"][0]["columns"], json!(["n"]));
    assert_eq!(result["result"][0]["rows"], json!([[2]]));

    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("backup.sql");
    let (ok, _, err) = run(
        &fake,
        "full-stack",
        &["d1", "export", "DB", "-o", dump.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    let sql = std::fs::read_to_string(&dump).unwrap();
    assert!(
        sql.contains("CREATE TABLE notes")
            && sql.contains("INSERT INTO \"notes\" VALUES(2,'it''s','now');"),
        "{sql}"
    );
    assert!(sql.contains("d1_migrations"), "{sql}");
}

#[test]
fn d1_migrations_create_numbers_the_next_file_and_lists_local_state() {
    let fake = FakeCloudflare::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join("worker");
    let manifest = scratch_crate(
        &crate_dir,
        "[package]\nname = \"notes\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[package.metadata.edge]\ncompatibility_date = \"2025-06-01\"\n\n[package.metadata.edge.d1]\nDB = { database = \"notes-db\" }\n",
    );
    let edge = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--manifest-path", manifest.to_str().unwrap()]);
        let output = super::edge(&fake, &all);
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).to_string(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    };
    let (ok, out, err) = edge(&["d1", "migrations", "create", "DB", "Create notes"]);
    assert!(ok, "{err}");
    assert!(
        out.trim().ends_with("migrations/0001_create_notes.sql"),
        "{out}"
    );
    std::fs::write(
        crate_dir.join("migrations/0001_create_notes.sql"),
        "CREATE TABLE notes (body TEXT);",
    )
    .unwrap();
    let (_, out, _) = edge(&["d1", "migrations", "create", "DB", "add index"]);
    assert!(
        out.trim().ends_with("migrations/0002_add_index.sql"),
        "{out}"
    );
    let (ok, out, err) = edge(&["d1", "migrations", "list", "DB", "--local"]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "pending  0001_create_notes.sql\npending  0002_add_index.sql\n"
    );
    assert!(edge(&["d1", "migrations", "apply", "DB", "--local"]).0);
    let (_, out, _) = edge(&["d1", "migrations", "list", "DB", "--local"]);
    assert_eq!(
        out,
        "applied  0001_create_notes.sql\napplied  0002_add_index.sql\n"
    );
}
