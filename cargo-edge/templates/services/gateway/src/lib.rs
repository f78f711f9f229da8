//! The public gateway. It owns no users: every request that needs one asks the auth worker over
//! the `AUTH` service binding, a direct call inside Cloudflare (no public URL, no network hop).

use serde::Deserialize;
use worker::*;

/// What the auth worker answers for a valid token.
#[derive(Deserialize)]
struct Identity {
    user: String,
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get("/", |_, _| Response::ok("{{name}} gateway: try GET /me with a bearer token"))
        .get_async("/me", |req, ctx| async move {
            match identify(&req, &ctx.env).await? {
                Some(identity) => {
                    Response::from_json(&serde_json::json!({ "hello": identity.user }))
                }
                None => Response::error("missing or unknown bearer token", 401),
            }
        })
        .run(req, env)
        .await
}

/// Ask the auth worker who the request's bearer token belongs to.
async fn identify(req: &Request, env: &Env) -> Result<Option<Identity>> {
    let Some(authorization) = req.headers().get("Authorization")? else {
        return Ok(None);
    };
    let headers = Headers::new();
    headers.set("Authorization", &authorization)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers);
    // The host is ignored by a service binding; the path is what the auth worker routes on.
    let check = Request::new_with_init("https://auth/verify", &init)?;
    let mut answer = env.service("AUTH")?.fetch_request(check).await?;
    match answer.status_code() {
        200 => Ok(Some(answer.json().await?)),
        401 => Ok(None),
        other => Err(Error::RustError(format!("auth answered {other}"))),
    }
}
