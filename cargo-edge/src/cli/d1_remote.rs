//! `cargo edge d1 execute --remote`, `d1 export` and `d1 migrations list|create`.

use std::path::Path;

use super::context;
use super::d1::database;
use super::failure::{plain, CommandResult};
use super::flags::WorkerArgs;
use super::json::print_json;
use super::local::{announce_remote, dev_failure, local_state, PlaceArgs};
use super::remote::remote;
use crate::deploy::client::Client;
use crate::dev;
use crate::model::Worker;
use crate::remote::{d1, resolve};
use crate::report::MessageFormat;

/// SQL on the database on Cloudflare: one table per statement that returns rows, or JSON.
pub fn execute(
    client: &Client,
    account: &str,
    worker: &Worker,
    binding: &str,
    sql: &str,
    format: MessageFormat,
) -> CommandResult {
    let (name, uuid) = resolve::d1_database(client, account, worker, binding)?;
    let statements = d1::execute(client, account, &uuid, sql)?;
    print_statements(&name, &statements, format);
    Ok(())
}

/// `d1 execute`'s results, locally or from Cloudflare: a table per statement that returns
/// rows (the others' changes on standard error), or JSON.
pub fn print_statements(name: &str, statements: &[d1::Statement], format: MessageFormat) {
    if format == MessageFormat::Json {
        print_json("d1-execute", &statements);
        return;
    }
    for statement in statements {
        if statement.columns.is_empty() {
            let changes = &statement.meta["changes"];
            eprintln!("D1 `{name}`: {changes} rows changed");
        } else {
            println!("{}", d1::table(statement));
        }
    }
}

pub fn export(
    args: &WorkerArgs,
    binding: &str,
    output: &Path,
    format: MessageFormat,
) -> CommandResult {
    let worker = context::load_worker(args)?;
    let (client, account) = remote(&worker)?;
    announce_remote(&account);
    let (name, uuid) = resolve::d1_database(&client, &account, &worker, binding)?;
    let bytes = d1::export(&client, &account, &uuid, output)?;
    exported(&name, output, bytes, format);
    Ok(())
}

/// What `d1 export` says it wrote, locally or from Cloudflare.
pub fn exported(name: &str, output: &Path, bytes: u64, format: MessageFormat) {
    match format {
        MessageFormat::Json => print_json(
            "d1-export",
            &serde_json::json!({"database": name, "file": output, "bytes": bytes}),
        ),
        MessageFormat::Human => eprintln!(
            "D1 `{name}`: exported {bytes} bytes of SQL to {}",
            output.display()
        ),
    }
}

pub fn list_migrations(
    args: &WorkerArgs,
    binding: &str,
    place: &PlaceArgs,
    format: MessageFormat,
) -> CommandResult {
    let local = place.is_local()?;
    let worker = context::load_worker(args)?;
    let db = database(&worker, binding)?;
    let Some(dir) = &db.migrations_dir else {
        return Err(plain(
            format!("D1 binding `{binding}` has no migrations folder"),
            format!("create one with `cargo edge d1 migrations create {binding} NAME`"),
        ));
    };
    let files = dev::migrations::list(dir).map_err(dev_failure)?;
    let applied: Vec<String> = if local {
        let state = local_state(&worker, place.persist_to.as_deref());
        let connection = dev::d1::open_database(&state, &db.name).map_err(dev_failure)?;
        let pending = dev::migrations::pending(&connection, dir).map_err(dev_failure)?;
        files
            .iter()
            .filter(|f| !pending.contains(f))
            .map(|f| f.name.clone())
            .collect()
    } else {
        let (client, account) = remote(&worker)?;
        announce_remote(&account);
        let (_, uuid) = resolve::d1_database(&client, &account, &worker, binding)?;
        d1::applied_remote(&client, &account, &uuid)?
    };
    let states = d1::states(&files, &applied);
    match format {
        MessageFormat::Json => print_json("d1-migrations", &states),
        MessageFormat::Human => {
            for state in &states {
                println!(
                    "{}  {}",
                    if state.applied { "applied" } else { "pending" },
                    state.name
                );
            }
        }
    }
    Ok(())
}

pub fn create_migration(args: &WorkerArgs, binding: &str, name: &str) -> CommandResult {
    let worker = context::load_worker(args)?;
    let db = database(&worker, binding)?;
    let dir = match &db.migrations_dir {
        Some(dir) => dir.clone(),
        None => context::crate_dir(&worker).join("migrations"),
    };
    let path = d1::create_migration(&dir, name)
        .map_err(|e| plain(e, "give the migration a name of letters and digits"))?;
    eprintln!("created {}", path.display());
    println!("{}", path.display());
    Ok(())
}
