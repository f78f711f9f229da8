//! A single-page app in `public/` with a JSON API in Rust under `/api/*`.
//!
//! Cloudflare serves the files in `public/` itself; the worker runs only for `/api/*`
//! (`run_worker_first`). `env.ASSETS` lets the worker read the same files.

use serde::{Deserialize, Serialize};
use worker::*;

#[derive(Serialize, Deserialize, Clone)]
struct Todo {
    id: u32,
    title: String,
}

#[derive(Deserialize)]
struct NewTodo {
    title: String,
}

fn seed() -> Vec<Todo> {
    vec![
        Todo { id: 1, title: "Read the README".into() },
        Todo { id: 2, title: "Edit public/index.html".into() },
    ]
}

fn json_error(message: &str, status: u16) -> Result<Response> {
    Ok(Response::from_json(&serde_json::json!({ "error": message }))?.with_status(status))
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get("/api/todos", |_, _| Response::from_json(&seed()))
        .post_async("/api/todos", |mut req, _| async move {
            let Ok(new) = req.json::<NewTodo>().await else {
                return json_error("expected {\"title\": \"...\"}", 400);
            };
            if new.title.trim().is_empty() {
                return json_error("title must not be empty", 422);
            }
            let todo = Todo { id: seed().len() as u32 + 1, title: new.title };
            Ok(Response::from_json(&todo)?.with_status(201))
        })
        .get_async("/api/asset/*path", |req, ctx| async move {
            // Read a file of public/ through the ASSETS binding, with Cloudflare's rules.
            let path = ctx.param("path").cloned().unwrap_or_default();
            let mut url = req.url()?;
            url.set_path(&format!("/{path}"));
            let mut init = RequestInit::new();
            init.with_headers(req.headers().clone());
            let assets = ctx.env.assets("ASSETS")?;
            let mut asset = assets.fetch(url.to_string(), Some(init)).await?;
            let body = asset.text().await?;
            Response::from_json(&serde_json::json!({
                "path": format!("/{path}"),
                "status": asset.status_code(),
                "etag": asset.headers().get("etag")?,
                "content_type": asset.headers().get("content-type")?,
                "bytes": body.len(),
            }))
        })
        .or_else_any_method("/api/*rest", |_, _| json_error("no such API route", 404))
        .run(req, env)
        .await
}
