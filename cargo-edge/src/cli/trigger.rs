//! `cargo edge trigger cron|email`: ask a running `cargo edge dev` to fire a cron now, or to
//! deliver an email to the worker's `#[event(email)]` handler.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::failure::{plain, CommandResult, Failure};
use crate::error::exit;

#[derive(Debug, Args)]
pub struct TriggerArgs {
    #[command(subcommand)]
    pub event: TriggerEvent,
}

#[derive(Debug, Subcommand)]
pub enum TriggerEvent {
    /// Fire a cron now
    Cron {
        /// The cron expression, as written in [package.metadata.edge] crons
        cron: String,
        /// The port `cargo edge dev` serves on
        #[arg(long, default_value_t = 8787)]
        port: u16,
    },
    /// Deliver an email (a raw RFC 5322 message) to the worker's email handler
    #[command(
        after_help = "Exit status: 0 when the worker accepted the email (its replies and \
forwards are written as .eml files under the state folder and listed), 1 when it rejected it \
(setReject) or its handler failed, 3 when the message was refused before the worker saw it \
(no Message-ID, over 25 MiB), 4 when no `cargo edge dev` answers on the port.\n\
The same as wrangler's: curl -X POST 'http://127.0.0.1:8787/cdn-cgi/handler/email?from=A&to=B' --data-binary @FILE.eml"
    )]
    Email {
        /// The envelope sender (SMTP MAIL FROM)
        #[arg(long, value_name = "ADDRESS")]
        from: String,
        /// The envelope recipient (SMTP RCPT TO)
        #[arg(long, value_name = "ADDRESS")]
        to: String,
        /// The raw message (`-` reads standard input)
        file: PathBuf,
        /// The port `cargo edge dev` serves on
        #[arg(long, default_value_t = 8787)]
        port: u16,
    },
}

pub fn trigger(args: TriggerArgs) -> CommandResult {
    match args.event {
        TriggerEvent::Cron { cron, port } => trigger_cron(&cron, port),
        TriggerEvent::Email {
            from,
            to,
            file,
            port,
        } => trigger_email(&from, &to, &file, port),
    }
}

/// `cargo edge trigger cron EXPR`: ask a running `cargo edge dev` to fire a cron now.
fn trigger_cron(expression: &str, port: u16) -> CommandResult {
    let cron = expression.replace(' ', "+").replace('/', "%2F");
    let url = format!(
        "http://127.0.0.1:{port}{}?cron={cron}",
        crate::dev::proxy::TRIGGER_CRON_PATH
    );
    let response = reqwest::blocking::Client::new()
        .post(&url)
        .send()
        .map_err(|e| not_reached(port, e))?;
    let status = response.status().as_u16();
    let body = response.text().unwrap_or_default();
    if status == 200 {
        println!("cron `{expression}` fired: {}", body.trim());
        Ok(())
    } else {
        Err(plain(
            format!("cron `{expression}` was not fired: {}", body.trim()),
            "use the expression exactly as written in [package.metadata.edge] crons",
        ))
    }
}

fn not_reached(port: u16, error: reqwest::Error) -> Failure {
    let mut failure = plain(
        format!("could not reach `cargo edge dev` on port {port}: {error}"),
        "start it with `cargo edge dev`, or pass --port",
    );
    failure.code = exit::SETUP;
    failure
}

/// `cargo edge trigger email --from A --to B FILE`: deliver the message through dev's
/// `/cdn-cgi/handler/email` and report what the worker did.
fn trigger_email(from: &str, to: &str, file: &std::path::Path, port: u16) -> CommandResult {
    let raw = match file.to_str() {
        Some("-") => {
            let mut raw = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut raw).map(|_| raw)
        }
        _ => std::fs::read(file),
    }
    .map_err(|e| {
        plain(
            format!("cannot read {}: {e}", file.display()),
            "give the path of a raw email (.eml)",
        )
    })?;
    let query = format!("from={}&to={}&format=json", encode(from), encode(to));
    let url = format!(
        "http://127.0.0.1:{port}{}?{query}",
        crate::dev::proxy::EMAIL_PATH
    );
    let response = reqwest::blocking::Client::new()
        .post(&url)
        .body(raw)
        .send()
        .map_err(|e| not_reached(port, e))?;
    let body = response.text().unwrap_or_default();
    let Ok(answer) = serde_json::from_str::<serde_json::Value>(&body) else {
        return Err(plain(
            format!("the email was not delivered: {}", body.trim()),
            "see the terminal running `cargo edge dev`",
        ));
    };
    report(&answer)
}

/// Print what the worker sent and turn its verdict into the exit status.
fn report(answer: &serde_json::Value) -> CommandResult {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    for warning in answer["warnings"].as_array().into_iter().flatten() {
        eprintln!("warning: {}", text(warning));
    }
    for reply in answer["replies"].as_array().into_iter().flatten() {
        let (from, to) = (text(&reply["sender"]), text(&reply["to"]));
        println!("replied {from} -> {to}: {}", text(&reply["file"]));
    }
    for forward in answer["forwards"].as_array().into_iter().flatten() {
        let (to, file) = (text(&forward["recipient"]), text(&forward["file"]));
        println!("forwarded to {to}: {file}");
    }
    let error = text(&answer["error"]);
    let failed = |message: String, help: &str, code: u8| -> CommandResult {
        let mut failure = plain(message, help);
        failure.code = code;
        Err(failure)
    };
    match (text(&answer["outcome"]).as_str(), &answer["rejectReason"]) {
        ("ok", serde_json::Value::String(reason)) => failed(
            format!("the worker rejected the email: {reason}"),
            "Email Routing answers the sender with this reason (a permanent SMTP error)",
            exit::FAILURE,
        ),
        ("ok", _) => {
            println!("email accepted by the worker");
            Ok(())
        }
        ("invalid", _) => failed(
            format!("the email was not delivered: {error}"),
            "give a raw RFC 5322 message with a Message-ID header",
            exit::CONFIG,
        ),
        _ => failed(
            format!("the worker's email handler failed: {error}"),
            "see the terminal running `cargo edge dev` for its output",
            exit::FAILURE,
        ),
    }
}

/// Percent-encode a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
