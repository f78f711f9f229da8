//! A create that took effect but whose answer was lost (the connection dropped after the
//! change): the retry is told "already exists", and the deploy looks the resource up by name and
//! carries on, in the same run, creating nothing twice.

use edge_tests::cloudflare::{FakeCloudflare, Fault, FaultKind, Options};

use super::{count, deploy};

/// Deploy the full-stack worker with the answer to the first `POST pattern` lost.
fn deploy_losing_the_answer_to(pattern: &str) -> (FakeCloudflare, Vec<String>) {
    let fake = FakeCloudflare::start(Options::default());
    fake.inject(Fault::new("POST", pattern, FaultKind::DropAfterApply));
    let (ok, text) = deploy(&fake, "full-stack", &[]);
    assert!(ok, "a lost answer to {pattern} is retried through:\n{text}");
    assert_eq!(fake.faults_remaining(), 0, "the fault struck");
    let requests = super::api_requests(&fake);
    let suffix = pattern.trim_start_matches("/accounts/*");
    let suffix = suffix.rsplit('/').next().unwrap();
    assert_eq!(
        count(&requests, "POST", suffix),
        if suffix == "queues" { 3 } else { 2 },
        "the create was sent, then retried once: {requests:#?}"
    );
    // A rerun has nothing to create: what the lost answer created is what the deploy used.
    fake.reset_log();
    let (ok, text) = deploy(&fake, "full-stack", &[]);
    assert!(ok && text.contains("Up to date"), "{text}");
    (fake, requests)
}

#[test]
fn a_lost_answer_to_a_kv_namespace_create() {
    let (fake, _) = deploy_losing_the_answer_to("/accounts/*/storage/kv/namespaces");
    let namespaces = fake.kv_namespaces();
    let cache: Vec<_> = namespaces
        .iter()
        .filter(|n| n.title == "api-cache")
        .collect();
    assert_eq!(cache.len(), 1, "{namespaces:?}");
    let script = fake.script("api").unwrap();
    assert_eq!(
        script.binding("CACHE").unwrap()["namespace_id"],
        cache[0].id.as_str(),
        "the worker is bound to the namespace the lost answer created"
    );
}

#[test]
fn a_lost_answer_to_a_d1_database_create() {
    let (fake, _) = deploy_losing_the_answer_to("/accounts/*/d1/database");
    let databases = fake.d1_databases();
    assert_eq!(databases.len(), 1, "{databases:?}");
    let script = fake.script("api").unwrap();
    assert_eq!(
        script.binding("DB").unwrap()["database_id"],
        databases[0].0.as_str()
    );
}

#[test]
fn a_lost_answer_to_an_r2_bucket_create() {
    let (fake, _) = deploy_losing_the_answer_to("/accounts/*/r2/buckets");
    let buckets = fake.r2_buckets();
    assert_eq!(
        buckets.iter().filter(|b| b.name == "app-assets").count(),
        1,
        "{buckets:?}"
    );
}

#[test]
fn a_lost_answer_to_a_queue_create() {
    let (fake, _) = deploy_losing_the_answer_to("/accounts/*/queues");
    let names: Vec<String> = fake.queues().iter().map(|q| q.name.clone()).collect();
    for queue in ["image-processing", "image-processing-dlq"] {
        assert_eq!(names.iter().filter(|n| *n == queue).count(), 1, "{names:?}");
    }
    assert_eq!(fake.consumers("image-processing").len(), 1);
}

#[test]
fn a_lost_answer_to_a_queue_consumer_create() {
    let (fake, _) = deploy_losing_the_answer_to("/accounts/*/queues/*/consumers");
    let consumers = fake.consumers("image-processing");
    assert_eq!(consumers.len(), 1, "{consumers:?}");
    assert_eq!(consumers[0].script_name, "api");
}
