//! `cargo edge deploy`: plan against what is live, then execute, through Cloudflare's API.

pub mod assets;
pub mod client;
pub mod create;
pub mod d1;
pub mod delete;
pub mod error;
pub mod execute;
pub mod live;
pub mod plan;
pub mod record;
pub mod rollout;
pub mod run;
pub mod secrets;
pub mod version_upload;
pub mod versions;
pub mod whoami;
