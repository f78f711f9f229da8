//! The pieces of a workerd config (capnp text) that connect workerd to the binding server, for
//! whoever renders the full dev config. They contain the session token: hand the config to
//! workerd with [`super::config_fd::ConfigFd`], never through a file on disk.

use std::net::SocketAddr;

use crate::render::capnp::quote;

/// The kinds of binding the server serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingKind {
    Kv,
    R2,
    Queue,
    D1,
}

impl BindingKind {
    /// The `<kind>` of `X-Edge-Binding: <kind>/<resource>`.
    pub fn as_str(self) -> &'static str {
        match self {
            BindingKind::Kv => "kv",
            BindingKind::R2 => "r2",
            BindingKind::Queue => "queue",
            BindingKind::D1 => "d1",
        }
    }
}

/// One binding of a worker that the server serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBinding {
    /// The binding name in the worker's `env`.
    pub name: String,
    pub kind: BindingKind,
    /// What state is keyed by: a KV namespace's id when fixed, else its title; the D1 database
    /// name; the bucket name; the queue name. Workers naming the same resource share its data.
    pub resource: String,
    /// A queue producer's default delay in seconds.
    pub delivery_delay: Option<u32>,
}

/// The KV, D1, R2 and queue-producer bindings of `worker`, sorted by kind then name.
pub fn local_bindings(worker: &crate::model::Worker) -> Vec<LocalBinding> {
    let entry = |name: &String, kind, resource: &str, delivery_delay| LocalBinding {
        name: name.clone(),
        kind,
        resource: resource.to_string(),
        delivery_delay,
    };
    let mut out = Vec::new();
    for (name, kv) in &worker.kv {
        out.push(entry(
            name,
            BindingKind::Kv,
            kv.id.as_deref().unwrap_or(&kv.title),
            None,
        ));
    }
    for (name, db) in &worker.d1 {
        out.push(entry(name, BindingKind::D1, &db.name, None));
    }
    for (name, bucket) in &worker.r2 {
        out.push(entry(name, BindingKind::R2, &bucket.bucket, None));
    }
    for (name, producer) in &worker.queue_producers {
        out.push(entry(
            name,
            BindingKind::Queue,
            &producer.queue,
            producer.delivery_delay,
        ));
    }
    out
}

/// The `services` entry for one [`LocalBinding`] (named with [`service_name`]) and the worker's
/// `bindings` entry that uses it. Several workers bound to one resource get identical service
/// entries: keep one per service name (workerd refuses duplicates).
pub fn local_binding_capnp(
    binding: &LocalBinding,
    addr: SocketAddr,
    token: &str,
) -> (String, String) {
    let mut service = service_name(binding.kind, &binding.resource);
    if let Some(delay) = binding.delivery_delay {
        service.push_str(&format!("-delay{delay}"));
    }
    let external = match binding.kind {
        BindingKind::Queue => producer_external_service(
            &service,
            addr,
            &binding.resource,
            token,
            binding.delivery_delay,
        ),
        kind => external_service(&service, addr, kind, &binding.resource, token),
    };
    (
        external,
        self::binding(&binding.name, binding.kind, &service),
    )
}

/// The headers workerd must add to every request of one binding: the token, and which
/// resource (KV namespace title or id, bucket, queue or database name) it is.
pub fn inject_headers(token: &str, kind: BindingKind, resource: &str) -> Vec<(String, String)> {
    vec![
        ("X-Edge-Token".to_string(), token.to_string()),
        (
            "X-Edge-Binding".to_string(),
            format!("{}/{resource}", kind.as_str()),
        ),
    ]
}

/// The `external` service of a queue producer whose messages default to `delivery_delay`
/// seconds of delay (`model::QueueProducer::delivery_delay`); a `delaySeconds` given by the worker
/// wins.
pub fn producer_external_service(
    service: &str,
    addr: SocketAddr,
    queue: &str,
    token: &str,
    delivery_delay: Option<u32>,
) -> String {
    let mut headers = inject_headers(token, BindingKind::Queue, queue);
    if let Some(delay) = delivery_delay {
        headers.push(("X-Edge-Delivery-Delay".to_string(), delay.to_string()));
    }
    render_external(service, addr, &headers)
}

/// A conventional service name for a resource's `external` service, e.g. `edge-kv-app-cache`.
pub fn service_name(kind: BindingKind, resource: &str) -> String {
    format!(
        "edge-{}-{}",
        kind.as_str(),
        super::store::file_stem(resource)
    )
}

/// The `services` entry of one binding's `external` service:
/// `(name = "...", external = (address = "127.0.0.1:PORT", http = (injectRequestHeaders = [...])))`.
pub fn external_service(
    service: &str,
    addr: SocketAddr,
    kind: BindingKind,
    resource: &str,
    token: &str,
) -> String {
    render_external(service, addr, &inject_headers(token, kind, resource))
}

fn render_external(service: &str, addr: SocketAddr, headers: &[(String, String)]) -> String {
    let headers: Vec<String> = headers
        .iter()
        .map(|(name, value)| format!("(name = {}, value = {})", quote(name), quote(value)))
        .collect();
    format!(
        "(name = {}, external = (address = {}, http = (injectRequestHeaders = [{}])))",
        quote(service),
        quote(&addr.to_string()),
        headers.join(", ")
    )
}

/// The worker's `bindings` entry that uses `service` (D1 through the `d1-api` wrapper module).
pub fn binding(name: &str, kind: BindingKind, service: &str) -> String {
    let (name, service) = (quote(name), quote(service));
    match kind {
        BindingKind::Kv => format!("(name = {name}, kvNamespace = {service})"),
        BindingKind::R2 => format!("(name = {name}, r2Bucket = {service})"),
        BindingKind::Queue => format!("(name = {name}, queue = {service})"),
        BindingKind::D1 => format!(
            "(name = {name}, wrapped = (moduleName = \"cloudflare-internal:d1-api\", \
             innerBindings = [(name = \"fetcher\", service = {service})]))"
        ),
    }
}

/// The dispatcher worker's `services` entry. `workers` are (binding name, service name) pairs:
/// the binding names are the `worker` of [`super::ConsumerSpec`] and [`super::CronSpec`].
/// Needs `workerd serve --experimental` (flag `service_binding_extra_handlers`).
pub fn dispatcher_service(
    service: &str,
    token: &str,
    compatibility_date: &str,
    workers: &[(&str, &str)],
) -> String {
    let mut bindings = vec![format!("(name = \"EDGE_TOKEN\", text = {})", quote(token))];
    bindings.extend(workers.iter().map(|(binding, target)| {
        format!("(name = {}, service = {})", quote(binding), quote(target))
    }));
    format!(
        "(name = {}, worker = (modules = [(name = \"edge-dispatcher.js\", esModule = {})], \
         compatibilityDate = {}, compatibilityFlags = [\"service_binding_extra_handlers\"], \
         bindings = [{}]))",
        quote(service),
        quote(super::dispatch::DISPATCHER_JS),
        quote(compatibility_date),
        bindings.join(", ")
    )
}

/// The `sockets` entry that exposes the dispatcher on a loopback `address` (`127.0.0.1:PORT`);
/// its URL is what [`super::RunningServer::set_dispatcher_url`] takes.
pub fn dispatcher_socket(socket: &str, address: &str, service: &str) -> String {
    format!(
        "(name = {}, address = {}, http = (), service = {})",
        quote(socket),
        quote(address),
        quote(service)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_service_carries_token_and_binding() {
        let addr: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let text = external_service("edge-kv-c", addr, BindingKind::Kv, "app \"cache\"", "t0k");
        assert_eq!(
            text,
            "(name = \"edge-kv-c\", external = (address = \"127.0.0.1:4000\", http = (injectRequestHeaders = \
             [(name = \"X-Edge-Token\", value = \"t0k\"), (name = \"X-Edge-Binding\", value = \"kv/app \\\"cache\\\"\")])))"
        );
        assert!(binding("DB", BindingKind::D1, "s").contains("cloudflare-internal:d1-api"));
    }

    fn worker() -> crate::model::Worker {
        use crate::model::*;
        let mut worker = Worker {
            name: "api".into(),
            package: "api".into(),
            manifest_path: "Cargo.toml".into(),
            env: None,
            account_id: None,
            compatibility_date: "2025-01-01".into(),
            compatibility_flags: vec![],
            workers_dev: false,
            routes: vec![],
            domains: vec![],
            crons: vec![],
            vars: Default::default(),
            secrets: vec![],
            kv: Default::default(),
            d1: Default::default(),
            r2: Default::default(),
            queue_producers: Default::default(),
            queue_consumers: Default::default(),
            services: Default::default(),
            durable_objects: Default::default(),
            migrations: vec![],
            build: Default::default(),
            content_hash_binding: CONTENT_HASH_BINDING.into(),
        };
        let kv = |id: Option<&str>| KvNamespace {
            id: id.map(Into::into),
            title: "api-cache".into(),
        };
        worker.kv.insert("CACHE".into(), kv(None));
        worker.kv.insert("SESSIONS".into(), kv(Some("0f2a")));
        let db = D1Database {
            id: None,
            name: "app-db".into(),
            migrations_dir: None,
        };
        worker.d1.insert("DB".into(), db);
        let jobs = QueueProducer {
            queue: "jobs".into(),
            delivery_delay: Some(5),
        };
        worker.queue_producers.insert("JOBS".into(), jobs);
        worker
    }

    #[test]
    fn local_bindings_key_state_by_resource() {
        let bindings = local_bindings(&worker());
        let keys: Vec<(&str, &str)> = bindings
            .iter()
            .map(|b| (b.name.as_str(), b.resource.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("CACHE", "api-cache"),
                ("SESSIONS", "0f2a"),
                ("DB", "app-db"),
                ("JOBS", "jobs")
            ]
        );
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let (service, binding) = local_binding_capnp(&bindings[3], addr, "t");
        assert!(
            service.starts_with("(name = \"edge-queue-jobs-delay5\""),
            "{service}"
        );
        assert!(
            service.contains("(name = \"X-Edge-Delivery-Delay\", value = \"5\")"),
            "{service}"
        );
        assert_eq!(
            binding,
            "(name = \"JOBS\", queue = \"edge-queue-jobs-delay5\")"
        );
    }
}
