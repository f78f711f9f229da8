//! What a build learns about its output beside the bundle: the size report kept between builds
//! (for the change and `cargo edge size --diff`), Cloudflare's limits, the measured startup.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::preflight::WorkerCrate;
use super::size::SizeReport;
use super::startup::{self, Compatibility, Startup, StartupOptions};
use crate::bundle::Bundle;
use crate::report::Reporter;

/// Cloudflare's per-worker size limit since 2026: 64 MiB uncompressed on every plan (the 3 MB
/// and 10 MB compressed limits were removed), per developers.cloudflare.com/workers/platform/limits
/// as read on 2026-12-01.
pub const SIZE_LIMIT: u64 = 64 * 1024 * 1024;

/// Warn past this share of [`SIZE_LIMIT`].
pub const SIZE_WARN_SHARE: f64 = 0.75;

/// A build's size report and the one before it (the last build whose module differed).
#[derive(Debug, Clone, Serialize)]
pub struct Sized {
    pub report: SizeReport,
    #[serde(skip)]
    pub previous: Option<SizeReport>,
    /// Bytes since the previous build of this worker: 0 when the module did not change.
    pub change: Option<i64>,
}

/// `<target>/edge/.size/<worker>.json` and `.prev.json`.
pub fn size_paths(target_dir: &Path, worker: &str) -> (PathBuf, PathBuf) {
    let dir = target_dir.join("edge").join(".size");
    (
        dir.join(format!("{worker}.json")),
        dir.join(format!("{worker}.prev.json")),
    )
}

pub fn load_report(path: &Path) -> Option<SizeReport> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Save `report` as the current one; the current one becomes the previous when they differ.
pub fn store_size(target_dir: &Path, worker: &str, report: SizeReport) -> std::io::Result<Sized> {
    let (current_path, previous_path) = size_paths(target_dir, worker);
    std::fs::create_dir_all(current_path.parent().expect("has a parent"))?;
    let current = load_report(&current_path);
    let change = match &current {
        Some(old) if *old == report => Some(0),
        Some(old) => {
            std::fs::rename(&current_path, &previous_path)?;
            Some(report.total as i64 - old.total as i64)
        }
        None => None,
    };
    std::fs::write(
        &current_path,
        serde_json::to_vec(&report).expect("serializes"),
    )?;
    Ok(Sized {
        previous: load_report(&previous_path),
        report,
        change,
    })
}

/// The warning for a bundle near Cloudflare's size limit, if it is.
pub fn size_warning(total: u64) -> Option<String> {
    (total as f64 >= SIZE_LIMIT as f64 * SIZE_WARN_SHARE).then(|| {
        format!(
            "the bundle is {:.1} MiB, {:.0}% of Cloudflare's 64 MiB per-worker limit (uncompressed, every plan): `cargo edge size` shows what takes the space",
            total as f64 / 1048576.0,
            total as f64 * 100.0 / SIZE_LIMIT as f64
        )
    })
}

/// `--config` that sets getrandom's wasm_js backend cfg for the wasm target, or why it would
/// not be safe: rustflags from the environment replace config rustflags, and a target
/// `rustflags` from us would replace a `build.rustflags` in the user's own config.
pub fn getrandom_cfg(workspace_root: &Path) -> Result<String, String> {
    for key in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
    ] {
        if std::env::var_os(key).is_some() {
            return Err(format!("${key} is set"));
        }
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let configs = workspace_root
        .ancestors()
        .map(|dir| dir.join(".cargo"))
        .chain(home)
        .flat_map(|dir| [dir.join("config.toml"), dir.join("config")]);
    for config in configs {
        let text = std::fs::read_to_string(&config).unwrap_or_default();
        if text.contains("rustflags") {
            return Err(format!("{} sets rustflags", config.display()));
        }
    }
    Ok(
        "target.wasm32-unknown-unknown.rustflags=[\"--cfg\",\"getrandom_backend=\\\"wasm_js\\\"\"]"
            .into(),
    )
}

/// Measure startup, print it (or why it was not measured) and warn past the threshold.
pub fn startup(
    krate: &WorkerCrate,
    bundle: &Bundle,
    options: &StartupOptions,
    reporter: &Reporter,
) -> Option<Startup> {
    if options.runs == 0 {
        return None;
    }
    let search = crate::workerd::Search {
        project_dir: krate.workspace_root.clone(),
        ..Default::default()
    };
    let Ok(workerd) = crate::workerd::locate(&search) else {
        reporter.status(
            "Startup",
            "not measured: workerd was not found (`cargo edge dev --install-workerd` installs it)",
        );
        return None;
    };
    let compatibility = compatibility(&krate.manifest_path, &workerd.compatibility_date);
    let stage = reporter.stage(
        "measuring",
        format!(
            "startup in workerd ({} fresh isolates each, with and without the worker)",
            options.runs
        ),
    );
    let measured = startup::measure(&workerd, bundle, &compatibility, options.runs);
    stage.finish();
    match measured {
        Ok(measured) => {
            if measured.over(options.warn_at) {
                reporter.warn(format!(
                    "startup took {} ms, past {} ms (Cloudflare refuses a worker whose startup exceeds {} ms): move work out of `#[event(start)]` and global initialisers into the first request",
                    measured.startup.as_millis(),
                    options.warn_at.as_millis(),
                    startup::CLOUDFLARE_LIMIT.as_millis()
                ));
            }
            Some(measured)
        }
        Err(error) => {
            reporter.warn(format!("startup was not measured: {error}"));
            None
        }
    }
}

/// The worker's own compatibility settings, capped at what this workerd supports.
fn compatibility(manifest: &Path, workerd_date: &str) -> Compatibility {
    let loaded = crate::manifest::load_worker(manifest, None).ok();
    let (date, flags) = loaded
        .map(|l| (l.worker.compatibility_date, l.worker.compatibility_flags))
        .unwrap_or_else(|| (workerd_date.to_string(), Vec::new()));
    Compatibility {
        date: if date.as_str() > workerd_date {
            workerd_date.to_string()
        } else {
            date
        },
        flags,
    }
}

/// The build summary's lines about the wasm module and startup, as (verb, message).
pub fn summary_lines(built: &crate::report::Built) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    if let Some(sized) = &built.size {
        let report = &sized.report;
        let change = match sized.change {
            Some(change) => format!("{} since the last build", change_text(change)),
            None => "first build".into(),
        };
        let top: Vec<String> = report
            .by_crate()
            .iter()
            .take(3)
            .map(|c| format!("{} {}", c.krate, human(c.size)))
            .collect();
        lines.push((
            "Wasm",
            format!(
                "{change}; code {} ({}), data {} (`cargo edge size` for more)",
                human(report.code),
                top.join(", "),
                human(report.data)
            ),
        ));
    }
    if let Some(measured) = &built.startup {
        lines.push((
            "Startup",
            format!(
                "{} ms (median of {} fresh isolates in local workerd, baseline subtracted); Cloudflare's limit is {} ms",
                measured.startup.as_millis(),
                measured.runs,
                startup::CLOUDFLARE_LIMIT.as_millis()
            ),
        ));
    }
    lines
}

pub fn size_json(sized: &Sized) -> serde_json::Value {
    let report = &sized.report;
    serde_json::json!({
        "total": report.total,
        "gzip": report.gzip,
        "code": report.code,
        "data": report.data,
        "change": sized.change,
        "crates": report.by_crate().into_iter().take(10).collect::<Vec<_>>(),
    })
}

pub fn startup_json(measured: &Startup) -> serde_json::Value {
    serde_json::json!({
        "startup_ms": measured.startup.as_secs_f64() * 1000.0,
        "with_worker_ms": measured.with_worker.as_secs_f64() * 1000.0,
        "baseline_ms": measured.baseline.as_secs_f64() * 1000.0,
        "runs": measured.runs,
        "limit_ms": millis(startup::CLOUDFLARE_LIMIT),
    })
}

/// `+1.2 KB`, `-300 B`, `no change`.
pub fn change_text(change: i64) -> String {
    if change == 0 {
        return "no change".into();
    }
    let sign = if change > 0 { "+" } else { "-" };
    format!("{sign}{}", human(change.unsigned_abs()))
}

pub fn human(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.2} MiB", bytes as f64 / 1048576.0)
    } else if bytes >= 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

pub fn millis(duration: Duration) -> u64 {
    duration.as_millis() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(total: u64) -> SizeReport {
        SizeReport {
            total,
            ..SizeReport::default()
        }
    }

    #[test]
    fn the_previous_report_is_the_last_one_that_differed() {
        let dir = tempfile::tempdir().unwrap();
        let first = store_size(dir.path(), "w", report(100)).unwrap();
        assert_eq!(first.change, None);
        let second = store_size(dir.path(), "w", report(150)).unwrap();
        assert_eq!(second.change, Some(50));
        let same = store_size(dir.path(), "w", report(150)).unwrap();
        assert_eq!(same.change, Some(0), "an unchanged build changes nothing");
        assert_eq!(
            same.previous.map(|p| p.total),
            Some(100),
            "and keeps the diff base"
        );
    }

    #[test]
    fn the_size_warning_starts_at_three_quarters_of_64_mib() {
        assert_eq!(size_warning(1024), None);
        let warning = size_warning(50 * 1024 * 1024).unwrap();
        assert!(warning.contains("64 MiB"), "{warning}");
    }

    #[test]
    fn changes_read_with_a_sign() {
        assert_eq!(change_text(0), "no change");
        assert_eq!(change_text(2048), "+2.0 KiB");
        assert_eq!(change_text(-300), "-300 B");
    }
}
