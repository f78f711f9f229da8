//! `cargo edge build`: cargo → wasm-bindgen (in-process) → walrus passes → JS shim → bundle.
//!
//! [`run`] is the whole stage; the submodules are its steps, in the order they run.

mod bindgen;
mod cargo;
mod exports;
mod imports;
pub mod insight;
mod minify;
mod options;
mod preflight;
mod run;
mod schema;
mod shim;
pub mod size;
pub mod size_table;
pub mod startup;
pub mod test_bundle;
pub mod traps;
mod unwind;
mod wasm_opt;

pub use exports::Exports;
pub use options::{BuildOptions, CargoOptions, ProfileChoice, WasmOptChoice, DEV_PROFILE};
pub use preflight::{preflight, WorkerCrate};
pub use run::run;
pub use schema::EMBEDDED_SCHEMA;
