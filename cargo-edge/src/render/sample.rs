//! A worker with one binding of every kind, for the renderers' tests.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::build::Exports;
use crate::bundle::{Bundle, ModuleEntry, ModuleType};
use crate::model::*;

pub fn worker() -> Worker {
    let mut vars = BTreeMap::new();
    vars.insert("ENVIRONMENT".into(), Var::Text("prod".into()));
    vars.insert(
        "LIMITS".into(),
        Var::Json(serde_json::json!({"max": 5, "tags": ["a"]})),
    );
    Worker {
        name: "api-prod".into(),
        package: "api".into(),
        manifest_path: PathBuf::from("/work/api/Cargo.toml"),
        env: Some("prod".into()),
        account_id: Some("0123456789abcdef0123456789abcdef".into()),
        compatibility_date: "2025-06-01".into(),
        compatibility_flags: vec!["nodejs_compat".into()],
        workers_dev: false,
        routes: vec![
            Route {
                pattern: "api.example.com/*".into(),
                zone: Some(Zone::Name("example.com".into())),
            },
            Route {
                pattern: "example.com/api/*".into(),
                zone: None,
            },
        ],
        domains: vec!["app.example.com".into()],
        crons: vec!["*/5 * * * *".into()],
        vars,
        secrets: vec!["API_KEY".into()],
        kv: [
            (
                "CACHE".to_string(),
                KvNamespace {
                    id: None,
                    title: "api-prod-cache".into(),
                },
            ),
            (
                "SESSIONS".to_string(),
                KvNamespace {
                    id: Some("0f2ac74b498b48028cb68387c421e279".into()),
                    title: "api-prod-sessions".into(),
                },
            ),
        ]
        .into(),
        d1: [(
            "DB".to_string(),
            D1Database {
                id: None,
                name: "app-database".into(),
                migrations_dir: Some(PathBuf::from("/work/api/migrations")),
            },
        )]
        .into(),
        r2: [(
            "ASSETS".to_string(),
            R2Bucket {
                bucket: "app-assets".into(),
                jurisdiction: None,
            },
        )]
        .into(),
        queue_producers: [(
            "JOBS".to_string(),
            QueueProducer {
                queue: "image-processing".into(),
                delivery_delay: Some(5),
            },
        )]
        .into(),
        queue_consumers: [(
            "image-processing".to_string(),
            QueueConsumer {
                dead_letter_queue: Some("image-processing-dlq".into()),
                max_concurrency: Some(2),
                retry_delay: 30,
                ..QueueConsumer::with_defaults("image-processing")
            },
        )]
        .into(),
        services: [
            (
                "AUTH".to_string(),
                Service::Worker {
                    worker: "auth-service".into(),
                    entrypoint: Some("AuthApi".into()),
                },
            ),
            (
                "BACKEND".to_string(),
                Service::External {
                    url: "http://127.0.0.1:8080".into(),
                },
            ),
        ]
        .into(),
        durable_objects: [
            (
                "ROOMS".to_string(),
                DurableObject {
                    class: "Room".into(),
                    worker: None,
                },
            ),
            (
                "LIMITER".to_string(),
                DurableObject {
                    class: "Limiter".into(),
                    worker: Some("auth-service".into()),
                },
            ),
        ]
        .into(),
        migrations: vec![
            Migration {
                tag: "v1".into(),
                new_sqlite_classes: vec!["Chat".into()],
                ..Default::default()
            },
            Migration {
                tag: "v2".into(),
                renamed_classes: vec![RenamedClass {
                    from: "Chat".into(),
                    to: "Room".into(),
                }],
                ..Default::default()
            },
        ],
        build: BuildSettings {
            wasm_opt: true,
            ..Default::default()
        },
        assets: Some(crate::assets::Assets {
            directory: PathBuf::from("/work/api/public"),
            directory_as_written: "public".into(),
            binding: Some("STATIC".into()),
            html_handling: crate::assets::HtmlHandling::DropTrailingSlash,
            not_found_handling: crate::assets::NotFoundHandling::SinglePageApplication,
            run_worker_first: crate::assets::RunWorkerFirst::Patterns(vec![
                "/api/*".into(),
                "!/api/docs/*".into(),
            ]),
        }),
        content_hash_binding: CONTENT_HASH_BINDING.into(),
    }
}

/// A second worker the first binds by service.
pub fn auth_worker() -> Worker {
    Worker {
        name: "auth-service".into(),
        package: "auth".into(),
        manifest_path: PathBuf::from("/work/auth/Cargo.toml"),
        kv: BTreeMap::new(),
        d1: BTreeMap::new(),
        r2: BTreeMap::new(),
        queue_producers: BTreeMap::new(),
        queue_consumers: BTreeMap::new(),
        services: BTreeMap::new(),
        durable_objects: [(
            "LIMITER".to_string(),
            DurableObject {
                class: "Limiter".into(),
                worker: None,
            },
        )]
        .into(),
        migrations: vec![Migration {
            tag: "v1".into(),
            new_classes: vec!["Limiter".into()],
            ..Default::default()
        }],
        vars: BTreeMap::new(),
        secrets: vec![],
        routes: vec![],
        domains: vec![],
        crons: vec![],
        ..worker()
    }
}

pub fn bundle(worker: &str) -> Bundle {
    let module = |name: &str, kind| ModuleEntry {
        name: name.into(),
        kind,
        sha256: "00".repeat(32),
        size: 1,
    };
    Bundle {
        worker: worker.into(),
        main_module: "shim.mjs".into(),
        modules: vec![
            module("shim.mjs", ModuleType::Esm),
            module("index.js", ModuleType::Esm),
            module("index_bg.wasm", ModuleType::Wasm),
        ],
        content_hash: "ab".repeat(32),
        wasm_bindgen: "0.2.130".into(),
        profile: "release".into(),
        exports: Exports::default(),
        dir: PathBuf::from("/work/target/edge").join(worker),
    }
}
