//! KV, D1, R2 and queues (with their consumers).

use serde_json::json;

use super::{create, fake, upload};

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
    // One bucket by name, as wrangler asks before provisioning.
    assert_eq!(
        client.get(&format!("{buckets}/assets")).unwrap().result()["name"],
        "assets"
    );
    assert_eq!(
        client
            .get(&format!("{buckets}/missing"))
            .unwrap()
            .error_code(),
        Some(10006)
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
