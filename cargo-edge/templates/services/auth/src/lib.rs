//! The auth worker: it answers only the gateway (it has no public route: `workers_dev = false`
//! and no routes in its metadata). `POST /verify` maps a bearer token to a user.

use std::collections::HashMap;

use worker::*;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .post("/verify", |req, ctx| {
            let token = req
                .headers()
                .get("Authorization")?
                .and_then(|value| value.strip_prefix("Bearer ").map(str::to_string));
            // A JSON var in the metadata table; a real service would look tokens up in KV or D1,
            // and keep them in secrets (`cargo edge secret put`).
            let users: HashMap<String, String> = ctx.env.object_var("TOKENS")?;
            match token.and_then(|t| users.get(&t).cloned()) {
                Some(user) => Response::from_json(&serde_json::json!({ "user": user })),
                None => Response::error("unknown token", 401),
            }
        })
        .run(req, env)
        .await
}
