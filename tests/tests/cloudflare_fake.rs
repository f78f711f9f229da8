//! The fake Cloudflare API driven over plain HTTP: what a deploy client would see.

#[path = "cloudflare_fake/faults.rs"]
mod faults;
#[path = "cloudflare_fake/scripts.rs"]
mod scripts;
#[path = "cloudflare_fake/storage.rs"]
mod storage;
#[path = "cloudflare_fake/triggers.rs"]
mod triggers;

use edge_tests::cloudflare::{multipart, ApiClient, ApiResponse, FakeCloudflare, Options};
use serde_json::Value;

const ESM: &str = "application/javascript+module";
const MAIN: &[u8] = b"export default { async fetch() { return new Response('hi') } }";

fn fake() -> (FakeCloudflare, ApiClient, String) {
    let fake = FakeCloudflare::start(Options::default());
    let client = fake.client();
    let account = format!("/accounts/{}", fake.account_id());
    (fake, client, account)
}

/// Upload a script (`PUT`) or a version (`POST …/versions`) with one ES module.
fn upload(client: &ApiClient, method: &str, path: &str, metadata: Value) -> ApiResponse {
    let (content_type, body) = multipart(&metadata, &[("index.js", ESM, MAIN)]);
    client.raw(method, path, &content_type, body).unwrap()
}

fn create(client: &ApiClient, path: &str, body: Value) -> Value {
    let response = client.json("POST", path, &body).unwrap();
    assert_eq!(response.status, 200, "{path}: {}", response.body);
    response.result().clone()
}

#[test]
fn credentials_are_checked_and_accounts_listed() {
    let fake = FakeCloudflare::start(Options {
        accounts: 3,
        ..Options::default()
    });
    let anonymous = ApiClient::new(&fake.base_url(), None)
        .get("/accounts")
        .unwrap();
    assert_eq!(
        (anonymous.status, anonymous.error_code()),
        (401, Some(10000))
    );
    assert_eq!(anonymous.body["success"], false);
    let wrong = ApiClient::new(&fake.base_url(), Some("nope"))
        .get("/accounts")
        .unwrap();
    assert_eq!(wrong.error_code(), Some(10000));

    let accounts = fake.client().get("/accounts").unwrap();
    assert_eq!(accounts.body["success"], true);
    let ids: Vec<&str> = accounts
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, fake.account_ids());
    let memberships = fake.client().get("/memberships").unwrap();
    assert_eq!(
        memberships.result()[2]["account"]["id"],
        fake.account_ids()[2]
    );

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let legacy = agent
        .get(format!("{}/accounts", fake.base_url()))
        .header("X-Auth-Key", "fake-global-api-key")
        .header("X-Auth-Email", "dev@example.com")
        .call()
        .unwrap();
    assert_eq!(legacy.status(), 200);
    assert!(fake
        .requests()
        .iter()
        .all(|r| r.path == "/client/v4/accounts" || r.path == "/client/v4/memberships"));
}

#[test]
fn unknown_paths_and_methods_get_cloudflare_errors() {
    let (_fake, client, account) = fake();
    let missing = client.get(&format!("{account}/workers/nothing")).unwrap();
    assert_eq!((missing.status, missing.error_code()), (404, Some(7003)));
    let message = missing.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("Could not route to {account}/workers/nothing")),
        "{message}"
    );
    let wrong = client.delete("/accounts").unwrap();
    assert_eq!((wrong.status, wrong.error_code()), (405, Some(10405)));
    let other_account = client.get("/accounts/0000/workers/scripts").unwrap();
    assert_eq!(other_account.error_code(), Some(7003));
}
