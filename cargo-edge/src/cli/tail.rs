//! `cargo edge tail`: the deployed worker's live events, one readable block each (or one JSON
//! object per line with `--format json`), until Ctrl-C; the tail is deleted on the way out.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::failure::{plain, CommandResult};
use super::flags::WorkerArgs;
use super::remote::{connect, script_path};
use crate::tail::{self, event, filters::TailFilters};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TailFormat {
    Pretty,
    Json,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo edge tail --env prod\n  cargo edge tail --status error --method POST --format json\n  cargo edge tail --header x-user:ada --search timeout --sampling-rate 0.1"
)]
pub struct TailArgs {
    #[command(flatten)]
    pub worker: WorkerArgs,
    /// How to print events: readable blocks, or one JSON object per line
    #[arg(long, value_enum, default_value_t = TailFormat::Pretty)]
    pub format: TailFormat,
    /// Only events with this outcome: ok, error or canceled (repeatable)
    #[arg(long, value_parser = ["ok", "error", "canceled"])]
    pub status: Vec<String>,
    /// Only requests with this HTTP method (repeatable)
    #[arg(long)]
    pub method: Vec<String>,
    /// Only requests with this header, `KEY` or `KEY:VALUE`
    #[arg(long)]
    pub header: Option<String>,
    /// Only events whose logs contain TEXT
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Only requests from this client IP (repeatable)
    #[arg(long)]
    pub ip: Vec<String>,
    /// Keep this fraction of the events (0 < RATE < 1)
    #[arg(long, value_name = "RATE")]
    pub sampling_rate: Option<f64>,
    /// Only events of this version of the worker
    #[arg(long, value_name = "ID")]
    pub version_id: Option<String>,
    /// Stop after N events (for scripts)
    #[arg(long, value_name = "N", hide = true)]
    pub max_events: Option<usize>,
}

pub fn tail(args: TailArgs) -> CommandResult {
    let (client, worker, account) = connect(&args.worker)?;
    let filters = TailFilters {
        status: args.status,
        method: args.method,
        header: args.header,
        search: args.search,
        ip: args.ip,
        sampling_rate: args.sampling_rate,
        version_id: args.version_id,
    };
    filters
        .message()
        .map_err(|e| plain(e, "see `cargo edge tail --help`"))?;
    let stop = Arc::new(AtomicBool::new(false));
    watch_ctrl_c(stop.clone());
    let name = worker.name.clone();
    let summary = tail::run(
        &client,
        &script_path(&account, &worker),
        &filters,
        &stop,
        args.max_events,
        |e| match args.format {
            TailFormat::Json => println!("{e}"),
            TailFormat::Pretty => println!("{}", event::render(e)),
        },
        |status| eprintln!("{:>12} `{name}`: {status}", "Tailing"),
    )?;
    eprintln!(
        "{:>12} `{name}`: {} events, {} reconnects; the tail is deleted",
        "Stopped", summary.events, summary.reconnects
    );
    Ok(())
}

/// Set `stop` on Ctrl-C (SIGINT), from a small thread of its own.
fn watch_ctrl_c(stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            let _ = tokio::signal::ctrl_c().await;
        });
        stop.store(true, Ordering::SeqCst);
    });
}
