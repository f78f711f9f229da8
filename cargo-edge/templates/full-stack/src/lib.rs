//! A notes service on every storage binding: D1 holds the notes, KV caches the list, R2 holds
//! attachments and exports, and a queue builds the exports in the background.
//!
//! - `POST /notes` `{"title": "...", "body": "..."}` → the note (D1); the cached list is dropped
//!   and an export job is queued
//! - `GET /notes` → every note, from KV when cached (60 s), else from D1
//! - `GET /notes/:id/export` → the export the consumer wrote to R2, `404` until then
//! - `PUT|GET /files/:key` → attachments in R2

use serde::{Deserialize, Serialize};
use worker::*;

const LIST_KEY: &str = "notes:list";

#[derive(Serialize, Deserialize)]
struct Note {
    id: i64,
    title: String,
    body: String,
}

#[derive(Deserialize)]
struct NewNote {
    title: String,
    body: String,
}

/// A job on the `{{name}}-exports` queue.
#[derive(Serialize, Deserialize)]
struct ExportJob {
    id: i64,
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .post_async("/notes", |mut req, ctx| async move {
            let Ok(new) = req.json::<NewNote>().await else {
                return Response::error(r#"send JSON: {"title": "...", "body": "..."}"#, 400);
            };
            if new.title.trim().is_empty() {
                return Response::error("`title` is empty", 400);
            }
            let note: Note = ctx
                .d1("DB")?
                .prepare("INSERT INTO notes (title, body) VALUES (?1, ?2) RETURNING id, title, body")
                .bind(&[new.title.into(), new.body.into()])?
                .first(None)
                .await?
                .ok_or("the insert returned no row")?;
            ctx.kv("CACHE")?.delete(LIST_KEY).await?;
            ctx.env.queue("EXPORTS")?.send(ExportJob { id: note.id }).await?;
            Ok(Response::from_json(&note)?.with_status(201))
        })
        .get_async("/notes", |_, ctx| async move {
            let cache = ctx.kv("CACHE")?;
            if let Some(cached) = cache.get(LIST_KEY).json::<Vec<Note>>().await? {
                return Ok(Response::from_json(&cached)?.with_headers(source("kv")?));
            }
            let notes: Vec<Note> = ctx
                .d1("DB")?
                .prepare("SELECT id, title, body FROM notes ORDER BY id")
                .all()
                .await?
                .results()?;
            cache.put(LIST_KEY, &notes)?.expiration_ttl(60).execute().await?;
            Ok(Response::from_json(&notes)?.with_headers(source("d1")?))
        })
        .get_async("/notes/:id/export", |_, ctx| async move {
            let id = ctx.param("id").cloned().unwrap_or_default();
            match ctx.bucket("FILES")?.get(format!("exports/{id}.md")).execute().await? {
                Some(object) => Response::ok(object.body().ok_or("no body")?.text().await?),
                None => Response::error("no export yet", 404),
            }
        })
        .put_async("/files/:key", |mut req, ctx| async move {
            let key = ctx.param("key").cloned().unwrap_or_default();
            let bytes = req.bytes().await?;
            let size = bytes.len();
            ctx.bucket("FILES")?.put(format!("files/{key}"), bytes).execute().await?;
            Ok(Response::ok(format!("stored {size} bytes"))?.with_status(201))
        })
        .get_async("/files/:key", |_, ctx| async move {
            let key = ctx.param("key").cloned().unwrap_or_default();
            match ctx.bucket("FILES")?.get(format!("files/{key}")).execute().await? {
                Some(object) => Response::from_bytes(object.body().ok_or("no body")?.bytes().await?),
                None => Response::error("not found", 404),
            }
        })
        .run(req, env)
        .await
}

/// Where a list came from, for the curious (and the tests).
fn source(from: &str) -> Result<Headers> {
    let headers = Headers::new();
    headers.set("x-served-from", from)?;
    Ok(headers)
}

/// Write each queued note to R2 as Markdown.
#[event(queue)]
async fn consume(batch: MessageBatch<ExportJob>, env: Env, _ctx: Context) -> Result<()> {
    let db = env.d1("DB")?;
    let files = env.bucket("FILES")?;
    for message in batch.messages()? {
        let id = message.body().id;
        let note: Option<Note> = db
            .prepare("SELECT id, title, body FROM notes WHERE id = ?1")
            .bind(&[(id as f64).into()])?
            .first(None)
            .await?;
        let Some(note) = note else {
            // Deleted before its export ran: nothing to do.
            message.ack();
            continue;
        };
        let markdown = format!("# {}\n\n{}\n", note.title, note.body);
        match files.put(format!("exports/{id}.md"), markdown).execute().await {
            Ok(_) => message.ack(),
            Err(error) => {
                console_error!("export of note {id}: {error}");
                message.retry();
            }
        }
    }
    Ok(())
}
