//! The dev face of the binding kinds in [`crate::kinds`]: how workerd reaches each one. Native
//! where workerd has the binding (Hyperdrive over TCP to a local PostgreSQL; version metadata
//! as JSON); otherwise a wrapped binding over `bindings.js`, an internal module of a workerd
//! extension, which keeps state in memory (rate limits) or hands it to the binding server
//! (Analytics Engine points, sent email).

use std::collections::BTreeMap;

use super::capnp::{quote, BindingServer, RenderError, Services};
use crate::bundle::Bundle;
use crate::model::{KindBinding, Worker};

/// The internal module that implements the wrapped bindings.
pub const MODULE: &str = "cargo-edge-internal:bindings";
pub const SOURCE: &str = include_str!("bindings.js");

/// Local values dev supplies to bindings whose production value lives on Cloudflare. Such a
/// config holds secrets and must never be written to disk.
#[derive(Debug, Clone, Default)]
pub struct LocalValues {
    /// Secrets Store values by secret name (from `.secrets-store.toml`).
    pub secrets_store: BTreeMap<String, String>,
    /// Hyperdrive connection strings by binding name (from the environment), over the table's
    /// `local_connection_string`.
    pub hyperdrive: BTreeMap<String, String>,
}

/// What a kind's binding needs from the config around it.
pub(super) struct Cx<'a> {
    pub worker: &'a Worker,
    pub bundle: &'a Bundle,
    pub server: &'a BindingServer,
    pub local: &'a LocalValues,
    /// The other workers of the config, by name.
    pub others: Vec<String>,
    pub(super) services: &'a mut Services,
}

/// The capnp binding body (after `name = …,`) for `name`.
pub(super) fn binding(
    name: &str,
    binding: &KindBinding,
    cx: &mut Cx,
) -> Result<String, RenderError> {
    let text = |key: &str, value: &str| format!("(name = {}, text = {})", quote(key), quote(value));
    let wrapped = |entrypoint: &str, inner: Vec<String>| {
        format!(
            "wrapped = (moduleName = {}, entrypoint = {}, innerBindings = [{}])",
            quote(MODULE),
            quote(entrypoint),
            inner.join(", ")
        )
    };
    let field = |key: &str| binding.fields.get(key).map(ToString::to_string);
    Ok(match binding.kind {
        "hyperdrive" => hyperdrive(name, binding, cx)?,
        "ai" => wrapped("ai", vec![text("binding", name)]),
        "rate_limits" => wrapped(
            "ratelimit",
            vec![
                text("limit", &field("limit").unwrap_or_default()),
                text("period", &field("period").unwrap_or_default()),
            ],
        ),
        "secrets_store" => {
            let secret = binding.str("secret_name").unwrap_or_default();
            let mut inner = vec![text("binding", name), text("secret", secret)];
            if let Some(value) = cx.local.secrets_store.get(secret) {
                inner.push(text("value", value));
            }
            wrapped("secret", inner)
        }
        "analytics_engine" => {
            let dataset = binding.str("dataset").unwrap_or(name);
            let service = cx.services.resource("analytics", dataset, cx.server);
            let fetcher = format!("(name = \"fetcher\", service = {})", quote(&service));
            wrapped("analytics", vec![fetcher])
        }
        "send_email" => {
            let resource = format!("{}/{name}", cx.worker.name);
            let service = cx.services.resource("email", &resource, cx.server);
            let fetcher = format!("(name = \"fetcher\", service = {})", quote(&service));
            let rules = serde_json::Value::Object(binding.fields.clone()).to_string();
            wrapped("sendEmail", vec![fetcher, text("rules", &rules)])
        }
        "version_metadata" => format!("json = {}", quote(&version_metadata(cx.bundle))),
        // The namespace is its `local_workers`, or else every other worker of the config (the
        // workspace's, in dev).
        _ => {
            let local = binding.strs("local_workers");
            let workers = cx
                .others
                .iter()
                .filter(|other| local.as_ref().is_none_or(|l| l.contains(&other.as_str())))
                .map(|other| format!("(name = {}, service = {})", quote(other), quote(other)));
            wrapped("dispatcher", workers.collect())
        }
    })
}

/// Whether any of the units' bindings needs [`MODULE`] (an entry of `super::extensions`).
pub fn needed(units: &[super::capnp::Unit]) -> bool {
    units.iter().any(|u| {
        u.worker
            .kind_bindings
            .values()
            .any(|b| !matches!(b.kind, "hyperdrive" | "version_metadata"))
    })
}

/// `{id, tag, timestamp}` of the local build: the id is the content hash shaped as a UUID,
/// the timestamp when the bundle was written.
fn version_metadata(bundle: &Bundle) -> String {
    let h = &bundle.content_hash;
    let id = if h.len() >= 32 {
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    } else {
        h.clone()
    };
    let written = bundle
        .modules
        .first()
        .and_then(|m| std::fs::metadata(bundle.module_path(m)).ok())
        .and_then(|m| m.modified().ok())
        .unwrap_or(std::time::UNIX_EPOCH);
    serde_json::json!({"id": id, "tag": "", "timestamp": rfc3339(written)}).to_string()
}

pub(crate) fn rfc3339(time: std::time::SystemTime) -> String {
    let ms = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let (secs, millis) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (year, month, day) = crate::dev::cron::civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Hyperdrive: workerd's own binding, over TCP to the local PostgreSQL.
fn hyperdrive(name: &str, binding: &KindBinding, cx: &mut Cx) -> Result<String, RenderError> {
    let given = cx
        .local
        .hyperdrive
        .get(name)
        .map(String::as_str)
        .or_else(|| binding.str("local_connection_string"));
    let missing = || RenderError::NoLocalConnection {
        worker: cx.worker.name.clone(),
        binding: name.into(),
    };
    let conn = parse_postgres(given.ok_or_else(missing)?).ok_or_else(|| {
        RenderError::BadConnectionString {
            binding: name.into(),
        }
    })?;
    let service = cx.services.add(
        format!("edge-hyperdrive:{}:{name}", cx.worker.name),
        format!("external = (address = {}, tcp = ())", quote(&conn.address)),
    );
    Ok(format!(
        "hyperdrive = (designator = {}, database = {}, user = {}, password = {}, scheme = \"postgresql\")",
        quote(&service),
        quote(&conn.database),
        quote(&conn.user),
        quote(&conn.password)
    ))
}

#[derive(Debug, PartialEq)]
struct Postgres {
    address: String,
    user: String,
    password: String,
    database: String,
}

/// `postgres[ql]://user[:password]@host[:port]/database`.
fn parse_postgres(url: &str) -> Option<Postgres> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))?;
    let (auth, rest) = rest.rsplit_once('@')?;
    let (host, database) = rest.split_once('/')?;
    let database = database.split('?').next().unwrap_or_default();
    let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
    if user.is_empty() || host.is_empty() || database.is_empty() {
        return None;
    }
    let address = if host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        host.to_string()
    } else {
        format!("{host}:5432")
    };
    let decode = |s: &str| crate::dev::http::percent_decode(s);
    Some(Postgres {
        address,
        user: decode(user),
        password: decode(password),
        database: decode(database),
    })
}

/// The outbound worker `worker`'s subrequests go through: that of a dispatch namespace (of
/// another worker of the config) that holds `worker`, when the outbound worker is in the config.
/// In production a namespace's workers run only when dispatched, so routing every `fetch()` of
/// theirs through it is what Cloudflare does; the parameters a dispatcher passes per call
/// (`get(name, args, {outbound: {...}})`) have no equivalent in workerd and are not modelled.
pub(super) fn outbound_of<'a>(
    worker: &Worker,
    units: &[super::capnp::Unit<'a>],
) -> Option<&'a str> {
    let present = |name: &str| units.iter().any(|u| u.worker.name == name);
    units
        .iter()
        .filter(|u| u.worker.name != worker.name)
        .flat_map(|u| u.worker.kind_bindings.values())
        .filter(|b| b.kind == "dispatch_namespaces")
        .find_map(|b| {
            let outbound = b.str("outbound")?;
            let holds = b
                .strs("local_workers")
                .is_none_or(|l| l.contains(&worker.name.as_str()));
            (holds && outbound != worker.name && present(outbound)).then_some(outbound)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_split_into_their_parts() {
        assert_eq!(
            parse_postgres("postgres://app:s%40cret@127.0.0.1:6543/shop?sslmode=disable"),
            Some(Postgres {
                address: "127.0.0.1:6543".into(),
                user: "app".into(),
                password: "s@cret".into(),
                database: "shop".into(),
            })
        );
        assert_eq!(
            parse_postgres("postgresql://app@db/shop").unwrap().address,
            "db:5432"
        );
        assert_eq!(parse_postgres("mysql://a@b/c"), None);
        assert_eq!(parse_postgres("postgres://host/db"), None);
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_795_457_940_123);
        assert_eq!(rfc3339(t), "2026-11-23T18:19:00.123Z");
    }
}
