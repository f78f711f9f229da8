//! Test a Rust Cloudflare Worker from `cargo test`, bindings included.
//!
//! `edge-test` runs your worker the way `cargo edge dev` does — the same build, the same
//! workerd, the same local KV, D1, R2, queues, crons and Durable Objects — as a library call,
//! on an OS-picked loopback port and with a **fresh state folder per [`Worker`]**, so tests
//! never see each other's data and can run in parallel.
//!
//! Add it to a native test crate (a worker crate itself builds for wasm32; its `tests/` folder
//! or another member of the workspace can hold these tests):
//!
//! ```toml
//! [dev-dependencies]
//! edge-test = { git = "https://github.com/OWNER/cargo-edge" }   # or a path to a checkout
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! serde_json = "1"
//! ```
//!
//! ```no_run
//! use serde_json::json;
//!
//! #[tokio::test]
//! async fn notes_are_stored() -> edge_test::Result<()> {
//!     let worker = edge_test::Worker::build("../my-worker").env("staging").start().await?;
//!     let res = worker.fetch("/notes").method("POST").body("hi").send().await?;
//!     assert_eq!(res.status(), 201);
//!     worker.kv("CACHE").put("k", "v").await?;          // seed and inspect every binding kind
//!     assert_eq!(worker.d1("DB").query("SELECT count(*) AS n FROM notes").await?[0]["n"], 1);
//!     worker.r2("FILES").get("a.txt").await?;
//!     worker.queue("JOBS").send(json!({"id": 1})).await?;
//!     worker.queues_idle().await?;                        // every batch delivered or dead-lettered
//!     assert!(worker.scheduled("*/5 * * * *").await?.is_ok()); // fire a cron, get its outcome
//!     worker.durable_object("COUNTERS").storage("name").get("n").await?;
//!     assert!(worker.logs().iter().all(|line| !line.contains("panicked")));
//!     Ok(())
//! }
//! ```
//!
//! # What happens on `start()`
//! - The worker crate (and every workspace worker it binds by service binding, Durable Object
//!   or queue) is built once per crate, environment and profile in the test process; the other
//!   tests wait for that build and share it. The default profile is dev's fast `edge-dev`; set
//!   [`Builder::profile`] or `$EDGE_TEST_PROFILE`, and [`Builder::target_dir`] or
//!   `$EDGE_TEST_TARGET_DIR` to share a target folder.
//! - A temporary state folder is made and local D1 migrations are applied to it.
//! - The binding server and workerd start on OS-picked ports (about 0.1–0.3 s); secrets come
//!   from [`Builder::secret`] and `.dev.vars` (`.dev.vars.<env>` with [`Builder::env`]).
//! - Seeding and inspection go through the real binding objects inside workerd, by a control
//!   route only this test knows the token of; the built bundle is not changed.
//! - A service binding to a worker outside the workspace answers 503 (`Worker "NAME" not
//!   found. Make sure it is running locally.`), as in `cargo edge dev`, and [`Worker::logs`]
//!   begins with a warning naming it.
//!
//! [`Worker::stop`] ends it all; so does dropping the `Worker`, so a test that panics leaves
//! nothing running (on a multi-thread runtime the drop returns once everything is stopped).
//!
//! Failures are errors, never hangs: a build that fails returns [`Error::Build`] with the
//! compiler's errors, a missing workerd [`Error::Workerd`] with how to install it, and workerd
//! refusing to start [`Error::Start`] with its output.
//!
//! # Inside workerd
//! Compiled for `wasm32`, this crate is one function, [`env()`](fn@env) (wasm32 only), the
//! worker's `Env` for `#[wasm_bindgen_test]` functions that `cargo edge test --wasm` runs inside
//! workerd.

#[cfg(not(target_arch = "wasm32"))]
mod bindings;
#[cfg(not(target_arch = "wasm32"))]
mod build;
#[cfg(not(target_arch = "wasm32"))]
mod error;
#[cfg(not(target_arch = "wasm32"))]
mod fetch;
#[cfg(not(target_arch = "wasm32"))]
mod worker;

#[cfg(not(target_arch = "wasm32"))]
pub use bindings::{
    Delivery, DurableObject, EmailOutcome, Kv, Queue, Scheduled, Sent, Storage, D1, R2,
};
#[cfg(not(target_arch = "wasm32"))]
pub use error::{Error, Result};
#[cfg(not(target_arch = "wasm32"))]
pub use fetch::{Request, Response};
#[cfg(not(target_arch = "wasm32"))]
pub use worker::{Builder, Worker};

#[cfg(target_arch = "wasm32")]
mod wasm;
#[cfg(target_arch = "wasm32")]
pub use wasm::env;

/// A fresh random token for a worker's control route.
#[cfg(not(target_arch = "wasm32"))]
fn token() -> Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| Error::Io(format!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}
