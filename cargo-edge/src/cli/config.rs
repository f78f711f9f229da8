//! `cargo edge config`: the model rendered for workerd, wrangler or Cloudflare's upload API.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::context;
use super::failure::{plain, CommandResult, Failure};
use super::flags::WorkerArgs;
use super::members;
use crate::build::{CargoOptions, ProfileChoice};
use crate::manifest;
use crate::model::Worker;
use crate::render::{capnp, upload, wrangler};
use crate::report::{Built, Reporter};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigFormat {
    /// A workerd config for `workerd serve` (self-hosting and the local runtime)
    Capnp,
    /// wrangler.toml, with every environment
    Wrangler,
    /// wrangler.jsonc, with every environment
    WranglerJson,
    /// The `metadata` part of a Cloudflare script upload
    UploadJson,
    /// The resolved model, as JSON
    Model,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub worker: WorkerArgs,
    #[arg(long, value_enum, default_value_t = ConfigFormat::Capnp)]
    pub format: ConfigFormat,
    /// Write to this file instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Directory for all generated artifacts
    #[arg(long, value_name = "DIRECTORY")]
    pub target_dir: Option<PathBuf>,
    /// Build with the given profile (default: release)
    #[arg(long, value_name = "PROFILE-NAME")]
    pub profile: Option<String>,
    /// Every worker of the workspace (without it and -p, a workspace root gives its default members)
    #[arg(long, conflicts_with = "package", help_heading = "Package Selection")]
    pub workspace: bool,
}

pub fn config(args: ConfigArgs) -> CommandResult {
    let selected = members::select(
        args.worker.manifest_path.as_deref(),
        args.worker.package.as_deref(),
        args.workspace,
    )?;
    let text = match selected {
        Some(manifests) if manifests.len() > 1 => several(&manifests, &args)?,
        Some(manifests) => {
            let only = WorkerArgs {
                manifest_path: manifests.into_iter().next(),
                package: None,
                ..args.worker.clone()
            };
            render(&context::load_worker(&only)?, &args)?
        }
        None => render(&context::load_worker(&args.worker)?, &args)?,
    };
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(|e| {
            plain(
                format!("could not write {}: {e}", path.display()),
                "check the path",
            )
        })?,
        None => print!("{text}"),
    }
    Ok(())
}

/// The worker's config in the format asked for.
fn render(worker: &Worker, args: &ConfigArgs) -> Result<String, Failure> {
    // In an environment, bindings to sibling workers name their scripts there (as deploy does).
    let renamed = context::renamed_in_env(vec![worker.clone()], args.worker.env.as_deref())?;
    let worker = &renamed[0];
    Ok(match args.format {
        ConfigFormat::Model => {
            serde_json::to_string_pretty(worker).expect("the model serializes") + "\n"
        }
        ConfigFormat::Wrangler | ConfigFormat::WranglerJson => wrangler_text(worker, args)?,
        ConfigFormat::Capnp | ConfigFormat::UploadJson => bundled_text(worker, args)?,
    })
}

/// Several workers' configs (a workspace root): the JSON formats as one object keyed by worker
/// name, the others one after the other, each under a comment naming its worker.
fn several(manifests: &[PathBuf], args: &ConfigArgs) -> Result<String, Failure> {
    if args.output.is_some() {
        return Err(plain(
            format!(
                "`-o` writes one worker's config, and {} workers are selected",
                manifests.len()
            ),
            "choose one with -p NAME, or leave out -o to print them all",
        ));
    }
    let mut json = serde_json::Map::new();
    let mut text = String::new();
    for manifest in manifests {
        let worker = context::load_worker(&WorkerArgs {
            manifest_path: Some(manifest.clone()),
            package: None,
            ..args.worker.clone()
        })?;
        let rendered = render(&worker, args)?;
        let comment = match args.format {
            ConfigFormat::Model | ConfigFormat::UploadJson => {
                let value = serde_json::from_str(&rendered).expect("rendered JSON");
                json.insert(worker.name.clone(), value);
                continue;
            }
            ConfigFormat::WranglerJson => "//",
            ConfigFormat::Capnp | ConfigFormat::Wrangler => "#",
        };
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!(
            "{comment} worker `{}` ({})\n{rendered}",
            worker.name,
            manifest.display()
        ));
    }
    if !json.is_empty() {
        text = serde_json::to_string_pretty(&json).expect("json") + "\n";
    }
    Ok(text)
}

/// wrangler config for the worker outside any environment plus every environment it declares.
fn wrangler_text(worker: &Worker, args: &ConfigArgs) -> Result<String, Failure> {
    let base = manifest::load_worker(&worker.manifest_path, None)?.worker;
    let mut envs = Vec::new();
    for env in declared_envs(&worker.manifest_path) {
        let in_env = manifest::load_worker(&worker.manifest_path, Some(&env))?.worker;
        // `[env.X]` names the siblings' scripts in X, as a deploy to X does.
        envs.extend(context::renamed_in_env(vec![in_env], Some(&env))?);
    }
    let crate_dir = worker.manifest_path.parent().unwrap_or(Path::new("."));
    let target = context::target_dir(&worker.manifest_path, args.target_dir.as_deref())?;
    // Bundles are written under the worker's name outside any environment.
    let main = target.join("edge").join(&base.name).join("shim.mjs");
    let config_dir = args
        .output
        .as_deref()
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(crate_dir);
    // The content-hash var is the hash of the bundle wrangler's build command makes: the same
    // build, with the same profile.
    let built = build(&[&base], args)?;
    let config = wrangler::config(
        &base,
        &envs,
        &wrangler::Built {
            main_module: &main,
            content_hash: &built[0].bundle.content_hash,
            profile: args.profile.as_deref(),
        },
        &std::path::absolute(config_dir).unwrap_or_default(),
    );
    Ok(match args.format {
        ConfigFormat::WranglerJson => wrangler::to_jsonc(config),
        _ => wrangler::to_toml(&config),
    })
}

/// The environments the worker has: its `[package.metadata.edge.env.*]` tables in file order,
/// then those only its workspace's `[workspace.metadata.edge.env.*]` declares.
fn declared_envs(manifest: &Path) -> Vec<String> {
    let mut names = env_tables(manifest, "package");
    if let Ok(root) = context::workspace_root(manifest) {
        for name in env_tables(&root.join("Cargo.toml"), "workspace") {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// The keys of `[<top>.metadata.edge.env]` in the Cargo.toml at `manifest`.
fn env_tables(manifest: &Path, top: &str) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(manifest) else {
        return Vec::new();
    };
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return Vec::new();
    };
    doc.get(top)
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("edge"))
        .and_then(|e| e.get("env"))
        .and_then(|e| e.as_table_like())
        .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default()
}

/// Build the workers quietly with the profile the arguments name (default: release).
fn build(workers: &[&Worker], args: &ConfigArgs) -> Result<Vec<Built>, Failure> {
    let profile = args
        .profile
        .clone()
        .map(ProfileChoice::Named)
        .unwrap_or(ProfileChoice::Release);
    let cargo = CargoOptions {
        target_dir: args.target_dir.clone(),
        quiet: true,
        color: "never".into(),
        profile: profile.clone(),
        ..CargoOptions::default()
    };
    context::build_all(&cargo, workers, profile, &Reporter::silent())
}

/// Renderings that carry the bundle's content hash: the worker (and the workers it binds)
/// are built first.
fn bundled_text(worker: &Worker, args: &ConfigArgs) -> Result<String, Failure> {
    let mut workers = vec![worker.clone()];
    if args.format == ConfigFormat::Capnp {
        workers.extend(context::bound_workers(worker, args.worker.env.as_deref())?);
        context::check_bound_workers(&workers)?;
    }
    let refs: Vec<&Worker> = workers.iter().collect();
    let built = build(&refs, args)?;
    if args.format == ConfigFormat::UploadJson {
        let rendered = upload::render(
            worker,
            &built[0].bundle,
            &upload::ResourceIds::default(),
            None,
        )
        .map_err(|e| plain(e.to_string(), "check [[package.metadata.edge.migrations]]"))?;
        for warning in &rendered.warnings {
            eprintln!("warning: {warning}");
        }
        return Ok(serde_json::to_string_pretty(&rendered.metadata).expect("json") + "\n");
    }
    // workerd refuses a disk service whose folder is missing: make the Durable Object folders.
    let state = worker
        .manifest_path
        .parent()
        .unwrap_or(Path::new("."))
        .join(".edge/state");
    for unit in workers
        .iter()
        .filter(|w| !w.own_durable_object_classes().is_empty())
    {
        let dir = state.join("do").join(&unit.name);
        std::fs::create_dir_all(&dir).map_err(|e| {
            plain(
                format!("cannot create {}: {e}", dir.display()),
                "check the permissions of the crate folder",
            )
        })?;
    }
    let units: Vec<capnp::Unit> = workers
        .iter()
        .zip(&built)
        .map(|(w, b)| capnp::Unit {
            worker: w,
            bundle: &b.bundle,
        })
        .collect();
    let config_dir = args.output.as_ref().map(|path| {
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::path::absolute(parent).unwrap_or_default()
    });
    let options = capnp::CapnpOptions {
        address: "127.0.0.1:8787".into(),
        max_compatibility_date: None,
        state_dir: Some(state),
        binding_server: capnp::BindingServer {
            address: "127.0.0.1:8788".into(),
            token: None,
        },
        secrets: capnp::Secrets::FromEnvironment,
        allow_private_network: false,
        config_dir,
        local: Default::default(),
        extra_services: Vec::new(),
    };
    capnp::render(&units, &options).map_err(|e| {
        plain(
            e.to_string(),
            "add the bound worker to the workspace, or remove the binding",
        )
    })
}
