//! Workers Static Assets end to end, on the `assets` template with a small tree added:
//! `cargo edge dev` (real workerd for the worker and its `ASSETS` binding) routes as Cloudflare
//! does, in every `html_handling` × `not_found_handling` combination, and serves edits live;
//! `cargo edge deploy` uploads to the Cloudflare stand-in with the direct-upload protocol.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use edge_tests::{cargo_edge_bin, fixture_target_dir, free_port, new_project, workerd_bin};

#[path = "assets/deploy.rs"]
mod deploy;
#[path = "assets/under_edge_test.rs"]
mod under_edge_test;

/// The small tree: every file's body names it, so a test sees which one it got.
const TREE: &[(&str, &str)] = &[
    ("about.html", "<p>about</p>"),
    ("docs/index.html", "<p>docs index</p>"),
    ("docs/guide.html", "<p>docs guide</p>"),
    ("404.html", "<p>root 404</p>"),
    ("docs/404.html", "<p>docs 404</p>"),
    ("data.json", "{\"ok\":true}"),
    ("logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
    ("api/docs/readme.txt", "served from assets, not the worker"),
    ("secret.txt", "must not be served"),
    (".assetsignore", "secret.txt\n"),
];

/// `cargo edge new <name> --template assets` in `dir`, the tree added; returns its folder.
pub fn generate(dir: &Path, name: &str) -> PathBuf {
    let project = new_project(dir, name, "assets");
    // The fixtures' `fast` profile: their compiled `worker` crate is reused.
    let manifest = project.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let fast = "[profile.fast]\ninherits = \"release\"\nlto = false\ncodegen-units = 16\nincremental = true\n\n";
    let at = text.find("[package.metadata.edge]").unwrap();
    std::fs::write(&manifest, format!("{}{fast}{}", &text[..at], &text[at..])).unwrap();
    for (path, body) in TREE {
        let path = project.join("public").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    project
}

/// Replace the `[package.metadata.edge.assets]` table (it is the last table of Cargo.toml).
pub fn set_assets(project: &Path, table: &str) {
    let path = project.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find("[package.metadata.edge.assets]")
        .expect("an assets table");
    std::fs::write(
        &path,
        format!(
            "{}[package.metadata.edge.assets]\n{table}\n",
            &text[..start]
        ),
    )
    .unwrap();
}

struct Dev {
    child: Child,
    log: PathBuf,
}

impl Dev {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait until the log says `needle` `times` times.
    fn wait_for(&self, needle: &str, times: usize) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.log().matches(needle).count() < times {
            assert!(
                Instant::now() < deadline,
                "no {times}× `{needle}` in:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-INT")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `cargo edge dev` watching the project, until the worker answers.
fn start(project: &Path) -> (Dev, String) {
    let port = free_port();
    let log = project.parent().unwrap().join("dev.log");
    let file = std::fs::File::create(&log).unwrap();
    let child = Command::new(cargo_edge_bin())
        .args([
            "edge",
            "dev",
            "--no-persist",
            "--profile",
            "fast",
            "--port",
            &port.to_string(),
        ])
        .arg("--manifest-path")
        .arg(project.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(fixture_target_dir())
        .env("WORKERD", workerd_bin())
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    let mut dev = Dev { child, log };
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(400);
    loop {
        if let Ok(Some(status)) = dev.child.try_wait() {
            panic!("dev exited ({status}):\n{}", dev.log());
        }
        if dev.log().contains("Serving") && edge_tests::get(&format!("{base}/api/todos")).is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "dev never served:\n{}",
            dev.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    (dev, base)
}

pub struct Reply {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", self.body))
    }

    /// `200 <body>`, `307 <location>` or `404 <body>`: one line to compare.
    fn brief(&self) -> String {
        match self.status {
            301..=308 => format!("{} {}", self.status, self.header("location")),
            status => format!("{status} {}", self.body),
        }
    }
}

pub fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut response = if method == "POST" {
        agent.run(builder.body("{\"title\":\"x\"}".to_string()).unwrap())
    } else {
        agent.run(builder.body(()).unwrap())
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.body_mut().read_to_string().unwrap_or_default(),
    }
}

#[test]
fn dev_serves_assets_with_cloudflares_routing_and_edits_live() {
    let dir = tempfile::tempdir().unwrap();
    let project = generate(dir.path(), "my-assets");
    set_assets(
        &project,
        "directory = \"public\"\nbinding = \"ASSETS\"\nnot_found_handling = \"single-page-application\"\nrun_worker_first = [\"/api/*\", \"!/api/docs/*\"]",
    );
    let (dev, base) = start(&project);
    let get = |path: &str| request("GET", &format!("{base}{path}"), &[]);
    let index = std::fs::read_to_string(project.join("public/index.html")).unwrap();

    // Files, html_handling's redirects (307) and content types.
    let home = get("/");
    assert_eq!((home.status, home.body.as_str()), (200, index.as_str()));
    assert_eq!(home.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(
        home.header("cache-control"),
        "public, max-age=0, must-revalidate"
    );
    let etag = home.header("etag");
    assert!(
        etag.len() == 34 && etag.starts_with('"') && etag.ends_with('"'),
        "{etag}"
    );
    assert_eq!(get("/index.html").brief(), "307 /");
    assert_eq!(get("/about").brief(), "200 <p>about</p>");
    assert_eq!(get("/about.html?x=1").brief(), "307 /about?x=1");
    assert_eq!(get("/docs").brief(), "307 /docs/");
    assert_eq!(get("/docs/").brief(), "200 <p>docs index</p>");
    for (path, content_type) in [
        ("/style.css", "text/css; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/logo.svg", "image/svg+xml"),
        ("/data.json", "application/json"),
    ] {
        let reply = get(path);
        assert_eq!(
            (reply.status, reply.header("content-type").as_str()),
            (200, content_type),
            "{path}"
        );
    }

    // ETag, If-None-Match (strong and weak) and HEAD.
    let not_modified = request("GET", &format!("{base}/"), &[("if-none-match", &etag)]);
    assert_eq!((not_modified.status, not_modified.body.as_str()), (304, ""));
    assert_eq!(not_modified.header("etag"), etag);
    let weak = format!("W/{etag}");
    assert_eq!(
        request("GET", &format!("{base}/"), &[("if-none-match", &weak)]).status,
        304
    );
    let head = request("HEAD", &format!("{base}/about"), &[]);
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    assert_eq!(head.header("content-length"), "12");
    assert_eq!(request("POST", &format!("{base}/about"), &[]).status, 405);

    // run_worker_first patterns with a negation, .assetsignore, the SPA fallback.
    assert_eq!(get("/api/todos").json()[0]["id"], 1);
    assert_eq!(get("/api/nope").json()["error"], "no such API route");
    assert_eq!(
        get("/api/docs/readme.txt").brief(),
        "200 served from assets, not the worker"
    );
    assert_eq!(
        get("/secret.txt").body,
        index,
        "ignored files are not served"
    );
    assert_eq!(get("/app/some/route").brief(), format!("200 {index}"));

    // The ASSETS binding from Rust: the same files, the same rules, conditionals included.
    let about = get("/api/asset/about").json();
    assert_eq!(about["status"], 200);
    assert_eq!(about["etag"], get("/about").header("etag"));
    assert_eq!(about["content_type"], "text/html; charset=utf-8");
    assert_eq!(get("/api/asset/no/such/file").json()["bytes"], index.len());
    let css_etag = get("/style.css").header("etag");
    let cached = request(
        "GET",
        &format!("{base}/api/asset/style.css"),
        &[("if-none-match", &css_etag)],
    );
    assert_eq!(cached.json()["status"], 304);

    // Edited, added and deleted files are served at once, with no rebuild.
    let reloads = dev.log().matches("Reloaded").count();
    std::fs::write(project.join("public/about.html"), "<p>about, edited</p>").unwrap();
    std::fs::write(project.join("public/new.html"), "<p>new</p>").unwrap();
    assert_eq!(get("/about").brief(), "200 <p>about, edited</p>");
    assert_ne!(
        get("/about").header("etag"),
        about["etag"].as_str().unwrap()
    );
    assert_eq!(get("/new").brief(), "200 <p>new</p>");
    std::fs::remove_file(project.join("public/new.html")).unwrap();
    assert_eq!(get("/new").body, index);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        dev.log().matches("Reloaded").count(),
        reloads,
        "an asset edit rebuilt:\n{}",
        dev.log()
    );

    matrix(&dev, &project, &base);
}

/// Every html_handling × not_found_handling, switched by saving Cargo.toml (applied without a
/// rebuild), each checked on the same paths.
fn matrix(dev: &Dev, project: &Path, base: &str) {
    let html: [(&str, [&str; 6]); 4] = [
        (
            "auto-trailing-slash",
            [
                "200 <p>about, edited</p>",
                "307 /about",
                "307 /about",
                "307 /docs/",
                "200 <p>docs index</p>",
                "307 /docs/",
            ],
        ),
        (
            "force-trailing-slash",
            [
                "307 /about/",
                "200 <p>about, edited</p>",
                "307 /about/",
                "307 /docs/",
                "200 <p>docs index</p>",
                "307 /docs/",
            ],
        ),
        (
            "drop-trailing-slash",
            [
                "200 <p>about, edited</p>",
                "307 /about",
                "307 /about",
                "200 <p>docs index</p>",
                "307 /docs",
                "307 /docs",
            ],
        ),
        (
            "none",
            [
                "NF",
                "NF",
                "200 <p>about, edited</p>",
                "NF",
                "NF",
                "200 <p>docs index</p>",
            ],
        ),
    ];
    let paths = [
        "/about",
        "/about/",
        "/about.html",
        "/docs",
        "/docs/",
        "/docs/index.html",
    ];
    let index = std::fs::read_to_string(project.join("public/index.html")).unwrap();
    let mut applied = 0;
    for (mode, expected) in html {
        for not_found in ["none", "404-page", "single-page-application"] {
            set_assets(
                project,
                &format!("directory = \"public\"\nbinding = \"ASSETS\"\nhtml_handling = \"{mode}\"\nnot_found_handling = \"{not_found}\"\nrun_worker_first = [\"/api/*\"]"),
            );
            applied += 1;
            dev.wait_for("settings reloaded", applied);
            let get = |path: &str| request("GET", &format!("{base}{path}"), &[]).brief();
            // What a path that matches no file gets: the worker (its router's 404), the
            // nearest 404.html, or the app's index.html.
            let nf = |dir: &str| match (not_found, dir) {
                ("none", _) => "404 Not Found".to_string(),
                ("404-page", "docs") => "404 <p>docs 404</p>".to_string(),
                ("404-page", _) => "404 <p>root 404</p>".to_string(),
                _ => format!("200 {index}"),
            };
            for (path, want) in paths.iter().zip(expected) {
                let dir = if path.starts_with("/docs/") {
                    "docs"
                } else {
                    ""
                };
                let want = if want == "NF" {
                    nf(dir)
                } else {
                    want.to_string()
                };
                assert_eq!(get(path), want, "{mode} × {not_found}: {path}");
            }
            assert_eq!(get("/docs/missing"), nf("docs"), "{mode} × {not_found}");
            assert_eq!(get("/missing"), nf(""), "{mode} × {not_found}");
        }
    }
    // run_worker_first = true: the worker first, for files too; false: files first, and a
    // path that is no file reaches the worker unless the browser navigates (then the SPA).
    let spa = "directory = \"public\"\nbinding = \"ASSETS\"\nnot_found_handling = \"single-page-application\"";
    set_assets(project, &format!("{spa}\nrun_worker_first = true"));
    dev.wait_for("settings reloaded", applied + 1);
    let get = |path: &str, headers: &[(&str, &str)]| {
        request("GET", &format!("{base}{path}"), headers).brief()
    };
    assert_eq!(get("/about", &[]), "404 Not Found");
    assert_eq!(
        get("/api/docs/readme.txt", &[]),
        "404 {\"error\":\"no such API route\"}"
    );
    set_assets(project, &format!("{spa}\nrun_worker_first = false"));
    dev.wait_for("settings reloaded", applied + 2);
    assert_eq!(get("/about", &[]), "200 <p>about, edited</p>");
    assert_eq!(get("/app/route", &[]), "404 Not Found");
    assert_eq!(
        get("/app/route", &[("sec-fetch-mode", "navigate")]),
        format!("200 {index}")
    );
    assert_eq!(dev.log().matches("Reloaded").count(), 0, "{}", dev.log());
}
