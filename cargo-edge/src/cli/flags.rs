//! Flags many commands share (until the `cli/` restructure lands, defined in `args`).

pub use super::args::{CargoArgs, OutputArgs, WorkerArgs};
