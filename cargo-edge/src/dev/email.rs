//! Sent email in dev: each message a `send_email` binding sends (after its allow-lists, which the
//! binding checks as Cloudflare does) is written as an `.eml` file under
//! `<state>/email/<worker>/<binding>/`, with one printed line.

use axum::http::StatusCode;
use axum::response::Response;

use super::http::{internal, text, Call};
use super::store::{file_stem, now_ms, random_id};

/// Write the message in the request body; `resource` is `<worker>/<binding>`.
pub fn handle(state_dir: &std::path::Path, resource: &str, call: &Call) -> Response {
    let from = call.header("X-Edge-From").unwrap_or_default();
    let to = call.header("X-Edge-To").unwrap_or_default();
    let (worker, binding) = resource.split_once('/').unwrap_or((resource, "email"));
    let dir = state_dir
        .join("email")
        .join(file_stem(worker))
        .join(file_stem(binding));
    let id = format!("{}-{}", now_ms(), &random_id()[..8]);
    let path = dir.join(format!("{id}.eml"));
    let written = std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, &call.body));
    if let Err(e) = written {
        return internal(format!("{}: {e}", path.display()));
    }
    eprintln!(
        "[email] {binding}: {from} -> {to} ({} bytes) written to {}",
        call.body.len(),
        path.display()
    );
    text(StatusCode::OK, format!("<{id}@cargo-edge.local>"))
}
