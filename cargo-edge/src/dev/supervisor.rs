//! One workerd process: started on a config, on a loopback port, with its output passed
//! through; stopped on request or when dropped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    #[error("could not start workerd `{path}`: {source}")]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("workerd exited during start-up ({status}); its output is above")]
    Exited { status: String },
    #[error("workerd did not listen on 127.0.0.1:{port} within {seconds} s")]
    Timeout { port: u16, seconds: u64 },
}

/// How to run workerd.
#[derive(Debug, Clone)]
pub struct Launch {
    pub binary: PathBuf,
    pub config: PathBuf,
    /// The loopback port of the config's `http` socket (overridden with `--socket-addr`).
    pub port: u16,
    /// `--inspector-addr 127.0.0.1:PORT`.
    pub inspector_port: Option<u16>,
    /// `serve --experimental` (the dev dispatcher worker needs it).
    pub experimental: bool,
    pub verbose: bool,
    /// Environment for `fromEnvironment` bindings (secrets); never written to disk.
    pub env: BTreeMap<String, String>,
    /// The config embeds absolute paths (`--import-path /`): it was handed over in memory.
    pub absolute_embeds: bool,
}

pub struct Running {
    child: Child,
    pub port: u16,
}

/// Start workerd and wait until its socket accepts connections.
pub async fn start(launch: &Launch, startup: Duration) -> Result<Running, SupervisorError> {
    start_with(launch, startup, |_| {}).await
}

/// [`start`], letting `prepare` adjust the command first (to pass it a descriptor, say).
pub async fn start_with(
    launch: &Launch,
    startup: Duration,
    prepare: impl FnOnce(&mut std::process::Command),
) -> Result<Running, SupervisorError> {
    let mut command = std::process::Command::new(&launch.binary);
    command
        .arg("serve")
        .arg(&launch.config)
        .arg("--socket-addr")
        .arg(format!("http=127.0.0.1:{}", launch.port));
    if launch.absolute_embeds {
        command.args(["--import-path", "/"]);
    }
    if launch.experimental {
        command.arg("--experimental");
    }
    if launch.verbose {
        command.arg("--verbose");
    }
    if let Some(port) = launch.inspector_port {
        command
            .arg("--inspector-addr")
            .arg(format!("127.0.0.1:{port}"));
    }
    command
        .envs(&launch.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    prepare(&mut command);
    die_with_parent(&mut command);
    let mut command = Command::from(command);
    command.kill_on_drop(true);
    let mut child = command.spawn().map_err(|source| SupervisorError::Spawn {
        path: launch.binary.clone(),
        source,
    })?;
    pass_through(child.stdout.take(), false);
    pass_through(child.stderr.take(), true);
    let deadline = tokio::time::Instant::now() + startup;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(SupervisorError::Exited {
                status: status.to_string(),
            });
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", launch.port))
            .await
            .is_ok()
        {
            return Ok(Running {
                child,
                port: launch.port,
            });
        }
        if tokio::time::Instant::now() > deadline {
            return Err(SupervisorError::Timeout {
                port: launch.port,
                seconds: startup.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
}

impl Running {
    /// Stop workerd: SIGTERM, then SIGKILL if it lingers.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
            if tokio::time::timeout(Duration::from_secs(2), self.child.wait())
                .await
                .is_ok()
            {
                return;
            }
        }
        let _ = self.child.kill().await;
    }

    /// Whether workerd has exited on its own.
    pub fn exited(&mut self) -> Option<String> {
        self.child
            .try_wait()
            .ok()
            .flatten()
            .map(|status| status.to_string())
    }
}

/// On Linux, workerd is killed when cargo-edge dies, even by `kill -9`: no orphan keeps the
/// port or the Durable Object files.
fn die_with_parent(command: &mut std::process::Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe; it runs in the child between fork and exec.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}

/// Copy workerd's output to ours, line by line, as it comes.
fn pass_through(
    stream: Option<impl tokio::io::AsyncRead + Unpin + Send + 'static>,
    to_stderr: bool,
) {
    let Some(stream) = stream else { return };
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if to_stderr {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
        }
    });
}

/// A loopback port the OS considers free right now.
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Write a config readable only by this user; it may hold the session token.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    // Elsewhere (Windows) a new file inherits the folder's ACL: the user's own temp folder.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())
}
