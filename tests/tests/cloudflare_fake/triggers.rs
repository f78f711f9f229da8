//! Secrets, schedules, routes, custom domains, workers.dev and settings.

use edge_tests::cloudflare::{FakeCloudflare, Options};
use serde_json::json;

use super::{fake, upload};

#[test]
fn secrets_stay_out_of_urls_and_lists() {
    let (fake, client, account) = fake();
    let script = format!("{account}/workers/scripts/vault");
    upload(&client, "PUT", &script, json!({"main_module": "index.js"}));
    let secret = json!({"name": "API_KEY", "text": "s3cr3t-value", "type": "secret_text"});
    assert_eq!(
        client
            .json("PUT", &format!("{script}/secrets"), &secret)
            .unwrap()
            .status,
        200
    );
    let listed = client.get(&format!("{script}/secrets")).unwrap();
    assert_eq!(
        listed.result(),
        &json!([{"name": "API_KEY", "type": "secret_text"}])
    );
    assert!(!listed.body.to_string().contains("s3cr3t-value"));
    assert_eq!(fake.secrets("vault"), vec!["API_KEY"]);
    assert_eq!(
        fake.secret_value("vault", "API_KEY").as_deref(),
        Some("s3cr3t-value")
    );
    assert_eq!(
        fake.versions("vault").len(),
        2,
        "a secret change is a new version"
    );
    fake.assert_no_secret("s3cr3t-value");

    // keep_bindings keeps the secret across an upload; without it the secret is gone.
    upload(
        &client,
        "PUT",
        &script,
        json!({"main_module": "index.js", "keep_bindings": ["secret_text"]}),
    );
    assert_eq!(
        fake.secret_value("vault", "API_KEY").as_deref(),
        Some("s3cr3t-value")
    );
    upload(&client, "PUT", &script, json!({"main_module": "index.js"}));
    assert!(fake.secrets("vault").is_empty());
    let gone = client.delete(&format!("{script}/secrets/API_KEY")).unwrap();
    assert_eq!(gone.status, 404);
}

#[test]
#[should_panic(expected = "leaked into the URL")]
fn a_secret_in_a_url_is_caught() {
    let (fake, client, account) = fake();
    let _ = client.get(&format!("{account}/workers/scripts?token=hunter2"));
    fake.assert_no_secret("hunter2");
}

#[test]
fn triggers_routes_and_domains() {
    let (fake, client, account) = fake();
    let script = format!("{account}/workers/scripts/site");
    upload(&client, "PUT", &script, json!({"main_module": "index.js"}));
    let crons = json!([{"cron": "*/5 * * * *"}, {"cron": "0 0 * * *"}]);
    let put = client
        .json("PUT", &format!("{script}/schedules"), &crons)
        .unwrap();
    assert_eq!(put.result()["schedules"][1]["cron"], "0 0 * * *");
    client
        .json(
            "PUT",
            &format!("{script}/schedules"),
            &json!([{"cron": "0 1 * * *"}]),
        )
        .unwrap();
    assert_eq!(fake.schedules("site"), vec!["0 1 * * *"]);
    assert_eq!(
        client
            .json(
                "PUT",
                &format!("{script}/schedules"),
                &json!([{"cron": "soon"}])
            )
            .unwrap()
            .status,
        400
    );

    let routes = json!([{"pattern": "example.com/api/*", "zone_name": "example.com"}, {"pattern": "*.example.org/*"}]);
    let answer = client
        .json("PUT", &format!("{script}/routes"), &routes)
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(fake.routes("site")[1].zone_name, "example.org");
    let elsewhere = json!([{"pattern": "other.net/*"}]);
    assert_eq!(
        client
            .json("PUT", &format!("{script}/routes"), &elsewhere)
            .unwrap()
            .status,
        400
    );
    let zones = client.get("/zones?name=example.com").unwrap();
    assert_eq!(zones.result()[0]["name"], "example.com");

    let domains = format!("{account}/workers/domains");
    let domain =
        json!({"hostname": "app.example.com", "service": "site", "zone_name": "example.com"});
    let attached = client
        .json("PUT", &domains, &domain)
        .unwrap()
        .result()
        .clone();
    assert_eq!(attached["zone_id"], zones.result()[0]["id"]);
    let mine = client.get(&format!("{domains}?service=site")).unwrap();
    assert_eq!(mine.result().as_array().unwrap().len(), 1);
    let id = attached["id"].as_str().unwrap();
    assert_eq!(
        client.delete(&format!("{domains}/{id}")).unwrap().status,
        200
    );
    assert!(fake.domains().is_empty());

    let subdomain = client
        .json(
            "POST",
            &format!("{script}/subdomain"),
            &json!({"enabled": true}),
        )
        .unwrap();
    assert_eq!(subdomain.result()["enabled"], true);
    assert!(fake.subdomain_enabled("site"));
    let settings = json!({"logpush": true, "tags": ["cf:service=site"]});
    let patched = client
        .json("PATCH", &format!("{script}/script-settings"), &settings)
        .unwrap();
    assert_eq!(patched.result()["tags"][0], "cf:service=site");
    assert_eq!(
        client
            .get(&format!("{account}/workers/subdomain"))
            .unwrap()
            .result()["subdomain"],
        "edge-tests"
    );
}

#[test]
fn an_account_without_workers_dev_says_so() {
    let fake = FakeCloudflare::start(Options {
        workers_dev_subdomain: None,
        ..Options::default()
    });
    let response = fake
        .client()
        .get(&format!(
            "/accounts/{}/workers/subdomain",
            fake.account_id()
        ))
        .unwrap();
    assert_eq!((response.status, response.error_code()), (404, Some(10007)));
}

#[test]
fn a_route_or_domain_serves_one_worker() {
    let (fake, client, account) = fake();
    for name in ["one", "two"] {
        upload(
            &client,
            "PUT",
            &format!("{account}/workers/scripts/{name}"),
            json!({"main_module": "index.js"}),
        );
    }
    let route = json!([{"pattern": "example.com/*", "zone_name": "example.com"}]);
    let routes = |name: &str| format!("{account}/workers/scripts/{name}/routes");
    assert_eq!(
        client.json("PUT", &routes("one"), &route).unwrap().status,
        200
    );
    let taken = client.json("PUT", &routes("two"), &route).unwrap();
    assert_eq!((taken.status, taken.error_code()), (409, Some(10020)));
    let wrong_zone = json!([{"pattern": "example.com/*", "zone_name": "example.org"}]);
    assert_eq!(
        client
            .json("PUT", &routes("two"), &wrong_zone)
            .unwrap()
            .status,
        400
    );

    let domains = format!("{account}/workers/domains");
    let domain = |service: &str| json!({"hostname": "www.example.org", "service": service});
    assert_eq!(
        client.json("PUT", &domains, &domain("one")).unwrap().status,
        200
    );
    assert_eq!(
        client.json("PUT", &domains, &domain("one")).unwrap().status,
        200,
        "re-attaching is idempotent"
    );
    assert_eq!(
        client
            .json("PUT", &domains, &domain("two"))
            .unwrap()
            .error_code(),
        Some(10020)
    );
    assert_eq!(
        client
            .json("PUT", &domains, &domain("ghost"))
            .unwrap()
            .error_code(),
        Some(10007)
    );
    assert_eq!(fake.domains().len(), 1);
    assert_eq!(
        client
            .delete(&format!("{account}/workers/scripts/one"))
            .unwrap()
            .status,
        200
    );
    assert!(
        fake.domains().is_empty(),
        "deleting a worker detaches its domains"
    );
}
