use std::path::Path;

use super::*;

const WRANGLER: &str = r#"
name = "api"
main = "build/index.js"
compatibility_date = "2025-01-01"
compatibility_flags = ["nodejs_compat"]
routes = [{ pattern = "api.example.com/*", zone_name = "example.com" }, { pattern = "app.example.com", custom_domain = true }]
tail_consumers = [{ service = "logs" }]

[build]
command = "cargo install -q worker-build && worker-build --release"

[triggers]
crons = ["*/5 * * * *"]

[vars]
ENVIRONMENT = "dev"

[[kv_namespaces]]
binding = "CACHE"
id = "0f2ac74b498b48028cb68387c421e279"

[[d1_databases]]
binding = "DB"
database_name = "app-database"
database_id = "7a7b2a4e-0000-4000-8000-000000000000"
migrations_dir = "migrations"

[[queues.consumers]]
queue = "jobs"
max_batch_size = 10
max_batch_timeout = 5

[[durable_objects.bindings]]
name = "ROOMS"
class_name = "Room"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Room"]

[env.prod]
name = "api-prod"
vars = { ENVIRONMENT = "prod" }
"#;

fn wrangler() -> Value {
    let value: toml::Value = toml::from_str(WRANGLER).unwrap();
    serde_json::to_value(value).unwrap()
}

#[test]
fn every_binding_kind_and_environment_is_carried_over() {
    let imported = convert(&wrangler());
    let table = &imported.table;
    assert_eq!(
        table["kv"]["CACHE"]["id"],
        "0f2ac74b498b48028cb68387c421e279"
    );
    assert_eq!(table["d1"]["DB"]["database"], "app-database");
    assert_eq!(table["d1"]["DB"]["migrations"], "migrations");
    assert_eq!(table["queues"]["consumers"]["jobs"]["max_wait_ms"], 5000);
    assert_eq!(table["durable_objects"]["ROOMS"]["class"], "Room");
    assert_eq!(table["domains"], json!(["app.example.com"]));
    assert_eq!(table["crons"], json!(["*/5 * * * *"]));
    assert_eq!(table["env"]["prod"]["vars"]["ENVIRONMENT"], "prod");
    assert!(
        table["env"]["prod"].get("name").is_none(),
        "the default env name is implied"
    );
    assert_eq!(table["tail_consumers"], json!([{"service": "logs"}]));
    assert!(imported.skipped.is_empty(), "{:?}", imported.skipped);
}

#[test]
fn the_table_is_written_into_cargo_toml_keeping_its_comments() {
    let cargo = "# my worker\n[package]\nname = \"api\" # the crate\nversion = \"0.1.0\"\n\n[dependencies]\nworker = \"0.8\"\n";
    let path = Path::new("Cargo.toml");
    let written = write_into(cargo, path, &convert(&wrangler()).table, false).unwrap();
    assert!(
        written.starts_with("# my worker\n[package]\nname = \"api\" # the crate\n"),
        "{written}"
    );
    assert!(written.contains("[package.metadata.edge]"), "{written}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    let loaded =
        crate::manifest::parse_str(&written, &dir.path().join("Cargo.toml"), Some("prod")).unwrap();
    assert_eq!(loaded.worker.name, "api-prod");
    assert_eq!(
        loaded.worker.kv["CACHE"].id.as_deref(),
        Some("0f2ac74b498b48028cb68387c421e279")
    );
    let again = write_into(&written, path, &convert(&wrangler()).table, false).unwrap_err();
    assert!(again
        .to_string()
        .contains("already has a [package.metadata.edge] table"));
}

#[test]
fn the_imported_tables_are_written_together_after_the_package_table() {
    let cargo = "[package]\nname = \"api\"\nversion = \"0.1.0\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\nworker = \"0.8\"\n\n[profile.release]\nopt-level = \"z\"\n";
    let written = write_into(
        cargo,
        Path::new("Cargo.toml"),
        &convert(&wrangler()).table,
        false,
    )
    .unwrap();
    let headers: Vec<&str> = written.lines().filter(|l| l.starts_with('[')).collect();
    let edge: Vec<usize> = (0..headers.len())
        .filter(|&i| headers[i].contains("package.metadata.edge"))
        .collect();
    assert!(edge.len() >= 4, "{written}");
    assert_eq!(headers[0], "[package]", "{written}");
    assert_eq!(
        edge,
        (1..=edge.len()).collect::<Vec<_>>(),
        "the edge tables are not one block after [package]:\n{written}"
    );
    assert_eq!(
        headers[edge.len() + 1..],
        ["[lib]", "[dependencies]", "[profile.release]"]
    );
    assert_eq!(headers[1], "[package.metadata.edge]", "{written}");
}

#[test]
fn jsonc_comments_and_trailing_commas_are_accepted() {
    let text = "// top\n{\n  \"name\": \"a//b\", /* inline */\n  \"vars\": { \"X\": \"1\", },\n}\n";
    let value: Value = serde_json::from_str(&strip_jsonc(text)).unwrap();
    assert_eq!(value["name"], "a//b");
    assert_eq!(value["vars"]["X"], "1");
}

#[test]
fn every_sub_field_not_carried_over_is_reported() {
    let wrangler = json!({
        "kv_namespaces": [{"binding": "CACHE", "id": "c", "preview_id": "p", "remote": true}],
        "d1_databases": [{"binding": "DB", "database_name": "db", "migrations_table": "m"}],
        "services": [{"binding": "AUTH", "service": "auth", "props": {"a": 1}}],
        "queues": {"consumers": [{"queue": "jobs", "visibility_timeout_ms": 1000}]},
        "durable_objects": {"bindings": [{"name": "R", "class_name": "Room", "environment": "x"}]},
        "env": {"prod": {"r2_buckets": [{"binding": "B", "bucket_name": "b", "preview_bucket_name": "p"}]}}
    });
    let imported = convert(&wrangler);
    assert_eq!(
        imported.skipped,
        [
            "d1_databases[DB].migrations_table",
            "durable_objects.bindings[R].environment",
            "kv_namespaces[CACHE].preview_id",
            "kv_namespaces[CACHE].remote",
            "queues.consumers[jobs].visibility_timeout_ms",
            "services[AUTH].props",
            "env.prod.r2_buckets[B].preview_bucket_name",
        ]
    );
    assert_eq!(imported.table["kv"]["CACHE"], json!({"id": "c"}));
}

#[test]
fn assets_come_over_with_the_keys_cargo_edge_knows() {
    let wrangler: serde_json::Value = serde_json::json!({
        "name": "site",
        "assets": {
            "directory": "./public",
            "binding": "ASSETS",
            "html_handling": "drop-trailing-slash",
            "not_found_handling": "404-page",
            "run_worker_first": ["/api/*", "!/api/docs/*"],
            "experimental_serve_directly": true
        },
        "env": {"prod": {"assets": {"directory": "dist"}}}
    });
    let imported = convert(&wrangler);
    let assets = &imported.table["assets"];
    assert_eq!(assets["directory"], "./public");
    assert_eq!(assets["binding"], "ASSETS");
    assert_eq!(assets["run_worker_first"][1], "!/api/docs/*");
    assert!(assets.get("experimental_serve_directly").is_none());
    assert_eq!(imported.table["env"]["prod"]["assets"]["directory"], "dist");
    assert!(
        imported
            .skipped
            .contains(&"assets.experimental_serve_directly".to_string()),
        "{:?}",
        imported.skipped
    );
}

/// The real crate's case: nine classes and no `[[migrations]]`, a queue named `my_queue`. The
/// import adds the migration a deploy needs, and the table loads (the name is only a warning).
#[test]
fn an_import_adds_the_missing_migration_and_loads_with_a_bad_queue_name() {
    let wrangler: Value = json!({
        "name": "big",
        "compatibility_date": "2025-01-01",
        "durable_objects": { "bindings": [
            { "name": "ROOMS", "class_name": "Room" },
            { "name": "OLD", "class_name": "Old" },
            { "name": "REMOTE", "class_name": "Elsewhere", "script_name": "other" },
        ] },
        "migrations": [{ "tag": "v1", "new_classes": ["Old"] }],
        "queues": { "producers": [{ "binding": "JOBS", "queue": "my_queue" }] },
    });
    let imported = convert(&wrangler);
    assert_eq!(
        imported.table["migrations"][1],
        json!({ "tag": "v2", "new_sqlite_classes": ["Room"] })
    );
    assert_eq!(imported.added.len(), 1);
    assert!(imported.added[0].contains("`Room`"), "{:?}", imported.added);
    let cargo = "[package]\nname = \"big\"\nversion = \"0.1.0\"\n";
    let written = write_into(cargo, Path::new("Cargo.toml"), &imported.table, false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let loaded = crate::manifest::parse_str(&written, &dir.path().join("Cargo.toml"), None)
        .expect("an imported table loads");
    let codes: Vec<&str> = loaded.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, ["queue_name"], "{:?}", loaded.warnings);
    assert!(crate::manifest::strict::refuse_deploy(&loaded.warnings).is_err());
}

/// The table an import writes, loaded back as `cargo edge import` does.
fn written_and_loaded(wrangler: &Value) -> (Imported, crate::manifest::Loaded) {
    let imported = convert(wrangler);
    let cargo = "[package]\nname = \"w\"\nversion = \"0.1.0\"\n";
    let written = write_into(cargo, Path::new("Cargo.toml"), &imported.table, false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let loaded = crate::manifest::parse_str(&written, &dir.path().join("Cargo.toml"), None)
        .expect("an imported table loads");
    (imported, loaded)
}

/// wrangler's dev falls back to a date and its deploy refuses none: the import writes the
/// bundled workerd's date, says so and how to change it, and the table deploys.
#[test]
fn a_file_without_a_compatibility_date_gets_the_bundled_workerds() {
    let (imported, loaded) = written_and_loaded(&json!({ "name": "w" }));
    let date = crate::new::COMPATIBILITY_DATE;
    assert_eq!(imported.table["compatibility_date"], date);
    assert_eq!(imported.warnings.len(), 1, "{:?}", imported.warnings);
    let warning = &imported.warnings[0];
    assert!(
        warning.contains(&format!("wrote \"{date}\""))
            && warning.contains("set the date it was tested with in [package.metadata.edge]"),
        "{warning}"
    );
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert!(crate::manifest::strict::refuse_deploy(&loaded.warnings).is_ok());

    let dated = convert(&json!({ "name": "w", "compatibility_date": "2025-01-01" }));
    assert_eq!(dated.table["compatibility_date"], "2025-01-01");
    assert!(dated.warnings.is_empty(), "{:?}", dated.warnings);
}

/// `id = ""` (wrangler files carry it for local-only use) imports, loads with a warning naming
/// the binding and the fix, in any environment, and stops a deploy before anything is sent.
#[test]
fn an_empty_hyperdrive_id_warns_and_stops_a_deploy() {
    let wrangler = json!({
        "name": "w",
        "compatibility_date": "2025-01-01",
        "hyperdrive": [{ "binding": "PG", "id": "", "localConnectionString": "postgres://u:p@localhost/db" }],
        "env": { "prod": { "hyperdrive": [{ "binding": "PROD_PG", "id": " " }] } },
    });
    let (_, loaded) = written_and_loaded(&wrangler);
    let mut messages: Vec<String> = loaded.warnings.iter().map(|w| w.message.clone()).collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            "`package.metadata.edge.env.prod.hyperdrive.PROD_PG.id` is empty; `cargo edge deploy` refuses it",
            "`package.metadata.edge.hyperdrive.PG.id` is empty; `cargo edge deploy` refuses it",
        ],
        "{:?}",
        loaded.warnings
    );
    let help = loaded.warnings[0].help.clone().unwrap_or_default();
    assert!(help.contains("write the configuration's id"), "{help}");
    let refused = crate::manifest::strict::refuse_deploy(&loaded.warnings).unwrap_err();
    assert!(refused.problems.iter().all(|p| p.is_error()));

    let with_id = json!({
        "name": "w",
        "compatibility_date": "2025-01-01",
        "hyperdrive": [{ "binding": "PG", "id": "a76a99bc342644deb02c38d66082262a" }],
    });
    assert!(written_and_loaded(&with_id).1.warnings.is_empty());
}
