//! `cargo edge compile`: the worker as one self-contained workerd executable.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use clap::Args;

use super::context;
use super::failure::{plain, Failure};
use super::flags::{CargoArgs, OutputArgs};
use crate::build::ProfileChoice;
use crate::model::Worker;
use crate::render::{capnp, selfhost};
use crate::workerd::{self, Search};

#[derive(Debug, Args)]
pub struct CompileArgs {
    #[command(flatten)]
    pub cargo: CargoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Environment from [package.metadata.edge.env.NAME]
    #[arg(short = 'e', long, value_name = "NAME")]
    pub env: Option<String>,
    /// The executable to write (default: target/edge/<worker>.bin)
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Where Durable Objects keep their data when the executable runs
    #[arg(long, value_name = "DIR", default_value = "/var/lib/cargo-edge")]
    pub state_dir: PathBuf,
    /// The workerd binary to compile with
    #[arg(long, value_name = "PATH")]
    pub workerd: Option<PathBuf>,
}

/// Build, render a self-hosting config and `workerd compile` it. Returns the worker and the
/// executable's path.
pub fn compile(args: CompileArgs) -> Result<(Worker, PathBuf), Failure> {
    let reporter = context::reporter(&args.output);
    let main = context::worker_for(&args.cargo, args.env.as_deref())?;
    let mut workers = vec![main.clone()];
    workers.extend(context::bound_workers(&main, args.env.as_deref())?);
    let refused: Vec<String> = workers
        .iter()
        .flat_map(selfhost::refused_bindings)
        .map(|r| r.to_string())
        .collect();
    if !refused.is_empty() {
        return Err(plain(
            format!("`{}` uses bindings that exist only on Cloudflare:\n  {}", main.name, refused.join("\n  ")),
            "self-hosted workerd serves vars, secrets (from the environment), service and external bindings and Durable Objects on local disk; change the bindings above, or deploy to Cloudflare with `cargo edge deploy`",
        ));
    }
    let crate_dir = context::crate_dir(&main);
    let workerd = workerd::locate(&Search {
        explicit: args.workerd.clone(),
        project_dir: crate_dir,
        install: false,
    })?;
    let cargo = args.cargo.to_options(&args.output);
    let refs: Vec<&Worker> = workers.iter().collect();
    let built = context::build_all(&cargo, &refs, ProfileChoice::Release, &reporter)?;
    let units: Vec<capnp::Unit> = workers
        .iter()
        .zip(&built)
        .map(|(worker, b)| capnp::Unit {
            worker,
            bundle: &b.bundle,
        })
        .collect();
    let scratch = tempfile::tempdir().map_err(|e| plain(e.to_string(), "check $TMPDIR"))?;
    let options = context::standalone_options(
        "*:8080",
        &workerd.compatibility_date,
        args.state_dir.clone(),
        scratch.path(),
        Vec::new(),
    );
    let config = capnp::render(&units, &options)
        .map_err(|e| plain(e.to_string(), "add the bound worker to the workspace"))?;
    let config_path = scratch.path().join("config.capnp");
    std::fs::write(&config_path, config).map_err(|e| plain(e.to_string(), "check $TMPDIR"))?;
    let out = match &args.out {
        Some(out) => out.clone(),
        None => built[0].bundle.dir.with_extension("bin"),
    };
    write_executable(&workerd.path, &config_path, &out)?;
    reporter.status("Compiled", format!("`{}` → {} (run it with `--socket-addr http=HOST:PORT` or `--socket-fd http=FD`; Durable Objects in {}/do/<worker>)", main.name, out.display(), args.state_dir.display()));
    Ok((main, out))
}

fn write_executable(workerd: &Path, config: &Path, out: &Path) -> Result<(), Failure> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            plain(
                format!("cannot create {}: {e}", parent.display()),
                "choose another -o",
            )
        })?;
    }
    let file = std::fs::File::create(out).map_err(|e| {
        plain(
            format!("cannot write {}: {e}", out.display()),
            "choose another -o",
        )
    })?;
    let output = std::process::Command::new(workerd)
        .arg("compile")
        .arg(config)
        .arg("config")
        .stdout(Stdio::from(file))
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| plain(format!("could not run workerd: {e}"), "pass --workerd PATH"))?;
    if !output.status.success() {
        return Err(plain(
            format!(
                "workerd compile failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
            "run the worker with `cargo edge dev` to see what workerd refuses",
        ));
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| plain(e.to_string(), "check the permissions"))?;
    Ok(())
}
