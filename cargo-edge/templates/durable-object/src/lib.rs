//! One counter per name, each in its own Durable Object: every request for a name reaches the
//! same single instance, wherever it comes from, so counting needs no locks or transactions.
//!
//! Counts are per window: the first hit of a window sets an alarm `WINDOW_SECONDS` ahead; the
//! alarm closes the window (saves its count as `last_window`) and starts the next at zero. That
//! is the shape of a rate limiter, a usage meter or a periodic flush.

use serde::{Deserialize, Serialize};
use std::time::Duration;
use worker::*;

/// `POST /counter/:name` counts a hit, `GET /counter/:name` reads the counter.
#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .on_async("/counter/:name", |req, ctx| async move {
            let name = ctx.param("name").cloned().unwrap_or_default();
            // The same name always gives the same id, hence the same object.
            let stub = ctx
                .durable_object("COUNTERS")?
                .id_from_name(&name)?
                .get_stub()?;
            stub.fetch_with_request(req).await
        })
        .run(req, env)
        .await
}

/// What a counter answers.
#[derive(Serialize)]
struct Snapshot {
    count: u64,
    /// When the current window closes (ms since the epoch), if it has started.
    window_closes_at: Option<i64>,
    last_window: Option<Window>,
}

/// A closed window.
#[derive(Serialize, Deserialize)]
struct Window {
    count: u64,
    closed_at: u64,
}

#[durable_object]
pub struct Counter {
    state: State,
    env: Env,
}

impl DurableObject for Counter {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let storage = self.state.storage();
        match req.method() {
            Method::Get => {}
            Method::Post => {
                let count = storage.get::<u64>("count").await?.unwrap_or(0) + 1;
                storage.put("count", count).await?;
                // One alarm per object at a time: set it when a window opens.
                if storage.get_alarm().await?.is_none() {
                    storage.set_alarm(self.window()?).await?;
                }
            }
            _ => return Response::error("use GET or POST", 405),
        }
        Response::from_json(&Snapshot {
            count: storage.get("count").await?.unwrap_or(0),
            window_closes_at: storage.get_alarm().await?,
            last_window: storage.get("last_window").await?,
        })
    }

    /// Runs once the alarm time has passed, even if no request comes; retried on error.
    async fn alarm(&self) -> Result<Response> {
        let storage = self.state.storage();
        let count = storage.get::<u64>("count").await?.unwrap_or(0);
        let closed_at = Date::now().as_millis();
        storage
            .put("last_window", Window { count, closed_at })
            .await?;
        storage.put("count", 0u64).await?;
        console_log!("window closed at {count}");
        Response::ok("window closed")
    }
}

impl Counter {
    fn window(&self) -> Result<Duration> {
        let seconds = self.env.var("WINDOW_SECONDS")?.to_string();
        let seconds = seconds.parse().map_err(|_| {
            Error::RustError(format!("WINDOW_SECONDS is `{seconds}`, not a number"))
        })?;
        Ok(Duration::from_secs(seconds))
    }
}
