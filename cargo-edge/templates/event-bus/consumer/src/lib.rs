//! The consumer: it has no routes of its own; Cloudflare (and `cargo edge dev` locally) hands it
//! the `{{name}}-events` queue in batches of up to 10. Each event is "sent" (here: recorded in
//! the `EVENT_LOG` namespace the producer reads back) and acknowledged; an event that fails is
//! retried up to 3 times, then moved to the `{{name}}-events-dlq` dead-letter queue.

use serde::{Deserialize, Serialize};
use worker::*;

#[derive(Serialize, Deserialize)]
struct Event {
    id: String,
    kind: String,
    email: String,
}

#[event(queue)]
async fn queue(batch: MessageBatch<Event>, env: Env, _ctx: Context) -> Result<()> {
    let log = env.kv("EVENT_LOG")?;
    for message in batch.messages()? {
        let event = message.body();
        let record = serde_json::json!({
            "id": event.id,
            "kind": event.kind,
            "email": event.email,
            "message_id": message.id(),
            "handled_at": Date::now().to_string(),
        });
        // One message at a time: a failure retries this message only, not the whole batch.
        match log.put(&event.id, record.to_string())?.execute().await {
            Ok(()) => message.ack(),
            Err(error) => {
                console_error!("event {}: {error}", event.id);
                message.retry();
            }
        }
    }
    Ok(())
}

#[event(fetch)]
async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    Response::error("this worker only consumes the {{name}}-events queue", 404)
}
