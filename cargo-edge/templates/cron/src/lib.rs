//! A scheduled worker: every cron in `crons` (Cargo.toml) calls `scheduled`, which records the
//! run in KV; `GET /runs` shows the latest runs. Replace the body of `record` with the real job
//! (a cleanup, a report, a sync); keep it idempotent, since a run can be retried.

use serde::{Deserialize, Serialize};
use worker::*;

/// How many runs `/runs` keeps.
const KEEP: usize = 10;

#[derive(Serialize, Deserialize)]
struct Run {
    /// The expression that fired, as written in `crons`.
    cron: String,
    /// When it was due (ms since the epoch); the run starts shortly after.
    scheduled_time: u64,
    /// When it ran.
    ran_at: u64,
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    // A scheduled handler has no response: failures go to the log (`cargo edge dev` prints it,
    // `wrangler tail` or the dashboard in production).
    if let Err(e) = record(&event, &env).await {
        console_error!("cron {} failed: {e}", event.cron());
    }
}

async fn record(event: &ScheduledEvent, env: &Env) -> Result<()> {
    let kv = env.kv("RUNS")?;
    let mut runs: Vec<Run> = kv.get("runs").json().await?.unwrap_or_default();
    runs.insert(
        0,
        Run {
            cron: event.cron(),
            scheduled_time: event.schedule() as u64,
            ran_at: Date::now().as_millis(),
        },
    );
    runs.truncate(KEEP);
    kv.put("runs", serde_json::to_string(&runs)?)?
        .execute()
        .await?;
    console_log!("cron {} ran", event.cron());
    Ok(())
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get_async("/runs", |_, ctx| async move {
            let runs: Vec<Run> = ctx
                .kv("RUNS")?
                .get("runs")
                .json()
                .await?
                .unwrap_or_default();
            Response::from_json(&runs)
        })
        .run(req, env)
        .await
}
