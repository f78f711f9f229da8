//! What can go wrong, each with what to do about it.

/// An `edge-test` failure. Every message says what went wrong and what to do about it.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The worker's `Cargo.toml` or `[package.metadata.edge]` has a problem.
    #[error("{0}")]
    Manifest(String),
    /// `cargo build` (or wasm-bindgen) failed; the message holds the compiler's errors.
    #[error("{0}")]
    Build(String),
    /// No workerd binary was found.
    #[error("{0}")]
    Workerd(String),
    /// The binding server or workerd did not start (a port problem, a config workerd refused).
    #[error("the worker did not start: {0}")]
    Start(String),
    /// A request to the worker failed before an answer came back.
    #[error("request to the worker failed: {0}")]
    Http(String),
    /// Seeding or reading a binding failed (an unknown binding name, a refused value, ...).
    #[error("{0}")]
    Binding(String),
    /// Something did not happen in time (queues still busy, a cron that did not answer).
    #[error("{0}")]
    Timeout(String),
    /// A secret was given for a name the worker does not declare.
    #[error(
        "secret `{0}` is not declared: add it to `secrets = [...]` in [package.metadata.edge]"
    )]
    UndeclaredSecret(String),
    /// The fresh state folder could not be made.
    #[error("{0}")]
    Io(String),
}

/// `Result<T, edge_test::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
