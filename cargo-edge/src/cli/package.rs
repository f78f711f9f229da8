//! `cargo edge package`: the built worker and its rendered configs in one deterministic zip.

use std::path::PathBuf;

use clap::Args;

use super::context;
use super::failure::{plain, CommandResult};
use super::flags::{CargoArgs, OutputArgs};
use crate::build::ProfileChoice;
use crate::render::{upload, wrangler};

#[derive(Debug, Args)]
pub struct PackageArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Environment from [package.metadata.edge.env.NAME]
    #[arg(short = 'e', long, value_name = "NAME")]
    pub env: Option<String>,
    /// The zip to write
    #[arg(short = 'o', long = "out", value_name = "FILE.zip")]
    pub out: PathBuf,
}

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
    let mut extras = vec![
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
    extras.extend(
        crate::deploy::assets::package_entries(&worker)
            .map_err(|e| plain(e.to_string(), "fix the assets folder and rerun"))?,
    );
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
    if let Some(assets) = value["assets"].as_object_mut() {
        assets.remove("directory");
    }
    if let Some(d1) = value["d1"].as_object_mut() {
        for db in d1.values_mut() {
            db["migrations_dir"] = serde_json::Value::Null;
        }
    }
    value
}
