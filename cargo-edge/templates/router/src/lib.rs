//! A JSON API for `items`, stored in Workers KV:
//!
//! | request               | answer                                         |
//! |-----------------------|------------------------------------------------|
//! | `GET /items`          | 200, every item                                |
//! | `POST /items`         | 201 and the new item (its id chosen here)      |
//! | `GET /items/:id`      | 200 and the item, or 404                       |
//! | `PUT /items/:id`      | 201 when created, 200 when replaced            |
//! | `DELETE /items/:id`   | 204, or 404                                    |
//!
//! Every error is JSON too: `{"error": "..."}` with 400 (malformed JSON, unknown field, wrong
//! type), 422 (a well-formed item with a bad value), 404 (unknown id or route), 405 (known
//! route, other method) or 500.

use serde::{Deserialize, Serialize};
use worker::*;

/// What a client sends. Unknown fields are refused rather than silently dropped.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewItem {
    name: String,
    #[serde(default)]
    quantity: u32,
}

/// What is stored and returned.
#[derive(Serialize, Deserialize)]
struct Item {
    id: String,
    name: String,
    quantity: u32,
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let answer = Router::new()
        .get_async("/items", list)
        .post_async("/items", create)
        .get_async("/items/:id", read)
        .put_async("/items/:id", replace)
        .delete_async("/items/:id", remove)
        // Anything no route above matches, in any method (`/*path` does not match `/`).
        .or_else_any_method("/", |_, _| error(404, "no such route"))
        .or_else_any_method("/*path", |_, _| error(404, "no such route"))
        .run(req, env)
        .await;
    match answer {
        // The router's own answer for a known path in another method is plain text.
        Ok(response) if response.status_code() == 405 => error(405, "method not allowed"),
        Ok(response) => Ok(response),
        // A failing binding (KV down, ...) reaches the log, not the client.
        Err(e) => {
            console_error!("{e}");
            error(500, "internal error")
        }
    }
}

async fn list(_req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let kv = ctx.kv("ITEMS")?;
    // One page of up to 1000 keys: follow `cursor` for more. KV lists are eventually
    // consistent in production (a new key can take up to a minute to be listed).
    let page = kv.list().prefix(KEY_PREFIX.into()).execute().await?;
    let mut items = Vec::with_capacity(page.keys.len());
    for key in page.keys {
        if let Some(item) = kv.get(&key.name).json::<Item>().await? {
            items.push(item);
        }
    }
    Response::from_json(&items)
}

async fn create(mut req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let new = match parse(&mut req).await {
        Ok(new) => new,
        Err(response) => return response,
    };
    let id = new_id();
    let item = store(&ctx, id, new).await?;
    let mut response = Response::from_json(&item)?.with_status(201);
    response
        .headers_mut()
        .set("Location", &format!("/items/{}", item.id))?;
    Ok(response)
}

async fn read(_req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let id = ctx.param("id").cloned().unwrap_or_default();
    match ctx.kv("ITEMS")?.get(&key(&id)).json::<Item>().await? {
        Some(item) => Response::from_json(&item),
        None => error(404, &format!("no item `{id}`")),
    }
}

async fn replace(mut req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let id = ctx.param("id").cloned().unwrap_or_default();
    if id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return error(400, "an id is 1 to 64 letters, digits or `-`");
    }
    let new = match parse(&mut req).await {
        Ok(new) => new,
        Err(response) => return response,
    };
    let existed = ctx.kv("ITEMS")?.get(&key(&id)).text().await?.is_some();
    let item = store(&ctx, id, new).await?;
    Ok(Response::from_json(&item)?.with_status(if existed { 200 } else { 201 }))
}

async fn remove(_req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let id = ctx.param("id").cloned().unwrap_or_default();
    let kv = ctx.kv("ITEMS")?;
    if kv.get(&key(&id)).text().await?.is_none() {
        return error(404, &format!("no item `{id}`"));
    }
    kv.delete(&key(&id)).await?;
    Ok(Response::empty()?.with_status(204))
}

/// The body as a [`NewItem`], or the error response to send instead.
async fn parse(req: &mut Request) -> std::result::Result<NewItem, Result<Response>> {
    let text = req.text().await.map_err(Err)?;
    let new: NewItem = serde_json::from_str(&text)
        .map_err(|e| error(400, &format!("the body is not an item: {e}")))?;
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(error(422, "`name` must be 1 to 100 characters"));
    }
    Ok(NewItem {
        name: name.to_string(),
        quantity: new.quantity,
    })
}

async fn store(ctx: &RouteContext<()>, id: String, new: NewItem) -> Result<Item> {
    let item = Item {
        id,
        name: new.name,
        quantity: new.quantity,
    };
    // Stored as a JSON string: KV keeps strings, bytes and streams, not objects.
    let json = serde_json::to_string(&item)?;
    ctx.kv("ITEMS")?
        .put(&key(&item.id), json)?
        .execute()
        .await?;
    Ok(item)
}

const KEY_PREFIX: &str = "item:";

fn key(id: &str) -> String {
    format!("{KEY_PREFIX}{id}")
}

/// 16 random hex digits. `Math.random` is fine for ids nobody needs to guess; use
/// `crypto.getRandomValues` for tokens.
fn new_id() -> String {
    let half = || (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    format!("{:08x}{:08x}", half(), half())
}

/// `{"error": message}` with `status`.
fn error(status: u16, message: &str) -> Result<Response> {
    Ok(Response::from_json(&serde_json::json!({ "error": message }))?.with_status(status))
}
