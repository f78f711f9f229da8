use serde::{Deserialize, Serialize};
use worker::*;

#[derive(Serialize, Deserialize)]
struct Todo {
    id: i64,
    title: String,
}

/// `POST /todos` adds the body as a todo; `GET /todos` lists them. The table comes from
/// `migrations/`, applied by `cargo edge dev` locally and `cargo edge d1 migrations apply DB --remote`.
#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get_async("/todos", |_, ctx| async move {
            let todos: Vec<Todo> = ctx.d1("DB")?.prepare("SELECT id, title FROM todos ORDER BY id").all().await?.results()?;
            Response::from_json(&todos)
        })
        .post_async("/todos", |mut req, ctx| async move {
            let title = req.text().await?;
            let statement = ctx.d1("DB")?.prepare("INSERT INTO todos (title) VALUES (?1) RETURNING id, title");
            let todo: Option<Todo> = statement.bind(&[title.into()])?.first(None).await?;
            Response::from_json(&todo)
        })
        .run(req, env)
        .await
}
