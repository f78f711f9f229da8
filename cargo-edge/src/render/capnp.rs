//! A workerd configuration (capnp text) for one or more workers and their bindings.
//!
//! The first worker gets the HTTP socket; the others are there because it binds them by
//! service (a workspace's gateway and auth workers, say). Cloudflare-only bindings (KV, D1, R2,
//! queue producers) become one `external` service per resource, reached over HTTP with headers
//! that name the resource, served by `cargo edge dev`'s binding server.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

pub use super::capnp_kinds::LocalValues;
use crate::bundle::{Bundle, ModuleType};
use crate::model::{Service, Var, Worker};

/// One worker and the bundle built for it.
#[derive(Debug, Clone, Copy)]
pub struct Unit<'a> {
    pub worker: &'a Worker,
    pub bundle: &'a Bundle,
}

/// Where KV, D1, R2 and queue bindings are served.
#[derive(Debug, Clone)]
pub struct BindingServer {
    /// `host:port` of the binding server.
    pub address: String,
    /// The per-session token; `None` renders a config with no token (it then needs a server
    /// started without one, or `--external-addr` pointing elsewhere).
    pub token: Option<String>,
}

/// Where secret values come from.
#[derive(Debug, Clone)]
pub enum Secrets {
    /// `fromEnvironment = "NAME"`: workerd reads them from its environment at start-up.
    FromEnvironment,
    /// Literal values (dev, from `.dev.vars`). Such a config must never be written to disk.
    Values(BTreeMap<String, String>),
}

#[derive(Debug, Clone)]
pub struct CapnpOptions {
    /// `host:port` of the HTTP socket; workerd's `--socket-addr http=...` overrides it.
    pub address: String,
    /// The newest compatibility date the workerd binary supports, if known.
    pub max_compatibility_date: Option<String>,
    /// Durable Object storage lives in `<state_dir>/do/<worker>/`; in memory when `None`.
    pub state_dir: Option<PathBuf>,
    pub binding_server: BindingServer,
    pub secrets: Secrets,
    /// Let workers fetch private and loopback addresses (dev), not only the public internet.
    pub allow_private_network: bool,
    /// The folder the config is written to: `embed` paths are relative to it. `None` embeds
    /// absolute paths (for a config handed over in memory, served with `--import-path /`).
    pub config_dir: Option<PathBuf>,
    /// Extra services, as capnp struct literals (the dev dispatcher worker, say).
    pub extra_services: Vec<String>,
    /// Local values of Cloudflare-side bindings (dev only; such a config stays in memory).
    pub local: LocalValues,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RenderError {
    #[error("`{worker}` binds `{binding}` to worker `{target}`, which is not part of this config")]
    MissingService {
        worker: String,
        binding: String,
        target: String,
    },
    #[error("`{worker}` binds `{binding}` to `{url}`, which is not an http:// or https:// URL")]
    BadUrl {
        worker: String,
        binding: String,
        url: String,
    },
    #[error("`{worker}`'s Hyperdrive binding `{binding}` has no local database: set `local_connection_string = \"postgres://user:password@127.0.0.1:5432/database\"` in `hyperdrive.{binding}`, or CARGO_EDGE_HYPERDRIVE_LOCAL_CONNECTION_STRING_{binding}")]
    NoLocalConnection { worker: String, binding: String },
    #[error("Hyperdrive binding `{binding}`: the local connection string is not `postgres://user[:password]@host[:port]/database`")]
    BadConnectionString { binding: String },
    #[error(
        "{path}: {message}; it holds local Secrets Store values as `secret_name = \"value\"` lines"
    )]
    SecretsStoreFile { path: String, message: String },
}

/// Quote a string as a capnp text literal.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The services the workers' bindings need, keyed by service name so shared ones appear once.
#[derive(Default)]
pub(super) struct Services(BTreeMap<String, String>);

impl Services {
    pub(super) fn add(&mut self, name: String, body: String) -> String {
        self.0.entry(name.clone()).or_insert(body);
        name
    }

    /// An `external` service for a Cloudflare-only resource of `kind`.
    pub(super) fn resource(
        &mut self,
        kind: &str,
        resource: &str,
        server: &BindingServer,
    ) -> String {
        self.resource_with(kind, resource, server, None)
    }

    /// [`Self::resource`], for a queue producer whose messages default to a delivery delay.
    fn resource_with(
        &mut self,
        kind: &str,
        resource: &str,
        server: &BindingServer,
        delay: Option<u32>,
    ) -> String {
        let mut headers = vec![format!(
            "(name = \"X-Edge-Binding\", value = {})",
            quote(&format!("{kind}/{resource}"))
        )];
        if let Some(token) = &server.token {
            headers.push(format!(
                "(name = \"X-Edge-Token\", value = {})",
                quote(token)
            ));
        }
        let mut name = format!("edge-{kind}:{resource}");
        if let Some(delay) = delay {
            headers.push(format!(
                "(name = \"X-Edge-Delivery-Delay\", value = \"{delay}\")"
            ));
            name.push_str(&format!(":delay{delay}"));
        }
        let body = format!(
            "external = (address = {}, http = (injectRequestHeaders = [{}]))",
            quote(&server.address),
            headers.join(", ")
        );
        self.add(name, body)
    }
}

/// Render the config. The first unit is served on the socket.
pub fn render(units: &[Unit], options: &CapnpOptions) -> Result<String, RenderError> {
    let mut services = Services::default();
    let mut workers = String::new();
    for (index, unit) in units.iter().enumerate() {
        workers.push_str(&render_worker(index, unit, units, options, &mut services)?);
    }
    if units.iter().any(|u| private_network(u.worker, options)) {
        services.add(
            "edge-internet".into(),
            "network = (allow = [\"public\", \"private\", \"local\"], tlsOptions = (trustBrowserCas = true))".into(),
        );
    }
    let mut out =
        String::from("# Generated by cargo-edge. Do not edit: rerun the command that wrote it.\n");
    out.push_str("using Workerd = import \"/workerd/workerd.capnp\";\n\nconst config :Workerd.Config = (\n  services = [\n");
    for (index, unit) in units.iter().enumerate() {
        let _ = writeln!(
            out,
            "    (name = {}, worker = .worker{index}),",
            quote(&unit.worker.name)
        );
    }
    for (name, body) in &services.0 {
        let _ = writeln!(out, "    (name = {}, {body}),", quote(name));
    }
    for extra in &options.extra_services {
        let _ = writeln!(out, "    {extra},");
    }
    out.push_str("  ],\n");
    if let Some(main) = units.first() {
        let _ = writeln!(
            out,
            "  sockets = [(name = \"http\", address = {}, http = (), service = {})],",
            quote(&options.address),
            quote(&main.worker.name)
        );
    }
    out.push_str(&super::extensions::render(units));
    out.push_str(");\n");
    out.push_str(&workers);
    Ok(out)
}

fn render_worker(
    index: usize,
    unit: &Unit,
    units: &[Unit],
    options: &CapnpOptions,
    services: &mut Services,
) -> Result<String, RenderError> {
    let (worker, bundle) = (unit.worker, unit.bundle);
    let mut out = format!("\nconst worker{index} :Workerd.Worker = (\n  modules = [\n");
    for module in &bundle.modules {
        let path = match &options.config_dir {
            Some(dir) => relative(&bundle.module_path(module), dir),
            None => std::path::absolute(bundle.module_path(module))
                .unwrap_or_default()
                .display()
                .to_string(),
        };
        let _ = writeln!(
            out,
            "    (name = {}, {} = embed {}),",
            quote(&module.name),
            module_kind(module.kind),
            quote(&path)
        );
    }
    out.push_str("  ],\n");
    let _ = writeln!(
        out,
        "  compatibilityDate = {},",
        quote(&capped_date(worker, options))
    );
    let flags: Vec<String> = worker
        .compatibility_flags
        .iter()
        .map(|f| quote(f))
        .collect();
    let _ = writeln!(out, "  compatibilityFlags = [{}],", flags.join(", "));
    out.push_str("  bindings = [\n");
    for binding in bindings(worker, bundle, units, options, services)? {
        let _ = writeln!(out, "    {binding},");
    }
    out.push_str("  ],\n");
    out.push_str(&durable_object_storage(worker, options, services));
    if let Some(outbound) = super::capnp_kinds::outbound_of(worker, units) {
        let _ = writeln!(out, "  globalOutbound = {},", quote(outbound));
    } else if private_network(worker, options) {
        out.push_str("  globalOutbound = \"edge-internet\",\n");
    }
    out.push_str(");\n");
    Ok(out)
}

/// The worker's compatibility date, no later than the binary supports.
fn capped_date(worker: &Worker, options: &CapnpOptions) -> String {
    match &options.max_compatibility_date {
        Some(max) if *max < worker.compatibility_date => max.clone(),
        _ => worker.compatibility_date.clone(),
    }
}

fn bindings(
    worker: &Worker,
    bundle: &Bundle,
    units: &[Unit],
    options: &CapnpOptions,
    services: &mut Services,
) -> Result<Vec<String>, RenderError> {
    let named = |name: &str, value: String| format!("(name = {}, {value})", quote(name));
    let mut out = Vec::new();
    for (name, var) in &worker.vars {
        out.push(match var {
            Var::Text(text) => named(name, format!("text = {}", quote(text))),
            Var::Json(json) => named(name, format!("json = {}", quote(&json.to_string()))),
        });
    }
    for name in &worker.secrets {
        out.push(match &options.secrets {
            Secrets::FromEnvironment => named(name, format!("fromEnvironment = {}", quote(name))),
            Secrets::Values(values) => match values.get(name) {
                Some(value) => named(name, format!("text = {}", quote(value))),
                None => continue,
            },
        });
    }
    out.push(named(
        &worker.content_hash_binding,
        format!("text = {}", quote(&bundle.content_hash)),
    ));
    let server = &options.binding_server;
    for (name, kv) in &worker.kv {
        let resource = kv.id.as_deref().unwrap_or(&kv.title);
        out.push(named(
            name,
            format!(
                "kvNamespace = {}",
                quote(&services.resource("kv", resource, server))
            ),
        ));
    }
    for (name, db) in &worker.d1 {
        let service = services.resource("d1", &db.name, server);
        out.push(named(
            name,
            format!(
                "wrapped = (moduleName = \"cloudflare-internal:d1-api\", innerBindings = [(name = \"fetcher\", service = {})])",
                quote(&service)
            ),
        ));
    }
    for (name, r2) in &worker.r2 {
        out.push(named(
            name,
            format!(
                "r2Bucket = {}",
                quote(&services.resource("r2", &r2.bucket, server))
            ),
        ));
    }
    for (name, producer) in &worker.queue_producers {
        let service =
            services.resource_with("queue", &producer.queue, server, producer.delivery_delay);
        out.push(named(name, format!("queue = {}", quote(&service))));
    }
    for (name, service) in &worker.services {
        out.push(named(name, service_binding(worker, name, service, units)?));
    }
    for (name, binding) in &worker.kind_bindings {
        // A namespace's outbound worker is not one of its workers.
        let outbound = binding.str("outbound");
        let others = units
            .iter()
            .map(|u| u.worker.name.clone())
            .filter(|n| n != &worker.name && Some(n.as_str()) != outbound)
            .collect();
        let body = {
            let mut cx = super::capnp_kinds::Cx {
                worker,
                bundle,
                server,
                local: &options.local,
                others,
                services: &mut *services,
            };
            super::capnp_kinds::binding(name, binding, &mut cx)?
        };
        out.push(named(name, body));
    }
    for (name, object) in &worker.durable_objects {
        out.push(named(
            name,
            match &object.worker {
                None => format!("durableObjectNamespace = {}", quote(&object.class)),
                Some(other) => format!(
                    "durableObjectNamespace = (className = {}, serviceName = {})",
                    quote(&object.class),
                    quote(other)
                ),
            },
        ));
    }
    if let Some(binding) = worker.assets.as_ref().and_then(|a| a.binding.as_ref()) {
        let service = services.resource("assets", &worker.name, server);
        out.push(named(binding, format!("service = {}", quote(&service))));
    }
    Ok(out)
}

fn service_binding(
    worker: &Worker,
    binding: &str,
    service: &Service,
    units: &[Unit],
) -> Result<String, RenderError> {
    match service {
        Service::Worker {
            worker: target,
            entrypoint,
        } => {
            if !units.iter().any(|u| &u.worker.name == target) {
                return Err(RenderError::MissingService {
                    worker: worker.name.clone(),
                    binding: binding.into(),
                    target: target.clone(),
                });
            }
            Ok(match entrypoint {
                Some(entrypoint) => format!(
                    "service = (name = {}, entrypoint = {})",
                    quote(target),
                    quote(entrypoint)
                ),
                None => format!("service = {}", quote(target)),
            })
        }
        Service::External { url } => {
            // Cloudflare has no binding for an outside URL: the worker gets the URL as plain
            // text (as deployed) and fetches it; the network service below lets it reach
            // private and loopback addresses.
            check_url(worker, binding, url)?;
            Ok(format!("text = {}", quote(url)))
        }
    }
}

/// An external backend's URL must be `http://` or `https://` with a host.
fn check_url(worker: &Worker, binding: &str, url: &str) -> Result<(), RenderError> {
    let host = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .and_then(|rest| rest.split('/').next())
        .filter(|h| !h.is_empty());
    match host {
        Some(_) => Ok(()),
        None => Err(RenderError::BadUrl {
            worker: worker.name.clone(),
            binding: binding.into(),
            url: url.into(),
        }),
    }
}

/// Whether the worker's global fetch must reach private and loopback addresses: always in dev,
/// and wherever the worker names an external backend (which is usually on a private network).
fn private_network(worker: &Worker, options: &CapnpOptions) -> bool {
    options.allow_private_network
        || worker
            .services
            .values()
            .any(|s| matches!(s, Service::External { .. }))
}

/// Whether any migration creates (or renames to) `class`. One no migration mentions runs in dev
/// SQLite-backed, as the migration the warning suggests would make it.
fn migrated(worker: &Worker, class: &str) -> bool {
    worker.migrations.iter().any(|m| {
        m.new_classes
            .iter()
            .chain(&m.new_sqlite_classes)
            .any(|c| c == class)
            || m.renamed_classes.iter().any(|r| r.to == class)
    })
}

fn durable_object_storage(
    worker: &Worker,
    options: &CapnpOptions,
    services: &mut Services,
) -> String {
    let classes = worker.own_durable_object_classes();
    if classes.is_empty() {
        return String::new();
    }
    let sqlite = worker.sqlite_classes();
    let mut out = String::from("  durableObjectNamespaces = [\n");
    for class in &classes {
        let key = format!("{}-{class}", worker.name);
        let _ = writeln!(
            out,
            "    (className = {}, uniqueKey = {}, enableSql = {}),",
            quote(class),
            quote(&key),
            sqlite.contains(class) || !migrated(worker, class)
        );
    }
    out.push_str("  ],\n");
    match &options.state_dir {
        Some(dir) => {
            let path = dir.join("do").join(&worker.name);
            let name = services.add(
                format!("edge-do-storage:{}", worker.name),
                format!(
                    "disk = (path = {}, writable = true)",
                    quote(&path.display().to_string())
                ),
            );
            let _ = writeln!(
                out,
                "  durableObjectStorage = (localDisk = {}),",
                quote(&name)
            );
        }
        None => out.push_str("  durableObjectStorage = (inMemory = void),\n"),
    }
    out
}

fn module_kind(kind: ModuleType) -> &'static str {
    match kind {
        ModuleType::Esm => "esModule",
        ModuleType::Wasm => "wasm",
        ModuleType::Text => "text",
        ModuleType::Data => "data",
        ModuleType::Json => "json",
    }
}

/// `path` relative to `base` (capnp `embed` resolves paths against the config file's folder).
pub fn relative(path: &Path, base: &Path) -> String {
    use std::path::Component;
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (path, base) = (absolute(path), absolute(base));
    let path: Vec<Component> = path.components().collect();
    let base: Vec<Component> = base.components().collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); base.len() - common];
    parts.extend(
        path[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[cfg(test)]
#[path = "capnp_tests.rs"]
mod tests;
