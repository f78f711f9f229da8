//! The local binding server against a real workerd: a JavaScript test worker (`worker.js`) whose
//! KV, D1, R2 and queue bindings are `external` services pointing at the server, and a dispatcher
//! worker delivering queue batches and crons. Real HTTP, real SQLite, no sleeps as assertions.

#[path = "dev_bindings/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use cargo_edge::dev::{ConsumerSpec, CronSpec};
use cargo_edge::model::QueueConsumer;
use harness::{poll, Dev};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

fn state() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Requests without the session token never reach a binding.
#[test]
fn requests_without_the_token_are_refused() {
    let dir = state();
    let dev = Dev::start(&dir.path().join("state"), vec![], vec![]);
    let binding = ("X-Edge-Binding", "kv/app-cache");
    assert_eq!(dev.raw("/", &[binding], "").0, 401);
    assert_eq!(
        dev.raw("/", &[binding, ("X-Edge-Token", "nope")], "").0,
        401
    );
    let token = dev.token();
    let last = if token.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &token[..token.len() - 1]);
    assert_eq!(
        dev.raw("/", &[binding, ("X-Edge-Token", &wrong)], "").0,
        401
    );
    assert_eq!(dev.raw("/__edge/trigger/cron?cron=*", &[], "").0, 401);
    let queue = format!("{}/queue", dev.dispatch_url);
    assert_eq!(
        harness::post(&queue, &[], "{}").0,
        401,
        "the dispatcher wants the token too"
    );
    let (status, _) = dev.raw("/", &[binding, ("X-Edge-Token", &token)], "");
    assert_eq!(
        status, 405,
        "an authorised POST / reaches KV, which has no such method"
    );
    dev.stop();
}

/// KV: put/get/getWithMetadata/bulk, shared namespace, list pagination, expiry, limits.
#[test]
fn kv_behaves_like_workers_kv() {
    let dir = state();
    let dev = Dev::start(&dir.path().join("state"), vec![], vec![]);
    let meta = json!({"owner": "ada", "n": 1});
    dev.call(
        "kv",
        "put",
        json!({"key": "user/1", "value": "{\"a\":1}", "options": {"metadata": meta}}),
    );
    assert_eq!(
        dev.call("kv", "get", json!({"key": "user/1"}))["value"],
        "{\"a\":1}"
    );
    let with_meta = dev.call("kv", "meta", json!({"key": "user/1"}));
    assert_eq!(with_meta["metadata"], meta);
    assert_eq!(
        dev.call("kv", "get", json!({"key": "missing"}))["value"],
        Value::Null
    );
    assert_eq!(
        dev.call("kv", "get", json!({"key": "user/1", "binding": "KV2"}))["value"],
        "{\"a\":1}"
    );
    let bulk = dev.call("kv", "bulk", json!({"keys": ["user/1", "missing"]}));
    assert_eq!(bulk, json!({"user/1": {"a": 1}, "missing": null}));
    let bulk_meta = dev.call("kv", "bulkMeta", json!({"keys": ["user/1"]}));
    assert_eq!(bulk_meta["user/1"]["metadata"], meta);

    for i in 0..5 {
        dev.call(
            "kv",
            "put",
            json!({"key": format!("page/{i}"), "value": "x"}),
        );
    }
    let mut names = Vec::new();
    let mut cursor = Value::Null;
    let mut pages = 0;
    loop {
        let page = dev.call(
            "kv",
            "list",
            json!({"options": {"prefix": "page/", "limit": 2, "cursor": cursor}}),
        );
        names.extend(
            page["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["name"].as_str().unwrap().to_string()),
        );
        pages += 1;
        if page["list_complete"] == true {
            break;
        }
        cursor = page["cursor"].clone();
    }
    assert_eq!(names, ["page/0", "page/1", "page/2", "page/3", "page/4"]);
    assert_eq!(pages, 3);

    // Expiry: a 60 s TTL is listed with its expiration; once past, the key is gone and purged.
    dev.call(
        "kv",
        "put",
        json!({"key": "temp", "value": "v", "options": {"expirationTtl": 60}}),
    );
    let listed = dev.call("kv", "list", json!({"options": {"prefix": "temp"}}));
    let expiration = listed["keys"][0]["expiration"].as_i64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now + 58..=now + 61).contains(&expiration),
        "{expiration} vs {now}"
    );
    let db = rusqlite::Connection::open(dev.state.join("kv/app-cache.sqlite")).unwrap();
    db.execute(
        "UPDATE kv SET expiration = ?1 WHERE key = 'temp'",
        [now - 1],
    )
    .unwrap();
    assert_eq!(
        dev.call("kv", "get", json!({"key": "temp"}))["value"],
        Value::Null
    );
    let rows: i64 = db
        .query_row("SELECT count(*) FROM kv WHERE key = 'temp'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(rows, 0, "an expired key is purged when read");

    // Limits, with Cloudflare's messages as the worker sees them.
    let err = |args: Value| {
        dev.try_call("kv", "put", args)["error"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        err(json!({"key": "k", "value": "v", "options": {"expirationTtl": 10}})),
        "KV PUT failed: 400 Invalid expiration_ttl of 10. Expiration TTL must be at least 60."
    );
    assert_eq!(err(json!({"key": "k", "value": "v", "options": {"expiration": 1}})),
        "KV PUT failed: 400 Invalid expiration of 1. Please specify integer greater than the current number of seconds since the UNIX epoch.");
    let big_meta = json!({"m": "x".repeat(1100)});
    assert_eq!(
        err(json!({"key": "k", "value": "v", "options": {"metadata": big_meta}})),
        "KV PUT failed: 413 Metadata length of 1108 exceeds limit of 1024."
    );
    assert_eq!(
        err(json!({"key": "k".repeat(513), "value": "v"})),
        "KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
    );
    assert!(err(json!({"key": "..", "value": "v"})).contains("\"..\" is not allowed"));
    let huge = "v".repeat(25 * 1024 * 1024 + 1);
    assert_eq!(
        err(json!({"key": "k", "value": huge})),
        "KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400."
    );
    assert_eq!(
        dev.call("kv", "get", json!({"key": "k"}))["value"],
        Value::Null
    );

    dev.call("kv", "delete", json!({"key": "user/1"}));
    assert_eq!(
        dev.call("kv", "get", json!({"key": "user/1"}))["value"],
        Value::Null
    );

    let start = Instant::now();
    for _ in 0..200 {
        dev.call("kv", "get", json!({"key": "page/0"}));
    }
    eprintln!(
        "KV get through workerd: {:?} per request (200 sequential)",
        start.elapsed() / 200
    );
    dev.stop();
}

/// D1 through workerd's d1-api module: exec, run meta, all/first/raw, batch rollback, errors.
#[test]
fn d1_runs_sql_in_the_users_database_file() {
    let dir = state();
    let dev = Dev::start(&dir.path().join("state"), vec![], vec![]);
    let exec = dev.call("d1", "exec", json!({"sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE, avatar BLOB);\nCREATE INDEX users_name ON users (name);"}));
    assert_eq!(exec["count"], 2);
    let run = dev.call("d1", "run", json!({"sql": "INSERT INTO users (name, avatar) VALUES (?1, ?2)", "params": ["ada", [1, 2, 3]]}));
    assert_eq!(run["success"], true);
    assert_eq!(run["meta"]["changes"], 1);
    assert_eq!(run["meta"]["last_row_id"], 1);
    assert_eq!(run["meta"]["changed_db"], true);
    assert_eq!(run["meta"]["rows_written"], 1);
    assert!(run["meta"]["size_after"].as_i64().unwrap() > 0);
    assert!(run["meta"]["duration"].is_number());
    let all = dev.call(
        "d1",
        "all",
        json!({"sql": "SELECT id, name, avatar FROM users WHERE name = ?", "params": ["ada"]}),
    );
    assert_eq!(
        all["results"],
        json!([{"id": 1, "name": "ada", "avatar": [1, 2, 3]}])
    );
    assert!(all["meta"]["rows_read"].as_i64().unwrap() >= 1);
    assert_eq!(
        dev.call("d1", "first", json!({"sql": "SELECT name FROM users"})),
        json!({"name": "ada"})
    );
    assert_eq!(
        dev.call("d1", "raw", json!({"sql": "SELECT id, name FROM users"})),
        json!([["id", "name"], [1, "ada"]])
    );

    let batch = dev.call(
        "d1",
        "batch",
        json!({"statements": [
            {"sql": "INSERT INTO users (name) VALUES (?)", "params": ["grace"]},
            {"sql": "SELECT count(*) AS n FROM users"},
        ]}),
    );
    assert_eq!(batch[1]["results"], json!([{"n": 2}]));
    let failed = dev.try_call(
        "d1",
        "batch",
        json!({"statements": [
            {"sql": "INSERT INTO users (name) VALUES (?)", "params": ["linus"]},
            {"sql": "INSERT INTO users (name) VALUES (?)", "params": ["ada"]},
        ]}),
    );
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.starts_with("D1_ERROR: UNIQUE constraint failed: users.name"),
        "{error}"
    );
    let names = dev.call(
        "d1",
        "raw",
        json!({"sql": "SELECT name FROM users ORDER BY id"}),
    );
    assert_eq!(
        names,
        json!([["name"], ["ada"], ["grace"]]),
        "the failed batch was rolled back"
    );
    let missing = dev.try_call("d1", "all", json!({"sql": "SELECT * FROM nope"}));
    assert_eq!(
        missing["error"],
        "D1_ERROR: no such table: nope: SQLITE_ERROR"
    );
    let bad_exec = dev.try_call(
        "d1",
        "exec",
        json!({"sql": "INSERT INTO users (name) VALUES ('x');\nBROKEN SQL;"}),
    );
    assert!(
        bad_exec["error"]
            .as_str()
            .unwrap()
            .contains("Error in line 2: BROKEN SQL;"),
        "{bad_exec}"
    );
    dev.stop();

    // The file is the user's SQLite database: the CLI helpers see the same tables.
    let mut conn = cargo_edge::dev::d1::open_database(&dir.path().join("state"), "app-db").unwrap();
    let rows = cargo_edge::dev::d1::execute_sql(
        &mut conn,
        "SELECT count(*) AS n FROM users; SELECT 1 AS one",
    )
    .unwrap();
    // Shaped as Cloudflare's `raw` endpoint answers (what `d1 execute --remote` prints from).
    assert_eq!(rows[0]["results"], json!({"columns": ["n"], "rows": [[2]]}));
    assert_eq!(
        rows[1]["results"],
        json!({"columns": ["one"], "rows": [[1]]})
    );
}

/// R2: put with metadata and checksums, get, ranges, conditionals, list with delimiter,
/// multipart, large objects on disk, delete.
#[test]
fn r2_behaves_like_r2() {
    let dir = state();
    let dev = Dev::start(&dir.path().join("state"), vec![], vec![]);
    // sha256("hello world")
    let sha = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
    let put = dev.call(
        "r2",
        "put",
        json!({"key": "docs/a.txt", "body": "hello world", "sha256": sha,
        "httpMetadata": {"contentType": "text/plain"}, "customMetadata": {"owner": "ada"}}),
    );
    assert_eq!(put["size"], 11);
    assert_eq!(put["etag"], "5eb63bbbe01eeed093cb22bb8f5acdc3");
    assert_eq!(put["checksums"]["sha256"], sha);
    let got = dev.call("r2", "get", json!({"key": "docs/a.txt"}));
    assert_eq!(got["text"], "hello world");
    assert_eq!(got["httpMetadata"]["contentType"], "text/plain");
    assert_eq!(got["customMetadata"], json!({"owner": "ada"}));
    let range = dev.call(
        "r2",
        "get",
        json!({"key": "docs/a.txt", "range": {"offset": 6, "length": 3}}),
    );
    assert_eq!(range["text"], "wor");
    assert_eq!(range["range"], json!({"offset": 6, "length": 3}));
    assert_eq!(
        dev.call(
            "r2",
            "get",
            json!({"key": "docs/a.txt", "range": {"suffix": 5}})
        )["text"],
        "world"
    );
    assert_eq!(dev.call("r2", "get", json!({"key": "nope"})), Value::Null);

    let etag = put["etag"].as_str().unwrap();
    let unchanged = dev.call(
        "r2",
        "get",
        json!({"key": "docs/a.txt", "onlyIf": {"etagDoesNotMatch": etag}}),
    );
    assert_eq!(
        unchanged["hasBody"], false,
        "a failed precondition returns the object without body"
    );
    assert_eq!(unchanged["etag"], etag);
    let matched = dev.call(
        "r2",
        "get",
        json!({"key": "docs/a.txt", "onlyIf": {"etagMatches": etag}}),
    );
    assert_eq!(matched["text"], "hello world");
    let refused = dev.call(
        "r2",
        "put",
        json!({"key": "docs/a.txt", "body": "new", "onlyIf": {"etagMatches": "0000"}}),
    );
    assert_eq!(
        refused,
        Value::Null,
        "a put whose precondition fails returns null"
    );
    let bad = dev.try_call(
        "r2",
        "put",
        json!({"key": "x", "body": "abc", "sha256": sha}),
    );
    assert_eq!(
        bad["error"],
        "put: The SHA-256 checksum you specified did not match what we received. (10037)"
    );

    for key in ["docs/b.txt", "docs/img/1.png", "docs/img/2.png", "top.txt"] {
        dev.call("r2", "put", json!({"key": key, "body": key}));
    }
    let listed = dev.call(
        "r2",
        "list",
        json!({"prefix": "docs/", "delimiter": "/", "include": ["customMetadata"]}),
    );
    let keys: Vec<&str> = listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["docs/a.txt", "docs/b.txt"]);
    assert_eq!(listed["delimitedPrefixes"], json!(["docs/img/"]));
    assert_eq!(
        listed["objects"][0]["customMetadata"],
        json!({"owner": "ada"})
    );
    let mut seen = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let page = dev.call("r2", "list", json!({"limit": 2, "cursor": cursor}));
        seen.extend(
            page["objects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["key"].as_str().unwrap().to_string()),
        );
        if page["truncated"] == false {
            break;
        }
        cursor = page["cursor"].clone();
    }
    assert_eq!(
        seen,
        [
            "docs/a.txt",
            "docs/b.txt",
            "docs/img/1.png",
            "docs/img/2.png",
            "top.txt"
        ]
    );

    let multi = dev.call("r2", "multipart", json!({"key": "big/multi.bin"}));
    assert_eq!(multi["size"], 5 * 1024 * 1024 + 4);
    assert!(multi["etag"].as_str().unwrap().ends_with("-2"), "{multi}");
    let tail = dev.call(
        "r2",
        "get",
        json!({"key": "big/multi.bin", "range": {"suffix": 6}}),
    );
    assert_eq!(tail["text"], "aatail");
    assert_eq!(tail["customMetadata"], json!({"kind": "multi"}));
    assert_eq!(
        dev.call("r2", "head", json!({"key": "big/multi.bin.aborted"})),
        Value::Null
    );

    let large = dev.call(
        "r2",
        "put",
        json!({"key": "big/large.bin", "size": 3 * 1024 * 1024}),
    );
    let blobs = dev.state.join("r2/app-assets.blobs");
    let files = || std::fs::read_dir(&blobs).map(|d| d.count()).unwrap_or(0);
    assert_eq!(
        files(),
        2,
        "objects over 1 MiB live in files beside the database"
    );
    assert_eq!(
        dev.call("r2", "head", json!({"key": "big/large.bin"}))["size"],
        large["size"]
    );
    dev.call(
        "r2",
        "delete",
        json!({"keys": ["big/large.bin", "big/multi.bin", "top.txt"]}),
    );
    assert_eq!(files(), 0, "deleting an object deletes its file");
    assert_eq!(
        dev.call("r2", "head", json!({"key": "top.txt"})),
        Value::Null
    );
    dev.stop();
}

fn consumer(queue: &str, batch: u32, wait_ms: u32, dlq: Option<&str>) -> ConsumerSpec {
    let mut consumer = QueueConsumer::with_defaults(queue);
    consumer.max_batch_size = batch;
    consumer.max_wait_ms = wait_ms;
    consumer.max_retries = 1;
    consumer.dead_letter_queue = dlq.map(str::to_string);
    ConsumerSpec {
        worker: "USER".into(),
        consumer,
    }
}

/// The delivery record the test worker's queue handler wrote, once it exists.
fn delivery(dev: &Dev, key: &str) -> Value {
    poll(WAIT, key, || {
        let value = dev.call("kv", "get", json!({"key": key}))["value"].clone();
        value.as_str().map(|v| serde_json::from_str(v).unwrap())
    })
}

fn absent(dev: &Dev, key: &str) -> bool {
    dev.call("kv", "get", json!({"key": key}))["value"].is_null()
}

/// Queues: batching, max wait, delays, ack/retry/throw, max_retries then the dead-letter queue;
/// crons fired through the trigger endpoint.
#[test]
fn queues_deliver_retry_and_dead_letter_and_crons_fire() {
    let dir = state();
    let consumers = vec![
        consumer("jobs", 3, 300, Some("jobs-dlq")),
        consumer("jobs-dlq", 10, 100, None),
    ];
    let crons = vec![CronSpec {
        worker: "USER".into(),
        cron: "*/5 * * * *".into(),
    }];
    let dev = Dev::start(&dir.path().join("state"), consumers, crons);

    dev.call(
        "queue",
        "batch",
        json!({"messages": [
            {"body": {"tag": "a", "action": "ack"}},
            {"body": {"tag": "b", "action": "retry"}},
            {"body": {"tag": "c", "action": "ack"}, "contentType": "json"},
        ]}),
    );
    assert_eq!(
        delivery(&dev, "q:jobs:a:1")["size"],
        3,
        "a full batch is delivered at once"
    );
    assert_eq!(
        delivery(&dev, "q:jobs:c:1")["body"],
        json!({"tag": "c", "action": "ack"})
    );
    assert_eq!(delivery(&dev, "q:jobs:b:2")["attempts"], 2);
    let dead = delivery(&dev, "q:jobs-dlq:b:1");
    assert_eq!(
        dead["body"]["tag"], "b",
        "after max_retries the message moves to the DLQ"
    );
    assert!(
        absent(&dev, "q:jobs:a:2") && absent(&dev, "q:jobs:b:3"),
        "acked once, retried once"
    );

    dev.call("queue", "send", json!({"body": "plain"}));
    let plain = delivery(&dev, "q:jobs:plain:1");
    assert_eq!(
        (plain["size"].clone(), plain["body"].clone()),
        (json!(1), json!("plain"))
    );
    assert!(
        plain["waited"].as_i64().unwrap() >= 300,
        "a partial batch waits max_wait_ms: {plain}"
    );
    dev.call(
        "queue",
        "send",
        json!({"body": {"tag": "d", "action": "ack"}, "options": {"delaySeconds": 1}}),
    );
    assert!(
        delivery(&dev, "q:jobs:d:1")["waited"].as_i64().unwrap() >= 1000,
        "delaySeconds is honoured"
    );
    dev.call(
        "queue",
        "send",
        json!({"body": {"tag": "t", "action": "throw"}}),
    );
    delivery(&dev, "q:jobs:t:2");
    delivery(&dev, "q:jobs-dlq:t:1");

    let token = dev.token();
    let (status, body) = dev.raw(
        "/__edge/trigger/cron?cron=*/5%20*%20*%20*%20*",
        &[("X-Edge-Token", &token)],
        "",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["outcome"],
        "ok"
    );
    assert!(
        !absent(&dev, "cron:*/5 * * * *"),
        "the scheduled handler ran"
    );
    let (status, _) = dev.raw(
        "/__edge/trigger/cron?cron=0%200%20*%20*%20*",
        &[("X-Edge-Token", &token)],
        "",
    );
    assert_eq!(status, 404, "only configured crons can be triggered");
    dev.stop();
}

/// Stopping and starting again on the same state directory keeps KV, D1, R2 data and delivers
/// messages that were queued but not yet consumed.
#[test]
fn state_survives_a_restart() {
    let dir = state();
    let state = dir.path().join("state");
    let dev = Dev::start(&state, vec![], vec![]);
    dev.call("kv", "put", json!({"key": "kept", "value": "yes"}));
    dev.call(
        "d1",
        "exec",
        json!({"sql": "CREATE TABLE t (v TEXT);\nINSERT INTO t VALUES ('row');"}),
    );
    dev.call("r2", "put", json!({"key": "kept.txt", "body": "object"}));
    dev.call(
        "queue",
        "send",
        json!({"body": {"tag": "p", "action": "ack"}}),
    );
    dev.stop();

    let dev = Dev::start(&state, vec![consumer("jobs", 10, 100, None)], vec![]);
    assert_eq!(
        dev.call("kv", "get", json!({"key": "kept"}))["value"],
        "yes"
    );
    assert_eq!(
        dev.call("d1", "first", json!({"sql": "SELECT v FROM t"})),
        json!({"v": "row"})
    );
    assert_eq!(
        dev.call("r2", "get", json!({"key": "kept.txt"}))["text"],
        "object"
    );
    assert_eq!(
        delivery(&dev, "q:jobs:p:1")["attempts"],
        1,
        "the queued message is delivered"
    );
    dev.stop();
}
