//! The fake Cloudflare API driven over plain HTTP: what a deploy client would see.

use std::time::Duration;

use edge_tests::cloudflare::{multipart, ApiClient, FakeCloudflare, Fault, FaultKind, Options};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const ESM: &str = "application/javascript+module";
const MAIN: &[u8] = b"export default { async fetch() { return new Response('hi') } }";

fn fake() -> (FakeCloudflare, ApiClient, String) {
    let fake = FakeCloudflare::start(Options::default());
    let client = fake.client();
    let account = format!("/accounts/{}", fake.account_id());
    (fake, client, account)
}

/// Upload a script (`PUT`) or a version (`POST …/versions`) with one ES module.
fn upload(
    client: &ApiClient,
    method: &str,
    path: &str,
    metadata: Value,
) -> edge_tests::cloudflare::ApiResponse {
    let (content_type, body) = multipart(&metadata, &[("index.js", ESM, MAIN)]);
    client.raw(method, path, &content_type, body).unwrap()
}

fn create(client: &ApiClient, path: &str, body: Value) -> Value {
    let response = client.json("POST", path, &body).unwrap();
    assert_eq!(response.status, 200, "{path}: {}", response.body);
    response.result().clone()
}

#[test]
fn credentials_are_checked_and_accounts_listed() {
    let fake = FakeCloudflare::start(Options {
        accounts: 3,
        ..Options::default()
    });
    let anonymous = ApiClient::new(&fake.base_url(), None)
        .get("/accounts")
        .unwrap();
    assert_eq!(
        (anonymous.status, anonymous.error_code()),
        (401, Some(10000))
    );
    assert_eq!(anonymous.body["success"], false);
    let wrong = ApiClient::new(&fake.base_url(), Some("nope"))
        .get("/accounts")
        .unwrap();
    assert_eq!(wrong.error_code(), Some(10000));

    let accounts = fake.client().get("/accounts").unwrap();
    assert_eq!(accounts.body["success"], true);
    let ids: Vec<&str> = accounts
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, fake.account_ids());
    let memberships = fake.client().get("/memberships").unwrap();
    assert_eq!(
        memberships.result()[2]["account"]["id"],
        fake.account_ids()[2]
    );

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let legacy = agent
        .get(format!("{}/accounts", fake.base_url()))
        .header("X-Auth-Key", "fake-global-api-key")
        .header("X-Auth-Email", "dev@example.com")
        .call()
        .unwrap();
    assert_eq!(legacy.status(), 200);
    assert!(fake
        .requests()
        .iter()
        .all(|r| r.path == "/client/v4/accounts" || r.path == "/client/v4/memberships"));
}

#[test]
fn unknown_paths_and_methods_get_cloudflare_errors() {
    let (_fake, client, account) = fake();
    let missing = client.get(&format!("{account}/workers/nothing")).unwrap();
    assert_eq!((missing.status, missing.error_code()), (404, Some(7003)));
    let message = missing.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("Could not route to {account}/workers/nothing")),
        "{message}"
    );
    let wrong = client.delete("/accounts").unwrap();
    assert_eq!((wrong.status, wrong.error_code()), (405, Some(10405)));
    let other_account = client.get("/accounts/0000/workers/scripts").unwrap();
    assert_eq!(other_account.error_code(), Some(7003));
}

#[test]
fn kv_namespaces_are_unique_and_paginated() {
    let (fake, client, account) = fake();
    let kv = format!("{account}/storage/kv/namespaces");
    for n in 0..25 {
        create(&client, &kv, json!({"title": format!("ns-{n:02}")}));
    }
    let duplicate = client
        .json("POST", &kv, &json!({"title": "ns-03"}))
        .unwrap();
    assert_eq!(duplicate.error_code(), Some(10014));
    let extra_field = client
        .json("POST", &kv, &json!({"title": "x", "colour": "red"}))
        .unwrap();
    assert_eq!(extra_field.error_code(), Some(10021));
    let not_json = client
        .raw("POST", &kv, "text/plain", b"{\"title\":\"y\"}".to_vec())
        .unwrap();
    assert_eq!(not_json.error_code(), Some(6003));

    let first = client.get(&kv).unwrap();
    assert_eq!(first.result().as_array().unwrap().len(), 20);
    assert_eq!(
        first.body["result_info"],
        json!({"page": 1, "per_page": 20, "count": 20, "total_count": 25, "total_pages": 2})
    );
    let second = client.get(&format!("{kv}?page=2")).unwrap();
    assert_eq!(second.result()[4]["title"], "ns-24");
    let all = client.get(&format!("{kv}?per_page=1000")).unwrap();
    assert_eq!(all.body["result_info"]["per_page"], 100);
    assert_eq!(all.result().as_array().unwrap().len(), 25);

    let id = fake.kv_namespaces()[0].id.clone();
    assert_eq!(client.delete(&format!("{kv}/{id}")).unwrap().status, 200);
    assert_eq!(fake.kv_namespaces().len(), 24);
}

#[test]
fn d1_databases_run_real_sql() {
    let (fake, client, account) = fake();
    let path = format!("{account}/d1/database");
    let db = create(&client, &path, json!({"name": "main-db"}));
    let dup = client
        .json("POST", &path, &json!({"name": "main-db"}))
        .unwrap();
    assert_eq!(dup.error_code(), Some(7502));
    let listed = client.get(&format!("{path}?name=main-db")).unwrap();
    assert_eq!(listed.result()[0]["uuid"], db["uuid"]);
    assert_eq!(listed.body["result_info"]["total_count"], 1);

    let query = format!("{path}/{}/query", db["uuid"].as_str().unwrap());
    let setup = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada');";
    let results = create(&client, &query, json!({"sql": setup}));
    assert_eq!(results.as_array().unwrap().len(), 2);
    assert_eq!(results[1]["meta"]["changes"], 1);
    create(
        &client,
        &query,
        json!({"sql": "INSERT INTO users (name) VALUES (?)", "params": ["grace"]}),
    );
    let rows = create(
        &client,
        &query,
        json!({"sql": "SELECT name FROM users ORDER BY id"}),
    );
    assert_eq!(
        rows[0]["results"],
        json!([{"name": "ada"}, {"name": "grace"}])
    );
    assert_eq!(rows[0]["success"], true);
    let bad = client
        .json("POST", &query, &json!({"sql": "SELECT * FROM nope"}))
        .unwrap();
    assert_eq!(bad.error_code(), Some(7500));
    assert_eq!(
        fake.d1_query("main-db", "SELECT count(*) AS n FROM users"),
        vec![json!({"n": 2})]
    );
}

#[test]
fn r2_buckets_and_queues_are_created_once() {
    let (fake, client, account) = fake();
    let buckets = format!("{account}/r2/buckets");
    create(&client, &buckets, json!({"name": "assets"}));
    assert_eq!(
        client
            .json("POST", &buckets, &json!({"name": "assets"}))
            .unwrap()
            .error_code(),
        Some(10004)
    );
    assert_eq!(
        client
            .json("POST", &buckets, &json!({"name": "Bad_Name"}))
            .unwrap()
            .error_code(),
        Some(10021)
    );
    assert_eq!(
        client.get(&buckets).unwrap().result()["buckets"][0]["name"],
        "assets"
    );

    let queues = format!("{account}/queues");
    let queue = create(&client, &queues, json!({"queue_name": "jobs"}));
    create(&client, &queues, json!({"queue_name": "jobs-dlq"}));
    assert_eq!(
        client
            .json("POST", &queues, &json!({"queue_name": "jobs"}))
            .unwrap()
            .error_code(),
        Some(11009)
    );
    let found = client.get(&format!("{queues}?name=jobs")).unwrap();
    assert_eq!(found.result().as_array().unwrap().len(), 1);
    assert_eq!(found.result()[0]["queue_id"], queue["queue_id"]);
    let by_id = client
        .get(&format!("{queues}/{}", queue["queue_id"].as_str().unwrap()))
        .unwrap();
    assert_eq!(by_id.result()["queue_name"], "jobs");
    assert_eq!(fake.queues().len(), 2);
    assert_eq!(fake.r2_buckets()[0].name, "assets");
}

#[test]
fn a_script_upload_is_stored_deployed_and_migrated() {
    let (fake, client, account) = fake();
    let kv = create(
        &client,
        &format!("{account}/storage/kv/namespaces"),
        json!({"title": "cache"}),
    );
    let script = format!("{account}/workers/scripts/api");
    let metadata = json!({
        "main_module": "index.js",
        "compatibility_date": "2025-06-01",
        "bindings": [
            {"type": "plain_text", "name": "EDGE_CONTENT_HASH", "text": "abc123"},
            {"type": "kv_namespace", "name": "CACHE", "namespace_id": kv["id"]},
            {"type": "durable_object_namespace", "name": "ROOMS", "class_name": "Room"},
        ],
        "migrations": {"new_tag": "v1", "steps": [{"new_sqlite_classes": ["Room"]}]},
        "keep_bindings": ["secret_text"],
    });
    let response = upload(
        &client,
        "PUT",
        &format!("{script}?bindings_inherit=strict"),
        metadata.clone(),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    let mut hasher = Sha256::new();
    hasher.update(b"index.js\0");
    hasher.update(MAIN);
    let etag: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(response.result()["etag"], etag);
    assert_eq!(response.result()["migration_tag"], "v1");
    assert_eq!(response.result()["handlers"], json!(["fetch"]));

    let live = fake.script("api").unwrap();
    assert_eq!(
        live.plain_text("EDGE_CONTENT_HASH").as_deref(),
        Some("abc123")
    );
    assert_eq!(live.classes, vec!["Room"]);
    let settings = client.get(&format!("{script}/settings")).unwrap();
    assert_eq!(settings.result()["bindings"][0]["text"], "abc123");
    let service = client
        .get(&format!("{account}/workers/services/api"))
        .unwrap();
    assert_eq!(
        service.result()["default_environment"]["script"]["migration_tag"],
        "v1"
    );
    let missing = client
        .get(&format!("{account}/workers/services/nope"))
        .unwrap();
    assert_eq!(missing.error_code(), Some(10090));

    // The same migration again: its old tag (none) no longer matches the live tag v1.
    let stale = upload(&client, "PUT", &script, metadata);
    assert_eq!(stale.error_code(), Some(10079), "{}", stale.body);
    assert_eq!(fake.versions("api").len(), 1);
    assert_eq!(
        fake.deployments("api")[0].versions,
        vec![(live.version_id, 100.0)]
    );
    let listed = client.get(&format!("{account}/workers/scripts")).unwrap();
    assert_eq!(listed.result()[0]["id"], "api");
}

#[test]
fn bad_uploads_are_refused_with_cloudflare_codes() {
    let (fake, client, account) = fake();
    let script = format!("{account}/workers/scripts/bad");
    let with_bindings = |bindings: Value| json!({"main_module": "index.js", "bindings": bindings});
    let cases = [
        (
            with_bindings(json!([{"type": "telepathy", "name": "X"}])),
            10021,
        ),
        (
            with_bindings(
                json!([{"type": "plain_text", "name": "X", "text": "1"}, {"type": "json", "name": "X", "json": 1}]),
            ),
            10053,
        ),
        (
            with_bindings(json!([{"type": "plain_text", "name": "X", "text": "1", "extra": true}])),
            10021,
        ),
        (
            with_bindings(json!([{"type": "kv_namespace", "name": "KV"}])),
            10021,
        ),
        (
            with_bindings(json!([{"type": "kv_namespace", "name": "KV", "namespace_id": "f00"}])),
            10041,
        ),
        (
            with_bindings(json!([{"type": "d1", "name": "DB", "id": "f00"}])),
            10021,
        ),
        (
            with_bindings(
                json!([{"type": "durable_object_namespace", "name": "R", "class_name": "Room"}]),
            ),
            10061,
        ),
        (json!({"main_module": "missing.js"}), 10021),
        (json!({"main_module": "index.js", "colour": "red"}), 10021),
    ];
    for (metadata, code) in cases {
        let response = upload(&client, "PUT", &script, metadata.clone());
        assert_eq!(
            (response.status, response.error_code()),
            (400, Some(code)),
            "{metadata}: {}",
            response.body
        );
    }
    let (content_type, body) = multipart(
        &json!({"main_module": "index.js"}),
        &[("index.js", "text/javascript", MAIN)],
    );
    let wrong_type = client.raw("PUT", &script, &content_type, body).unwrap();
    assert_eq!(wrong_type.error_code(), Some(10021));
    let not_multipart = client
        .json("PUT", &script, &json!({"main_module": "index.js"}))
        .unwrap();
    assert_eq!(not_multipart.error_code(), Some(10021));
    let missing_main = upload(&client, "PUT", &script, json!({"main_module": "main.js"}));
    assert!(missing_main.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("No such module"));
    assert!(fake.script("bad").is_none());
}

#[test]
fn versions_deploy_by_percentage() {
    let (fake, client, account) = fake();
    let script = format!("{account}/workers/scripts/split");
    let first = upload(&client, "PUT", &script, json!({"main_module": "index.js"}));
    assert_eq!(first.status, 200);
    let versions = format!("{script}/versions?bindings_inherit=strict");
    let migrating = upload(
        &client,
        "POST",
        &versions,
        json!({"main_module": "index.js", "migrations": {"new_tag": "v1", "steps": []}}),
    );
    assert_eq!(migrating.error_code(), Some(10211));
    let second = upload(
        &client,
        "POST",
        &versions,
        json!({"main_module": "index.js", "annotations": {"workers/message": "canary"}}),
    );
    assert_eq!(second.result()["number"], 2);
    let (old, new) = (
        fake.versions("split")[0].id.clone(),
        second.result()["id"].as_str().unwrap().to_string(),
    );
    assert_eq!(
        fake.script("split").unwrap().version_id,
        old,
        "an uploaded version is not deployed"
    );

    let listed = client
        .get(&format!("{script}/versions?per_page=1"))
        .unwrap();
    assert_eq!(listed.result()["items"][0]["id"], new.as_str());
    assert_eq!(
        listed.result()["items"][0]["annotations"]["workers/message"],
        "canary"
    );
    assert_eq!(listed.body["result_info"]["total_pages"], 2);
    let one = client.get(&format!("{script}/versions/{new}")).unwrap();
    assert!(one.result()["resources"]["script"]["etag"].is_string());

    let deployments = format!("{script}/deployments");
    let split = json!({"strategy": "percentage", "versions": [{"version_id": old, "percentage": 90}, {"version_id": new, "percentage": 10}]});
    let deployed = client.json("POST", &deployments, &split).unwrap();
    assert_eq!(deployed.status, 200, "{}", deployed.body);
    let bad_total = json!({"strategy": "percentage", "versions": [{"version_id": old, "percentage": 50}, {"version_id": new, "percentage": 40}]});
    assert_eq!(
        client
            .json("POST", &deployments, &bad_total)
            .unwrap()
            .error_code(),
        Some(10021)
    );
    let unknown =
        json!({"strategy": "percentage", "versions": [{"version_id": "nope", "percentage": 100}]});
    assert_eq!(
        client
            .json("POST", &deployments, &unknown)
            .unwrap()
            .error_code(),
        Some(10007)
    );
    let latest = client.get(&deployments).unwrap();
    assert_eq!(
        latest.result()["deployments"][0]["versions"][1]["percentage"],
        10.0
    );
    assert_eq!(fake.deployments("split").len(), 2);
    let during_split = upload(&client, "PUT", &script, json!({"main_module": "index.js"}));
    assert_eq!(during_split.error_code(), Some(10215));
    let full =
        json!({"strategy": "percentage", "versions": [{"version_id": new, "percentage": 100}]});
    client
        .json("POST", &format!("{deployments}?force=true"), &full)
        .unwrap();
    assert_eq!(fake.script("split").unwrap().version_id, new);
}

#[test]
fn queue_consumers_attach_update_and_detach() {
    let (fake, client, account) = fake();
    upload(
        &client,
        "PUT",
        &format!("{account}/workers/scripts/worker"),
        json!({"main_module": "index.js"}),
    );
    let queue = create(
        &client,
        &format!("{account}/queues"),
        json!({"queue_name": "jobs"}),
    );
    create(
        &client,
        &format!("{account}/queues"),
        json!({"queue_name": "jobs-dlq"}),
    );
    let consumers = format!(
        "{account}/queues/{}/consumers",
        queue["queue_id"].as_str().unwrap()
    );
    let body = json!({"type": "worker", "script_name": "worker", "dead_letter_queue": "jobs-dlq",
        "settings": {"batch_size": 5, "max_retries": 2, "max_wait_time_ms": 1000, "max_concurrency": 3, "retry_delay": 10}});
    let consumer = create(&client, &consumers, body.clone());
    assert_eq!(
        client.json("POST", &consumers, &body).unwrap().error_code(),
        Some(11004)
    );
    let unknown_script = json!({"type": "worker", "script_name": "ghost"});
    assert_eq!(
        client
            .json("POST", &consumers, &unknown_script)
            .unwrap()
            .error_code(),
        Some(10007)
    );

    let one = format!("{consumers}/{}", consumer["consumer_id"].as_str().unwrap());
    let update = json!({"type": "worker", "script_name": "worker", "settings": {"batch_size": 50}});
    assert_eq!(
        client.json("PUT", &one, &update).unwrap().result()["settings"]["batch_size"],
        50
    );
    let too_big =
        json!({"type": "worker", "script_name": "worker", "settings": {"batch_size": 500}});
    assert_eq!(client.json("PUT", &one, &too_big).unwrap().status, 400);
    assert_eq!(fake.consumers("jobs")[0].settings["batch_size"], 50);
    assert_eq!(fake.consumers("jobs")[0].dead_letter_queue, None);
    assert_eq!(
        client
            .get(&consumers)
            .unwrap()
            .result()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(client.delete(&one).unwrap().status, 200);
    assert!(fake.consumers("jobs").is_empty());
}

#[test]
fn injected_faults_are_seen_by_a_client() {
    let (fake, client, account) = fake();
    let scripts = format!("{account}/workers/scripts");
    fake.inject(Fault::new("GET", "/accounts/*/workers/scripts", FaultKind::Status(500)).times(2));
    fake.inject(Fault::new(
        "GET",
        "/accounts/*/workers/scripts",
        FaultKind::RateLimited {
            retry_after_secs: 7,
        },
    ));
    fake.inject(Fault::new(
        "*",
        "/accounts/*/workers/**",
        FaultKind::DropConnection,
    ));
    for _ in 0..2 {
        let failed = client.get(&scripts).unwrap();
        assert_eq!(
            (failed.status, failed.body["success"].clone()),
            (500, json!(false))
        );
    }
    let limited = client.get(&scripts).unwrap();
    assert_eq!((limited.status, limited.error_code()), (429, Some(971)));
    assert_eq!(limited.header("retry-after"), Some("7"));
    assert!(
        client.get(&scripts).is_err(),
        "a dropped connection is an error, not a response"
    );
    assert_eq!(fake.faults_remaining(), 0);
    assert_eq!(client.get(&scripts).unwrap().status, 200);
    // Faults strike before authentication, as an overloaded edge would.
    assert_eq!(fake.requests().len(), 5);

    let quick = ApiClient::with_timeout(
        &fake.base_url(),
        Some(&fake.token()),
        Duration::from_millis(150),
    );
    fake.inject(Fault::new(
        "GET",
        "/accounts",
        FaultKind::Slow(Duration::from_secs(2)),
    ));
    assert!(
        quick.get("/accounts").is_err(),
        "a slow answer times the client out"
    );
    assert_eq!(quick.get("/accounts").unwrap().status, 200);
}

#[test]
fn secrets_stay_out_of_urls_and_lists() {
    let (fake, client, account) = fake();
    let script = format!("{account}/workers/scripts/vault");
    upload(&client, "PUT", &script, json!({"main_module": "index.js"}));
    let secret = json!({"name": "API_KEY", "text": "s3cr3t-value", "type": "secret_text"});
    assert_eq!(
        client
            .json("PUT", &format!("{script}/secrets"), &secret)
            .unwrap()
            .status,
        200
    );
    let listed = client.get(&format!("{script}/secrets")).unwrap();
    assert_eq!(
        listed.result(),
        &json!([{"name": "API_KEY", "type": "secret_text"}])
    );
    assert!(!listed.body.to_string().contains("s3cr3t-value"));
    assert_eq!(fake.secrets("vault"), vec!["API_KEY"]);
    assert_eq!(
        fake.secret_value("vault", "API_KEY").as_deref(),
        Some("s3cr3t-value")
    );
    assert_eq!(
        fake.versions("vault").len(),
        2,
        "a secret change is a new version"
    );
    fake.assert_no_secret("s3cr3t-value");

    // keep_bindings keeps the secret across an upload; without it the secret is gone.
    upload(
        &client,
        "PUT",
        &script,
        json!({"main_module": "index.js", "keep_bindings": ["secret_text"]}),
    );
    assert_eq!(
        fake.secret_value("vault", "API_KEY").as_deref(),
        Some("s3cr3t-value")
    );
    upload(&client, "PUT", &script, json!({"main_module": "index.js"}));
    assert!(fake.secrets("vault").is_empty());
    let gone = client.delete(&format!("{script}/secrets/API_KEY")).unwrap();
    assert_eq!(gone.status, 404);
}

#[test]
#[should_panic(expected = "leaked into the URL")]
fn a_secret_in_a_url_is_caught() {
    let (fake, client, account) = fake();
    let _ = client.get(&format!("{account}/workers/scripts?token=hunter2"));
    fake.assert_no_secret("hunter2");
}

#[test]
fn triggers_routes_and_domains() {
    let (fake, client, account) = fake();
    let script = format!("{account}/workers/scripts/site");
    upload(&client, "PUT", &script, json!({"main_module": "index.js"}));
    let crons = json!([{"cron": "*/5 * * * *"}, {"cron": "0 0 * * *"}]);
    let put = client
        .json("PUT", &format!("{script}/schedules"), &crons)
        .unwrap();
    assert_eq!(put.result()["schedules"][1]["cron"], "0 0 * * *");
    client
        .json(
            "PUT",
            &format!("{script}/schedules"),
            &json!([{"cron": "0 1 * * *"}]),
        )
        .unwrap();
    assert_eq!(fake.schedules("site"), vec!["0 1 * * *"]);
    assert_eq!(
        client
            .json(
                "PUT",
                &format!("{script}/schedules"),
                &json!([{"cron": "soon"}])
            )
            .unwrap()
            .status,
        400
    );

    let routes = json!([{"pattern": "example.com/api/*", "zone_name": "example.com"}, {"pattern": "*.example.org/*"}]);
    let answer = client
        .json("PUT", &format!("{script}/routes"), &routes)
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(fake.routes("site")[1].zone_name, "example.org");
    let elsewhere = json!([{"pattern": "other.net/*"}]);
    assert_eq!(
        client
            .json("PUT", &format!("{script}/routes"), &elsewhere)
            .unwrap()
            .status,
        400
    );
    let zones = client.get("/zones?name=example.com").unwrap();
    assert_eq!(zones.result()[0]["name"], "example.com");

    let domains = format!("{account}/workers/domains");
    let domain =
        json!({"hostname": "app.example.com", "service": "site", "zone_name": "example.com"});
    let attached = client
        .json("PUT", &domains, &domain)
        .unwrap()
        .result()
        .clone();
    assert_eq!(attached["zone_id"], zones.result()[0]["id"]);
    let mine = client.get(&format!("{domains}?service=site")).unwrap();
    assert_eq!(mine.result().as_array().unwrap().len(), 1);
    let id = attached["id"].as_str().unwrap();
    assert_eq!(
        client.delete(&format!("{domains}/{id}")).unwrap().status,
        200
    );
    assert!(fake.domains().is_empty());

    let subdomain = client
        .json(
            "POST",
            &format!("{script}/subdomain"),
            &json!({"enabled": true}),
        )
        .unwrap();
    assert_eq!(subdomain.result()["enabled"], true);
    assert!(fake.subdomain_enabled("site"));
    let settings = json!({"logpush": true, "tags": ["cf:service=site"]});
    let patched = client
        .json("PATCH", &format!("{script}/script-settings"), &settings)
        .unwrap();
    assert_eq!(patched.result()["tags"][0], "cf:service=site");
    assert_eq!(
        client
            .get(&format!("{account}/workers/subdomain"))
            .unwrap()
            .result()["subdomain"],
        "edge-tests"
    );
}

#[test]
fn an_account_without_workers_dev_says_so() {
    let fake = FakeCloudflare::start(Options {
        workers_dev_subdomain: None,
        ..Options::default()
    });
    let response = fake
        .client()
        .get(&format!(
            "/accounts/{}/workers/subdomain",
            fake.account_id()
        ))
        .unwrap();
    assert_eq!((response.status, response.error_code()), (404, Some(10007)));
}
