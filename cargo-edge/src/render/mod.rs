//! Renderings of the resolved model: workerd capnp, wrangler config, Cloudflare upload metadata.

pub mod capnp;

#[cfg(test)]
mod sample;
