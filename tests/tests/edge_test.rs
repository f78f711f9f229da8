//! The `edge-test` crate driving `fixtures/tested` (KV, D1, R2, a queue with retries and a
//! dead-letter queue, a cron, a Durable Object, a service binding to `fixtures/auth`) from
//! native tests, the way a user's `tests/` crate would. One build is shared by every test of
//! this process; each `Worker` gets its own ports and state folder.

use std::time::{Duration, Instant};

use edge_test::{Error, Worker};
use edge_tests::{fixture_target_dir, root, standalone_fixture, workerd_bin};
use serde_json::json;

/// The fixture, built with the fixtures' `fast` profile into their shared target folder.
fn tested() -> edge_test::Builder {
    at(&root().join("fixtures/tested")).secret("API_KEY", "s3cret")
}

fn at(path: &std::path::Path) -> edge_test::Builder {
    Worker::build(path)
        .profile("fast")
        .target_dir(fixture_target_dir())
        .workerd(workerd_bin())
}

async fn start() -> Worker {
    let begun = Instant::now();
    let worker = tested().start().await.unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "edge-test: worker started in {:.3} s ({:.3} s with the shared build)",
        worker.startup_time().as_secs_f64(),
        begun.elapsed().as_secs_f64()
    );
    worker
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_vars_and_secrets() {
    let worker = start().await;
    let res = worker.fetch("/").send().await.unwrap();
    assert_eq!((res.status(), res.text()), (200, "hello from dev".into()));
    let secret = worker.fetch("/secret").send().await.unwrap();
    assert_eq!(secret.text(), "s3cret");
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_environment_applies_its_overrides() {
    let worker = tested().env("staging").start().await.unwrap();
    let res = worker.fetch("/").send().await.unwrap();
    assert_eq!(res.text(), "hello from staging");
}

#[tokio::test(flavor = "multi_thread")]
async fn kv_is_seeded_and_inspected() {
    let worker = start().await;
    let kv = worker.kv("CACHE");
    kv.put("seeded", "by the test").await.unwrap();
    let res = worker.fetch("/kv/seeded").send().await.unwrap();
    assert_eq!(res.text(), "by the test");
    let put = worker
        .fetch("/kv/written")
        .method("PUT")
        .body("by the worker");
    assert_eq!(put.send().await.unwrap().status(), 200);
    assert_eq!(
        kv.get("written").await.unwrap().as_deref(),
        Some("by the worker")
    );
    assert_eq!(kv.list("").await.unwrap(), ["seeded", "written"]);
    assert_eq!(kv.get("missing").await.unwrap(), None);
    let unknown = worker.kv("NOPE").get("k").await.unwrap_err();
    assert!(
        unknown.to_string().contains("no binding named `NOPE`"),
        "{unknown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn d1_rows_after_a_request() {
    let worker = start().await;
    let res = worker.fetch("/notes").method("POST").body("hi");
    assert_eq!(res.send().await.unwrap().status(), 201);
    let db = worker.d1("DB");
    let rows = db.query("SELECT count(*) AS n FROM notes").await.unwrap();
    assert_eq!(rows[0]["n"], 1);
    let sql = "SELECT body FROM notes WHERE body = ?";
    let rows = db.query_with(sql, &[json!("hi")]).await.unwrap();
    assert_eq!(rows, [json!({"body": "hi"})]);
}

#[tokio::test(flavor = "multi_thread")]
async fn r2_objects_both_ways() {
    let worker = start().await;
    let files = worker.r2("FILES");
    files.put("a.txt", b"file body").await.unwrap();
    let res = worker.fetch("/files/a.txt").send().await.unwrap();
    assert_eq!(res.text(), "file body");
    let read = files.get("a.txt").await.unwrap();
    assert_eq!(read.as_deref(), Some(&b"file body"[..]));
    assert_eq!(files.get("b.txt").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn queue_messages_are_delivered_retried_and_dead_lettered() {
    let worker = start().await;
    worker.queue("JOBS").send(json!("fail")).await.unwrap();
    worker.queue("JOBS").send(json!("first")).await.unwrap();
    let post = worker.fetch("/jobs").method("POST").body("second");
    assert_eq!(post.send().await.unwrap().status(), 200);
    worker.queues_idle().await.unwrap();
    let kv = worker.kv("CACHE");
    assert_eq!(kv.get("job:first").await.unwrap().as_deref(), Some("done"));
    assert_eq!(kv.get("job:second").await.unwrap().as_deref(), Some("done"));
    assert_eq!(kv.get("job:fail").await.unwrap(), None);
    // Retried twice, then moved to the dead-letter queue, whose consumer recorded it.
    let dead = kv.get("dead:fail").await.unwrap();
    assert!(dead.is_some(), "{:#?}", worker.logs());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cron_fires_on_demand() {
    let worker = start().await;
    let outcome = worker.scheduled("0 0 1 1 *").await.unwrap();
    assert!(outcome.is_ok(), "{outcome:?}");
    let ran = worker.kv("CACHE").get("cron:ran").await.unwrap();
    assert_eq!(ran.as_deref(), Some("0 0 1 1 *"));
    let unknown = worker.scheduled("* * * * *").await.unwrap_err();
    assert!(
        unknown.to_string().contains("no cron `* * * * *`"),
        "{unknown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn durable_object_storage_is_inspected_and_seeded() {
    let worker = start().await;
    for expected in ["1", "2"] {
        let res = worker.fetch("/counter/a").send().await.unwrap();
        assert_eq!(res.text(), expected);
    }
    let counters = worker.durable_object("COUNTERS");
    assert_eq!(
        counters.storage("a").get("n").await.unwrap(),
        Some(json!(2))
    );
    counters.storage("b").put("n", json!(41)).await.unwrap();
    let res = worker.fetch("/counter/b").send().await.unwrap();
    assert_eq!(res.text(), "42");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_binding_reaches_the_workspace_worker_started_beside() {
    let worker = start().await;
    let ok = worker
        .fetch("/whoami")
        .header("Authorization", "Bearer letmein");
    let ok = ok.send().await.unwrap();
    assert_eq!((ok.status(), ok.text()), (200, "admin".into()));
    let refused = worker.fetch("/whoami").send().await.unwrap();
    assert_eq!(refused.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_in_parallel_never_share_state() {
    let (a, b) = tokio::join!(start(), start());
    assert_ne!(a.url(), b.url());
    a.kv("CACHE").put("only-in-a", "1").await.unwrap();
    a.fetch("/notes")
        .method("POST")
        .body("a")
        .send()
        .await
        .unwrap();
    assert_eq!(b.kv("CACHE").get("only-in-a").await.unwrap(), None);
    let rows = b
        .d1("DB")
        .query("SELECT count(*) AS n FROM notes")
        .await
        .unwrap();
    assert_eq!(rows[0]["n"], 0);
    assert_eq!(a.fetch("/counter/x").send().await.unwrap().text(), "1");
    assert_eq!(b.fetch("/counter/x").send().await.unwrap().text(), "1");
}

#[tokio::test(flavor = "multi_thread")]
async fn panics_show_in_the_logs() {
    let worker = start().await;
    let res = worker.fetch("/panic").send().await.unwrap();
    assert_eq!(res.status(), 500);
    let deadline = Instant::now() + Duration::from_secs(20);
    let seen = |w: &Worker| w.logs().iter().any(|l| l.contains("on purpose"));
    while !seen(&worker) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let logs = worker.logs().join("\n");
    assert!(
        logs.contains("the /panic route panics on purpose"),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_undeclared_secret_is_refused() {
    let error = tested().secret("NOT_DECLARED", "x").start().await.err();
    let error = error.expect("refused");
    assert!(matches!(error, Error::UndeclaredSecret(_)), "{error}");
    assert!(error.to_string().contains("add it to `secrets = [...]`"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_workerd_is_a_clear_error() {
    let error = tested().workerd("/nonexistent/workerd").start().await.err();
    let error = error.expect("refused");
    assert!(matches!(error, Error::Workerd(_)), "{error}");
    assert!(
        error.to_string().contains("/nonexistent/workerd"),
        "{error}"
    );
}

const BROKEN_MANIFEST: &str = r#"[package]
name = "broken"
version = "0.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]

[dependencies]
worker = { version = "=0.8.7", features = ["d1", "queue"] }
wasm-bindgen = "=0.2.130"

[profile.fast]
inherits = "release"
opt-level = "z"
lto = false
codegen-units = 16
incremental = true
strip = "debuginfo"

[package.metadata.edge]
compatibility_date = "2025-06-01"

[workspace]
"#;

/// A crate that does not compile, in a workspace that shares the fixtures' lock file and target
/// folder (so `worker` is not compiled again): the error names the crate and carries rustc's.
#[tokio::test(flavor = "multi_thread")]
async fn a_build_error_is_a_clear_failure() {
    let dir = tempfile::tempdir().unwrap();
    let lock = std::fs::read_to_string(root().join("fixtures/Cargo.lock")).unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), lock).unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), BROKEN_MANIFEST).unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    let source = "pub fn answer() -> u32 {\n    \"forty-two\"\n}\n";
    std::fs::write(dir.path().join("src/lib.rs"), source).unwrap();
    let error = at(dir.path()).start().await.err().expect("the build fails");
    let text = error.to_string();
    assert!(matches!(error, Error::Build(_)), "{text}");
    assert!(text.contains("building worker `broken`"), "{text}");
    assert!(text.contains("mismatched types"), "{text}");
}

/// Run with `--ignored`: fails on purpose, for the test below.
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn deliberately_failing() {
    let worker = start().await;
    let res = worker.fetch("/").send().await.unwrap();
    let text = res.text();
    assert_eq!(text, "hello from prod", "this native test fails on purpose");
}

/// The failing test above, run by this test binary in a child process: libtest reports it with
/// its message and exits non-zero.
#[test]
fn a_failing_test_is_reported_with_its_message() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "deliberately_failing"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(
        stdout.contains("this native test fails on purpose"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test deliberately_failing ... FAILED"),
        "{stdout}"
    );
}

/// An email to the `bindings` fixture's `#[event(email)]` handler, from a native test: the
/// verdict and what the handler sent, as `cargo edge trigger email` reports them.
#[tokio::test(flavor = "multi_thread")]
async fn an_email_reaches_the_handler_and_its_reply_is_returned() {
    let worker = at(&root().join("fixtures/bindings"))
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let raw = |to: &str| {
        format!("From: sender@example.com\r\nTo: {to}\r\nMessage-ID: <t-1@example.com>\r\nSubject: hi\r\n\r\nhi\r\n")
    };
    let replied = worker
        .email(
            "sender@example.com",
            "reply@example.com",
            raw("reply@example.com"),
        )
        .await
        .unwrap();
    assert_eq!(
        replied.outcome,
        edge_test::EmailOutcome::Accepted,
        "{:?}",
        worker.logs()
    );
    assert_eq!(replied.replies.len(), 1);
    let reply = std::fs::read_to_string(&replied.replies[0].file).unwrap();
    assert!(
        reply.contains("In-Reply-To: <t-1@example.com>\r\n"),
        "{reply}"
    );
    let rejected = worker
        .email(
            "sender@example.com",
            "reject@example.com",
            raw("reject@example.com"),
        )
        .await
        .unwrap();
    assert_eq!(
        rejected.outcome,
        edge_test::EmailOutcome::Rejected("no such mailbox here".into())
    );
    worker.stop().await;
}

/// What a running `Worker` holds: its front door, the binding server, workerd's process.
struct Held {
    ports: Vec<u16>,
    workerd: u32,
}

fn held(worker: &Worker) -> Held {
    let front = worker.url().rsplit(':').next().unwrap().parse().unwrap();
    Held {
        ports: vec![front, worker.binding_server_addr().port()],
        workerd: worker.workerd_pid().expect("workerd runs"),
    }
}

/// Whether `pid` is a live workerd (not gone, not a zombie waiting to be reaped).
fn workerd_alive(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let state = stat.rsplit(") ").next().and_then(|s| s.chars().next());
    state.is_some_and(|s| s != 'Z') && String::from_utf8_lossy(&cmdline).contains("workerd")
}

/// What of `held` still accepts connections or runs, if anything.
fn still_running(held: &Held) -> Option<String> {
    let open: Vec<u16> = held
        .ports
        .iter()
        .copied()
        .filter(|port| std::net::TcpStream::connect(("127.0.0.1", *port)).is_ok())
        .collect();
    let alive = workerd_alive(held.workerd);
    (!open.is_empty() || alive)
        .then(|| format!("ports still open: {open:?}; workerd alive: {alive}"))
}

/// Wait (up to 10 s, letting the runtime turn) until nothing of `held` runs.
async fn released(held: &Held) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match still_running(held) {
            None => return Ok(()),
            Some(left) if Instant::now() > deadline => return Err(left),
            Some(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// A `Worker` dropped without `stop()` (a test that returned early, say) ends workerd and
/// closes the binding server and the front door: on a multi-thread runtime before `drop`
/// returns.
#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_worker_stops_what_it_started() {
    let worker = start().await;
    let held = held(&worker);
    assert_eq!(worker.fetch("/").send().await.unwrap().status(), 200);
    drop(worker);
    assert_eq!(still_running(&held), None);
}

/// The same from outside the runtime (a `Worker` handed out of `block_on`, dropped after):
/// the drop waits on the runtime's own threads.
#[test]
fn a_worker_dropped_outside_its_runtime_is_stopped_before_drop_returns() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let worker = runtime.block_on(start());
    let held = held(&worker);
    drop(worker);
    assert_eq!(still_running(&held), None);
}

/// On a current-thread runtime the drop cannot wait for the runtime it runs on: the runtime
/// ends it all at its next turn.
#[tokio::test]
async fn a_worker_dropped_on_a_current_thread_runtime_stops_at_its_next_turn() {
    let worker = start().await;
    let held = held(&worker);
    drop(worker);
    released(&held).await.unwrap();
}

/// A test that panics with its `Worker` alive never reaches `stop()`: the unwinding drop (on
/// either runtime flavor, the runtime itself torn down right after) still ends it all.
#[test]
fn a_panicking_test_leaves_nothing_running() {
    for multi_thread in [false, true] {
        let (tx, rx) = std::sync::mpsc::channel();
        let test = std::thread::spawn(move || {
            let mut runtime = match multi_thread {
                true => tokio::runtime::Builder::new_multi_thread(),
                false => tokio::runtime::Builder::new_current_thread(),
            };
            runtime.enable_all().build().unwrap().block_on(async {
                let worker = start().await;
                tx.send(held(&worker)).unwrap();
                panic!("the test fails with its worker running");
            })
        });
        assert!(test.join().is_err(), "the test panicked");
        let held = rx.recv().expect("the worker started");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        let released = runtime.unwrap().block_on(released(&held));
        released.unwrap_or_else(|e| panic!("multi_thread: {multi_thread}: {e}"));
    }
}

/// A service binding to a worker outside the workspace: the worker starts anyway, as under
/// `cargo edge dev`; a call through the binding answers 503 with Miniflare's text, the rest of
/// the worker serves, and the logs name the absent worker.
#[tokio::test(flavor = "multi_thread")]
async fn a_service_binding_to_a_worker_outside_the_workspace_answers_503() {
    let services = "[package.metadata.edge.services]\nAUTH = { worker = \"auth-elsewhere\" }\n";
    let dir = standalone_fixture("gateway", "gateway-alone", services);
    let worker = at(dir.path())
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let res = worker.fetch("/whoami").send().await.unwrap();
    let (status, body) = (res.status(), res.text());
    assert_eq!(status, 503, "{body}");
    let said =
        r#"gateway → auth: Worker "auth-elsewhere" not found. Make sure it is running locally."#;
    assert!(body.contains(said), "{body}");
    let res = worker.fetch("/").send().await.unwrap();
    assert_eq!(
        (res.status(), res.text()),
        (
            200,
            "gateway: try /whoami with an Authorization header".into()
        )
    );
    let logs = worker.logs().join("\n");
    assert!(
        logs.contains("warning: a service binding names `auth-elsewhere`, which is not a worker of this workspace"),
        "{logs}"
    );
    worker.stop().await;
}
