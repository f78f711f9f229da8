//! A worker with static assets started by `edge_test::Worker` is served as `cargo edge dev`
//! serves it: the same project, run both ways, answers every request below with the same
//! status, headers and body (files, redirects, 404 pages, conditionals, `run_worker_first`,
//! the `ASSETS` binding from Rust).

use edge_tests::{fixture_target_dir, workerd_bin};

use super::{generate, request, set_assets, start, Reply};

/// The headers compared; `date` and the like differ by nature.
const HEADERS: [&str; 5] = [
    "content-type",
    "etag",
    "cache-control",
    "location",
    "content-length",
];

/// Method and path of every request asked of both.
const REQUESTS: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/index.html"),
    ("GET", "/about"),
    ("GET", "/about.html?x=1"),
    ("GET", "/docs"),
    ("GET", "/docs/"),
    ("GET", "/docs/guide"),
    ("GET", "/style.css"),
    ("GET", "/logo.svg"),
    ("GET", "/data.json"),
    ("GET", "/no/such/page"),
    ("GET", "/docs/no-such-page"),
    ("GET", "/secret.txt"),
    ("HEAD", "/about"),
    ("POST", "/about"),
    ("GET", "/api/todos"),
    ("GET", "/api/docs/readme.txt"),
    ("GET", "/api/asset/about"),
    ("GET", "/api/asset/no/such/file"),
];

/// What is compared of an answer.
fn seen(reply: &Reply) -> (u16, Vec<String>, String) {
    let headers = HEADERS.iter().map(|h| reply.header(h)).collect();
    (reply.status, headers, reply.body.clone())
}

#[test]
fn edge_test_serves_assets_and_the_assets_binding_as_dev_does() {
    let dir = tempfile::tempdir().unwrap();
    let project = generate(dir.path(), "my-assets");
    set_assets(
        &project,
        "directory = \"public\"\nbinding = \"ASSETS\"\nnot_found_handling = \"404-page\"\nrun_worker_first = [\"/api/*\", \"!/api/docs/*\"]",
    );
    let (_dev, dev) = start(&project);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let builder = edge_test::Worker::build(&project)
        .profile("fast")
        .target_dir(fixture_target_dir())
        .workerd(workerd_bin());
    let worker = runtime
        .block_on(builder.start())
        .unwrap_or_else(|e| panic!("{e}"));
    let tested = worker.url().to_string();
    for (method, path) in REQUESTS {
        let (a, b) = (
            request(method, &format!("{dev}{path}"), &[]),
            request(method, &format!("{tested}{path}"), &[]),
        );
        assert_eq!(seen(&a), seen(&b), "{method} {path}: dev, then edge-test");
    }
    let etag = request("GET", &format!("{tested}/about"), &[]).header("etag");
    for path in ["/about", "/api/asset/about"] {
        let conditional = [("if-none-match", etag.as_str())];
        let (a, b) = (
            request("GET", &format!("{dev}{path}"), &conditional),
            request("GET", &format!("{tested}{path}"), &conditional),
        );
        assert_eq!(seen(&a), seen(&b), "conditional GET {path}");
    }

    // Not merely the same: the files themselves, and the binding reading them.
    let index = std::fs::read_to_string(project.join("public/index.html")).unwrap();
    let home = request("GET", &format!("{tested}/"), &[]);
    assert_eq!((home.status, home.body.as_str()), (200, index.as_str()));
    let missing = request("GET", &format!("{tested}/docs/no-such-page"), &[]);
    assert_eq!(missing.brief(), "404 <p>docs 404</p>");
    assert_eq!(
        request("GET", &format!("{tested}/api/todos"), &[]).json()[0]["id"],
        1
    );
    let binding = request("GET", &format!("{tested}/api/asset/about"), &[]).json();
    assert_eq!(
        (binding["status"].as_u64(), binding["bytes"].as_u64()),
        (Some(200), Some(12))
    );
    assert_eq!(binding["etag"].as_str(), Some(etag.as_str()));
    let cached = request(
        "GET",
        &format!("{tested}/api/asset/about"),
        &[("if-none-match", etag.as_str())],
    );
    assert_eq!(cached.json()["status"], 304);
    runtime.block_on(worker.stop());
}
