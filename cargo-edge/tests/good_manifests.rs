//! Good manifests resolve to the model a user expects: defaults, env-suffixed names, the env
//! overlay rules and workspace defaults.

use std::path::{Path, PathBuf};

use cargo_edge::manifest::{load_project, load_worker, LoadedProject};
use cargo_edge::model::{QueueConsumer, Service, Var, Worker, Zone};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/good-manifests")
        .join(path)
}

fn full(env: Option<&str>) -> Worker {
    match load_worker(&fixture("full/Cargo.toml"), env) {
        Ok(loaded) => {
            assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
            loaded.worker
        }
        Err(e) => panic!("{}", e.render()),
    }
}

fn workspace(env: Option<&str>) -> LoadedProject {
    load_project(&fixture("workspace"), env).unwrap_or_else(|e| panic!("{}", e.render()))
}

#[test]
fn defaults_and_derived_names_without_an_environment() {
    let w = full(None);
    assert_eq!(w.name, "api");
    assert!(w.workers_dev && w.build.wasm_opt && !w.build.no_default_features);
    assert_eq!(w.content_hash_binding, "EDGE_CONTENT_HASH");
    assert_eq!(w.kv["CACHE"].title, "api-cache");
    assert_eq!(
        w.kv["SESSIONS"].id.as_deref(),
        Some("0f2ac74b498b48028cb68387c421e279")
    );
    assert_eq!(w.d1["DB"].name, "api-db");
    let migrations = w.d1["DB"]
        .migrations_dir
        .clone()
        .expect("default migrations folder");
    assert!(migrations.is_absolute() && migrations.ends_with("full/migrations"));
    assert_eq!(w.r2["USER_ASSETS"].bucket, "api-user-assets");
    assert_eq!(w.r2["USER_ASSETS"].jurisdiction.as_deref(), Some("eu"));
    let consumer = &w.queue_consumers["image-processing"];
    let expected = QueueConsumer {
        max_batch_size: 20,
        dead_letter_queue: Some("image-processing-dlq".into()),
        ..QueueConsumer::with_defaults("image-processing")
    };
    assert_eq!(consumer, &expected);
    assert_eq!(w.queue_producers["JOBS"].delivery_delay, Some(30));
    assert_eq!(w.routes[1].zone, Some(Zone::Name("example.net".into())));
    assert_eq!(w.vars["ENVIRONMENT"], Var::Text("dev".into()));
    assert_eq!(
        w.vars["LIMITS"],
        Var::Json(serde_json::json!({"rps": 10, "burst": [1, 2]}))
    );
    assert_eq!(w.own_durable_object_classes(), ["Room"]);
    assert_eq!(w.migrations.len(), 2);
}

#[test]
fn an_environment_inherits_overrides_and_suffixes_names() {
    let w = full(Some("prod"));
    assert_eq!(w.name, "api-prod");
    assert_eq!(w.env.as_deref(), Some("prod"));
    assert_eq!(
        w.account_id.as_deref(),
        Some("023e105f4ecef8ad9ca31a8372d0c353")
    );
    assert!(!w.workers_dev);
    assert_eq!(w.routes.len(), 1, "lists replace");
    assert!(w.crons.is_empty(), "an empty list replaces too");
    assert_eq!(w.compatibility_flags, ["nodejs_compat"], "inherited");
    assert_eq!(w.vars["ENVIRONMENT"], Var::Text("prod".into()));
    assert!(w.vars.contains_key("LIMITS"), "vars merge by key");
    assert_eq!(
        w.kv["CACHE"].title, "api-prod-cache",
        "auto names follow the env"
    );
    assert_eq!(
        w.kv["SESSIONS"].id, None,
        "an env entry replaces the binding whole"
    );
    assert_eq!(w.kv["SESSIONS"].title, "sessions-prod");
    assert_eq!(w.d1["DB"].name, "api-prod-db");
    assert_eq!(w.build.profile.as_deref(), Some("release-lto"));
    assert_eq!(w.build.features, ["metrics"], "build merges key by key");
    assert_eq!(w.migrations.len(), 2);
}

#[test]
fn an_environment_that_names_itself_gets_no_suffix() {
    let w = full(Some("staging"));
    assert_eq!(w.name, "api-preview");
    assert_eq!(w.kv["CACHE"].title, "api-preview-cache");
}

#[test]
fn workspace_defaults_reach_every_member() {
    let loaded = workspace(Some("prod"));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let names: Vec<_> = loaded
        .project
        .workers
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(names, ["api-prod", "auth", "processor-prod"]);
    let api = &loaded.project.workers[0];
    assert_eq!(
        api.account_id.as_deref(),
        Some("023e105f4ecef8ad9ca31a8372d0c353")
    );
    assert!(
        api.compatibility_flags.is_empty(),
        "the package overrides the workspace"
    );
    assert_eq!(
        api.vars["TEAM"],
        Var::Text("edge-prod".into()),
        "the workspace's env.prod"
    );
    let auth = Service::Worker {
        worker: "auth".into(),
        entrypoint: None,
    };
    assert_eq!(
        api.services["AUTH"], auth,
        "prod binds the sibling's prod script"
    );
}

#[test]
fn workspace_environments_sit_between_the_member_table_and_its_environment() {
    let var = |env: Option<&str>, worker: usize, name: &str| {
        workspace(env).project.workers[worker]
            .vars
            .get(name)
            .cloned()
    };
    let text = |s: &str| Some(Var::Text(s.into()));
    // api: LOG = "debug" in its own table; the workspace's prod says "warn".
    assert_eq!(var(None, 0, "LOG"), text("debug"));
    assert_eq!(var(Some("prod"), 0, "LOG"), text("warn"));
    assert_eq!(var(Some("prod"), 1, "TEAM"), text("edge-prod"));
    assert_eq!(var(None, 1, "TEAM"), text("edge"));
    // `canary` exists only in the workspace: every member accepts it.
    let canary = workspace(Some("canary"));
    let names: Vec<_> = canary
        .project
        .workers
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["api-canary", "auth-service-canary", "processor-canary"]
    );
    assert_eq!(
        canary.project.workers[2].vars["LOG"],
        Var::Text("trace".into())
    );
    // An environment neither declares is still refused, naming both kinds.
    let error = load_project(&fixture("workspace"), Some("prdo"))
        .unwrap_err()
        .render();
    assert!(error.contains("did you mean `prod`"), "{error}");
}

#[test]
fn sibling_services_keep_their_names_outside_environments() {
    let loaded = workspace(None);
    let api = &loaded.project.workers[0];
    let auth = Service::Worker {
        worker: "auth-service".into(),
        entrypoint: None,
    };
    assert_eq!(api.services["AUTH"], auth);
}

#[test]
fn a_member_loaded_alone_finds_its_workspace_defaults() {
    let loaded = load_worker(&fixture("workspace/api/Cargo.toml"), None)
        .unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(loaded.worker.compatibility_date, "2025-01-01");
    assert_eq!(loaded.worker.package, "api");
}

/// The README's table, row by row.
#[test]
fn the_readme_example_resolves_as_documented() {
    let load = |env| {
        load_worker(&fixture("readme/Cargo.toml"), env)
            .unwrap_or_else(|e| panic!("{}", e.render()))
            .worker
    };
    let (dev, prod) = (load(None), load(Some("prod")));
    assert_eq!((dev.name.as_str(), prod.name.as_str()), ("api", "api-prod"));
    assert_eq!(prod.compatibility_date, "2025-01-01");
    assert_eq!(dev.routes[0].pattern, "dev.example.com/*");
    assert_eq!(prod.routes.len(), 1);
    assert_eq!(prod.routes[0].pattern, "api.example.com/*");
    assert_eq!(dev.vars["LOG"], Var::Text("debug".into()));
    assert_eq!(prod.vars["LOG"], Var::Text("debug".into()));
    assert_eq!(prod.vars["ENVIRONMENT"], Var::Text("prod".into()));
    assert_eq!(dev.kv["CACHE"].title, "api-cache");
    assert_eq!(prod.kv["CACHE"].title, "api-prod-cache");
    assert_eq!(
        dev.kv["SESSIONS"].id.as_deref(),
        Some("0f2ac74b498b48028cb68387c421e279")
    );
    assert_eq!(prod.kv["SESSIONS"].id, None);
    assert_eq!(prod.kv["SESSIONS"].title, "sessions-prod");
    assert_eq!(dev.d1["DB"].name, "api-db");
    assert_eq!(prod.d1["DB"].name, "api-prod-db");
}

#[test]
fn a_mistake_in_workspace_defaults_is_reported_once_not_once_per_member() {
    let root = tempfile::tempdir().expect("temp dir");
    let write = |path: &str, text: &str| {
        let path = root.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"w/*\"]\n\n[workspace.metadata.edge]\ncompatibility_date = \"2025-01-01\"\nacount_id = \"x\"\n",
    );
    for member in ["a", "b"] {
        let text = format!("[package]\nname = \"{member}\"\n\n[package.metadata.edge]\n");
        write(&format!("w/{member}/Cargo.toml"), &text);
    }
    let error = load_project(root.path(), None).expect_err("unknown key");
    assert_eq!(error.problems.len(), 1, "{}", error.render());
    assert!(error.render().contains("did you mean `account_id`?"));
}
