//! Which commands that talk to Cloudflare asked for `--message-format json`, so their errors
//! are printed as JSON too.

use super::versions::{DeploymentsAction, VersionsAction};
use super::Command;
use crate::report::MessageFormat;

pub fn wants_json(command: &Command) -> bool {
    let format = match command {
        Command::Versions(args) => match &args.action {
            VersionsAction::List(l)
            | VersionsAction::View { listing: l, .. }
            | VersionsAction::Deploy { listing: l, .. } => l.message_format,
            VersionsAction::Upload(upload) => upload.output.message_format,
        },
        Command::Deployments(args) => match &args.action {
            DeploymentsAction::List(l) | DeploymentsAction::Status(l) => l.message_format,
        },
        Command::Rollback(args) => args.message_format,
        Command::Delete(args) => args.message_format,
        Command::Whoami(args) => args.message_format,
        Command::Queues(args) => args.message_format,
        _ => MessageFormat::Human,
    };
    format == MessageFormat::Json
}
