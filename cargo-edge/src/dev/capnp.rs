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
    let headers: Vec<String> = inject_headers(token, kind, resource)
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
}
