//! A cache in Workers KV.
//!
//! - `PUT /:key` stores the body for `CACHE_TTL` seconds (KV deletes it then)
//! - `GET /:key` answers it with `x-cache: hit`, or 404 with `x-cache: miss`
//! - `GET /:key/hits` counts the hits of a key. Counting is a KV write the reader should not
//!   wait for, so it runs after the response is sent, with `ctx.wait_until`.

use worker::*;

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    // Routes get the event's `Context` as their data, to hand work to `wait_until`.
    Router::with_data(&ctx)
        .get_async("/:key", |_, route| async move {
            let key = route.param("key").cloned().unwrap_or_default();
            let cache = route.kv("CACHE")?;
            let Some(value) = cache.get(&key).text().await? else {
                return Ok(Response::error("not cached", 404)?.with_headers(cache_header("miss")?));
            };
            route.data.wait_until(count_hit(cache, key));
            Ok(Response::ok(value)?.with_headers(cache_header("hit")?))
        })
        .get_async("/:key/hits", |_, route| async move {
            let key = route.param("key").cloned().unwrap_or_default();
            let hits = route.kv("CACHE")?.get(&hits_key(&key)).text().await?;
            Response::ok(hits.unwrap_or_else(|| "0".into()))
        })
        .put_async("/:key", |mut req, route| async move {
            let key = route.param("key").cloned().unwrap_or_default();
            if key.starts_with("hits:") {
                return Response::error("keys starting with `hits:` are the hit counters", 400);
            }
            let ttl: u64 = route.var("CACHE_TTL")?.to_string().parse().unwrap_or(3600);
            let body = req.text().await?;
            // KV's smallest TTL is 60 seconds.
            let put = route.kv("CACHE")?.put(&key, body)?.expiration_ttl(ttl.max(60));
            put.execute().await?;
            Response::ok("cached")
        })
        .run(req, env)
        .await
}

fn hits_key(key: &str) -> String {
    format!("hits:{key}")
}

fn cache_header(state: &str) -> Result<Headers> {
    let headers = Headers::new();
    headers.set("x-cache", state)?;
    Ok(headers)
}

/// Add one to the key's hit counter. KV is eventually consistent and has no increment, so
/// concurrent hits can be lost: good enough for a statistic, use a Durable Object for a count
/// that must be exact.
async fn count_hit(cache: kv::KvStore, key: String) {
    let counter = hits_key(&key);
    let hits = match cache.get(&counter).text().await {
        Ok(value) => value.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0),
        Err(error) => return console_error!("reading {counter}: {error}"),
    };
    let written = match cache.put(&counter, (hits + 1).to_string()) {
        Ok(put) => put.execute().await,
        Err(error) => Err(error),
    };
    if let Err(error) = written {
        console_error!("writing {counter}: {error}");
    }
}
