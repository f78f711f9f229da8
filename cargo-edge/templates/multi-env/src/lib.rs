//! One crate, three deployments: dev (the default), staging and prod. Each environment is its
//! own worker (`{{name}}`, `{{name}}-staging`, `{{name}}-prod`) with its own vars, routes and
//! KV namespace, all declared in `[package.metadata.edge.env.*]` in Cargo.toml.
//!
//! - `GET /` → `{"environment": …, "api_url": …, "visits": n}`; the visit counter lives in the
//!   environment's own KV namespace, so staging traffic never shows up in prod.

use worker::*;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get_async("/", |_, ctx| async move {
            let environment = ctx.var("ENVIRONMENT")?.to_string();
            let api_url = ctx.var("API_URL")?.to_string();
            let visits = ctx.kv("VISITS")?;
            // Read-modify-write is fine for a demo counter; KV is eventually consistent, so use
            // a Durable Object where an exact count matters.
            let count = visits
                .get("count")
                .text()
                .await?
                .and_then(|text| text.parse::<u64>().ok())
                .unwrap_or(0)
                + 1;
            visits.put("count", count.to_string())?.execute().await?;
            Response::from_json(&serde_json::json!({
                "environment": environment,
                "api_url": api_url,
                "visits": count,
            }))
        })
        .run(req, env)
        .await
}
