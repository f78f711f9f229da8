//! The published JSON schema (`cargo-edge/schema/edge-metadata.schema.json`) is generated from the same key
//! definitions the parser checks against; this fails when the committed file is stale.
//! `EDGE_BLESS=1` regenerates it.

use std::path::Path;

use cargo_edge::manifest::schema::{schema, schema_text};

#[test]
fn the_committed_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/edge-metadata.schema.json");
    let generated = schema_text();
    if std::env::var_os("EDGE_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write the schema");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "cargo-edge/schema/edge-metadata.schema.json is stale: run `EDGE_BLESS=1 cargo test -p cargo-edge --test schema`"
    );
}

#[test]
fn the_schema_describes_bindings_environments_and_ranges() {
    let schema = schema();
    let props = &schema["properties"];
    assert_eq!(schema["additionalProperties"], false);
    let kv = &props["kv"]["additionalProperties"]["properties"];
    assert!(kv["id"].is_object() && kv["title"].is_object());
    let env = &props["env"]["additionalProperties"]["properties"];
    assert!(
        env["kv"].is_object() && env.get("env").is_none(),
        "environments do not nest"
    );
    let consumer = &props["queues"]["properties"]["consumers"]["additionalProperties"];
    assert_eq!(consumer["properties"]["max_batch_size"]["maximum"], 100);
    let migration = &props["migrations"]["items"];
    assert_eq!(migration["required"], serde_json::json!(["tag"]));
    assert!(schema["$defs"]["workspace"]["properties"]["name"].is_null());
}
