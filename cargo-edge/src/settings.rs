//! Worker settings as data: `observability`, `placement`, `limits`, `logpush` and
//! `tail_consumers`. Each is written in the table in the shape Cloudflare's upload metadata and
//! wrangler's config both use, so the model keeps it as written (JSON) and every rendering
//! passes it through. An environment replaces a setting whole.

use crate::manifest::keys::{key, required, Key, Shape};

const FRACTION: Shape = Shape::Number { min: 0.0, max: 1.0 };

const LOGS: &[Key] = &[
    required(
        "enabled",
        Shape::Bool,
        "Keep the worker's logs (Workers Logs).",
    ),
    key(
        "invocation_logs",
        Shape::Bool,
        "Log one line per invocation (default true).",
    ),
    key(
        "head_sampling_rate",
        FRACTION,
        "Share of requests whose logs are kept, 0 to 1 (default 1).",
    ),
];

const TRACES: &[Key] = &[
    required("enabled", Shape::Bool, "Trace the worker's invocations."),
    key(
        "head_sampling_rate",
        FRACTION,
        "Share of requests traced, 0 to 1 (default 1).",
    ),
];

pub const OBSERVABILITY: &[Key] = &[
    required(
        "enabled",
        Shape::Bool,
        "Turn on Workers observability (logs and metrics in the dashboard).",
    ),
    key(
        "head_sampling_rate",
        FRACTION,
        "Share of requests observed, 0 to 1 (default 1).",
    ),
    key("logs", Shape::Table(LOGS), "Log settings."),
    key("traces", Shape::Table(TRACES), "Trace settings."),
];

pub const PLACEMENT: &[Key] = &[required(
    "mode",
    Shape::Word(&["smart"]),
    "`smart`: run the worker near the back-ends it talks to (Smart Placement).",
)];

pub const LIMITS: &[Key] = &[
    key(
        "cpu_ms",
        Shape::Int {
            min: 1,
            max: 300_000,
        },
        "Most CPU milliseconds per invocation (paid plans, up to 300000).",
    ),
    key(
        "subrequests",
        Shape::Int {
            min: 1,
            max: 10_000_000,
        },
        "Most subrequests per invocation.",
    ),
];

pub const TAIL_CONSUMER: &[Key] = &[
    required(
        "service",
        Shape::Str,
        "The worker that receives this worker's events.",
    ),
    key(
        "environment",
        Shape::Str,
        "That worker's environment (legacy service environments).",
    ),
];

/// Every setting's key: in the table, in the upload metadata and in wrangler's config.
pub const NAMES: &[&str] = &[
    "observability",
    "placement",
    "limits",
    "logpush",
    "tail_consumers",
];

/// The setting as it goes out: the API requires `logs.invocation_logs`, which the table
/// leaves optional (default true, as wrangler has it).
pub fn rendered(name: &str, value: &serde_json::Value) -> serde_json::Value {
    let mut value = value.clone();
    if name == "observability" {
        if let Some(logs) = value.get_mut("logs").and_then(|l| l.as_object_mut()) {
            logs.entry("invocation_logs")
                .or_insert(serde_json::Value::Bool(true));
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn logs_get_the_invocation_logs_the_api_requires() {
        let written = json!({"enabled": true, "logs": {"enabled": true}});
        assert_eq!(
            rendered("observability", &written),
            json!({"enabled": true, "logs": {"enabled": true, "invocation_logs": true}})
        );
        assert_eq!(rendered("logpush", &json!(true)), json!(true));
    }
}
