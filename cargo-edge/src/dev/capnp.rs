//! The dispatcher pieces of the dev config: the worker that delivers queue batches and cron
//! events to the user's workers, and the loopback socket the binding server reaches it on. The
//! rest of the config (the workers, their bindings to the binding server) is
//! [`crate::render::capnp`]'s. The dispatcher carries the session token: hand the config to
//! workerd with [`super::config_fd::ConfigFd`], never through a file on disk.

use crate::render::capnp::quote;

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
        "(name = {}, worker = (modules = [(name = \"edge-dispatcher.js\", esModule = {}), \
         (name = \"edge-dispatcher-email.js\", esModule = {})], \
         compatibilityDate = {}, compatibilityFlags = [\"service_binding_extra_handlers\"], \
         bindings = [{}]))",
        quote(service),
        quote(super::dispatch::DISPATCHER_JS),
        quote(super::dispatch::DISPATCHER_EMAIL_JS),
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

/// The service workerd sends Cache API calls to: the binding server, as kind `cache`.
pub fn cache_service(service: &str, server: &str, token: &str) -> String {
    format!(
        "(name = {}, external = (address = {}, http = (injectRequestHeaders = [\
         (name = \"X-Edge-Binding\", value = \"cache/default\"), (name = \"X-Edge-Token\", value = {})])))",
        quote(service),
        quote(server),
        quote(token)
    )
}

/// Point every worker of a rendered config (not the dispatcher) at `service` for the Cache API.
pub fn with_cache(config: &str, service: &str) -> String {
    config.replace(
        "\n  compatibilityDate = ",
        &format!(
            "\n  cacheApiOutbound = {},\n  compatibilityDate = ",
            quote(service)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dispatcher_binds_the_token_and_each_worker() {
        let text = dispatcher_service("edge-dispatcher", "t0k", "2026-01-01", &[("USER0", "api")]);
        assert!(
            text.starts_with("(name = \"edge-dispatcher\", worker = (modules"),
            "{text}"
        );
        assert!(
            text.contains("(name = \"EDGE_TOKEN\", text = \"t0k\")"),
            "{text}"
        );
        assert!(
            text.contains("(name = \"USER0\", service = \"api\")"),
            "{text}"
        );
        assert!(text.contains("service_binding_extra_handlers"), "{text}");
        let cache = cache_service("edge-cache", "127.0.0.1:7", "t0k");
        assert!(cache.contains("value = \"cache/default\""), "{cache}");
        let config = "const worker0 :Workerd.Worker = (\n  modules = [],\n  compatibilityDate = \"2026-01-01\",\n);";
        assert!(with_cache(config, "edge-cache")
            .contains("\n  cacheApiOutbound = \"edge-cache\",\n  compatibilityDate"));
        assert_eq!(
            dispatcher_socket("dispatch", "127.0.0.1:9", "edge-dispatcher"),
            "(name = \"dispatch\", address = \"127.0.0.1:9\", http = (), service = \"edge-dispatcher\")"
        );
    }
}
