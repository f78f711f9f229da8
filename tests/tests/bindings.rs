//! The `bindings` fixture (every binding kind cargo-edge describes as data) under
//! `cargo edge dev` on real workerd: one route per binding, each answer checked.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use edge_tests::{cargo_edge_bin, fixture_manifest, fixture_target_dir, free_port, workerd_bin};

/// A running `cargo edge dev` of the fixture, stopped (process group and all) when dropped.
struct Dev {
    child: Child,
    port: u16,
    logs: tempfile::TempDir,
}

impl Dev {
    fn start(state: &Path, crate_dir: &Path, database: &str) -> Dev {
        let logs = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new(cargo_edge_bin())
            .args(["edge", "dev", "--no-watch", "--profile", "fast"])
            .arg("--manifest-path")
            .arg(crate_dir.join("Cargo.toml"))
            .arg("--port")
            .arg(port.to_string())
            .arg("--target-dir")
            .arg(fixture_target_dir())
            .arg("--workerd")
            .arg(workerd_bin())
            .arg("--persist-to")
            .arg(state)
            .env("CARGO_EDGE_HYPERDRIVE_LOCAL_CONNECTION_STRING_DB", database)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(logs.path().join("out.log")).unwrap())
            .stderr(std::fs::File::create(logs.path().join("err.log")).unwrap())
            .process_group(0)
            .spawn()
            .expect("cargo-edge starts");
        let dev = Dev { child, port, logs };
        let deadline = Instant::now() + Duration::from_secs(240);
        while Instant::now() < deadline {
            if get(&dev, "/version").0 == 200 {
                return dev;
            }
            assert!(!dev.logs().contains("Uncaught"), "{}", dev.logs());
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("dev did not serve /version:\n{}", dev.logs());
    }

    fn logs(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.logs.path().join(f)).unwrap_or_default();
        format!("{}\n{}", read("out.log"), read("err.log"))
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        // SIGTERM to the whole group cargo-edge leads (workerd and cargo included).
        let group = format!("-{}", self.child.id());
        let signal = |name: &str| {
            let _ = Command::new("kill").args([name, "--", &group]).status();
        };
        signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        signal("-KILL");
        let _ = self.child.wait();
    }
}

fn get(dev: &Dev, path: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    match agent
        .get(&format!("http://127.0.0.1:{}{path}", dev.port))
        .call()
    {
        Ok(mut r) => (
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap_or_default(),
        ),
        Err(_) => (0, String::new()),
    }
}

#[test]
fn every_binding_kind_answers_under_dev_on_real_workerd() {
    let manifest = fixture_manifest("bindings");
    let crate_dir = manifest.parent().unwrap();
    let state = tempfile::tempdir().unwrap();
    // A local Secrets Store value, read from the file the README names.
    let secrets = crate_dir.join(".secrets-store.toml");
    std::fs::write(&secrets, "stripe = \"sk_test_123\"\n").unwrap();
    // A real PostgreSQL for Hyperdrive, named by the environment over the table's string.
    let postgres = edge_tests::postgres::Postgres::start().unwrap();
    let dev = Dev::start(state.path(), crate_dir, &postgres.url());
    let logs = || dev.logs();

    // version_metadata: the build's id (the content hash as a UUID) and a timestamp.
    let (status, body) = get(&dev, "/version");
    let version: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(version["id"].as_str().unwrap().len(), 36, "{body}");
    assert!(
        version["timestamp"].as_str().unwrap().ends_with('Z'),
        "{body}"
    );

    // The banner says what each binding is locally, secrets' values never.
    let banner = logs();
    let secrets_file = secrets.display();
    for line in [
        "Binding bindings.LIMITER (Rate Limit): 3 per 60 s per key, counted locally".to_string(),
        "Binding bindings.MAILER (Send Email): ops@example.com - senders: app@example.com".into(),
        format!("Binding bindings.STRIPE_KEY (Secrets Store Secret): `0f2ac74b498b48028cb68387c421e279/stripe`, set in {secrets_file} (hidden)"),
        "(from $CARGO_EDGE_HYPERDRIVE_LOCAL_CONNECTION_STRING_DB)".into(),
        "Binding auth-service.ADMIN_TOKEN (Environment Variable): \"letmein\"".into(),
        "Binding bindings.CERT: `mtls_certificate` (unsafe.bindings): not bound in dev".into(),
    ] {
        assert!(banner.contains(&line), "{line}\n{banner}");
    }
    assert!(!banner.contains("sk_test_123"), "{banner}");

    // ai: a clear error naming the binding, not a hang (the bound is loose for a loaded machine).
    let started = Instant::now();
    let (status, body) = get(&dev, "/ai");
    assert_eq!(status, 500, "{body}");
    assert!(
        body.contains("AI binding `AI`") && body.contains("runs only on Cloudflare"),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));

    // rate limit: 3 per 60 s per key, other keys unaffected.
    let answers: Vec<u16> = (0..4).map(|_| get(&dev, "/limit?key=alice").0).collect();
    assert_eq!(answers, [200, 200, 200, 429], "{}", logs());
    assert_eq!(get(&dev, "/limit?key=bob").0, 200);

    // secrets store: the local value (never in a generated file).
    assert_eq!(get(&dev, "/secret"), (200, "11 characters".into()));

    // analytics engine: the point is recorded and `cargo edge analytics` reads it back.
    assert_eq!(
        get(&dev, "/analytics?blob=clicked"),
        (200, "written".into())
    );
    let mut points = String::new();
    for _ in 0..50 {
        let output = Command::new(cargo_edge_bin())
            .args(["edge", "analytics", "CLICKS", "--persist-to"])
            .arg(state.path())
            .arg("--manifest-path")
            .arg(&manifest)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        points = String::from_utf8_lossy(&output.stdout).into_owned();
        if !points.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let point: serde_json::Value = serde_json::from_str(points.trim()).unwrap();
    assert_eq!(point["blob1"], "clicked", "{points}");
    assert_eq!(point["index1"], "fixture");
    assert_eq!(point["double1"], 1.5);

    // send_email: an allowed message is an .eml file and one printed line; the allow-lists
    // refuse other recipients and senders as Cloudflare does, a recipient with production's
    // `code`, which the `worker` crate's error carries to Rust (`Name [code]: message`).
    let (status, id) = get(&dev, "/email?from=app@example.com&to=ops@example.com");
    assert_eq!(status, 200, "{id}\n{}", logs());
    let dir = state.path().join("email/bindings/MAILER");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(
        eml.contains("To: ops@example.com") && eml.contains("It works."),
        "{eml}"
    );
    assert!(logs().contains("[email] MAILER: app@example.com -> ops@example.com"));
    assert_eq!(
        get(&dev, "/email?from=app@example.com&to=eve@example.com"),
        (500, REFUSED_RECIPIENT.into())
    );
    assert_eq!(
        get(&dev, "/email?from=eve@example.com&to=ops@example.com"),
        (500, "Error: email from eve@example.com not allowed".into())
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    let started = Instant::now();
    raw_email_is_sent_as_written(&dev, &dir);
    the_dispatch_namespace_holds_its_local_workers(&dev);
    incoming_email_reaches_the_handler(&dev, state.path());
    eprintln!(
        "[bindings] raw send_email, dispatch namespace and incoming email: {:.2?}",
        started.elapsed()
    );

    // hyperdrive: workerd's own binding to the local database, queried with tokio-postgres.
    let (status, body) = get(&dev, "/hyperdrive");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with("edge@") && body.ends_with("/postgres"),
        "{body}"
    );
    let (status, body) = get(&dev, "/hyperdrive/query");
    assert_eq!(
        (status, body.as_str()),
        (200, "42 from postgres"),
        "{}\n{}",
        logs(),
        postgres.log()
    );

    drop(dev);
    std::fs::remove_file(&secrets).unwrap();
}

/// A send_email allow-list refusal as the fixture answers it: the `worker` crate's error for
/// production's JS error, whose `code` is Cloudflare's `E_RECIPIENT_NOT_ALLOWED`.
const REFUSED_RECIPIENT: &str =
    "Error [E_RECIPIENT_NOT_ALLOWED]: email to eve@example.com not allowed";

/// send_email with an `EmailMessage` of raw MIME (`cloudflare:email`): the message as written,
/// under the same allow-lists.
fn raw_email_is_sent_as_written(dev: &Dev, dir: &Path) {
    let (status, id) = get(dev, "/email/raw?from=app@example.com&to=ops@example.com");
    assert_eq!(status, 200, "{id}\n{}", dev.logs());
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2);
    let eml = std::fs::read_to_string(&files[1]).unwrap();
    assert!(
        eml.starts_with(
            "From: app@example.com\r\nTo: ops@example.com\r\nMessage-ID: <raw-1@example.com>"
        ) && eml.ends_with("\r\n\r\nBuilt by hand.\r\n"),
        "{eml:?}"
    );
    assert_eq!(
        get(dev, "/email/raw?from=app@example.com&to=eve@example.com"),
        (500, REFUSED_RECIPIENT.into())
    );
    // Production's (and Miniflare's) checks of the raw message itself; nothing is written.
    for (head, error) in [
        ("other-from", "From: header does not match mail from"),
        ("no-id", "invalid message-id"),
        ("received", "invalid headers set"),
    ] {
        let path = format!("/email/raw?from=app@example.com&to=ops@example.com&head={head}");
        let (status, body) = get(dev, &path);
        assert_eq!(status, 500, "{head}: {body}");
        assert!(body.contains(error), "{head}: {body}");
    }
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 2);
}

/// `TENANTS.get(name)`: the namespace's `local_workers` answer; any other name (the outbound
/// worker's too) gives a Fetcher whose fetch fails with "Worker not found", as on Cloudflare.
fn the_dispatch_namespace_holds_its_local_workers(dev: &Dev) {
    assert_eq!(
        get(dev, "/tenant?name=auth-service"),
        (200, "auth-service: admin".into()),
        "{}",
        dev.logs()
    );
    // The namespace's outbound worker (`hello`) sees the dispatched worker's subrequests: its
    // fetch of https://upstream.example/greet/outbound is answered by hello's route.
    assert_eq!(
        get(dev, "/tenant?name=auth-service&path=/upstream"),
        (200, "auth-service: upstream said: Hello, outbound!".into()),
        "{}",
        dev.logs()
    );
    assert!(dev
        .logs()
        .contains("their fetch() goes through outbound worker `hello`"));
    for missing in ["nobody", "bindings", "hello"] {
        let (status, body) = get(dev, &format!("/tenant?name={missing}"));
        assert_eq!(status, 404, "{missing}: {body}");
        assert!(body.contains("Worker not found"), "{body}");
    }
}

/// A raw message from sender@example.com to `to`, with thread headers as given.
fn message(to: &str, extra: &str) -> String {
    format!(
        "From: Sender <sender@example.com>\r\nTo: {to}\r\nMessage-ID: <incoming-1@example.com>\r\n{extra}Subject: hello\r\n\r\nHello there.\r\n"
    )
}

/// `cargo edge trigger email` against the session: (exit code, stdout, stderr).
fn trigger(dev: &Dev, dir: &Path, to: &str, raw: &str) -> (i32, String, String) {
    let file = dir.join("message.eml");
    std::fs::write(&file, raw).unwrap();
    let output = Command::new(cargo_edge_bin())
        .args([
            "edge",
            "trigger",
            "email",
            "--from",
            "sender@example.com",
            "--to",
            to,
        ])
        .arg(&file)
        .arg("--port")
        .arg(dev.port.to_string())
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        output.status.code().unwrap_or(-1),
        text(&output.stdout),
        text(&output.stderr),
    )
}

/// The one file `line` ends with (`...: <path>`), read.
fn written(line: &str) -> String {
    let path = line.trim().rsplit(": ").next().unwrap();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// POST to wrangler's `/cdn-cgi/handler/email` URL: (status, body).
fn post_email(dev: &Dev, to: &str, raw: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!(
        "http://127.0.0.1:{}/cdn-cgi/handler/email?from=sender@example.com&to={to}",
        dev.port
    );
    let mut answer = agent.post(&url).send(raw).unwrap();
    (
        answer.status().as_u16(),
        answer.body_mut().read_to_string().unwrap(),
    )
}

/// The `#[event(email)]` handler fired by `cargo edge trigger email` and by wrangler's URL:
/// reply, forward and reject behave as Email Routing's, and are recorded.
fn incoming_email_reaches_the_handler(dev: &Dev, state: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // reply: In-Reply-To matches, so it is sent, with the References Email Routing adds.
    let (code, out, err) = trigger(
        dev,
        dir,
        "reply@example.com",
        &message("reply@example.com", ""),
    );
    assert_eq!(code, 0, "{out}{err}\n{}", dev.logs());
    let line = out.lines().find(|l| l.starts_with("replied ")).expect(&out);
    assert!(
        line.starts_with("replied reply@example.com -> sender@example.com: "),
        "{line}"
    );
    assert!(line.contains(&state.join("email/bindings/_replies").display().to_string()));
    let reply = written(line);
    assert!(
        reply.starts_with("References: <incoming-1@example.com>\r\nFrom: reply@example.com\r\n"),
        "{reply:?}"
    );
    assert!(
        reply.contains("In-Reply-To: <incoming-1@example.com>\r\n"),
        "{reply:?}"
    );
    assert!(out.contains("email accepted by the worker"), "{out}");
    assert!(dev
        .logs()
        .contains("[email] reply reply@example.com -> sender@example.com written to"));

    // forward: the message as received, with the X-* header the handler added.
    let raw = message("forward@example.com", "");
    let (code, out, err) = trigger(dev, dir, "forward@example.com", &raw);
    assert_eq!(code, 0, "{out}{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("forwarded to ops@example.com: "))
        .expect(&out);
    // A Headers object keeps no case: the added header is written as it iterates.
    assert_eq!(
        written(line),
        format!("x-forwarded-by: bindings fixture\r\n{raw}")
    );
    assert_eq!(
        post_email(dev, "forward@example.com", &raw),
        (200, "Worker successfully processed email\n".into())
    );

    // reject: the reason reaches the caller.
    let (code, _, err) = trigger(
        dev,
        dir,
        "reject@example.com",
        &message("reject@example.com", ""),
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the worker rejected the email: no such mailbox here"),
        "{err}"
    );
    assert_eq!(
        post_email(
            dev,
            "reject@example.com",
            &message("reject@example.com", "")
        ),
        (
            400,
            "Worker rejected email with the following reason: no such mailbox here\n".into()
        )
    );

    // Email Routing's refusals reach the handler as errors (here turned into the reject reason).
    let (code, _, err) = trigger(
        dev,
        dir,
        "bad-reply@example.com",
        &message("bad-reply@example.com", ""),
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("reply refused: no In-Reply-To header found in reply message"),
        "{err}"
    );
    let automatic = message("reply@example.com", "Auto-Submitted: auto-replied\r\n");
    let (code, _, err) = trigger(dev, dir, "reply@example.com", &automatic);
    assert_eq!(code, 1);
    assert!(
        err.contains("reply refused: Original email is not replyable"),
        "{err}"
    );
    let replies = std::fs::read_dir(state.join("email/bindings/_replies"))
        .unwrap()
        .count();
    assert_eq!(replies, 1, "refused replies are not written");

    // A message without a Message-ID never reaches the worker; a failing handler is an error.
    let anonymous = "From: sender@example.com\r\nTo: reply@example.com\r\n\r\nhi\r\n";
    let (code, _, err) = trigger(dev, dir, "reply@example.com", anonymous);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("invalid or no message id provided"), "{err}");
    let (code, _, err) = trigger(
        dev,
        dir,
        "nobody@example.com",
        &message("nobody@example.com", ""),
    );
    assert_eq!(code, 1, "{err}");
    // The `worker` crate turns an `Err` from the handler into a panic: the panic is reported.
    assert!(
        err.contains("the worker's email handler failed: it panicked at bindings/src/lib.rs:")
            && err.contains(": no mailbox `nobody@example.com`"),
        "{err}"
    );
    a_panicking_handler_is_reported(dev, dir);
    // The worker serves on after its handler failed.
    assert_eq!(
        get(dev, "/tenant?name=auth-service").0,
        200,
        "{}",
        dev.logs()
    );
}

/// A panic in the email handler: the caller is told the handler failed and why (the panic's
/// location and message, read from workerd's log), not workerd's "hung" message.
fn a_panicking_handler_is_reported(dev: &Dev, dir: &Path) {
    let raw = message("panic@example.com", "");
    let (code, _, err) = trigger(dev, dir, "panic@example.com", &raw);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the worker's email handler failed: it panicked at bindings/src/lib.rs:")
            && err.contains(": the email handler panics on purpose"),
        "{err}\n{}",
        dev.logs()
    );
    assert!(!err.contains("hung"), "{err}");
    let (status, body) = post_email(dev, "panic@example.com", &raw);
    assert_eq!(status, 500, "{body}");
    assert!(
        body.starts_with("Worker's email handler failed: it panicked at bindings/src/lib.rs:")
            && body.contains("the email handler panics on purpose"),
        "{body}"
    );
}
