//! One tail event as a readable block: when, what triggered it (method and URL, cron, queue),
//! the status or outcome, every `console` line with its level, and exceptions with their stack.

use serde_json::Value;

/// Milliseconds since the epoch as `2026-12-01T21:03:04.123Z`.
pub fn timestamp(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        millis.rem_euclid(1000)
    )
}

/// Howard Hinnant's days-to-civil conversion.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The block `cargo edge tail` prints for `event`.
pub fn render(event: &Value) -> String {
    let when = timestamp(event["eventTimestamp"].as_i64().unwrap_or(0));
    let outcome = event["outcome"].as_str().unwrap_or("unknown");
    let trigger = &event["event"];
    let head = if let Some(request) = trigger.get("request").filter(|r| r.is_object()) {
        let status = trigger["response"]["status"]
            .as_u64()
            .map(|s| s.to_string())
            .unwrap_or_else(|| outcome.to_string());
        format!(
            "{} {} {status}",
            request["method"].as_str().unwrap_or("?"),
            request["url"].as_str().unwrap_or("?")
        )
    } else if let Some(cron) = trigger["cron"].as_str() {
        format!("cron \"{cron}\" {outcome}")
    } else if let Some(queue) = trigger["queue"].as_str() {
        format!(
            "queue {queue} (batch of {}) {outcome}",
            trigger["batchSize"]
        )
    } else {
        format!("event {outcome}")
    };
    let mut lines = vec![format!("[{when}] {head}")];
    if outcome != "ok" && !head.ends_with(outcome) {
        lines[0].push_str(&format!(" ({outcome})"));
    }
    for log in event["logs"].as_array().into_iter().flatten() {
        let parts: Vec<String> = log["message"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                m.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| m.to_string())
            })
            .collect();
        lines.push(format!(
            "  ({}) {}",
            log["level"].as_str().unwrap_or("log"),
            parts.join(" ")
        ));
    }
    for exception in event["exceptions"].as_array().into_iter().flatten() {
        let message = exception["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| exception["message"].to_string());
        lines.push(format!(
            "  exception {}: {message}",
            exception["name"].as_str().unwrap_or("Error")
        ));
        for frame in exception["stack"]
            .as_str()
            .unwrap_or("")
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            lines.push(format!("    {}", frame.trim()));
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_event_reads_as_one_block() {
        let event = json!({
            "outcome": "exception", "eventTimestamp": 1_764_622_984_123i64,
            "event": {"request": {"method": "POST", "url": "https://api.example.com/notes"}, "response": {"status": 500}},
            "logs": [{"level": "warn", "message": ["slow", 3], "timestamp": 0}],
            "exceptions": [{"name": "Error", "message": "boom", "stack": "at handler (shim.mjs:1)\nat run"}],
        });
        assert_eq!(
            render(&event),
            "[2025-12-01T21:03:04.123Z] POST https://api.example.com/notes 500 (exception)\n  (warn) slow 3\n  exception Error: boom\n    at handler (shim.mjs:1)\n    at run"
        );
        let cron = json!({"outcome": "ok", "eventTimestamp": 0, "event": {"cron": "* * * * *"}, "logs": [], "exceptions": []});
        assert_eq!(
            render(&cron),
            "[1970-01-01T00:00:00.000Z] cron \"* * * * *\" ok"
        );
    }
}
