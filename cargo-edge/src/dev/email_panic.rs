//! An email handler that panics never settles its promise, so workerd cancels the event with
//! the runtime's "hung" message, which says nothing of the panic. The `worker` crate's panic
//! hook logs the panic (`Rust panic: panicked at src/lib.rs:12:5:` and the message on the
//! lines after); this reads it from workerd's output and reports it as the handler's failure.

use std::time::Duration;

use super::output::Output;

/// What the `worker` crate's panic hook prints before the location.
const PANICKED: &str = "Rust panic: panicked at ";

/// What production's runtime says when it cancels a hung event.
const CANCELED: &str = "The Workers runtime canceled this request";

/// How long to wait for the panic's lines once the handler's failure is known.
const LOG_WAIT: Duration = Duration::from_millis(300);

/// The failure to report for a handler that failed with `error`: the panic, when workerd's
/// output since the mark holds one, else `error` as it is.
pub async fn explain(error: String, mark: Option<(&Output, u64)>) -> String {
    let Some((output, mark)) = mark else {
        return error;
    };
    let deadline = tokio::time::Instant::now() + LOG_WAIT;
    loop {
        if let Some(panic) = panic_in(&output.since(mark)) {
            return panic;
        }
        // Only a canceled event can still be waiting for its panic's lines.
        if !error.contains(CANCELED) || tokio::time::Instant::now() > deadline {
            return error;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `it panicked at LOCATION: MESSAGE` for the first panic in `lines`.
fn panic_in(lines: &[String]) -> Option<String> {
    let (at, line) = lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| l.find(PANICKED).map(|p| (i, &l[p + PANICKED.len()..])))?;
    let location = line.trim().trim_end_matches(':');
    // The message runs until the stack trace (or a blank line); it can be several lines.
    let message: Vec<&str> = lines[at + 1..]
        .iter()
        .map(|l| l.trim_end())
        .take_while(|l| !l.is_empty() && !l.trim_start().starts_with("at "))
        .take(8)
        .collect();
    Some(format!(
        "it panicked at {location}: {}",
        message.join("\n").trim()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn the_panic_is_read_from_the_hooks_lines() {
        let log = lines(
            "Critical Error: Rust panic: panicked at src/lib.rs:160:20:\n\
             the email handler panics on purpose\n    at fixture.wasm.__rust_start_panic\n\
             workerd/io/worker.c++: error: The Workers runtime canceled this request",
        );
        assert_eq!(
            panic_in(&log).unwrap(),
            "it panicked at src/lib.rs:160:20: the email handler panics on purpose"
        );
        assert_eq!(panic_in(&lines("just a log line\nanother")), None);
    }

    #[tokio::test]
    async fn a_failure_without_a_panic_is_kept() {
        let output = Output::default();
        output.push("console output".into());
        let error = "TypeError: boom".to_string();
        assert_eq!(explain(error.clone(), Some((&output, 0))).await, error);
        output.push("Critical Error: Rust panic: panicked at src/lib.rs:1:1:".into());
        output.push("boom".into());
        let hung = format!("{CANCELED} because it detected that your Worker's code had hung");
        assert_eq!(
            explain(hung, Some((&output, 0))).await,
            "it panicked at src/lib.rs:1:1: boom"
        );
    }
}
