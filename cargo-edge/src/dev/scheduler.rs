//! Crons: one task per configured cron fires it on its schedule through the dispatcher, and
//! [`fire`] fires one now (the server's `POST /__edge/trigger/cron?cron=<expr>`).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;

use super::cron::Cron;
use super::dispatch::{DispatchError, Dispatcher};
use super::server::CronSpec;
use super::store::now_ms;

/// Deliver a scheduled event for `spec.cron` at `scheduled_time` (ms) and return the
/// dispatcher's `{outcome, noRetry}`.
pub async fn fire(
    dispatcher: &Dispatcher,
    spec: &CronSpec,
    scheduled_time: i64,
) -> Result<Value, DispatchError> {
    let request =
        json!({ "worker": spec.worker, "cron": spec.cron, "scheduledTime": scheduled_time });
    let result = dispatcher.post("/scheduled", request).await;
    match &result {
        Ok(r) => tracing::info!(
            "cron `{}`: {}",
            spec.cron,
            r["outcome"].as_str().unwrap_or("?")
        ),
        Err(e) => tracing::warn!("cron `{}`: {e}", spec.cron),
    }
    result
}

/// Start the task that fires `spec` on its schedule until `shutdown` turns true.
pub fn spawn(
    dispatcher: Arc<Dispatcher>,
    spec: CronSpec,
    cron: Cron,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut after = now_ms();
        while let Some(at) = cron.next_after(after) {
            let wait = Duration::from_millis((at - now_ms()).max(0) as u64);
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            if *shutdown.borrow() {
                return;
            }
            let _ = fire(&dispatcher, &spec, at).await;
            after = at;
        }
    })
}
