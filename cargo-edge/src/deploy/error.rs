//! Deploy errors, each with what to do about it.

use miette::Diagnostic;
use thiserror::Error;

use super::client::ApiMessage;

#[derive(Debug)]
pub struct ApiError {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub errors: Vec<ApiMessage>,
}

impl ApiError {
    pub fn has_code(&self, code: i64) -> bool {
        self.errors.iter().any(|e| e.code == code)
    }

    fn summary(&self) -> String {
        let messages: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("{} (code {})", e.message, e.code))
            .collect();
        format!(
            "{} {} failed with HTTP {}: {}",
            self.method,
            self.path,
            self.status,
            messages.join("; ")
        )
    }

    /// Advice for the codes users meet.
    fn advice(&self) -> &'static str {
        let code = self.errors.first().map(|e| e.code).unwrap_or(0);
        match (self.status, code) {
            (401 | 403, _) | (_, 10000 | 9106 | 9109) => {
                "check CLOUDFLARE_API_TOKEN: it must be valid and have Workers Scripts:Edit, Workers KV, D1, R2 and Queues permissions on this account"
            }
            (_, 10007 | 10090) => "the resource does not exist (any more); rerun the deploy to recreate what is missing",
            (_, 10021) => "the worker failed validation or start-up on Cloudflare; run it with `cargo edge dev` to see the error",
            (_, 10053) => "two bindings share a name; rename one in [package.metadata.edge]",
            (_, 10211) => "Durable Object migrations cannot go out in a version upload; deploy without --canary",
            (_, 10215) => "a gradual rollout is in progress: finish it with `cargo edge rollout promote` or `rollback` first",
            (429, _) => "Cloudflare is rate limiting this account (1200 requests per 5 minutes); wait a few minutes and rerun",
            (500..=599, _) => "Cloudflare had an internal error; rerun the deploy, it resumes where it stopped",
            _ => "rerun with CARGO_EDGE_LOG=debug for the request details",
        }
    }
}

#[derive(Debug, Error, Diagnostic)]
pub enum DeployError {
    #[error("no Cloudflare credentials")]
    #[diagnostic(
        code(edge::deploy::no_credentials),
        help("set CLOUDFLARE_API_TOKEN (create one at dash.cloudflare.com → My Profile → API Tokens), or CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL; `--dry-run` works without them")
    )]
    NoCredentials,

    #[error("this token can see several accounts: {}", accounts.join(", "))]
    #[diagnostic(code(edge::deploy::several_accounts), help("choose one: set `account_id` in [package.metadata.edge] (or [workspace.metadata.edge]), or CLOUDFLARE_ACCOUNT_ID"))]
    SeveralAccounts { accounts: Vec<String> },

    #[error("this token can see no account")]
    #[diagnostic(
        code(edge::deploy::no_account),
        help("give the token access to an account, or set CLOUDFLARE_ACCOUNT_ID")
    )]
    NoAccount,

    #[error("{}", .0.summary())]
    #[diagnostic(code(edge::deploy::api), help("{}", .0.advice()))]
    Api(ApiError),

    #[error("{method} {path}: could not reach the Cloudflare API: {message}")]
    #[diagnostic(code(edge::deploy::unreachable), help("check the network (and CLOUDFLARE_API_BASE_URL if set); rerun the deploy, it resumes where it stopped"))]
    Unreachable {
        method: String,
        path: String,
        message: String,
    },

    #[error("unexpected answer from {path}: {message}")]
    #[diagnostic(
        code(edge::deploy::decode),
        help("this is a bug in cargo-edge or a change in Cloudflare's API; please report it")
    )]
    Decode { path: String, message: String },

    #[error("HTTP client: {message}")]
    #[diagnostic(code(edge::deploy::http))]
    Http { message: String },

    #[error("`{worker}` has Durable Object migrations to apply ({tags}), which cannot go out as a canary")]
    #[diagnostic(
        code(edge::deploy::canary_migrations),
        help("a migration changes storage for every instance at once, while a canary runs two versions side by side; deploy without --canary first, then use canaries for the changes after it")
    )]
    CanaryWithMigrations { worker: String, tags: String },

    #[error("{message}")]
    #[diagnostic(code(edge::deploy::rollout), help("{help}"))]
    Rollout { message: String, help: String },

    #[error("could not read {path}: {message}")]
    #[diagnostic(code(edge::deploy::io))]
    Io { path: String, message: String },

    #[error("{message}")]
    #[diagnostic(code(edge::deploy::assets), help("{help}"))]
    Assets { message: String, help: String },
}
