//! Renderings of the resolved model: workerd capnp, wrangler config, Cloudflare upload metadata.

pub mod capnp;
pub mod extensions;
pub mod selfhost;
pub mod types;
pub mod upload;
pub mod wrangler;

#[cfg(test)]
pub(crate) mod sample;
