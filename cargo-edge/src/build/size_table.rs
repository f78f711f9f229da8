//! `cargo edge size` as text and JSON: the module's bytes by crate or by function, and the
//! change against the previous build.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{json, Value};

use super::insight::{change_text, human};
use super::size::SizeReport;

/// What the rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum By {
    #[default]
    Crate,
    Function,
}

/// Rows of (label, crate, bytes), largest first.
fn rows(report: &SizeReport, by: By) -> Vec<(String, String, u64)> {
    match by {
        By::Crate => report
            .by_crate()
            .into_iter()
            .map(|c| (c.krate.clone(), c.krate, c.size))
            .collect(),
        By::Function => report
            .functions
            .iter()
            .map(|f| (f.name.clone(), f.krate.clone(), f.size))
            .collect(),
    }
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// The report as a table: the top `top` rows, the rest summed, then data and the rest.
pub fn table(report: &SizeReport, by: By, top: usize) -> String {
    let rows = rows(report, by);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "index_bg.wasm: {} ({} gzip -9); code {}, data segments {}, other sections {}",
        human(report.total),
        human(report.gzip),
        human(report.code),
        human(report.data),
        human(report.other + report.custom.values().sum::<u64>())
    );
    let heading = match by {
        By::Crate => "crate",
        By::Function => "function",
    };
    let _ = writeln!(out, "{:>10}  {:>6}  {heading}", "bytes", "code%");
    for (label, krate, size) in rows.iter().take(top) {
        let suffix = match by {
            By::Function => format!("  [{krate}]"),
            By::Crate => String::new(),
        };
        let _ = writeln!(
            out,
            "{size:>10}  {:>5.1}%  {label}{suffix}",
            share(*size, report.code)
        );
    }
    if rows.len() > top {
        let rest: u64 = rows[top..].iter().map(|r| r.2).sum();
        let _ = writeln!(
            out,
            "{rest:>10}  {:>5.1}%  ({} more)",
            share(rest, report.code),
            rows.len() - top
        );
    }
    let _ = writeln!(
        out,
        "{:>10}  {:>6}  (data segments: string literals, tables, statics)",
        report.data, ""
    );
    out
}

/// Per-row change from `previous` to `current`, biggest changes first, rows only in one of
/// them included (a new dependency shows as a new crate).
pub fn diff(previous: &SizeReport, current: &SizeReport, by: By, top: usize) -> String {
    let before: BTreeMap<String, u64> =
        rows(previous, by).into_iter().map(|r| (r.0, r.2)).collect();
    let after: BTreeMap<String, u64> = rows(current, by).into_iter().map(|r| (r.0, r.2)).collect();
    let mut changes: Vec<(String, i64, &str)> = before
        .keys()
        .chain(after.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter_map(|label| {
            let (old, new) = (before.get(label).copied(), after.get(label).copied());
            let delta = new.unwrap_or(0) as i64 - old.unwrap_or(0) as i64;
            let note = match (old, new) {
                (None, Some(_)) => "new",
                (Some(_), None) => "gone",
                _ => "",
            };
            (delta != 0).then(|| (label.clone(), delta, note))
        })
        .collect();
    changes.sort_by(|a, b| b.1.abs().cmp(&a.1.abs()).then_with(|| a.0.cmp(&b.0)));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "index_bg.wasm: {} → {} ({}); gzip {} → {}; data {} → {}",
        human(previous.total),
        human(current.total),
        change_text(current.total as i64 - previous.total as i64),
        human(previous.gzip),
        human(current.gzip),
        human(previous.data),
        human(current.data),
    );
    if changes.is_empty() {
        let _ = writeln!(
            out,
            "no {} changed size",
            if by == By::Crate { "crate" } else { "function" }
        );
    }
    for (label, delta, note) in changes.iter().take(top) {
        let note = if note.is_empty() {
            String::new()
        } else {
            format!("  ({note})")
        };
        let _ = writeln!(out, "{:>10}  {label}{note}", format!("{delta:+}"));
    }
    out
}

/// The report as JSON: totals, then the top rows.
pub fn json(report: &SizeReport, by: By, top: usize, previous: Option<&SizeReport>) -> Value {
    let rows: Vec<Value> = rows(report, by)
        .into_iter()
        .take(top)
        .map(|(label, krate, size)| json!({"name": label, "crate": krate, "size": size}))
        .collect();
    json!({
        "reason": "size",
        "total": report.total,
        "gzip": report.gzip,
        "code": report.code,
        "data": report.data,
        "other": report.other,
        "custom": report.custom,
        "by": if by == By::Crate { "crate" } else { "function" },
        "rows": rows,
        "previous_total": previous.map(|p| p.total),
    })
}

#[cfg(test)]
mod tests {
    use super::super::size::Function;
    use super::*;

    fn report(functions: &[(&str, &str, u64)]) -> SizeReport {
        let functions: Vec<Function> = functions
            .iter()
            .map(|(name, krate, size)| Function {
                name: name.to_string(),
                krate: krate.to_string(),
                size: *size,
            })
            .collect();
        let code = functions.iter().map(|f| f.size).sum();
        SizeReport {
            total: code + 100,
            code,
            data: 100,
            functions,
            ..SizeReport::default()
        }
    }

    #[test]
    fn crates_sum_their_functions_and_the_rest_is_summed() {
        let r = report(&[
            ("worker::a", "worker", 300),
            ("worker::b", "worker", 200),
            ("hello::f", "hello", 50),
        ]);
        let text = table(&r, By::Crate, 1);
        assert!(text.contains("       500   90.9%  worker"), "{text}");
        assert!(text.contains("(1 more)"), "{text}");
    }

    #[test]
    fn a_new_crate_shows_in_the_diff() {
        let before = report(&[("worker::a", "worker", 300)]);
        let after = report(&[
            ("worker::a", "worker", 310),
            ("serde_json::x", "serde_json", 900),
        ]);
        let text = diff(&before, &after, By::Crate, 10);
        assert!(text.contains("+900  serde_json  (new)"), "{text}");
        assert!(text.contains("+10  worker"), "{text}");
    }
}
