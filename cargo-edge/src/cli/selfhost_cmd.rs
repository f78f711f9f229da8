//! `cargo edge compile` and `cargo edge export docker|systemd`: the worker as one workerd
//! executable, for self-hosting.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::args::{CompileArgs, ExportArgs, ExportKind, WorkerArgs};
use super::context;
use super::outcome::{plain, CommandResult, Failure};
use crate::build::ProfileChoice;
use crate::model::Worker;
use crate::render::{capnp, selfhost};
use crate::workerd::{self, Search};

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

/// `cargo edge export docker|systemd`: the compiled executable plus the files that run it.
pub fn export(mut args: ExportArgs) -> CommandResult {
    std::fs::create_dir_all(&args.dir).map_err(|e| {
        plain(
            format!("cannot create {}: {e}", args.dir.display()),
            "choose another --dir",
        )
    })?;
    let (worker, _) = {
        let probe = context::load_worker(&WorkerArgs {
            manifest_path: args.compile.cargo.manifest_path.clone(),
            package: args.compile.cargo.package.clone(),
            env: args.compile.env.clone(),
        })?;
        let name = selfhost::unit_name(&probe);
        args.compile.out = Some(args.dir.join(&name));
        // systemd's StateDirectory and the Dockerfile make this folder for the service user.
        args.compile.state_dir = PathBuf::from("/var/lib").join(&name);
        compile(args.compile)?
    };
    let name = selfhost::unit_name(&worker);
    let write = |file: &str, text: String| {
        let path = args.dir.join(file);
        std::fs::write(&path, text).map_err(|e| {
            plain(
                format!("cannot write {}: {e}", path.display()),
                "choose another --dir",
            )
        })
    };
    match args.kind {
        ExportKind::Docker => write(
            "Dockerfile",
            selfhost::dockerfile(&worker, &name, args.port),
        )?,
        ExportKind::Systemd => {
            let (socket, service) =
                selfhost::systemd_units(&worker, &format!("/usr/local/bin/{name}"), args.port);
            write(&format!("{name}.socket"), socket)?;
            write(&format!("{name}.service"), service)?;
        }
    }
    eprintln!(
        "wrote {} into {}",
        match args.kind {
            ExportKind::Docker => "Dockerfile and the executable",
            ExportKind::Systemd => "the socket and service units and the executable",
        },
        args.dir.display()
    );
    Ok(())
}
