//! `cargo edge dev` behaves like production and never hides a failure, end to end on real
//! workerd with one fixture (`fixtures/fidelity`, copied so it can be edited):
//! `cloudflare:email` loads, the Cache API follows Cloudflare's rules and persists, a WebSocket
//! close frame comes back through the proxy and straight from workerd, D1 errors and types are
//! production's, a panic answers as production does and is logged, a workerd that dies (killed
//! later, or failing at start) is reported with its cause and shown by the proxy until the next
//! change restarts it, no zombie is left, and deploy-only checks warn in build/dev but stop a
//! deploy.

#[path = "dev_fidelity/harness.rs"]
mod harness;

use std::time::Duration;

use harness::{call, cargo_edge, signal, standalone_fidelity, websocket_close, Dev};

#[test]
fn dev_runs_the_fidelity_crate_like_production_and_reports_a_dead_workerd() {
    let crate_dir = standalone_fidelity("fidelity");
    let manifest = crate_dir.path().join("Cargo.toml");
    let state = tempfile::tempdir().unwrap();
    let persist = ["--persist-to", state.path().to_str().unwrap()];
    let dev = Dev::start(&manifest, &persist);
    let logs = dev.logs();
    // Deploy-only checks are warnings here, with the fix.
    assert!(
        logs.contains("has no `compatibility_date`; using today's"),
        "{logs}"
    );
    assert!(logs.contains("compatibility_date = \""), "{logs}");
    assert!(
        logs.contains("uses class `Room`, which appears in no migration"),
        "{logs}"
    );
    assert!(logs.contains("new_sqlite_classes = [\"Room\"]"), "{logs}");
    assert_eq!(
        call("GET", &dev.url("/room"), "").1,
        "room",
        "{}",
        dev.logs()
    );

    // cloudflare:email (and its cloudflare-internal:email) loads.
    let (status, body, _) = call("GET", &dev.url("/email"), "");
    assert_eq!(
        (status, body.as_str()),
        (200, "from@example.com -> to@example.com")
    );

    cache_api(&dev);
    websockets(&dev);
    d1_like_production(&dev);
    panics_like_production(&dev);
    killed_later_is_reported_and_recovers(&dev, &crate_dir.path().join("src/lib.rs"));
    failing_at_start_is_reported_and_recovers(&dev, &manifest);
    assert!(dev.zombies().is_empty(), "zombies: {:?}", dev.zombies());
    dev.stop();

    // Cached entries survive a restart; with --no-cache nothing is stored or matched.
    let again = Dev::start(&manifest, &persist);
    let (status, body, _) = call("GET", &again.url("/cache/kept"), "");
    assert_eq!((status, body.as_str()), (200, "kept"), "{}", again.logs());
    again.stop();
    let off = Dev::start(&manifest, &[persist[0], persist[1], "--no-cache"]);
    call("PUT", &off.url("/cache/off?cc=max-age=60"), "x");
    assert_eq!(call("GET", &off.url("/cache/off"), "").0, 404);
    assert_eq!(call("GET", &off.url("/cache/kept"), "").0, 404);
    off.stop();

    // A workerd that fails on the very first start: dev stays up, says why, serves the report,
    // and starts it once the manifest is fixed.
    let good = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, with_bad_flag(&good)).unwrap();
    let broken = Dev::start(&manifest, &persist);
    assert!(
        broken.wait_for_log(
            "Waiting for a change to start workerd again",
            Duration::from_secs(30)
        ),
        "{}",
        broken.logs()
    );
    assert!(broken
        .logs()
        .contains("error: workerd exited while starting the worker"));
    let (status, page, _) = call("GET", &broken.url("/"), "");
    assert_eq!(status, 500);
    assert!(
        page.contains("No such compatibility flag: no_such_flag"),
        "{page}"
    );
    std::fs::write(&manifest, good).unwrap();
    assert!(
        broken.wait_for_log("Reloaded in", Duration::from_secs(60)),
        "{}",
        broken.logs()
    );
    assert_eq!(call("GET", &broken.url("/"), "").1, "fidelity");
    broken.stop();
}

fn with_bad_flag(manifest: &str) -> String {
    manifest.replacen(
        "[package.metadata.edge]\n",
        "[package.metadata.edge]\ncompatibility_flags = [\"no_such_flag\"]\n",
        1,
    )
}

fn cache_api(dev: &Dev) {
    let put = |path: &str, body: &str| call("PUT", &dev.url(path), body);
    let get = |path: &str| {
        let (status, body, headers) = call("GET", &dev.url(path), "");
        let cache = headers
            .get("x-cache-status")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (status, body, cache)
    };
    assert_eq!(get("/cache/a").0, 404, "an empty cache misses");
    put("/cache/a?cc=public,%20s-maxage=2,%20max-age=0", "first");
    assert_eq!(get("/cache/a"), (200, "first".into(), "HIT".into()));
    // s-maxage wins over max-age=0 (above); this one outlives the session (checked after it).
    put("/cache/kept?cc=max-age=3600", "kept");
    // Not stored: Set-Cookie, no-store, private, and no freshness at all.
    put("/cache/cookie?cc=max-age=60&cookie=1", "c");
    put("/cache/nostore?cc=no-store,%20max-age=60", "n");
    put("/cache/private?cc=private,%20max-age=60", "p");
    put("/cache/bare", "b");
    for path in [
        "/cache/cookie",
        "/cache/nostore",
        "/cache/private",
        "/cache/bare",
    ] {
        assert_eq!(get(path).0, 404, "{path} must not be cached");
    }
    // ...unless private=Set-Cookie asks for the cookie to be dropped instead.
    put(
        "/cache/dropped?cc=max-age=60,%20private=set-cookie&cookie=1",
        "d",
    );
    assert_eq!(get("/cache/dropped").0, 200);
    // caches.open(name) is its own namespace.
    put("/cache/a?ns=named&cc=max-age=60", "named");
    assert_eq!(get("/cache/a?ns=named").1, "named");
    assert_eq!(get("/cache/a").1, "first");
    // delete: true once, then false.
    assert_eq!(
        call("DELETE", &dev.url("/cache/a?ns=named"), "").1,
        "Success"
    );
    assert_eq!(
        call("DELETE", &dev.url("/cache/a?ns=named"), "").1,
        "ResponseNotFound"
    );
    assert_eq!(get("/cache/a?ns=named").0, 404);
    // Expiry: s-maxage=2 is gone after two seconds.
    std::thread::sleep(Duration::from_millis(2200));
    assert_eq!(get("/cache/a").0, 404, "expired");
}

fn websockets(dev: &Dev) {
    let (_, workerd_port) = dev.workerd();
    for (port, path) in [(dev.port, "the front proxy"), (workerd_port, "workerd")] {
        let (echo, close) = websocket_close(port, 4001, "done");
        assert_eq!(echo, "echo: hello", "through {path}");
        let (code, _reason) = close.unwrap_or_else(|| panic!("no close frame back through {path}"));
        assert_eq!(code, 4001, "through {path}");
    }
}

fn d1_like_production(dev: &Dev) {
    let (status, body, _) = call("GET", &dev.url("/d1/bad"), "");
    assert_eq!(status, 500);
    assert!(
        body.ends_with("near \"THIS\": syntax error at offset 0: SQLITE_ERROR"),
        "{body}"
    );
    let (status, body, _) = call("GET", &dev.url("/d1/type"), "");
    assert_eq!(
        (status, body.as_str()),
        (500, "Error: invalid type: string \"hello\", expected u32")
    );
}

fn panics_like_production(dev: &Dev) {
    let (status, body, _) = call("GET", &dev.url("/panic"), "");
    assert_eq!(status, 500);
    assert!(
        body.starts_with("The Workers runtime canceled this request because it detected that your Worker's code had hung"),
        "{body}"
    );
    assert!(
        dev.wait_for_log(
            "panicked at src/lib.rs:39:31:\nfidelity: the /panic route panics on purpose",
            Duration::from_secs(10)
        ),
        "no panic message and location:\n{}",
        dev.logs()
    );
    assert_eq!(
        call("GET", &dev.url("/"), "").1,
        "fidelity",
        "the next request works"
    );
}

fn killed_later_is_reported_and_recovers(dev: &Dev, lib: &std::path::Path) {
    let (pid, _) = dev.workerd();
    signal(&pid.to_string(), "-KILL");
    assert!(
        dev.wait_for_log(
            "error: workerd stopped while serving: killed by signal 9",
            Duration::from_secs(10)
        ),
        "{}",
        dev.logs()
    );
    assert!(dev
        .logs()
        .contains("= help: fix the cause, then save a file"));
    let (status, page, _) = call("GET", &dev.url("/"), "");
    assert_eq!(status, 500);
    assert!(page.contains("workerd was killed (SIGKILL)"), "{page}");
    assert!(dev.zombies().is_empty(), "workerd was reaped");
    let reloads = dev.logs().matches("Reloaded in").count();
    let source = std::fs::read_to_string(lib).unwrap();
    std::fs::write(lib, format!("{source}\n// edited\n")).unwrap();
    assert!(
        dev.wait_for_count("Reloaded in", reloads + 1, Duration::from_secs(120)),
        "{}",
        dev.logs()
    );
    assert_eq!(call("GET", &dev.url("/"), "").1, "fidelity");
}

fn failing_at_start_is_reported_and_recovers(dev: &Dev, manifest: &std::path::Path) {
    let good = std::fs::read_to_string(manifest).unwrap();
    std::fs::write(manifest, with_bad_flag(&good)).unwrap();
    assert!(
        dev.wait_for_log(
            "error: workerd exited while starting the worker: exit status: 1",
            Duration::from_secs(60)
        ),
        "{}",
        dev.logs()
    );
    let logs = dev.logs();
    assert!(
        logs.contains("  | service fidelity: No such compatibility flag: no_such_flag"),
        "{logs}"
    );
    assert!(
        logs.contains("= cause: `no_such_flag` is not a compatibility flag"),
        "{logs}"
    );
    let (status, page, _) = call("GET", &dev.url("/"), "");
    assert_eq!(status, 500);
    assert!(
        page.contains("No such compatibility flag: no_such_flag"),
        "{page}"
    );
    let reloads = dev.logs().matches("Reloaded in").count();
    std::fs::write(manifest, good).unwrap();
    assert!(
        dev.wait_for_count("Reloaded in", reloads + 1, Duration::from_secs(60)),
        "{}",
        dev.logs()
    );
    assert_eq!(call("GET", &dev.url("/"), "").1, "fidelity");
}

/// Build warns about what only a deploy enforces; deploy refuses it before sending anything.
#[test]
fn deploy_only_checks_warn_in_build_and_stop_a_deploy() {
    let crate_dir = standalone_fidelity("fidelity-deploy");
    let manifest = crate_dir.path().join("Cargo.toml");
    let (ok, out) = cargo_edge("build", &manifest, &[]);
    assert!(ok, "build succeeds with warnings:\n{out}");
    assert!(
        out.contains("⚠ `fidelity-deploy` has no `compatibility_date`"),
        "{out}"
    );
    assert!(
        out.contains("⚠ Durable Object `ROOMS` uses class `Room`"),
        "{out}"
    );
    let dry = tempfile::tempdir().unwrap();
    let (ok, out) = cargo_edge(
        "deploy",
        &manifest,
        &["--dry-run", dry.path().to_str().unwrap()],
    );
    assert!(!ok, "deploy must refuse:\n{out}");
    assert!(
        out.contains("× `fidelity-deploy` has no `compatibility_date`"),
        "{out}"
    );
    assert!(
        out.contains("× Durable Object `ROOMS` uses class `Room`"),
        "{out}"
    );
    assert!(
        std::fs::read_dir(dry.path()).unwrap().next().is_none(),
        "nothing was planned or written"
    );
}
