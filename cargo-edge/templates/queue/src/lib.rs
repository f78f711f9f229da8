//! Queue-based processing: the API answers at once and a batch consumer does the slow work.
//!
//! - `PUT /images/:name` stores the upload in R2 under `uploads/<name>` and queues a job → `202`
//! - the consumer (this same worker, `#[event(queue)]`) takes jobs in batches of up to 10, reads
//!   each upload back and writes its result to `processed/<name>.json`
//! - `GET /results/:name` serves that result, or `404` while the job is still queued
//!
//! Replace `process` with real work (resizing, transcoding, calling an API): it runs with the
//! consumer's time limits, not the request's.

use serde::{Deserialize, Serialize};
use worker::*;

/// A job on the `{{name}}-jobs` queue.
#[derive(Serialize, Deserialize)]
struct Job {
    name: String,
    content_type: String,
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .put_async("/images/:name", |mut req, ctx| async move {
            let name = ctx.param("name").cloned().unwrap_or_default();
            let content_type = req
                .headers()
                .get("content-type")?
                .unwrap_or_else(|| "application/octet-stream".into());
            let bytes = req.bytes().await?;
            if bytes.is_empty() {
                return Response::error("send the image as the request body", 400);
            }
            let metadata = HttpMetadata {
                content_type: Some(content_type.clone()),
                ..Default::default()
            };
            ctx.bucket("IMAGES")?
                .put(format!("uploads/{name}"), bytes)
                .http_metadata(metadata)
                .execute()
                .await?;
            let job = Job {
                name: name.clone(),
                content_type,
            };
            ctx.env.queue("JOBS")?.send(&job).await?;
            Ok(Response::ok(format!("queued {name}"))?.with_status(202))
        })
        .get_async("/results/:name", |_, ctx| async move {
            let name = ctx.param("name").cloned().unwrap_or_default();
            let key = format!("processed/{name}.json");
            match ctx.bucket("IMAGES")?.get(&key).execute().await? {
                Some(object) => {
                    let body = object.body().ok_or("result without a body")?.text().await?;
                    let headers = Headers::new();
                    headers.set("content-type", "application/json")?;
                    Ok(Response::ok(body)?.with_headers(headers))
                }
                None => Response::error("not processed yet", 404),
            }
        })
        .run(req, env)
        .await
}

#[event(queue)]
async fn consume(batch: MessageBatch<Job>, env: Env, _ctx: Context) -> Result<()> {
    let bucket = env.bucket("IMAGES")?;
    let messages = batch.messages()?;
    let size = messages.len();
    for message in messages {
        // Each message is acknowledged or retried on its own, so one bad upload does not send
        // the whole batch round again. After `max_retries` it goes to the dead-letter queue.
        match process(&bucket, message.body(), size).await {
            Ok(()) => message.ack(),
            Err(error) => {
                console_error!("job {}: {error}", message.body().name);
                message.retry();
            }
        }
    }
    Ok(())
}

/// The slow part: here, read the upload and record what a thumbnailer would need.
async fn process(bucket: &Bucket, job: &Job, batch_size: usize) -> Result<()> {
    let upload = bucket
        .get(format!("uploads/{}", job.name))
        .execute()
        .await?
        .ok_or_else(|| Error::RustError(format!("uploads/{} is gone", job.name)))?;
    let bytes = upload.body().ok_or("upload without a body")?.bytes().await?;
    let result = serde_json::json!({
        "name": job.name,
        "content_type": job.content_type,
        "bytes": bytes.len(),
        "batch_size": batch_size,
    });
    bucket
        .put(format!("processed/{}.json", job.name), result.to_string())
        .execute()
        .await?;
    Ok(())
}
