//! What tests need to run a worker the way `cargo edge dev` does, as library calls: the workers
//! to start (the one asked for and those it binds), the cargo options of dev's build, local
//! secrets, and local D1 migrations. Used by the `edge-test` crate and `cargo edge test --wasm`;
//! errors are the command line's messages, as text.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::build::{CargoOptions, ProfileChoice, DEV_PROFILE};
use crate::model::Worker;

/// The command line's failure (message and help) as text.
fn text(failure: crate::cli::Failure) -> String {
    crate::manifest::error::render(failure.report.as_ref())
}

/// The worker at `manifest` in `env`, then every workspace worker it reaches (service
/// bindings, Durable Object scripts, consumers of its queues), as `cargo edge dev` starts them;
/// an error if a Durable Object or dispatch namespace names a worker the workspace lacks.
pub fn workers(manifest: &Path, env: Option<&str>) -> Result<Vec<Worker>, String> {
    let loaded = crate::manifest::load_worker(manifest, env).map_err(|e| e.render())?;
    let main = crate::cli::renamed_in_env(vec![loaded.worker], env)
        .map_err(text)?
        .remove(0);
    let bound = crate::cli::bound_workers(&main, env).map_err(text)?;
    let mut all = vec![main];
    all.extend(bound);
    // Service bindings to workers outside the workspace get 503 stand-ins at start, as in dev.
    crate::cli::absent_services(&all).map_err(text)?;
    Ok(all)
}

/// Cargo options for building `worker` as dev does: `profile` when given, else the worker's
/// own `build.profile`, else dev's fast `edge-dev` profile (defined on the command line).
pub fn cargo_options(
    worker: &Worker,
    profile: Option<&str>,
    target_dir: Option<&Path>,
) -> CargoOptions {
    let base = CargoOptions {
        target_dir: target_dir.map(Path::to_path_buf),
        color: "never".into(),
        ..CargoOptions::default()
    };
    let mut options =
        crate::cli::cargo_options_for(&base, worker, ProfileChoice::Named(DEV_PROFILE.into()));
    if let Some(profile) = profile {
        options.profile = ProfileChoice::Named(profile.into());
    }
    if options.profile == ProfileChoice::Named(DEV_PROFILE.into()) {
        options.config.extend([
            format!("profile.{DEV_PROFILE}.inherits=\"release\""),
            format!("profile.{DEV_PROFILE}.lto=false"),
            format!("profile.{DEV_PROFILE}.codegen-units=16"),
            format!("profile.{DEV_PROFILE}.incremental=true"),
            format!("profile.{DEV_PROFILE}.opt-level=1"),
        ]);
    }
    options
}

/// `.dev.vars` (then `.dev.vars.<env>`) beside `worker`'s Cargo.toml, every entry bound as in
/// `cargo edge dev` (undeclared names join `worker.secrets`: [`crate::dotenv::bind_all`]).
pub fn dev_vars(
    worker: &mut Worker,
    env: Option<&str>,
) -> Result<BTreeMap<String, String>, String> {
    let values = read_dev_vars(&crate_dir(worker), env)?;
    crate::dotenv::bind_all(worker, &values);
    Ok(values)
}

/// `.dev.vars`, then `.dev.vars.<env>` over it, from `dir`; missing files are empty.
pub fn read_dev_vars(dir: &Path, env: Option<&str>) -> Result<BTreeMap<String, String>, String> {
    let mut values = crate::dotenv::read(&dir.join(".dev.vars")).map_err(|e| e.to_string())?;
    if let Some(env) = env {
        let more = crate::dotenv::read(&dir.join(format!(".dev.vars.{env}")));
        values.extend(more.map_err(|e| e.to_string())?);
    }
    Ok(values)
}

/// Apply every local D1 database's migrations folder to the state in `state_dir`.
pub fn apply_migrations(workers: &[Worker], state_dir: &Path) -> Result<(), String> {
    for db in workers.iter().flat_map(|w| w.d1.values()) {
        if let Some(dir) = &db.migrations_dir {
            crate::dev::migrations::apply_local(state_dir, &db.name, dir)
                .map_err(|e| format!("D1 `{}`: {e}", db.name))?;
        }
    }
    Ok(())
}

/// The folder of a worker's Cargo.toml.
pub fn crate_dir(worker: &Worker) -> PathBuf {
    worker
        .manifest_path
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}
