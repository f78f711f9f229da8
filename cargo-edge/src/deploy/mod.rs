//! `cargo edge deploy`: plan against what is live, then execute, through Cloudflare's API.

pub mod assets;
pub mod client;
pub mod d1;
pub mod error;
pub mod execute;
pub mod live;
pub mod plan;
pub mod record;
pub mod rollout;
pub mod run;
pub mod secrets;
