//! `cargo edge d1 migrations apply|list|create`, `d1 execute` and `d1 export`: on local state
//! unless `--remote`, as wrangler 4 (`d1_remote` holds the Cloudflare side of execute, export
//! and list).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::Value;

use super::context;
use super::failure::{plain, CommandResult, Failure};
use super::flags::WorkerArgs;
use super::local::{announce_remote, dev_failure, local_state, PlaceArgs};
use super::remote::remote;
use crate::deploy::d1 as remote_d1;
use crate::dev;
use crate::model::{D1Database, Worker};
use crate::report::MessageFormat;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo edge d1 execute DB --command \"SELECT * FROM notes\"\n  cargo edge d1 migrations apply DB --remote --env prod\n  cargo edge d1 export DB -o backup.sql --remote\n  cargo edge d1 migrations create DB add_tags\n\nLocal state (what `cargo edge dev` serves) unless --remote."
)]
pub struct D1Args {
    #[command(subcommand)]
    pub action: D1Action,
    #[arg(long, global = true, value_enum, value_name = "FMT", default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
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
        #[command(flatten)]
        place: PlaceArgs,
        /// SQL to run
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        command: Option<String>,
        /// A file of SQL to run
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Write the database as SQL (schema and rows) to a file
    Export {
        /// The D1 binding name
        database: String,
        #[command(flatten)]
        worker: WorkerArgs,
        #[command(flatten)]
        place: PlaceArgs,
        /// The file to write
        #[arg(short = 'o', long, value_name = "FILE")]
        output: PathBuf,
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
        #[command(flatten)]
        place: PlaceArgs,
    },
    /// Every file of the migrations folder and whether the database has applied it
    List {
        /// The D1 binding name
        database: String,
        #[command(flatten)]
        worker: WorkerArgs,
        #[command(flatten)]
        place: PlaceArgs,
    },
    /// Write an empty, numbered `NNNN_name.sql` in the migrations folder
    Create {
        /// The D1 binding name
        database: String,
        /// What the migration does (the file's name)
        name: String,
        #[command(flatten)]
        worker: WorkerArgs,
    },
}

pub fn database<'w>(worker: &'w Worker, binding: &str) -> Result<&'w D1Database, Failure> {
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
        D1Action::Export {
            database,
            worker,
            place,
            output,
        } => match place.is_local()? {
            true => export_local(&worker, &place, &database, &output, args.message_format),
            false => super::d1_remote::export(&worker, &database, &output, args.message_format),
        },
        D1Action::Migrations {
            action:
                MigrationsAction::List {
                    database,
                    worker,
                    place,
                },
        } => super::d1_remote::list_migrations(&worker, &database, &place, args.message_format),
        D1Action::Migrations {
            action:
                MigrationsAction::Create {
                    database,
                    name,
                    worker,
                },
        } => super::d1_remote::create_migration(&worker, &database, &name),
        D1Action::Migrations {
            action:
                MigrationsAction::Apply {
                    database: binding,
                    worker,
                    place,
                },
        } => {
            let local = place.is_local()?;
            let worker = context::load_worker(&worker)?;
            let db = database(&worker, &binding)?;
            let Some(dir) = &db.migrations_dir else {
                return Err(plain(format!("D1 binding `{binding}` has no migrations folder"), "create `migrations/` beside Cargo.toml, or set `migrations = \"path\"` on the binding"));
            };
            let applied = if local {
                let state = local_state(&worker, place.persist_to.as_deref());
                dev::migrations::apply_local(&state, &db.name, dir).map_err(dev_failure)?
            } else {
                let migrations = dev::migrations::list(dir).map_err(dev_failure)?;
                let (client, account) = remote(&worker)?;
                announce_remote(&account);
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
            place,
            command,
            file,
        } => {
            let local = place.is_local()?;
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
                let (client, account) = remote(&worker)?;
                announce_remote(&account);
                return super::d1_remote::execute(
                    &client,
                    &account,
                    &worker,
                    &binding,
                    &sql,
                    args.message_format,
                );
            }
            let state = local_state(&worker, place.persist_to.as_deref());
            let mut conn = dev::d1::open_database(&state, &db.name).map_err(dev_failure)?;
            let results = dev::d1::execute_sql(&mut conn, &sql)
                .map_err(|e| plain(format!("SQL failed: {e}"), "fix the statement"))?;
            let statements = crate::remote::d1::statements(&Value::Array(results));
            super::d1_remote::print_statements(&db.name, &statements, args.message_format);
            Ok(())
        }
    }
}

/// `d1 export` on local state: the SQL Cloudflare's export would write for the same data.
fn export_local(
    args: &WorkerArgs,
    place: &PlaceArgs,
    binding: &str,
    output: &std::path::Path,
    format: MessageFormat,
) -> CommandResult {
    let worker = context::load_worker(args)?;
    let db = database(&worker, binding)?;
    let state = local_state(&worker, place.persist_to.as_deref());
    let conn = dev::d1::open_database(&state, &db.name).map_err(dev_failure)?;
    let sql = dev::d1_dump::dump(&conn).map_err(|e| {
        plain(
            format!("D1 `{}` cannot be exported: {e}", db.name),
            "Cloudflare's export refuses it too: drop the virtual table before exporting, or copy the SQLite file under `.edge/state/d1`",
        )
    })?;
    std::fs::write(output, &sql).map_err(|e| {
        plain(
            format!("could not write {}: {e}", output.display()),
            "check the path",
        )
    })?;
    super::d1_remote::exported(&db.name, output, sql.len() as u64, format);
    Ok(())
}
