//! `cargo edge d1 migrations apply` and `cargo edge d1 execute`: locally or on Cloudflare.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::context;
use super::failure::{plain, CommandResult, Failure};
use super::flags::WorkerArgs;
use super::local::{dev_failure, state_dir};
use super::remote::remote;
use crate::deploy::d1 as remote_d1;
use crate::dev;
use crate::model::{D1Database, Worker};

#[derive(Debug, Args)]
pub struct D1Args {
    #[command(subcommand)]
    pub action: D1Action,
}

#[derive(Debug, Subcommand)]
pub enum D1Action {
    /// Migrations of a D1 binding's database
    Migrations {
        #[command(subcommand)]
        action: MigrationsAction,
    },
    /// Run SQL against a D1 binding's database
    Execute {
        /// The D1 binding name
        database: String,
        #[command(flatten)]
        worker: WorkerArgs,
        /// Run against local state (`cargo edge dev`'s)
        #[arg(long)]
        local: bool,
        /// Local state folder (default `.edge/state` beside Cargo.toml)
        #[arg(long, value_name = "DIR")]
        persist_to: Option<PathBuf>,
        /// SQL to run
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        command: Option<String>,
        /// A file of SQL to run
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MigrationsAction {
    /// Apply the migrations folder's pending files, in order, once each
    Apply {
        /// The D1 binding name
        database: String,
        #[command(flatten)]
        worker: WorkerArgs,
        /// Apply to local state (`cargo edge dev`'s) instead of Cloudflare
        #[arg(long)]
        local: bool,
        /// Local state folder (default `.edge/state` beside Cargo.toml)
        #[arg(long, value_name = "DIR")]
        persist_to: Option<PathBuf>,
    },
}

fn database<'w>(worker: &'w Worker, binding: &str) -> Result<&'w D1Database, Failure> {
    worker.d1.get(binding).ok_or_else(|| {
        let known: Vec<&String> = worker.d1.keys().collect();
        plain(
            format!("`{}` has no D1 binding named `{binding}`", worker.name),
            format!("D1 bindings in [package.metadata.edge.d1]: {known:?}"),
        )
    })
}

pub fn d1(args: D1Args) -> CommandResult {
    match args.action {
        D1Action::Migrations {
            action:
                MigrationsAction::Apply {
                    database: binding,
                    worker,
                    local,
                    persist_to,
                },
        } => {
            let worker = context::load_worker(&worker)?;
            let db = database(&worker, &binding)?;
            let Some(dir) = &db.migrations_dir else {
                return Err(plain(format!("D1 binding `{binding}` has no migrations folder"), "create `migrations/` beside Cargo.toml, or set `migrations = \"path\"` on the binding"));
            };
            let applied = if local {
                dev::migrations::apply_local(
                    &state_dir(&worker, persist_to.as_deref()),
                    &db.name,
                    dir,
                )
                .map_err(dev_failure)?
            } else {
                let migrations = dev::migrations::list(dir).map_err(dev_failure)?;
                let (client, account) = remote(&worker)?;
                let uuid = remote_d1::database_id(&client, &account, &db.name, db.id.as_deref())?;
                remote_d1::apply_remote(&client, &account, &uuid, &migrations)?
            };
            let place = if local { "locally" } else { "on Cloudflare" };
            match applied.as_slice() {
                [] => eprintln!("D1 `{}` {place}: no pending migrations", db.name),
                names => eprintln!("D1 `{}` {place}: applied {}", db.name, names.join(", ")),
            }
            Ok(())
        }
        D1Action::Execute {
            database: binding,
            worker,
            local,
            persist_to,
            command,
            file,
        } => {
            let worker = context::load_worker(&worker)?;
            let db = database(&worker, &binding)?;
            let sql = match (command, file) {
                (Some(sql), _) => sql,
                (None, Some(path)) => std::fs::read_to_string(&path).map_err(|e| {
                    plain(
                        format!("could not read {}: {e}", path.display()),
                        "check the path",
                    )
                })?,
                (None, None) => unreachable!("clap requires --command or --file"),
            };
            if !local {
                return Err(plain("`d1 execute` runs against local state only", "add --local (remote SQL: use `cargo edge d1 migrations apply` or the dashboard)"));
            }
            let mut conn =
                dev::d1::open_database(&state_dir(&worker, persist_to.as_deref()), &db.name)
                    .map_err(dev_failure)?;
            let results = dev::d1::execute_sql(&mut conn, &sql)
                .map_err(|e| plain(format!("SQL failed: {e}"), "fix the statement"))?;
            println!("{}", serde_json::to_string_pretty(&results).expect("json"));
            Ok(())
        }
    }
}
