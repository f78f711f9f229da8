//! The producer: an API that turns requests into events on the `{{name}}-events` queue and
//! answers at once. The consumer worker (`consumer/`) handles them later, in batches.
//!
//! - `POST /events` with `{"kind": "signup", "email": "ada@example.com"}` → `202 {"id": …}`
//! - `GET /events/:id` → what the consumer recorded for it, or `404` while it is still queued

use std::sync::atomic::{AtomicU32, Ordering};

use serde::{Deserialize, Serialize};
use worker::*;

/// What travels on the queue: the producer and the consumer agree on this shape.
#[derive(Serialize, Deserialize)]
struct Event {
    id: String,
    kind: String,
    email: String,
}

#[derive(Deserialize)]
struct NewEvent {
    kind: String,
    email: String,
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .post_async("/events", |mut req, ctx| async move {
            let Ok(new) = req.json::<NewEvent>().await else {
                return Response::error(r#"send JSON: {"kind": "...", "email": "..."}"#, 400);
            };
            if !new.email.contains('@') {
                return Response::error("`email` is not an email address", 400);
            }
            let event = Event {
                id: next_id(),
                kind: new.kind,
                email: new.email,
            };
            ctx.env.queue("EVENTS")?.send(&event).await?;
            Ok(Response::from_json(&serde_json::json!({ "id": event.id }))?.with_status(202))
        })
        .get_async("/events/:id", |_, ctx| async move {
            let id = ctx.param("id").cloned().unwrap_or_default();
            // The consumer writes one entry per handled event into the shared log namespace.
            match ctx.kv("EVENT_LOG")?.get(&id).text().await? {
                Some(record) => Ok(Response::ok(record)?
                    .with_headers([("content-type", "application/json")].into_iter().collect())),
                None => Response::error("not handled yet", 404),
            }
        })
        .run(req, env)
        .await
}

/// A unique enough event id: the time in milliseconds and a per-isolate counter.
fn next_id() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:x}-{n}", Date::now().as_millis())
}
