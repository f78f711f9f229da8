//! What a failed command prints and exits with (until the `cli/` restructure lands, the
//! definitions live in `outcome`).

pub use super::outcome::{plain, CommandResult, Failure};
