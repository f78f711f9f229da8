//! Configurations rendered from a built bundle.

pub mod capnp;
