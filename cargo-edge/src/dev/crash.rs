//! A workerd that failed — exited at start-up, never listened, or died while serving — told the
//! way cargo tells a compile error: what happened, workerd's own error lines, the cause in
//! words, and what to do. The same report is the page the front proxy serves until workerd runs
//! again.

use std::fmt::Write;

/// When workerd failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// It exited before its socket listened.
    Start,
    /// It did not listen in time (it was stopped).
    NeverListened,
    /// It was serving, then exited.
    Serving,
}

/// One failure of workerd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crash {
    pub phase: Phase,
    /// How it ended: `exit status: 1`, `killed by signal 9 (SIGKILL)`, ...
    pub status: String,
    /// Its last output lines.
    pub output: Vec<String>,
}

/// How many of workerd's lines a report shows.
const SHOWN: usize = 12;

/// What to do, the same for every failure: dev restarts workerd on the next change.
pub const WHAT_TO_DO: &str =
    "fix the cause, then save a file (or type r + Enter): `cargo edge dev` rebuilds and starts workerd again";

impl Crash {
    /// The report's first line.
    pub fn headline(&self) -> String {
        match self.phase {
            Phase::Start => format!("workerd exited while starting the worker: {}", self.status),
            Phase::NeverListened => format!("workerd did not come up: {}", self.status),
            Phase::Serving => format!("workerd stopped while serving: {}", self.status),
        }
    }

    /// workerd's error lines: the lines from its first error on, or its last lines.
    pub fn error_lines(&self) -> Vec<String> {
        let first = self.output.iter().position(|l| is_error(l));
        let from = match first {
            Some(i) => i,
            None => self.output.len().saturating_sub(SHOWN),
        };
        self.output[from..].iter().take(SHOWN).cloned().collect()
    }

    /// The cause in words.
    pub fn cause(&self) -> String {
        let lines = self.error_lines();
        if let Some(module) = lines
            .iter()
            .find_map(|l| quoted_after(l, "No such module "))
        {
            return format!("the worker imports `{module}`, which this workerd does not provide");
        }
        if let Some(flag) = lines
            .iter()
            .find_map(|l| after(l, "No such compatibility flag: "))
        {
            return format!("`{flag}` is not a compatibility flag this workerd knows: check `compatibility_flags` in Cargo.toml");
        }
        if lines.iter().any(|l| l.contains("Address already in use")) {
            return "a port workerd needs is taken by another process".into();
        }
        if let Some(line) = lines.iter().find(|l| l.contains("Uncaught")) {
            return format!("the worker threw while loading: {}", after_uncaught(line));
        }
        if self.status.contains("signal 9") {
            return "workerd was killed (SIGKILL): by another process, or by the kernel when memory ran out".into();
        }
        if self.status.contains("signal") {
            return format!("workerd crashed ({})", self.status);
        }
        if self.phase == Phase::NeverListened {
            return "workerd ran but never listened on its socket".into();
        }
        match lines.iter().find(|l| is_error(l)) {
            Some(line) => line.trim().to_string(),
            None => format!("workerd ended with {}", self.status),
        }
    }

    /// The report for the terminal (after `error: `).
    pub fn report(&self) -> String {
        let mut out = self.headline();
        let lines = self.error_lines();
        if !lines.is_empty() {
            out.push_str("\n  workerd said:");
            for line in &lines {
                let _ = write!(out, "\n  | {line}");
            }
        }
        let _ = write!(out, "\n  = cause: {}", self.cause());
        let _ = write!(out, "\n  = help: {WHAT_TO_DO}");
        out
    }

    /// The page the proxy answers with while workerd is down.
    pub fn page(&self) -> String {
        format!(
            "cargo-edge: the worker is not running.\n\nerror: {}\n",
            self.report()
        )
    }
}

fn is_error(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    lower.contains("error")
        || lower.contains("uncaught")
        || lower.contains("fatal")
        || line.starts_with("service ")
}

/// The rest of `line` after `marker`, trimmed.
fn after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    Some(line[line.find(marker)? + marker.len()..].trim())
}

/// `No such module "x".` → `x`.
fn quoted_after(line: &str, marker: &str) -> Option<String> {
    let rest = &line[line.find(marker)? + marker.len()..];
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

fn after_uncaught(line: &str) -> &str {
    match line.find("Uncaught") {
        Some(at) => line[at + "Uncaught".len()..].trim(),
        None => line.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crash(phase: Phase, status: &str, output: &[&str]) -> Crash {
        Crash {
            phase,
            status: status.into(),
            output: output.iter().map(|l| l.to_string()).collect(),
        }
    }

    #[test]
    fn a_missing_module_is_named() {
        let c = crash(
            Phase::Start,
            "exit status: 1",
            &[
                "starting",
                "service api: Uncaught Error: No such module \"cloudflare-internal:email\".",
                "  imported from \"cloudflare:email\"",
            ],
        );
        assert_eq!(
            c.cause(),
            "the worker imports `cloudflare-internal:email`, which this workerd does not provide"
        );
        let report = c.report();
        assert!(report.starts_with("workerd exited while starting the worker: exit status: 1"));
        assert!(
            report.contains("  | service api: Uncaught Error"),
            "{report}"
        );
        assert!(!report.contains("| starting"), "{report}");
        assert!(report.contains("= help: fix the cause"), "{report}");
        assert!(c.page().contains(&report));
    }

    #[test]
    fn a_kill_and_a_throw_have_their_causes() {
        let killed = crash(Phase::Serving, "killed by signal 9 (SIGKILL)", &[]);
        assert!(killed.cause().starts_with("workerd was killed (SIGKILL)"));
        assert!(killed
            .headline()
            .starts_with("workerd stopped while serving"));
        let flag = crash(
            Phase::Start,
            "exit status: 1",
            &["service api: No such compatibility flag: nope"],
        );
        assert!(
            flag.cause()
                .starts_with("`nope` is not a compatibility flag"),
            "{}",
            flag.cause()
        );
        let threw = crash(
            Phase::Start,
            "exit status: 1",
            &["service api: Uncaught TypeError: x is not a function"],
        );
        assert_eq!(
            threw.cause(),
            "the worker threw while loading: TypeError: x is not a function"
        );
    }
}
