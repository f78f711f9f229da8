use std::path::PathBuf;

use super::*;
use crate::render::sample;

fn options() -> CapnpOptions {
    CapnpOptions {
        address: "127.0.0.1:8787".into(),
        max_compatibility_date: None,
        state_dir: Some(PathBuf::from("/work/.edge/state")),
        binding_server: BindingServer {
            address: "127.0.0.1:9000".into(),
            token: None,
        },
        secrets: Secrets::FromEnvironment,
        allow_private_network: true,
        config_dir: Some(PathBuf::from("/work/target/edge")),
        local: Default::default(),
        extra_services: vec![],
    }
}

#[test]
fn strings_are_quoted_for_capnp() {
    assert_eq!(quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
}

#[test]
fn embed_paths_are_relative_to_the_config() {
    assert_eq!(
        relative(Path::new("/t/edge/w/index.js"), Path::new("/t/edge/w")),
        "index.js"
    );
    assert_eq!(
        relative(Path::new("/t/edge/w/s/x.js"), Path::new("/t/conf")),
        "../edge/w/s/x.js"
    );
}

#[test]
fn every_binding_kind_renders() {
    let (api, auth) = (sample::worker(), sample::auth_worker());
    let (api_bundle, auth_bundle) = (sample::bundle("api-prod"), sample::bundle("auth-service"));
    let units = [
        Unit {
            worker: &api,
            bundle: &api_bundle,
        },
        Unit {
            worker: &auth,
            bundle: &auth_bundle,
        },
    ];
    insta::assert_snapshot!(render(&units, &options()).unwrap());
}

#[test]
fn secrets_and_tokens_appear_only_as_given() {
    let (api, auth) = (sample::worker(), sample::auth_worker());
    let (api_bundle, auth_bundle) = (sample::bundle("api-prod"), sample::bundle("auth-service"));
    let units = [
        Unit {
            worker: &api,
            bundle: &api_bundle,
        },
        Unit {
            worker: &auth,
            bundle: &auth_bundle,
        },
    ];
    let standalone = render(&units, &options()).unwrap();
    assert!(standalone.contains("(name = \"API_KEY\", fromEnvironment = \"API_KEY\")"));
    assert!(!standalone.contains("X-Edge-Token"));
    let dev = CapnpOptions {
        secrets: Secrets::Values([("API_KEY".to_string(), "s3cret".to_string())].into()),
        binding_server: BindingServer {
            address: "127.0.0.1:9000".into(),
            token: Some("t0ken".into()),
        },
        ..options()
    };
    let dev = render(&units, &dev).unwrap();
    assert!(dev.contains("(name = \"API_KEY\", text = \"s3cret\")"));
    assert!(dev.contains("(name = \"X-Edge-Token\", value = \"t0ken\")"));
}

#[test]
fn a_service_binding_to_a_worker_outside_the_config_is_an_error() {
    let api = sample::worker();
    let bundle = sample::bundle("api-prod");
    let error = render(
        &[Unit {
            worker: &api,
            bundle: &bundle,
        }],
        &options(),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "`api-prod` binds `AUTH` to worker `auth-service`, which is not part of this config"
    );
}

#[test]
fn the_compatibility_date_is_capped_at_the_binary() {
    let mut api = sample::worker();
    api.services.clear();
    api.durable_objects.retain(|_, d| d.worker.is_none());
    api.compatibility_date = "2030-01-01".into();
    let bundle = sample::bundle("api-prod");
    let capped = CapnpOptions {
        max_compatibility_date: Some("2026-11-17".into()),
        ..options()
    };
    let config = render(
        &[Unit {
            worker: &api,
            bundle: &bundle,
        }],
        &capped,
    )
    .unwrap();
    assert!(config.contains("compatibilityDate = \"2026-11-17\""));
}

#[test]
fn renamed_sqlite_classes_stay_sqlite() {
    assert_eq!(sample::worker().sqlite_classes(), ["Room"]);
    let api = sample::worker();
    let bundle = sample::bundle("api-prod");
    let mut auth = sample::auth_worker();
    auth.migrations[0].new_sqlite_classes = std::mem::take(&mut auth.migrations[0].new_classes);
    let auth_bundle = sample::bundle("auth-service");
    let units = [
        Unit {
            worker: &api,
            bundle: &bundle,
        },
        Unit {
            worker: &auth,
            bundle: &auth_bundle,
        },
    ];
    let config = render(&units, &options()).unwrap();
    assert!(
        config.contains("(className = \"Room\", uniqueKey = \"api-prod-Room\", enableSql = true)"),
        "{config}"
    );
    assert!(config.contains(
        "(className = \"Limiter\", uniqueKey = \"auth-service-Limiter\", enableSql = true)"
    ));
}

#[test]
fn a_dispatch_namespaces_workers_fetch_through_its_outbound_worker() {
    // The sample's namespace `TENANTS` holds every other worker, with outbound `egress`.
    let (api, auth) = (sample::worker(), sample::auth_worker());
    let egress = Worker::minimal("egress", "egress", "Cargo.toml".into(), "2026-11-01");
    let bundles = ["api-prod", "auth-service", "egress"].map(sample::bundle);
    let units: Vec<Unit> = [&api, &auth, &egress]
        .into_iter()
        .zip(&bundles)
        .map(|(worker, bundle)| Unit { worker, bundle })
        .collect();
    let config = render(&units, &options()).unwrap();
    let block = |index: usize| {
        let start = config.find(&format!("const worker{index} ")).unwrap();
        let end = config[start..].find("\n);").unwrap();
        &config[start..start + end]
    };
    assert!(
        block(1).contains("globalOutbound = \"egress\","),
        "{}",
        block(1)
    );
    // Neither the dispatcher nor the outbound worker itself goes through it.
    for index in [0, 2] {
        assert!(block(index).contains("globalOutbound = \"edge-internet\","));
    }
    // The outbound worker is not one of the namespace's workers.
    let tenants = block(0)
        .lines()
        .find(|l| l.contains("\"TENANTS\""))
        .unwrap();
    assert!(
        tenants.contains("auth-service") && !tenants.contains("egress"),
        "{tenants}"
    );
    // Without the outbound worker in the config, nothing is rerouted.
    let config = render(&units[..2], &options()).unwrap();
    assert!(!config.contains("globalOutbound = \"egress\""));
}
