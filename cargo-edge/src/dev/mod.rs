//! `cargo edge dev`: workerd with local bindings, rebuilt on save.

pub mod proxy;
pub mod supervisor;
pub mod watch;
