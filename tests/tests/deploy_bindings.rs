//! The `bindings` fixture deployed to the Cloudflare API stand-in, whose checks follow
//! Cloudflare's current schema for every binding type and setting: each binding goes up with its
//! type and fields, the settings ride along, an unchanged worker is a no-op, and a binding made
//! in the dashboard survives a deploy thanks to `keep_bindings`.

use std::process::Output;

use edge_tests::cloudflare::{multipart, FakeCloudflare, Options};
use edge_tests::{cargo_edge_bin, fixture_manifest, fixture_target_dir, output_text, root};
use serde_json::{json, Value};

fn deploy(fake: &FakeCloudflare, extra: &[&str]) -> Output {
    let manifest = fixture_manifest("bindings");
    let target = fixture_target_dir();
    std::process::Command::new(cargo_edge_bin())
        .args(["edge", "deploy", "--color", "never", "--profile", "fast"])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .args(extra)
        .current_dir(root())
        .env("CLOUDFLARE_API_BASE_URL", fake.base_url())
        .env("CLOUDFLARE_API_TOKEN", fake.token())
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .output()
        .expect("cargo-edge runs")
}

fn binding<'a>(bindings: &'a [Value], name: &str) -> &'a Value {
    bindings
        .iter()
        .find(|b| b["name"] == name)
        .unwrap_or_else(|| panic!("no binding `{name}` in {bindings:#?}"))
}

#[test]
fn every_binding_type_and_setting_reaches_cloudflare_in_its_api_shape() {
    let fake = FakeCloudflare::start(Options::default());
    let first = deploy(&fake, &[]);
    assert!(first.status.success(), "{}", output_text(&first));
    let script = fake.script("bindings").expect("the worker is live");
    let live = &script.bindings;
    assert_eq!(binding(live, "AI")["type"], "ai");
    assert_eq!(binding(live, "VERSION")["type"], "version_metadata");
    assert_eq!(
        binding(live, "CLICKS"),
        &json!({"type": "analytics_engine", "name": "CLICKS", "dataset": "bindings-clicks"})
    );
    assert_eq!(
        binding(live, "LIMITER"),
        &json!({"type": "ratelimit", "name": "LIMITER", "namespace_id": "1001", "simple": {"limit": 3, "period": 60}})
    );
    assert_eq!(
        binding(live, "STRIPE_KEY"),
        &json!({"type": "secrets_store_secret", "name": "STRIPE_KEY", "store_id": "0f2ac74b498b48028cb68387c421e279", "secret_name": "stripe"})
    );
    assert_eq!(
        binding(live, "MAILER"),
        &json!({"type": "send_email", "name": "MAILER", "allowed_destination_addresses": ["ops@example.com"], "allowed_sender_addresses": ["app@example.com"]})
    );
    // The local connection string stays local.
    assert_eq!(
        binding(live, "DB"),
        &json!({"type": "hyperdrive", "name": "DB", "id": "7a7b2a4e00004000800000000000abcd"})
    );
    // So do the dispatch namespace's local_workers; its outbound worker is sent.
    assert_eq!(
        binding(live, "TENANTS"),
        &json!({"type": "dispatch_namespace", "name": "TENANTS", "namespace": "customers", "outbound": {"worker": {"service": "hello"}}})
    );
    assert_eq!(binding(live, "CERT")["type"], "mtls_certificate");
    let metadata = &script.metadata;
    assert_eq!(
        metadata["observability"],
        json!({"enabled": true, "head_sampling_rate": 0.5, "logs": {"enabled": true, "invocation_logs": true}})
    );
    assert_eq!(metadata["placement"], json!({"mode": "smart"}));
    assert_eq!(metadata["limits"], json!({"cpu_ms": 50}));
    assert_eq!(metadata["logpush"], json!(true));
    assert_eq!(metadata["tail_consumers"], json!([{"service": "log-sink"}]));
    assert_eq!(
        metadata["keep_bindings"],
        json!(["secret_text", "secret_key", "plain_text"])
    );
    write_request_log(&fake);

    // Unchanged: nothing is uploaded again.
    let versions = fake.versions("bindings").len();
    let again = deploy(&fake, &[]);
    assert!(again.status.success(), "{}", output_text(&again));
    assert_eq!(
        fake.versions("bindings").len(),
        versions,
        "{}",
        output_text(&again)
    );

    // A plain-text binding added in the dashboard (a new version with it), then a forced
    // deploy: `keep_bindings = ["plain_text"]` keeps it.
    let mut dashboard = script.metadata.clone();
    let mut bindings = script.bindings.clone();
    bindings.retain(|b| b["type"] != "plain_text");
    bindings.push(json!({"type": "plain_text", "name": "DASHBOARD_NOTE", "text": "set by hand"}));
    dashboard["bindings"] = Value::Array(bindings);
    let modules: Vec<(&str, &str, &[u8])> = script
        .modules
        .iter()
        .map(|m| (m.name.as_str(), m.content_type.as_str(), m.bytes.as_slice()))
        .collect();
    let (content_type, body) = multipart(&dashboard, &modules);
    let path = format!("/accounts/{}/workers/scripts/bindings", fake.account_id());
    let put = fake
        .client()
        .raw("PUT", &path, &content_type, body)
        .unwrap();
    assert_eq!(put.status, 200, "{:?}", put.body);
    let forced = deploy(&fake, &["--force"]);
    assert!(forced.status.success(), "{}", output_text(&forced));
    let after = fake.script("bindings").unwrap();
    assert_eq!(
        after.plain_text("DASHBOARD_NOTE").as_deref(),
        Some("set by hand")
    );
    assert!(after.plain_text("EDGE_CONTENT_HASH").is_some());
}

/// The upload as a JSON-lines request log for Cloudflare's schema checker
/// (`validate.py` in the project's shared folder), when `EDGE_REQUEST_LOG` names a file.
fn write_request_log(fake: &FakeCloudflare) {
    let Some(path) = std::env::var_os("EDGE_REQUEST_LOG") else {
        return;
    };
    let mut lines = String::new();
    for version in fake.versions("bindings") {
        let mut parts = serde_json::Map::new();
        parts.insert(
            "metadata".into(),
            json!({"content_type": "application/json", "text": version.metadata.to_string()}),
        );
        for module in &version.modules {
            parts.insert(
                module.name.clone(),
                json!({"content_type": module.content_type}),
            );
        }
        let line = json!({
            "method": "PUT",
            "path": format!("/client/v4/accounts/{}/workers/scripts/bindings", fake.account_id()),
            "query": "",
            "content_type": "multipart/form-data; boundary=x",
            "body": null,
            "parts": parts,
        });
        lines.push_str(&format!("{line}\n"));
    }
    std::fs::write(path, lines).unwrap();
}
