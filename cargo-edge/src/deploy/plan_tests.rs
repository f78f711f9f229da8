use super::*;
use crate::deploy::live::LiveQueue;
use crate::render::sample;

fn live_with_everything(worker: &Worker) -> Live {
    let mut live = Live {
        script_exists: true,
        ..Live::default()
    };
    live.kv.insert("api-prod-cache".into(), "kv1".into());
    live.d1.insert("app-database".into(), "db1".into());
    live.r2.insert("app-assets".into());
    for name in queue_names(worker) {
        live.queues.insert(
            name.clone(),
            LiveQueue {
                queue_id: format!("q-{name}"),
                consumers: vec![],
            },
        );
    }
    live
}

#[test]
fn a_first_deploy_creates_every_resource_once() {
    let worker = sample::worker();
    let plan = plan(
        &worker,
        &sample::bundle("api-prod"),
        "acc",
        &Live::default(),
        &Options::default(),
    );
    let creates: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| format!("{s}").starts_with("create"))
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        creates,
        [
            "create KV namespace `api-prod-cache`",
            "create D1 database `app-database`",
            "create R2 bucket `app-assets`",
            "create queue `image-processing`",
            "create queue `image-processing-dlq`",
        ]
    );
    assert!(plan.steps.contains(&Step::UploadScript {
        old_tag: None,
        new_tag: Some("v2".into())
    }));
    assert!(plan.steps.contains(&Step::AttachConsumer {
        queue: "image-processing".into()
    }));
    assert_eq!(
        plan.steps.last(),
        Some(&Step::RecordFingerprint {
            fingerprint: plan.fingerprint.clone()
        })
    );
}

#[test]
fn an_unchanged_worker_is_up_to_date_unless_forced() {
    let worker = sample::worker();
    let bundle = sample::bundle("api-prod");
    let mut live = live_with_everything(&worker);
    live.fingerprint = Some(fingerprint(&worker, &bundle));
    let noop = plan(&worker, &bundle, "acc", &live, &Options::default());
    assert!(noop.up_to_date && noop.steps.is_empty());
    let forced = plan(
        &worker,
        &bundle,
        "acc",
        &live,
        &Options {
            force: true,
            ..Options::default()
        },
    );
    assert!(!forced.up_to_date && !forced.steps.is_empty());
}

#[test]
fn any_change_to_code_or_settings_changes_the_fingerprint() {
    let worker = sample::worker();
    let bundle = sample::bundle("api-prod");
    let base = fingerprint(&worker, &bundle);
    let mut code = bundle.clone();
    code.content_hash = "cd".repeat(32);
    assert_ne!(fingerprint(&worker, &code), base);
    let mut settings = worker.clone();
    settings.crons.push("0 0 * * *".into());
    assert_ne!(fingerprint(&settings, &bundle), base);
    let mut local_only = worker.clone();
    local_only.manifest_path = "/elsewhere/Cargo.toml".into();
    assert_eq!(
        fingerprint(&local_only, &bundle),
        base,
        "where the crate lives is not a setting"
    );
}

#[test]
fn removed_consumers_are_detached_and_changed_ones_updated() {
    let mut worker = sample::worker();
    let mut live = live_with_everything(&worker);
    let consumer = |id: &str, script: &str| LiveConsumer {
        consumer_id: id.into(),
        script_name: Some(script.into()),
        script: None,
        dead_letter_queue: None,
        settings: json!({"batch_size": 1}),
    };
    live.queues
        .get_mut("image-processing")
        .unwrap()
        .consumers
        .push(consumer("c1", "api-prod"));
    live.queues.insert(
        "old-queue".into(),
        LiveQueue {
            queue_id: "q-old".into(),
            consumers: vec![consumer("c2", "api-prod"), consumer("c3", "other")],
        },
    );
    worker
        .queue_consumers
        .get_mut("image-processing")
        .unwrap()
        .max_batch_size = 50;
    let plan = plan(
        &worker,
        &sample::bundle("api-prod"),
        "acc",
        &live,
        &Options::default(),
    );
    assert!(plan.steps.contains(&Step::UpdateConsumer {
        queue: "image-processing".into(),
        consumer_id: "c1".into()
    }));
    assert!(plan.steps.contains(&Step::DetachConsumer {
        queue: "old-queue".into(),
        consumer_id: "c2".into()
    }));
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| matches!(s, Step::DetachConsumer { consumer_id, .. } if consumer_id == "c3")),
        "other workers' consumers are left alone"
    );
}

#[test]
fn migrations_resume_after_the_live_tag() {
    let worker = sample::worker();
    let live = Live {
        migration_tag: Some("v1".into()),
        ..live_with_everything(&worker)
    };
    let plan = plan(
        &worker,
        &sample::bundle("api-prod"),
        "acc",
        &live,
        &Options::default(),
    );
    assert!(plan.steps.contains(&Step::UploadScript {
        old_tag: Some("v1".into()),
        new_tag: Some("v2".into())
    }));
}
