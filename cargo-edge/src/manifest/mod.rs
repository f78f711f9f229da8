//! `manifest`: what the user wrote in `[package.metadata.edge]` (and `[workspace.metadata.edge]`),
//! read with positions, layered for an environment, checked, and resolved into [`crate::model`].
//!
//! The flow: [`document`] parses a Cargo.toml with spans; [`check`] compares it with the one
//! definition of the table's shape in [`keys`]; [`extract`] reads the [`written`] types;
//! [`validate`], [`cron`], [`date`], [`queues`] and [`migrations`] check meaning; [`overlay`] layers
//! workspace defaults, package table and `--env`; [`resolve`] derives the `model::Worker`;
//! [`load`] runs it for one package and [`project`] for a workspace; [`schema`] publishes the
//! shape as JSON schema. Every problem is a [`error::Problem`] with file, line, column and help.

pub mod assets;
pub mod check;
pub mod clash;
pub mod convert;
pub mod cron;
pub mod date;
pub mod document;
pub mod error;
pub mod extract;
pub mod keys;
pub mod kinds;
pub mod kv_ids;
pub mod load;
pub mod migrations;
pub mod overlay;
pub mod project;
pub mod queues;
pub mod read;
pub mod resolve;
pub mod schema;
pub mod source;
pub mod strict;
pub mod suggest;
pub mod validate;
pub mod workspace;
pub mod written;

pub use error::{ManifestError, Problem};
pub use load::{load_worker, load_worker_with, parse_str, LoadOptions, Loaded};
pub use project::{load_project, load_project_with, LoadedProject};
