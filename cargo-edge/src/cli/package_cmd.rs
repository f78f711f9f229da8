//! `cargo edge package`: the built worker and its rendered configs in one deterministic zip.

use super::args::{ImportArgs, PackageArgs, TypesArgs};
use super::context;
use super::outcome::{plain, CommandResult};
use crate::build::ProfileChoice;
use crate::render::{upload, wrangler};

pub fn package(args: PackageArgs) -> CommandResult {
    let reporter = context::reporter(&args.output);
    let worker = context::worker_for(&args.cargo, args.env.as_deref())?;
    let cargo = args.cargo.to_options(&args.output);
    let built =
        context::build_all(&cargo, &[&worker], ProfileChoice::Release, &reporter)?.remove(0);
    let metadata = upload::render(
        &worker,
        &built.bundle,
        &upload::ResourceIds::default(),
        None,
    )
    .map_err(|e| plain(e.to_string(), "check [[package.metadata.edge.migrations]]"))?
    .metadata;
    let main = built.bundle.dir.join(&built.bundle.main_module);
    let config = wrangler::config(&worker, &[], &main, &built.bundle.dir);
    let extras = vec![
        (
            "upload-metadata.json".to_string(),
            serde_json::to_vec_pretty(&metadata).expect("json"),
        ),
        (
            "model.json".to_string(),
            serde_json::to_vec_pretty(&worker_for_zip(&worker)).expect("json"),
        ),
        (
            "wrangler.toml".to_string(),
            wrangler::to_toml(&config).into_bytes(),
        ),
    ];
    let hash = crate::package::package(&built.bundle, &extras, &args.out)?;
    reporter.status(
        "Packaged",
        format!(
            "`{}` → {} (sha256 {})",
            worker.name,
            args.out.display(),
            &hash[..16]
        ),
    );
    Ok(())
}

/// The model without machine-specific paths, so the zip is the same on every machine.
fn worker_for_zip(worker: &crate::model::Worker) -> serde_json::Value {
    let mut value = serde_json::to_value(worker).expect("the model serializes");
    value["manifest_path"] = serde_json::Value::Null;
    if let Some(d1) = value["d1"].as_object_mut() {
        for db in d1.values_mut() {
            db["migrations_dir"] = serde_json::Value::Null;
        }
    }
    value
}

/// `cargo edge types`: write (or check) the typed bindings module.
pub fn types(args: TypesArgs) -> CommandResult {
    let worker = context::load_worker(&args.worker)?;
    let text = crate::render::types::module(&worker);
    if args.output.as_os_str() == "-" {
        print!("{text}");
        return Ok(());
    }
    let crate_dir = worker
        .manifest_path
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let path = crate_dir.join(&args.output);
    let current = std::fs::read_to_string(&path).ok();
    if args.check {
        return match current.as_deref() == Some(text.as_str()) {
            true => Ok(()),
            false => Err(plain(
                format!("{} is not current with Cargo.toml", path.display()),
                "run `cargo edge types` and commit the result",
            )),
        };
    }
    if current.as_deref() != Some(text.as_str()) {
        std::fs::write(&path, text).map_err(|e| {
            plain(
                format!("could not write {}: {e}", path.display()),
                "check the path",
            )
        })?;
    }
    eprintln!(
        "wrote {} (add `mod edge_env;` and `use edge_env::EdgeEnv;` to use it)",
        path.display()
    );
    Ok(())
}

/// `cargo edge import wrangler.toml`: write the converted table, then load it back so any
/// problem is reported against the Cargo.toml the user now owns.
pub fn import(args: ImportArgs) -> CommandResult {
    let wrangler = crate::import::read_wrangler(&args.wrangler)?;
    let imported = crate::import::convert(&wrangler);
    let path = &args.manifest_path;
    let text = std::fs::read_to_string(path).map_err(|e| {
        plain(
            format!("could not read {}: {e}", path.display()),
            "pass --manifest-path",
        )
    })?;
    let written = crate::import::write_into(&text, path, &imported.table, args.force)?;
    std::fs::write(path, written).map_err(|e| {
        plain(
            format!("could not write {}: {e}", path.display()),
            "check the permissions",
        )
    })?;
    for key in &imported.skipped {
        eprintln!(
            "warning: `{key}` has no [package.metadata.edge] equivalent yet and was not imported"
        );
    }
    for added in &imported.added {
        eprintln!("note: added {added}");
    }
    eprintln!("wrote [package.metadata.edge] into {}", path.display());
    let loaded = crate::manifest::load_worker(path, None)?;
    context::print_warnings(&loaded.warnings);
    Ok(())
}
