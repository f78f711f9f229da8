//! Script uploads, their checks, versions and deployments.

use edge_tests::cloudflare::multipart;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{create, fake, upload, MAIN};

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

/// What cargo-edge renders for an upload is what the fake accepts: a first deploy with the
/// migrations, then a redeploy from the live migration tag.
#[test]
fn cargo_edge_upload_metadata_is_accepted() {
    use cargo_edge::bundle::{BundleSource, ModuleSource, ModuleType};
    use cargo_edge::model::{DurableObject, KvNamespace, Migration, Var, Worker};
    use cargo_edge::render::upload::{render, ResourceIds};

    let (fake, client, account) = fake();
    let kv = create(
        &client,
        &format!("{account}/storage/kv/namespaces"),
        json!({"title": "api-cache"}),
    );
    let dir = tempfile::tempdir().unwrap();
    let bundle = BundleSource {
        worker: "api".into(),
        wasm_bindgen: "0.2.130".into(),
        profile: "release".into(),
        exports: Default::default(),
        modules: vec![
            ModuleSource {
                name: "index.js".into(),
                kind: ModuleType::Esm,
                bytes: MAIN.to_vec(),
            },
            ModuleSource {
                name: "index_bg.wasm".into(),
                kind: ModuleType::Wasm,
                bytes: b"\0asm\x01\0\0\0".to_vec(),
            },
        ],
    }
    .write(&dir.path().join("bundle"))
    .unwrap();
    let mut worker = Worker::minimal("api", "api", dir.path().join("Cargo.toml"), "2025-06-01");
    worker
        .vars
        .insert("GREETING".into(), Var::Text("hello".into()));
    worker.kv.insert(
        "CACHE".into(),
        KvNamespace {
            id: None,
            title: "api-cache".into(),
        },
    );
    worker.durable_objects.insert(
        "ROOMS".into(),
        DurableObject {
            class: "Room".into(),
            worker: None,
        },
    );
    worker.migrations.push(Migration {
        tag: "v1".into(),
        new_sqlite_classes: vec!["Room".into()],
        ..Default::default()
    });
    let ids = ResourceIds {
        kv: [("api-cache".into(), kv["id"].as_str().unwrap().into())].into(),
        d1: Default::default(),
    };
    let script = format!("{account}/workers/scripts/api");
    let modules: Vec<(String, &str, Vec<u8>)> = bundle
        .modules
        .iter()
        .map(|m| {
            (
                m.name.clone(),
                m.kind.upload_content_type(),
                std::fs::read(bundle.dir.join(&m.name)).unwrap(),
            )
        })
        .collect();
    let parts: Vec<(&str, &str, &[u8])> = modules
        .iter()
        .map(|(n, t, b)| (n.as_str(), *t, b.as_slice()))
        .collect();
    for round in 0..2 {
        let service = client
            .get(&format!("{account}/workers/services/api"))
            .unwrap();
        let tag = service.result()["default_environment"]["script"]["migration_tag"]
            .as_str()
            .map(str::to_string);
        assert_eq!(tag.is_some(), round == 1);
        let metadata = render(&worker, &bundle, &ids, tag.as_deref())
            .unwrap()
            .metadata;
        let (content_type, body) = multipart(&metadata, &parts);
        let response = client.raw("PUT", &script, &content_type, body).unwrap();
        assert_eq!(response.status, 200, "round {round}: {}", response.body);
    }
    let live = fake.script("api").unwrap();
    assert_eq!(
        live.plain_text(&worker.content_hash_binding),
        Some(bundle.content_hash.clone())
    );
    assert_eq!(live.migration_tag.as_deref(), Some("v1"));
    assert_eq!(live.modules[1].content_type, "application/wasm");
}

#[test]
fn versions_inherit_bindings_and_durable_object_classes() {
    let (fake, client, account) = fake();
    let script = format!("{account}/workers/scripts/rooms");
    let first = json!({
        "main_module": "index.js",
        "bindings": [
            {"type": "plain_text", "name": "EDGE_CONTENT_HASH", "text": "one"},
            {"type": "durable_object_namespace", "name": "ROOMS", "class_name": "Room"},
        ],
        "migrations": {"new_tag": "v1", "steps": [{"new_classes": ["Room"]}]},
    });
    assert_eq!(upload(&client, "PUT", &script, first).status, 200);
    let versions = format!("{script}/versions?bindings_inherit=strict");
    let inheriting = json!({"main_module": "index.js", "bindings": [
        {"type": "inherit", "name": "EDGE_CONTENT_HASH"},
        {"type": "durable_object_namespace", "name": "ROOMS", "class_name": "Room"},
    ]});
    let version = upload(&client, "POST", &versions, inheriting);
    assert_eq!(version.status, 200, "{}", version.body);
    assert_eq!(version.result()["resources"]["bindings"][0]["text"], "one");
    let nothing =
        json!({"main_module": "index.js", "bindings": [{"type": "inherit", "name": "NOPE"}]});
    assert_eq!(
        upload(&client, "POST", &versions, nothing).error_code(),
        Some(10057)
    );

    // Renaming the class moves it; a binding to the old name is then refused.
    let rename = json!({
        "main_module": "index.js",
        "bindings": [{"type": "durable_object_namespace", "name": "ROOMS", "class_name": "Room"}],
        "migrations": {"old_tag": "v1", "new_tag": "v2", "steps": [{"renamed_classes": [{"from": "Room", "to": "Chamber"}]}]},
    });
    assert_eq!(
        upload(&client, "PUT", &script, rename).error_code(),
        Some(10061)
    );
    let renamed = json!({
        "main_module": "index.js",
        "bindings": [{"type": "durable_object_namespace", "name": "ROOMS", "class_name": "Chamber"}],
        "migrations": {"old_tag": "v1", "new_tag": "v2", "steps": [{"renamed_classes": [{"from": "Room", "to": "Chamber"}]}]},
    });
    assert_eq!(upload(&client, "PUT", &script, renamed).status, 200);
    let live = fake.script("rooms").unwrap();
    assert_eq!(
        (live.migration_tag.as_deref(), live.classes),
        (Some("v2"), vec!["Chamber".to_string()])
    );
}
