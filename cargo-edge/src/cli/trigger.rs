//! `cargo edge trigger cron`: ask a running `cargo edge dev` to fire a cron now.

use clap::Args;

use super::failure::{plain, CommandResult};

#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// What to fire (only `cron`)
    #[arg(value_parser = ["cron"])]
    pub kind: String,
    /// The cron expression, as written in [package.metadata.edge] crons
    pub cron: String,
    /// The port `cargo edge dev` serves on
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
}

/// `cargo edge trigger cron EXPR`: ask a running `cargo edge dev` to fire a cron now.
pub fn trigger(args: TriggerArgs) -> CommandResult {
    let cron = args.cron.replace(' ', "+").replace('/', "%2F");
    let url = format!(
        "http://127.0.0.1:{}{}?cron={cron}",
        args.port,
        crate::dev::proxy::TRIGGER_CRON_PATH
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent.post(&url).send_empty().map_err(|e| {
        plain(
            format!(
                "could not reach `cargo edge dev` on port {}: {e}",
                args.port
            ),
            "start it with `cargo edge dev`, or pass --port",
        )
    })?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    if status == 200 {
        println!("cron `{}` fired: {}", args.cron, body.trim());
        Ok(())
    } else {
        Err(plain(
            format!("cron `{}` was not fired: {}", args.cron, body.trim()),
            "use the expression exactly as written in [package.metadata.edge] crons",
        ))
    }
}
