//! A binding server plus a real workerd running `worker.js`, for the dev-binding tests.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use cargo_edge::build::Exports;
use cargo_edge::bundle::{Bundle, ModuleEntry, ModuleType};
use cargo_edge::dev::capnp as dispatcher;
use cargo_edge::dev::config_fd::ConfigFd;
use cargo_edge::dev::{BindingServer, ConsumerSpec, CronSpec, RunningServer, ServerConfig};
use cargo_edge::model::{D1Database, KvNamespace, QueueProducer, R2Bucket, Worker};
use cargo_edge::render::capnp::{self, CapnpOptions, Unit};
use serde_json::Value;

const DEFAULT_WORKERD: &str =
    "/work/main/.tools/node_modules/@cloudflare/workerd-linux-64/bin/workerd";
/// Embedded by absolute path: the config lives in an anonymous file, so paths cannot be relative.
const WORKER_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dev_bindings");

/// The test worker `main` (`worker.js`) and its bindings. KV and KV2 name the same namespace;
/// DELAYED produces to `jobs` like JOBS, with a 1 s default delivery delay.
fn test_worker() -> (Worker, Bundle) {
    let mut worker = Worker::minimal("main", "main", PathBuf::from("Cargo.toml"), "2025-01-01");
    for name in ["KV", "KV2"] {
        let namespace = KvNamespace {
            id: None,
            title: "app-cache".into(),
        };
        worker.kv.insert(name.into(), namespace);
    }
    let db = D1Database {
        id: None,
        name: "app-db".into(),
        migrations_dir: None,
    };
    worker.d1.insert("DB".into(), db);
    let bucket = R2Bucket {
        bucket: "app-assets".into(),
        jurisdiction: None,
    };
    worker.r2.insert("R2".into(), bucket);
    for (name, delay) in [("JOBS", None), ("DELAYED", Some(1))] {
        let producer = QueueProducer {
            queue: "jobs".into(),
            delivery_delay: delay,
        };
        worker.queue_producers.insert(name.into(), producer);
    }
    let bundle = Bundle {
        worker: "main".into(),
        main_module: "worker.js".into(),
        modules: vec![ModuleEntry {
            name: "worker.js".into(),
            kind: ModuleType::Esm,
            sha256: String::new(),
            size: 0,
        }],
        content_hash: "test".into(),
        wasm_bindgen: String::new(),
        profile: "test".into(),
        exports: Exports::default(),
        dir: PathBuf::from(WORKER_DIR),
    };
    (worker, bundle)
}

pub struct Dev {
    pub rt: tokio::runtime::Runtime,
    pub server: Option<RunningServer>,
    workerd: Child,
    /// The test worker's URL.
    pub url: String,
    /// The dispatcher worker's URL.
    pub dispatch_url: String,
    pub state: PathBuf,
    log: PathBuf,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// cargo-edge's own HTTP client (reqwest), so the crate compiles one.
fn agent() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("an HTTP client")
}

/// Poll `f` until it returns `Some`, or panic after `timeout`.
pub fn poll<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = f() {
            return value;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The config `cargo edge dev` would render for the test worker, with the dispatcher.
fn render(addr: SocketAddr, token: &str, port: u16, dispatch_port: u16) -> String {
    let (worker, bundle) = test_worker();
    let options = CapnpOptions {
        address: format!("127.0.0.1:{port}"),
        max_compatibility_date: None,
        state_dir: None,
        binding_server: capnp::BindingServer {
            address: addr.to_string(),
            token: Some(token.into()),
        },
        secrets: capnp::Secrets::FromEnvironment,
        allow_private_network: true,
        config_dir: None,
        local: Default::default(),
        extra_services: vec![dispatcher::dispatcher_service(
            "edge-dispatcher",
            token,
            "2025-01-01",
            &[("USER", "main")],
        )],
    };
    let unit = Unit {
        worker: &worker,
        bundle: &bundle,
    };
    let config = capnp::render(&[unit], &options).expect("the test worker renders");
    let socket = dispatcher::dispatcher_socket(
        "dispatch",
        &format!("127.0.0.1:{dispatch_port}"),
        "edge-dispatcher",
    );
    config.replacen("  sockets = [", &format!("  sockets = [{socket}, "), 1)
}

impl Dev {
    pub fn start(state: &Path, consumers: Vec<ConsumerSpec>, crons: Vec<CronSpec>) -> Dev {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dispatch_port = free_port();
        let mut config = ServerConfig::new(state);
        config.consumers = consumers;
        config.crons = crons;
        config.dispatcher_url = Some(format!("http://127.0.0.1:{dispatch_port}"));
        let server = rt.block_on(BindingServer::start(config)).unwrap();
        let port = free_port();
        let fd = ConfigFd::new(&render(server.addr, &server.token, port, dispatch_port)).unwrap();
        let binary = std::env::var("WORKERD").unwrap_or_else(|_| DEFAULT_WORKERD.to_string());
        let log = state.with_extension(format!("workerd-{port}.log"));
        let mut command = fd.serve_command(Path::new(&binary), &[]);
        command
            .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()));
        let workerd = command.spawn().expect("workerd starts");
        drop(fd);
        let dev = Dev {
            rt,
            server: Some(server),
            workerd,
            url: format!("http://127.0.0.1:{port}"),
            dispatch_url: format!("http://127.0.0.1:{dispatch_port}"),
            state: state.to_path_buf(),
            log,
        };
        dev.wait_ready();
        dev
    }

    fn wait_ready(&self) {
        let agent = agent();
        let health = format!("{}/health", self.url);
        let start = Instant::now();
        while agent
            .get(&health)
            .send()
            .map(|r| r.status() != 200)
            .unwrap_or(true)
        {
            if start.elapsed() > Duration::from_secs(30) {
                panic!(
                    "workerd did not start:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Run `kind/op` in the worker and return its `result` (or panic with its `error`).
    pub fn call(&self, kind: &str, op: &str, args: Value) -> Value {
        let answer = self.try_call(kind, op, args);
        match answer.get("error") {
            Some(error) => panic!("{kind}/{op} failed: {error}"),
            None => answer["result"].clone(),
        }
    }

    /// Run `kind/op` in the worker and return `{result}` or `{error}`.
    pub fn try_call(&self, kind: &str, op: &str, args: Value) -> Value {
        let text = agent()
            .post(format!("{}/{kind}/{op}", self.url))
            .body(args.to_string())
            .send()
            .unwrap()
            .text()
            .unwrap();
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    }

    /// A request straight to the binding server: (status, body).
    pub fn raw(&self, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
        let addr = self.server.as_ref().unwrap().addr;
        post(&format!("http://{addr}{path}"), headers, body)
    }

    pub fn token(&self) -> String {
        self.server.as_ref().unwrap().token.clone()
    }

    /// Stop workerd and the server; the state directory stays.
    pub fn stop(mut self) {
        let _ = self.workerd.kill();
        let _ = self.workerd.wait();
        if let Some(server) = self.server.take() {
            self.rt.block_on(server.shutdown());
        }
    }
}

/// POST `body` to `url`: (status, body).
pub fn post(url: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut request = agent().post(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.body(body.to_string()).send().unwrap();
    let status = response.status().as_u16();
    (status, response.text().unwrap_or_default())
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.workerd.kill();
        let _ = self.workerd.wait();
    }
}
