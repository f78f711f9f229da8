use worker::*;

/// `PUT /:key` stores the body for an hour; `GET /:key` reads it back.
#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get_async("/:key", |_, ctx| async move {
            let key = ctx.param("key").cloned().unwrap_or_default();
            match ctx.kv("CACHE")?.get(&key).text().await? {
                Some(value) => Response::ok(value),
                None => Response::error("not cached", 404),
            }
        })
        .put_async("/:key", |mut req, ctx| async move {
            let key = ctx.param("key").cloned().unwrap_or_default();
            let body = req.text().await?;
            ctx.kv("CACHE")?.put(&key, body)?.expiration_ttl(3600).execute().await?;
            Response::ok("cached")
        })
        .run(req, env)
        .await
}
