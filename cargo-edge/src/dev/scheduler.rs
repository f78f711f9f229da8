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
            target: "edge::activity",
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

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    use tokio::sync::mpsc;

    use super::*;

    /// A stand-in dispatcher that answers `{"outcome":"ok"}` and reports each request body.
    fn fake_dispatcher() -> (String, mpsc::UnboundedReceiver<Value>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let mut stream = stream.unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let answer = "{\"outcome\":\"ok\"}";
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    answer.len()
                );
                stream
                    .write_all(format!("{head}{answer}").as_bytes())
                    .unwrap();
                let _ = tx.send(serde_json::from_slice(&body).unwrap());
            }
        });
        (url, rx)
    }

    #[tokio::test(start_paused = true)]
    async fn fires_each_minute_on_the_minute() {
        let (url, bodies) = fake_dispatcher();
        let dispatcher = Arc::new(Dispatcher::new(Some(url), "t".into()));
        let spec = CronSpec {
            worker: "USER".into(),
            cron: "* * * * *".into(),
        };
        let (stop, stopped) = watch::channel(false);
        let task = spawn(dispatcher, spec, Cron::parse("* * * * *").unwrap(), stopped);
        // Time is paused: the runtime jumps to each minute while the test waits.
        let mut bodies = bodies;
        let bodies = [bodies.recv().await.unwrap(), bodies.recv().await.unwrap()];
        let times: Vec<i64> = bodies
            .iter()
            .map(|b| b["scheduledTime"].as_i64().unwrap())
            .collect();
        assert_eq!(times[0] % 60_000, 0);
        assert_eq!(times[1] - times[0], 60_000);
        assert_eq!(bodies[0]["cron"], "* * * * *");
        assert_eq!(bodies[0]["worker"], "USER");
        let _ = stop.send(true);
        task.await.unwrap();
    }
}
