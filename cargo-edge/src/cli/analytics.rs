//! `cargo edge analytics BINDING`: the Analytics Engine data points `cargo edge dev`
//! recorded, one JSON object per line (columns named as Analytics Engine's SQL API names them).

use clap::Args;

use super::context;
use super::failure::{plain, CommandResult};
use super::local::{local_state, LocalArgs};
use crate::dev;

#[derive(Debug, Args)]
pub struct AnalyticsArgs {
    /// The Analytics Engine binding (a key of [package.metadata.edge.analytics_engine])
    pub binding: String,
    /// Only the last N points
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
    #[command(flatten)]
    pub local: LocalArgs,
}

pub fn analytics(args: AnalyticsArgs) -> CommandResult {
    if !args.local.place.is_local()? {
        return Err(plain(
            "`cargo edge analytics` reads local data points only",
            "drop --remote (the points `cargo edge dev` recorded); Cloudflare's are in its SQL API",
        ));
    }
    let worker = context::load_worker(&args.local.worker)?;
    let dataset = worker
        .kind_bindings
        .get(&args.binding)
        .filter(|b| b.kind == "analytics_engine")
        .and_then(|b| b.str("dataset"))
        .ok_or_else(|| {
            let known: Vec<&String> = worker
                .kind_bindings
                .iter()
                .filter(|(_, b)| b.kind == "analytics_engine")
                .map(|(name, _)| name)
                .collect();
            plain(
                format!(
                    "`{}` has no Analytics Engine binding named `{}`",
                    worker.name, args.binding
                ),
                format!("Analytics Engine bindings in [package.metadata.edge.analytics_engine]: {known:?}"),
            )
        })?;
    let state = local_state(&worker, args.local.place.persist_to.as_deref());
    let points = dev::analytics::read(&state, dataset)
        .map_err(|e| plain(e, "check the local state folder (`.edge/state`)"))?;
    let skip = args.last.map_or(0, |n| points.len().saturating_sub(n));
    for point in &points[skip..] {
        println!("{point}");
    }
    Ok(())
}
