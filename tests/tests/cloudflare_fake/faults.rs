//! Injected faults as a client sees them.

use std::time::Duration;

use edge_tests::cloudflare::{ApiClient, Fault, FaultKind};
use serde_json::json;

use super::fake;

#[test]
fn injected_faults_are_seen_by_a_client() {
    let (fake, client, account) = fake();
    let scripts = format!("{account}/workers/scripts");
    fake.inject(Fault::new("GET", "/accounts/*/workers/scripts", FaultKind::Status(500)).times(2));
    fake.inject(Fault::new(
        "GET",
        "/accounts/*/workers/scripts",
        FaultKind::RateLimited {
            retry_after_secs: 7,
        },
    ));
    fake.inject(Fault::new(
        "*",
        "/accounts/*/workers/**",
        FaultKind::DropConnection,
    ));
    for _ in 0..2 {
        let failed = client.get(&scripts).unwrap();
        assert_eq!(
            (failed.status, failed.body["success"].clone()),
            (500, json!(false))
        );
    }
    let limited = client.get(&scripts).unwrap();
    assert_eq!((limited.status, limited.error_code()), (429, Some(971)));
    assert_eq!(limited.header("retry-after"), Some("7"));
    assert!(
        client.get(&scripts).is_err(),
        "a dropped connection is an error, not a response"
    );
    assert_eq!(fake.faults_remaining(), 0);
    assert_eq!(client.get(&scripts).unwrap().status, 200);
    // Faults strike before authentication, as an overloaded edge would.
    assert_eq!(fake.requests().len(), 5);

    let quick = ApiClient::with_timeout(
        &fake.base_url(),
        Some(&fake.token()),
        Duration::from_millis(150),
    );
    fake.inject(Fault::new(
        "GET",
        "/accounts",
        FaultKind::Slow(Duration::from_secs(2)),
    ));
    assert!(
        quick.get("/accounts").is_err(),
        "a slow answer times the client out"
    );
    assert_eq!(quick.get("/accounts").unwrap().status, 200);
}
