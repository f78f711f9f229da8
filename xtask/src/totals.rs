//! The grand total of a `cargo test` run: every suite's `test result:` line added up, printed
//! last so the run does not end on the summary of one doc-test suite.

use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context, Result};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub suites: u32,
    pub passed: u32,
    pub failed: u32,
    pub ignored: u32,
    /// Suites whose `test result:` says FAILED.
    pub failed_suites: u32,
}

impl Totals {
    /// Count one line of test output if it is a suite's summary:
    /// `test result: ok. 80 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; ...`.
    pub fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        self.suites += 1;
        if rest.starts_with("FAILED") {
            self.failed_suites += 1;
        }
        for part in rest.split([';', '.']) {
            let mut words = part.split_whitespace();
            let (Some(n), Some(what)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(n) = n.parse::<u32>() else { continue };
            match what {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.failed == 0 && self.failed_suites == 0 {
            "ok"
        } else {
            "FAILED"
        };
        write!(
            f,
            "all tests: {verdict}. {} passed; {} failed; {} ignored; {} suites",
            self.passed, self.failed, self.ignored, self.suites
        )
    }
}

/// Run `command`, passing its standard output through line by line, and add up its suites.
pub fn run(command: &mut Command) -> Result<(ExitStatus, Totals)> {
    eprintln!("xtask: running {command:?}");
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let mut totals = Totals::default();
    let stdout = child.stdout.take().expect("piped");
    let mut out = std::io::stdout();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading test output")?;
        totals.add_line(&line);
        let _ = writeln!(out, "{line}");
    }
    let status = child.wait().context("waiting for cargo test")?;
    Ok((status, totals))
}

#[cfg(test)]
mod tests {
    use super::Totals;

    #[test]
    fn suites_add_up_and_a_failed_one_fails_the_total() {
        let mut totals = Totals::default();
        for line in [
            "running 80 tests",
            "test result: ok. 80 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 1.51s",
            "test a ... ok",
            "test result: FAILED. 10 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 3.2s",
            "test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.06s",
        ] {
            totals.add_line(line);
        }
        assert_eq!(
            totals,
            Totals {
                suites: 3,
                passed: 91,
                failed: 2,
                ignored: 1,
                failed_suites: 1
            }
        );
        assert_eq!(
            totals.to_string(),
            "all tests: FAILED. 91 passed; 2 failed; 1 ignored; 3 suites"
        );
    }
}
