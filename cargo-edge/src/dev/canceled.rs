//! A request workerd cancels — the worker's promise can never settle, as after a Rust panic in
//! async code — is answered by workerd with a bare `500 Internal Server Error`, while
//! production's answer carries the runtime's own message ("The Workers runtime canceled this
//! request because it detected that your Worker's code had hung ..."). workerd logs that message
//! as it cancels; the front proxy reads it there and answers with it, as production does.

use std::time::Duration;

use hyper::body::Incoming;
use hyper::{Response, StatusCode};

use super::output::Output;

/// What production's runtime says when it cancels a hung request; workerd logs the same words.
const CANCELED: &str = "The Workers runtime canceled this request";

/// workerd's own body for a request that failed with an exception.
const WORKERD_BODY_LEN: &str = "21";

/// How long to wait for the log line after the response.
const LOG_WAIT: Duration = Duration::from_millis(300);

/// Production's body for `response`, when it is workerd's answer to a request it canceled.
pub async fn production_body(
    response: &Response<Incoming>,
    mark: Option<(Output, u64)>,
) -> Option<String> {
    let (output, mark) = mark?;
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok());
    let bare = response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && header("connection") == Some("close")
        && header("content-length") == Some(WORKERD_BODY_LEN);
    if !bare {
        return None;
    }
    let deadline = tokio::time::Instant::now() + LOG_WAIT;
    loop {
        if let Some(message) = canceled_message(&output.since(mark)) {
            return Some(format!("{message}\n"));
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The runtime's cancellation message in workerd's log lines.
fn canceled_message(lines: &[String]) -> Option<&str> {
    lines
        .iter()
        .find_map(|line| line.find(CANCELED).map(|at| line[at..].trim()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_message_is_read_from_workerds_log_line() {
        let lines = vec![
            "Critical Error: Rust panic".to_string(),
            "workerd/server/server.c++:372: error: Uncaught exception: workerd/io/io-context.c++:2052: failed: remote.jsg.Error: The Workers runtime canceled this request because it detected that your Worker's code had hung and would never generate a response. Refer to: https://developers.cloudflare.com/workers/observability/errors/".to_string(),
        ];
        let message = super::canceled_message(&lines).unwrap();
        assert!(message.starts_with("The Workers runtime canceled this request because"));
        assert!(message.ends_with("/workers/observability/errors/"));
        assert_eq!(super::canceled_message(&lines[..1]), None);
    }
}
