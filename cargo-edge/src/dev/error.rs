//! Errors of the local binding server and its tools.

use std::path::PathBuf;

use thiserror::Error;

/// Anything the dev server, the D1 tools or the consumer engine can fail with.
#[derive(Debug, Error)]
pub enum DevError {
    #[error("cannot bind the local binding server to {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot create the state directory `{path}`: {source}")]
    StateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("SQLite error in `{path}`: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("SQLite error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("I/O error on `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create a random session token: {0}")]
    Random(String),
    #[error("invalid cron expression `{expr}`: {reason}")]
    Cron { expr: String, reason: String },
    #[error("migration file name `{0}` does not start with a number (expected `NNNN_name.sql`)")]
    MigrationName(String),
    #[error("migration `{name}` failed: {source}")]
    Migration {
        name: String,
        source: rusqlite::Error,
    },
    #[error("the dispatcher worker failed: {0}")]
    Dispatcher(String),
    #[error("cannot create the in-memory config file: {0}")]
    ConfigFd(std::io::Error),
}

/// Results of this module.
pub type Result<T, E = DevError> = std::result::Result<T, E>;

impl DevError {
    /// Wrap an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> DevError {
        let path = path.into();
        move |source| DevError::Io { path, source }
    }
}
