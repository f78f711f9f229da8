//! `cargo edge dev`: the worker (and the workers it binds) in workerd with local bindings,
//! rebuilt on save.

use std::path::{Path, PathBuf};

use clap::Args;

use super::context;
use super::failure::{plain, CommandResult, Failure};
use super::flags::{CargoArgs, OutputArgs};
use crate::build::{CargoOptions, ProfileChoice};
use crate::dev::session::Session;
use crate::model::Worker;
use crate::report::Reporter;
use crate::workerd::{self, Search};

#[derive(Debug, Args)]
#[command(
    mut_arg("release", |a| a.help("Build with the release profile (dev's default is `edge-dev`: release settings without LTO, opt-level 1, incremental)")),
    mut_arg("dev", |a| a.help("Build with cargo's unoptimized `dev` profile (not dev's default)")),
    after_help = "While it runs: press `r` to rebuild and restart, `q` (or Ctrl-C) to stop.\n\
Crons: `curl -X POST 'http://127.0.0.1:8787/__edge/trigger/cron?cron=*+*+*+*+*'` (or wrangler's \
`/__scheduled?cron=...`) fires one now; `cargo edge trigger cron EXPR` does the same.\n\
Email: `cargo edge trigger email --from A --to B FILE.eml` (or wrangler's \
`curl -X POST 'http://127.0.0.1:8787/cdn-cgi/handler/email?from=A&to=B' --data-binary @FILE.eml`) \
delivers one to the #[event(email)] handler.\n\
Secrets: `.dev.vars` beside Cargo.toml (`NAME=value` lines; `.dev.vars.<env>` with --env), \
passed to workerd in memory, never written."
)]
pub struct DevArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Environment from [package.metadata.edge.env.NAME]
    #[arg(short = 'e', long, value_name = "NAME")]
    pub env: Option<String>,
    /// Port to serve on
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Address to serve on
    #[arg(long, default_value = "127.0.0.1")]
    pub ip: String,
    /// Open workerd's inspector (Chrome DevTools) on this port
    #[arg(long)]
    pub inspector_port: Option<u16>,
    /// Keep local state here instead of `.edge/state` beside Cargo.toml
    #[arg(long, value_name = "DIR", conflicts_with = "no_persist")]
    pub persist_to: Option<PathBuf>,
    /// Keep local state in a temporary folder, deleted on exit
    #[arg(long)]
    pub no_persist: bool,
    /// Do not rebuild when sources change
    #[arg(long)]
    pub no_watch: bool,
    /// Turn the Cache API off: `cache.match()` always misses, `cache.put()` stores nothing
    #[arg(long)]
    pub no_cache: bool,
    /// The workerd binary to use
    #[arg(long, value_name = "PATH")]
    pub workerd: Option<PathBuf>,
    /// Install the tested workerd with npm if none is found, without asking
    #[arg(long)]
    pub install_workerd: bool,
}

/// The profile dev builds use unless `--release` or `--profile` says otherwise: release
/// settings without LTO, with incremental builds, defined on the command line so users need
/// not write it.
pub use crate::build::DEV_PROFILE;

pub fn dev(args: DevArgs) -> CommandResult {
    let reporter = context::reporter(&args.output);
    let mut main = context::worker_for(&args.cargo, args.env.as_deref())?;
    let crate_dir = context::crate_dir(&main);
    let secrets = secrets(&mut main, &crate_dir, args.env.as_deref(), &reporter)?;
    let mut workers = vec![main.clone()];
    workers.extend(context::bound_workers(&main, args.env.as_deref())?);
    context::absent_services_for_dev(&workers, &reporter)?;
    let workerd = workerd::locate(&Search {
        explicit: args.workerd.clone(),
        project_dir: crate_dir.clone(),
        install: args.install_workerd,
    })?;
    if workerd.compatibility_date < main.compatibility_date {
        reporter.warn(format!(
            "compatibility_date {} is newer than this workerd supports ({}); running with {}",
            main.compatibility_date, workerd.compatibility_date, workerd.compatibility_date
        ));
    }
    let (state, _temp) = state_dir(&args, &crate_dir)?;
    apply_local_migrations(&workers, &state, &reporter)?;
    let stand_ins = crate::dev::absent::stand_ins(&workers, &state.join("stand-ins"))
        .map_err(|e| plain(e.to_string(), "check that the state folder is writable"))?;
    let base = args.cargo.to_options(&args.output);
    let builds = workers.iter().map(|w| dev_build(&base, w, &args)).collect();
    let session = Session {
        stand_ins,
        secrets,
        watch: if args.no_watch {
            Vec::new()
        } else {
            watch_roots(&workers)
        },
        workers,
        builds,
        workerd,
        listen: format!("{}:{}", args.ip, args.port).parse().map_err(|e| {
            plain(
                format!("bad --ip/--port: {e}"),
                "give an IP address such as 127.0.0.1",
            )
        })?,
        state_dir: state,
        inspector_port: args.inspector_port,
        verbose: args.output.verbose > 0,
        assets: Default::default(),
        cache: match args.no_cache {
            true => crate::dev::cache::Mode::Off,
            false => crate::dev::cache::Mode::On,
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| plain(e.to_string(), "retry"))?;
    runtime
        .block_on(session.run(&reporter))
        .map_err(|e| plain(e, "see the messages above"))
}

fn dev_build(base: &CargoOptions, worker: &Worker, args: &DevArgs) -> CargoOptions {
    let fast = !args.cargo.release && !args.cargo.dev && args.cargo.profile.is_none();
    let mut options = context::cargo_options_for(
        base,
        worker,
        if fast {
            ProfileChoice::Named(DEV_PROFILE.into())
        } else {
            ProfileChoice::Release
        },
    );
    if fast && options.profile == ProfileChoice::Named(DEV_PROFILE.into()) {
        options.config.extend([
            format!("profile.{DEV_PROFILE}.inherits=\"release\""),
            format!("profile.{DEV_PROFILE}.lto=false"),
            format!("profile.{DEV_PROFILE}.codegen-units=16"),
            format!("profile.{DEV_PROFILE}.incremental=true"),
            format!("profile.{DEV_PROFILE}.opt-level=1"),
        ]);
    }
    if args.cargo.release {
        options.profile = ProfileChoice::Release;
    }
    options
}

/// `--persist-to`, a temporary folder for `--no-persist`, or `.edge/state` beside Cargo.toml.
fn state_dir(
    args: &DevArgs,
    crate_dir: &Path,
) -> Result<(PathBuf, Option<tempfile::TempDir>), Failure> {
    if args.no_persist {
        let temp = tempfile::tempdir().map_err(|e| plain(e.to_string(), "check $TMPDIR"))?;
        return Ok((temp.path().to_path_buf(), Some(temp)));
    }
    let dir = args
        .persist_to
        .clone()
        .unwrap_or_else(|| crate_dir.join(".edge").join("state"));
    std::fs::create_dir_all(&dir).map_err(|e| {
        plain(
            format!("cannot create {}: {e}", dir.display()),
            "choose another folder with --persist-to",
        )
    })?;
    Ok((std::path::absolute(&dir).unwrap_or(dir), None))
}

/// Local D1 databases get their pending migrations before the worker starts.
fn apply_local_migrations(
    workers: &[Worker],
    state_dir: &Path,
    reporter: &Reporter,
) -> Result<(), Failure> {
    for db in workers.iter().flat_map(|w| w.d1.values()) {
        let Some(dir) = &db.migrations_dir else {
            continue;
        };
        let applied =
            crate::dev::migrations::apply_local(state_dir, &db.name, dir).map_err(|e| {
                plain(
                    e.to_string(),
                    "fix the migration and run `cargo edge dev` again",
                )
            })?;
        if !applied.is_empty() {
            reporter.status(
                "Migrated",
                format!("D1 `{}`: {}", db.name, applied.join(", ")),
            );
        }
    }
    Ok(())
}

/// Secret values from `.dev.vars` (and `.dev.vars.<env>`), never written anywhere. Every entry is
/// bound, as wrangler does ([`crate::dotenv::bind_all`]); a declared secret with no value is
/// warned about.
fn secrets(
    worker: &mut Worker,
    crate_dir: &Path,
    env: Option<&str>,
    reporter: &Reporter,
) -> Result<std::collections::BTreeMap<String, String>, Failure> {
    let values = crate::testing::read_dev_vars(crate_dir, env)
        .map_err(|e| plain(e, "write one `NAME=value` per line"))?;
    for name in &worker.secrets {
        if !values.contains_key(name) {
            reporter.warn(format!(
                "secret `{name}` has no local value: add `{name}=...` to {}",
                crate_dir.join(".dev.vars").display()
            ));
        }
    }
    let undeclared = crate::dotenv::bind_all(worker, &values);
    if !undeclared.is_empty() {
        reporter.status("Secrets", format!(
            ".dev.vars binds {} too (as wrangler does), not declared in `secrets = [...]`: declare {} so `cargo edge deploy` checks {} set",
            undeclared.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
            if undeclared.len() == 1 { "it" } else { "them" },
            if undeclared.len() == 1 { "it is" } else { "they are" },
        ));
    }
    Ok(values)
}

/// The crates' folders: a save anywhere in them (outside target/) rebuilds.
fn watch_roots(workers: &[Worker]) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = workers
        .iter()
        .filter_map(|w| w.manifest_path.parent().map(Path::to_path_buf))
        .collect();
    roots.sort();
    roots.dedup();
    roots
}
