use worker::*;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get("/", |_, ctx| {
            let greeting = ctx.var("GREETING")?.to_string();
            Response::ok(format!("{greeting} from {{name}}!"))
        })
        .run(req, env)
        .await
}
