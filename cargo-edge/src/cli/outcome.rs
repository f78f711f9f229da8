//! Dispatch, and turning any command's failure into a printed diagnostic and an exit code.

use std::process::ExitCode;

use clap::Parser;

use super::args::{CargoCli, Command, EdgeCli};
use crate::error::exit;
use crate::report::{render_diagnostic, MessageFormat};

/// A failed command: what to print, and the code to exit with.
pub struct Failure {
    pub report: miette::Report,
    pub code: u8,
}

impl Failure {
    pub fn new(error: impl miette::Diagnostic + Send + Sync + 'static, code: u8) -> Failure {
        Failure {
            report: miette::Report::new(error),
            code,
        }
    }
}

impl From<crate::error::Error> for Failure {
    fn from(error: crate::error::Error) -> Failure {
        let code = error.exit_code();
        Failure::new(error, code)
    }
}

impl From<crate::manifest::ManifestError> for Failure {
    fn from(error: crate::manifest::ManifestError) -> Failure {
        Failure::new(error, exit::CONFIG)
    }
}

impl From<crate::deploy::error::DeployError> for Failure {
    fn from(error: crate::deploy::error::DeployError) -> Failure {
        let code = match error {
            crate::deploy::error::DeployError::NoCredentials => exit::SETUP,
            _ => exit::FAILURE,
        };
        Failure::new(error, code)
    }
}

impl From<crate::workerd::WorkerdError> for Failure {
    fn from(error: crate::workerd::WorkerdError) -> Failure {
        Failure::new(error, exit::SETUP)
    }
}

impl From<crate::new::NewError> for Failure {
    fn from(error: crate::new::NewError) -> Failure {
        Failure::new(error, exit::CONFIG)
    }
}

impl From<crate::init::InitError> for Failure {
    fn from(error: crate::init::InitError) -> Failure {
        Failure::new(error, exit::CONFIG)
    }
}

impl From<crate::import::ImportError> for Failure {
    fn from(error: crate::import::ImportError) -> Failure {
        Failure::new(error, exit::CONFIG)
    }
}

/// A plain message with a fix, for command-level mistakes.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(help("{help}"))]
pub struct Plain {
    pub message: String,
    pub help: String,
}

pub fn plain(message: impl Into<String>, help: impl Into<String>) -> Failure {
    Failure::new(
        Plain {
            message: message.into(),
            help: help.into(),
        },
        exit::CONFIG,
    )
}

pub type CommandResult = Result<(), Failure>;

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
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,edge::activity=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}

pub fn run(cli: EdgeCli) -> ExitCode {
    let json = matches!(
        &cli.command,
        Command::Build(a) if a.output.message_format == MessageFormat::Json
    ) || matches!(&cli.command, Command::Deploy(a) if a.output.message_format == MessageFormat::Json);
    let result = match cli.command {
        Command::New(args) => super::build_cmd::new(args),
        Command::Init(args) => super::build_cmd::init(args),
        Command::Build(args) => super::build_cmd::build(args),
        Command::Config(args) => super::config_cmd::config(args),
        Command::Dev(args) => super::dev_cmd::dev(args),
        Command::Deploy(args) => super::deploy_cmd::deploy(args),
        Command::Rollout(args) => super::deploy_cmd::rollout(args),
        Command::Versions(args) => super::deploy_cmd::versions(args),
        Command::Deployments(args) => super::deploy_cmd::deployments(args),
        Command::Secret(args) => super::deploy_cmd::secret(args),
        Command::D1(args) => super::local_cmd::d1(args),
        Command::Kv(args) => super::local_cmd::kv(args),
        Command::R2(args) => super::local_cmd::r2(args),
        Command::Trigger(args) => super::dev_cmd::trigger(args),
        Command::Package(args) => super::package_cmd::package(args),
        Command::Types(args) => super::package_cmd::types(args),
        Command::Import(args) => super::package_cmd::import(args),
        Command::Compile(args) => super::selfhost_cmd::compile(args).map(|_| ()),
        Command::Export(args) => super::selfhost_cmd::export(args),
        Command::Test(args) => super::test_cmd::test(args),
        Command::WasmTestRunner(args) => super::wasm_test_cmd::runner(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if json {
                let error: &dyn miette::Diagnostic = failure.report.as_ref();
                let event = serde_json::json!({
                    "reason": "error",
                    "code": error.code().map(|c| c.to_string()),
                    "message": error.to_string(),
                    "help": error.help().map(|h| h.to_string()),
                });
                println!("{event}");
            } else {
                let color = std::io::IsTerminal::is_terminal(&std::io::stderr());
                let error: &dyn miette::Diagnostic = failure.report.as_ref();
                eprint!("{}", render_diagnostic(error, color, color));
            }
            ExitCode::from(failure.code)
        }
    }
}
