//! A real PostgreSQL server for a test: `initdb` into a temporary folder and `pg_ctl start` on an
//! OS-picked loopback port, stopped with `pg_ctl stop` when dropped. PostgreSQL refuses to run
//! as root, so under root the server runs as `nobody`. The binaries come from Debian's
//! `postgresql` package (`cargo xtask setup` installs it).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

impl Postgres {
    /// Start a server with a superuser `edge` (trust authentication, loopback only).
    pub fn start() -> Result<Postgres> {
        let bin = bin_dir()
            .context("no PostgreSQL binaries (initdb, pg_ctl): run `cargo xtask setup`")?;
        let dir = tempfile::Builder::new().prefix("edge-pg").tempdir()?;
        let data = dir.path().join("data");
        if as_root() {
            // The server's folder belongs to the user it runs as.
            run(Command::new("chown").arg("nobody").arg(dir.path()))?;
        }
        run(user(&bin.join("initdb"))
            .args([
                "-U",
                "edge",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-instructions",
                "-D",
            ])
            .arg(&data))?;
        let port = crate::free_port();
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {}",
            dir.path().display()
        );
        run(user(&bin.join("pg_ctl"))
            .args(["-w", "-t", "60", "-D"])
            .arg(&data)
            .args(["-l"])
            .arg(dir.path().join("server.log"))
            .args(["-o", &options, "start"]))?;
        Ok(Postgres { dir, bin, port })
    }

    /// `postgres://edge@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://edge@127.0.0.1:{}/postgres", self.port)
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = user(&self.bin.join("pg_ctl"))
            .args(["-w", "-m", "fast", "-D"])
            .arg(self.dir.path().join("data"))
            .arg("stop")
            .output();
    }
}

/// The folder holding `initdb` and `pg_ctl`: `$PG_BIN`, then PATH, then Debian's folders.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let versions = std::fs::read_dir("/usr/lib/postgresql").ok()?;
        let mut dirs: Vec<PathBuf> = versions.flatten().map(|e| e.path().join("bin")).collect();
        dirs.sort();
        dirs.into_iter().rev().find(|d| d.join("initdb").is_file())
    })
}

fn as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program`, run as `nobody` when the tests run as root.
fn user(program: &Path) -> Command {
    if as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "nobody", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) -> Result<()> {
    let output = command.output().with_context(|| format!("{command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
