//! One line per request through the dev port, as `wrangler dev` prints them: method, path,
//! status and time, e.g. `GET /notes 200 OK (3 ms)`. Only the front proxy logs: the binding
//! server's traffic (workerd calling KV, D1, ...) is not the user's. After a failed build the
//! last good version keeps serving, and each line says so, with the time the build failed.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::StatusCode;

use crate::report::Reporter;

/// Where request lines go, and whether the version served is stale.
#[derive(Default)]
pub struct RequestLog {
    reporter: Mutex<Option<Reporter>>,
    /// `HH:MM:SS` (UTC) of the failed build, while the version served predates it.
    stale_since: Mutex<Option<String>>,
}

impl RequestLog {
    /// Print request lines through `reporter` (none are printed before this).
    pub fn print_to(&self, reporter: Reporter) {
        *lock(&self.reporter) = Some(reporter);
    }

    /// A build failed now: the version served is the last good one.
    pub fn build_failed(&self) {
        *lock(&self.stale_since) = Some(utc_clock(SystemTime::now()));
    }

    /// A new version serves: it is current again.
    pub fn current(&self) {
        *lock(&self.stale_since) = None;
    }

    /// Print one request's line.
    pub fn line(&self, method: &str, path: &str, status: StatusCode, elapsed: Duration) {
        let reporter = lock(&self.reporter);
        let Some(reporter) = reporter.as_ref() else {
            return;
        };
        let stale = lock(&self.stale_since).clone();
        reporter.status(method, format_line(path, status, elapsed, stale.as_deref()));
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// `/notes 200 OK (3 ms)`, and the stale notice when there is one.
fn format_line(path: &str, status: StatusCode, elapsed: Duration, stale: Option<&str>) -> String {
    let reason = status.canonical_reason().unwrap_or("");
    let mut line = format!(
        "{path} {} {reason} ({} ms)",
        status.as_u16(),
        elapsed.as_millis()
    );
    if let Some(at) = stale {
        line.push_str(&format!(
            " [stale: the build failed at {at}; this is the last good version]"
        ));
    }
    line
}

/// `HH:MM:SS` of `time`, UTC.
fn utc_clock(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        % 86_400;
    format!(
        "{:02}:{:02}:{:02} UTC",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_path_status_reason_and_milliseconds() {
        let line = format_line(
            "/notes?x=1",
            StatusCode::OK,
            Duration::from_micros(3400),
            None,
        );
        assert_eq!(line, "/notes?x=1 200 OK (3 ms)");
    }

    #[test]
    fn a_stale_line_says_when_the_build_failed() {
        let line = format_line(
            "/",
            StatusCode::NOT_FOUND,
            Duration::from_millis(12),
            Some("09:05:07 UTC"),
        );
        assert_eq!(
            line,
            "/ 404 Not Found (12 ms) [stale: the build failed at 09:05:07 UTC; this is the last good version]"
        );
    }

    #[test]
    fn the_clock_is_utc_hours_minutes_seconds() {
        let time = UNIX_EPOCH + Duration::from_secs(86_400 * 3 + 9 * 3600 + 5 * 60 + 7);
        assert_eq!(utc_clock(time), "09:05:07 UTC");
    }
}
