//! A command's failure: what to print and the exit code. Every command returns
//! [`CommandResult`]; nothing here knows about any command.

use std::process::ExitCode;

use crate::error::exit;
use crate::report::render_diagnostic;

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

impl Failure {
    /// Print the failure (one JSON event for `--message-format json`, else a diagnostic on
    /// standard error) and return the code to exit with.
    pub fn print(self, json: bool) -> ExitCode {
        let error: &dyn miette::Diagnostic = self.report.as_ref();
        if json {
            let event = serde_json::json!({
                "reason": "error",
                "code": error.code().map(|c| c.to_string()),
                "message": error.to_string(),
                "help": error.help().map(|h| h.to_string()),
            });
            println!("{event}");
        } else {
            let color = std::io::IsTerminal::is_terminal(&std::io::stderr());
            eprint!("{}", render_diagnostic(error, color, color));
        }
        ExitCode::from(self.code)
    }
}
