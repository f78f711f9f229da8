//! `cargo edge dev`'s local binding server: KV, D1, R2 and queues backed by SQLite, reached by
//! workerd through one `external` service per binding, plus the queue consumer engine and the cron
//! scheduler that drive the user's worker through a small dispatcher worker.
//!
//! How the pieces fit:
//! - [`server::BindingServer::start`] binds `127.0.0.1:0` and returns a [`server::RunningServer`]
//!   with its address and a per-session token;
//! - [`capnp`] renders what the caller puts in the workerd config: one `external` service per
//!   binding (headers `X-Edge-Token` and `X-Edge-Binding: <kind>/<resource>` injected by workerd),
//!   the binding entries, and the dispatcher worker with its socket;
//! - [`config_fd::ConfigFd`] hands that config (which contains the token) to workerd through an
//!   anonymous in-memory file, so it never touches the disk;
//! - [`consumer`] and [`scheduler`] deliver queue batches and cron events through the dispatcher.

pub mod absent;
pub mod analytics;
pub mod assets;
pub mod banner;
pub mod cache;
pub mod cache_policy;
pub mod canceled;
pub mod capnp;
pub mod config_fd;
pub mod consumer;
pub mod crash;
pub mod cron;
pub mod d1;
pub mod d1_dump;
pub mod dispatch;
pub mod email;
pub mod email_in;
pub mod email_panic;
pub mod error;
pub mod http;
pub mod instance;
pub mod kv;
pub mod local;
pub mod migrations;
pub mod output;
pub mod proxy;
pub mod queues;
pub mod r2;
pub mod r2_list;
pub mod r2_multipart;
pub mod r2_store;
pub mod r2_wire;
pub mod request_log;
pub mod scheduler;
pub mod server;
pub mod session;
pub mod store;
pub mod supervisor;
pub mod teardown;
pub mod test_entry;
pub mod watch;

pub use error::DevError;
pub use server::{BindingServer, ConsumerSpec, CronSpec, RunningServer, ServerConfig};
