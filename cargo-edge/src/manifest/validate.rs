//! Checks on one edge table as written (the package table, each environment, the workspace
//! defaults): dates, crons, binding names, queue names, services and routes. Every environment is checked,
//! not only the one selected, so a mistake in `env.prod` shows up in `cargo edge dev` already.

use std::collections::BTreeMap;

use super::cron::check_cron;
use super::date::{check_compatibility_date, Date, DateError};
use super::error::Problem;
use super::queues::check_queue_names;
use super::source::Loc;
use super::written::{Bindings, EdgeTable, Text};

/// Every problem in `table` that can be seen without the rest of the manifest.
pub fn check_table(table: &EdgeTable, today: Date, out: &mut Vec<Problem>) {
    if let Some(date) = &table.compatibility_date {
        check_date(date, today, out);
    }
    for cron in table.crons.iter().flat_map(|c| &c.value) {
        if let Err(why) = check_cron(&cron.value) {
            out.push(
                Problem::error("invalid_cron", &cron.loc, format!("`{}` is not a valid cron expression", cron.value))
                    .label(why)
                    .help("five fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or JAN-DEC) day-of-week (0-6 or SUN-SAT), e.g. \"*/5 * * * *\""),
            );
        }
    }
    for (name, _, loc) in binding_names(table) {
        check_identifier(name, loc, out);
    }
    for route in table.routes.iter().flat_map(|r| &r.value) {
        if let (Some(_), Some(id)) = (&route.value.zone_name, &route.value.zone_id) {
            out.push(
                Problem::error(
                    "route_zone",
                    &id.loc,
                    format!("`{}` sets both `zone_name` and `zone_id`", route.loc.key),
                )
                .label("second zone")
                .help("keep one: `zone_name` (the domain) or `zone_id`"),
            );
        }
    }
    check_services(table, out);
    super::assets::check(table, out);
    check_queue_names(table, out);
    super::kv_ids::check_kv_ids(table, out);
    super::kinds::check(table, out);
}

fn check_date(date: &Text, today: Date, out: &mut Vec<Problem>) {
    let (label, help) = match check_compatibility_date(&date.value, today) {
        Ok(_) => return,
        Err(DateError::Format) => (
            "expected YYYY-MM-DD".to_string(),
            format!("write the date as YYYY-MM-DD, e.g. \"{today}\""),
        ),
        Err(DateError::NoSuchDay) => (
            "no such day".to_string(),
            "use a real calendar date, e.g. the first of the month".to_string(),
        ),
        Err(DateError::Future { today }) => (
            format!("after today ({today}, UTC)"),
            format!("the Workers runtime refuses dates in the future; use \"{today}\" or earlier"),
        ),
    };
    out.push(
        Problem::error(
            "compatibility_date",
            &date.loc,
            format!(
                "`{}` is not a valid compatibility date: `{}`",
                date.loc.key, date.value
            ),
        )
        .label(label)
        .help(help),
    );
}

/// Every binding name the table declares, with its kind and where it is declared.
pub fn binding_names(table: &EdgeTable) -> Vec<(&str, &'static str, &Loc)> {
    fn keyed<'a, T>(
        map: &'a Bindings<T>,
        kind: &'static str,
    ) -> impl Iterator<Item = (&'a str, &'static str, &'a Loc)> {
        map.iter().map(move |(k, v)| (k.as_str(), kind, &v.loc))
    }
    let secrets = table.secrets.iter().flat_map(|s| &s.value);
    let mut names: Vec<_> = keyed(&table.vars, "vars").collect();
    names.extend(secrets.map(|s| (s.value.as_str(), "secrets", &s.loc)));
    names.extend(keyed(&table.kv, "kv"));
    names.extend(keyed(&table.d1, "d1"));
    names.extend(keyed(&table.r2, "r2"));
    names.extend(keyed(&table.producers, "queues.producers"));
    names.extend(keyed(&table.services, "services"));
    names.extend(keyed(&table.durable_objects, "durable_objects"));
    for (kind, bindings) in &table.kinds {
        names.extend(keyed(bindings, kind));
    }
    if let Some(assets) = super::assets::binding(table) {
        names.push((assets.value.as_str(), "assets", &assets.loc));
    }
    if let Some(hash) = &table.content_hash_binding {
        names.push((hash.value.as_str(), "content_hash_binding", &hash.loc));
    }
    names
}

const RESERVED: &[&str] = &[
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    "let",
    "static",
    "await",
];

/// A binding becomes a property of `env` in JavaScript: it must be a plain identifier.
pub fn check_identifier(name: &str, loc: &Loc, out: &mut Vec<Problem>) {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if first_ok && rest_ok && !RESERVED.contains(&name) {
        return;
    }
    let suggestion: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    let suggestion = match suggestion.chars().next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => suggestion,
        _ => format!("_{suggestion}"),
    };
    out.push(
        Problem::error("binding_name", loc, format!("`{name}` is not a valid binding name"))
            .label("not a JavaScript identifier")
            .help(format!("binding names become `env.NAME` in JavaScript: use letters, digits, `_` and `$`, not starting with a digit, e.g. `{suggestion}`")),
    );
}

fn check_services(table: &EdgeTable, out: &mut Vec<Problem>) {
    for (name, service) in &table.services {
        let s = &service.value;
        let help = "write `{ worker = \"other-worker\" }` to bind another worker, or `{ url = \"https://backend.example.com\" }` for an HTTP backend";
        match (&s.worker, &s.url) {
            (Some(_), Some(url)) => out.push(
                Problem::error(
                    "service_target",
                    &url.loc,
                    format!("service `{name}` sets both `worker` and `url`"),
                )
                .label("second target")
                .help(help),
            ),
            (None, None) => out.push(
                Problem::error(
                    "service_target",
                    &service.loc,
                    format!("service `{name}` has neither `worker` nor `url`"),
                )
                .label("no target")
                .help(help),
            ),
            (None, Some(url)) => check_url(name, url, s.entrypoint.as_ref(), out),
            (Some(_), None) => {}
        }
    }
}

fn check_url(name: &str, url: &Text, entrypoint: Option<&Text>, out: &mut Vec<Problem>) {
    let rest = url
        .value
        .strip_prefix("http://")
        .or_else(|| url.value.strip_prefix("https://"));
    if rest.is_none_or(|host| host.is_empty() || host.starts_with('/')) {
        out.push(
            Problem::error(
                "service_url",
                &url.loc,
                format!(
                    "service `{name}` has url `{}`, which is not an http(s) URL",
                    url.value
                ),
            )
            .label("expected http:// or https://")
            .help("write the backend's address, e.g. \"http://127.0.0.1:8080\""),
        );
    }
    if let Some(entrypoint) = entrypoint {
        out.push(
            Problem::error(
                "service_entrypoint",
                &entrypoint.loc,
                format!("service `{name}` is an external URL and cannot have an `entrypoint`"),
            )
            .label("only for `worker` services")
            .help("remove `entrypoint`, or bind a worker with `worker = \"...\"`"),
        );
    }
}

/// A binding name may be used once across all kinds (vars, secrets, kv, d1, ...).
pub fn check_duplicates(table: &EdgeTable, out: &mut Vec<Problem>) {
    let mut seen: BTreeMap<&str, (&str, &Loc)> = BTreeMap::new();
    for (name, kind, loc) in binding_names(table) {
        match seen.get(name) {
            Some((first_kind, first)) => out.push(
                Problem::error("duplicate_binding", loc, format!("binding `{name}` is declared twice: in `{first_kind}` and in `{kind}`"))
                    .label(format!("`{name}` is already a `{first_kind}` binding (at {})", first.key))
                    .help("every binding becomes `env.NAME`, so each name can be used once; rename one of them"),
            ),
            None => {
                seen.insert(name, (kind, loc));
            }
        }
    }
}
