//! The command line: argument definitions, and one small file per command that turns
//! arguments into a call to a library module and its result into output and an exit code.

mod account;
mod args;
mod build_cmd;
mod config_cmd;
mod confirm;
mod context;
mod d1_remote;
mod delete;
mod deploy_cmd;
mod failure;
mod flags;
mod json;
mod kv_remote;
mod dev_cmd;
mod local_cmd;
mod outcome;
mod package_cmd;
mod queues;
mod r2_remote;
mod remote;
mod remote_json;
mod rollback;
mod selfhost_cmd;
mod tail;
mod test_cmd;
mod versions;
mod whoami;

pub use args::*;
pub use outcome::{main, run};
