//! `cargo edge export docker|systemd`: the compiled executable plus the files that run it.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::compile::{compile, CompileArgs};
use super::context;
use super::failure::{plain, CommandResult};
use super::flags::WorkerArgs;
use crate::render::selfhost;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportKind {
    Docker,
    Systemd,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    pub kind: ExportKind,
    #[command(flatten)]
    pub compile: CompileArgs,
    /// The folder to write into
    #[arg(long = "dir", value_name = "DIR", default_value = "deploy")]
    pub dir: PathBuf,
    /// The port the worker listens on
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
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
