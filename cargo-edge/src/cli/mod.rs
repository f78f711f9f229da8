//! The command line. Each command is one file holding its clap `Args` and the function that
//! runs it; [`flags`] holds the flags many commands share, [`failure`] what a failed command
//! prints and exits with, [`context`], [`local`] and [`remote`] what commands have in common.
//! This file only defines the command enum and dispatches to the commands.

use std::process::ExitCode;

use clap::builder::styling::{AnsiColor, Effects, Styles};
use clap::{Args, Parser, Subcommand};

use crate::report::MessageFormat;

mod account;
mod analytics;
mod build;
mod compile;
mod config;
mod confirm;
mod context;
mod d1;
mod d1_remote;
mod delete;
mod deploy;
mod dev;
mod export;
mod failure;
mod flags;
mod import;
mod init;
mod input;
mod json;
mod kv;
mod kv_local;
mod kv_remote;
mod local;
mod members;
mod new;
mod package;
mod queues;
mod r2;
mod r2_remote;
mod remote;
mod remote_json;
mod rollback;
mod rollout;
mod secret;
mod size;
mod tail;
mod test;
mod trigger;
mod types;
mod versions;
mod wasm_test_cmd;
mod whoami;

// For the `testing` library module (edge-test, `cargo edge test --wasm`).
pub(crate) use context::{absent_services, bound_workers, cargo_options_for, renamed_in_env};
pub(crate) use failure::Failure;

#[cfg(test)]
mod parse_tests;

/// Cargo's own help colours, so `cargo edge --help` reads like `cargo --help`.
const CARGO_STYLES: Styles = Styles::styled()
    .header(AnsiColor::Green.on_default().effects(Effects::BOLD))
    .usage(AnsiColor::Green.on_default().effects(Effects::BOLD))
    .literal(AnsiColor::Cyan.on_default().effects(Effects::BOLD))
    .placeholder(AnsiColor::Cyan.on_default())
    .error(AnsiColor::Red.on_default().effects(Effects::BOLD))
    .valid(AnsiColor::Cyan.on_default().effects(Effects::BOLD))
    .invalid(AnsiColor::Yellow.on_default().effects(Effects::BOLD));

/// Cargo runs `cargo-edge edge <args>`; this wrapper makes that and `cargo edge` parse alike.
#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo", styles = CARGO_STYLES)]
pub enum CargoCli {
    Edge(EdgeCli),
}

/// Build, run and deploy Rust Cloudflare Workers.
#[derive(Debug, Args)]
#[command(version, about, long_about = None)]
pub struct EdgeCli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a worker project from a template
    New(new::NewArgs),
    /// Make an existing crate a worker: cdylib, the worker dependency, a size-tuned release
    /// profile and the [package.metadata.edge] table, keeping the rest of Cargo.toml as it is
    Init(init::InitArgs),
    /// Compile the worker to wasm and write its bundle (shim, glue, wasm, bundle.json)
    Build(build::BuildArgs),
    /// Render the worker's configuration: workerd capnp, wrangler.toml/jsonc, upload metadata
    Config(config::ConfigArgs),
    /// Run the worker locally in workerd with local bindings, rebuilding on save
    Dev(dev::DevArgs),
    /// Build and deploy the worker to Cloudflare
    Deploy(deploy::DeployArgs),
    /// Move traffic between the two versions of a gradual rollout
    Rollout(rollout::RolloutArgs),
    /// The worker's versions on Cloudflare: list, view, upload without deploying, deploy by share
    Versions(versions::VersionsArgs),
    /// The worker's deployments on Cloudflare: list, and the one serving now
    Deployments(versions::DeploymentsArgs),
    /// Serve an earlier version of the worker at 100% again
    Rollback(rollback::RollbackArgs),
    /// Delete the worker from Cloudflare (and, with --with-resources, what was provisioned for it)
    Delete(delete::DeleteArgs),
    /// Check the Cloudflare credentials: the accounts they reach and the permissions they carry
    Whoami(whoami::WhoamiArgs),
    /// Live logs of the deployed worker: requests, console lines, exceptions
    Tail(tail::TailArgs),
    /// The account's queues: list, info, purge
    Queues(queues::QueuesArgs),
    /// Set, list or delete the worker's secrets on Cloudflare
    Secret(secret::SecretArgs),
    /// D1: apply migrations and run SQL on local state (`cargo edge dev`'s), --remote for Cloudflare's
    D1(d1::D1Args),
    /// Read and write KV data: local state (`cargo edge dev`'s), --remote for Cloudflare's
    Kv(kv::KvArgs),
    /// Read and write R2 objects: local state (`cargo edge dev`'s), --remote for Cloudflare's
    R2(r2::R2Args),
    /// Fire a trigger of a running `cargo edge dev`
    Trigger(trigger::TriggerArgs),
    /// Read the Analytics Engine data points `cargo edge dev` recorded (local state only)
    Analytics(analytics::AnalyticsArgs),
    /// `workerd compile` the worker into one self-contained executable
    Compile(compile::CompileArgs),
    /// Write a Dockerfile or a systemd socket + service unit pair around the compiled worker
    Export(export::ExportArgs),
    /// Turn a wrangler.toml / wrangler.json(c) into [package.metadata.edge] in Cargo.toml
    Import(import::ImportArgs),
    /// Run the worker's tests: `edge-test` tests natively, `#[wasm_bindgen_test]` tests inside workerd (`--wasm`), and tests/workerd/*.js
    Test(test::TestArgs),
    /// The runner `cargo edge test --wasm` names for wasm32 test binaries
    #[command(hide = true)]
    WasmTestRunner(wasm_test_cmd::WasmTestRunnerArgs),
    /// Write a Rust module with one typed accessor per binding (default: src/edge_env.rs)
    Types(types::TypesArgs),
    /// Write a deterministic zip of the built worker and its rendered configs
    Package(package::PackageArgs),
    /// Build, then show the wasm module's bytes by crate or function, and the change since the last build
    Size(size::SizeArgs),
}

/// Parse the process arguments, run the command and turn the outcome into an exit code.
pub fn main() -> ExitCode {
    // Cargo runs `cargo-edge edge ARGS`; run directly, `cargo-edge ARGS` means the same.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_none_or(|first| first != "edge") {
        args.insert(1.min(args.len()), "edge".into());
    }
    let CargoCli::Edge(cli) = CargoCli::parse_from(args);
    init_tracing();
    run(cli)
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CARGO_EDGE_LOG")
        // `edge::activity`: what `cargo edge dev` does on its own (queue batches, crons).
        // `notify=error`: a file that is gone before it is watched (an editor's or sed's
        // temporary file) is not worth a `WARN ... WatchNotFound` line after every save.
        .unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("warn,notify=error,edge::activity=info")
        });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}

/// Run the parsed command; a failure is printed (as JSON for `--message-format json`).
pub fn run(cli: EdgeCli) -> ExitCode {
    let json = matches!(
        &cli.command,
        Command::Build(a) if a.output.message_format == MessageFormat::Json
    ) || matches!(&cli.command, Command::Size(a) if a.output.message_format == MessageFormat::Json)
        || matches!(&cli.command, Command::Deploy(a) if a.output.message_format == MessageFormat::Json)
        || remote_json::wants_json(&cli.command);
    let result = match cli.command {
        Command::New(args) => new::new(args),
        Command::Init(args) => init::init(args),
        Command::Build(args) => build::build(args),
        Command::Config(args) => config::config(args),
        Command::Dev(args) => dev::dev(args),
        Command::Deploy(args) => deploy::deploy(args),
        Command::Rollout(args) => rollout::rollout(args),
        Command::Versions(args) => versions::versions(args),
        Command::Deployments(args) => versions::deployments(args),
        Command::Rollback(args) => rollback::rollback(args),
        Command::Delete(args) => delete::delete(args),
        Command::Whoami(args) => whoami::whoami(args),
        Command::Tail(args) => tail::tail(args),
        Command::Queues(args) => queues::queues(args),
        Command::Secret(args) => secret::secret(args),
        Command::D1(args) => d1::d1(args),
        Command::Kv(args) => kv::kv(args),
        Command::R2(args) => r2::r2(args),
        Command::Trigger(args) => trigger::trigger(args),
        Command::Analytics(args) => analytics::analytics(args),
        Command::Package(args) => package::package(args),
        Command::Types(args) => types::types(args),
        Command::Import(args) => import::import(args),
        Command::Compile(args) => compile::compile(args).map(|_| ()),
        Command::Export(args) => export::export(args),
        Command::Test(args) => test::test(args),
        Command::Size(args) => size::size(args),
        Command::WasmTestRunner(args) => wasm_test_cmd::runner(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.print(json),
    }
}

/// Used by tests and by clap's own consistency check.
pub fn command() -> clap::Command {
    <CargoCli as clap::CommandFactory>::command()
}
