//! One workerd process: started on a config, on a loopback port, with its output passed
//! through (and its last lines kept for a crash report); watched, so its exit is known the
//! moment it happens; stopped on request or when dropped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::output::Output;

#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    #[error("could not start workerd `{path}`: {source}")]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("workerd exited during start-up ({status})")]
    Exited { status: String, output: Vec<String> },
    #[error("workerd did not listen on 127.0.0.1:{port} within {seconds} s")]
    Timeout {
        port: u16,
        seconds: u64,
        output: Vec<String>,
    },
}

impl SupervisorError {
    /// What workerd printed last before it failed.
    pub fn output(&self) -> &[String] {
        match self {
            SupervisorError::Spawn { .. } => &[],
            SupervisorError::Exited { output, .. } | SupervisorError::Timeout { output, .. } => {
                output
            }
        }
    }
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

/// A started workerd. A task owns the process: it reaps it the moment it exits (no zombie) and
/// records how it ended; [`Running::died`] resolves then.
pub struct Running {
    pub port: u16,
    /// workerd's process id (while it runs; the OS may reuse it once workerd is reaped).
    pub pid: Option<u32>,
    /// When it was started.
    pub started: std::time::Instant,
    exit: watch::Receiver<Option<String>>,
    output: Output,
    /// Dropping it (or sending) stops workerd.
    stop: Option<oneshot::Sender<()>>,
}

/// How long workerd must stay up after its socket first accepts a connection.
const STARTUP_GRACE: Duration = Duration::from_millis(120);

/// Start workerd and wait until its socket accepts connections.
pub async fn start(launch: &Launch, startup: Duration) -> Result<Running, SupervisorError> {
    start_with(launch, startup, |_| {}).await
}

fn command(launch: &Launch) -> std::process::Command {
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
    command
}

/// [`start`], letting `prepare` adjust the command first (to pass it a descriptor, say).
pub async fn start_with(
    launch: &Launch,
    startup: Duration,
    prepare: impl FnOnce(&mut std::process::Command),
) -> Result<Running, SupervisorError> {
    let mut command = command(launch);
    prepare(&mut command);
    die_with_parent(&mut command);
    let mut command = Command::from(command);
    command.kill_on_drop(true);
    let mut child = command.spawn().map_err(|source| SupervisorError::Spawn {
        path: launch.binary.clone(),
        source,
    })?;
    let pid = child.id();
    let output = Output::default();
    let readers = [
        pass_through(child.stdout.take(), false, output.clone()),
        pass_through(child.stderr.take(), true, output.clone()),
    ];
    let (exit_tx, exit) = watch::channel(None);
    let (stop, stop_rx) = oneshot::channel();
    tokio::spawn(own(child, stop_rx, exit_tx, readers));
    let mut running = Running {
        port: launch.port,
        pid,
        started: std::time::Instant::now(),
        exit,
        output,
        stop: Some(stop),
    };
    let deadline = tokio::time::Instant::now() + startup;
    loop {
        if let Some(status) = running.exited() {
            // Let the readers drain what workerd printed before it went.
            let _ = tokio::time::timeout(Duration::from_millis(500), running.died()).await;
            return Err(SupervisorError::Exited {
                status,
                output: running.output(),
            });
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", launch.port))
            .await
            .is_ok()
        {
            // workerd listens before it loads the workers: one that fails to load exits right
            // after. A moment's grace makes that a start-up failure, not a crash later.
            tokio::time::sleep(STARTUP_GRACE).await;
            if running.exited().is_none() {
                return Ok(running);
            }
            continue;
        }
        if tokio::time::Instant::now() > deadline {
            let output = running.output();
            running.stop().await;
            return Err(SupervisorError::Timeout {
                port: launch.port,
                seconds: startup.as_secs(),
                output,
            });
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
}

/// Own the child: wait for it (reaping it), or stop it when asked or when [`Running`] is gone.
/// The exit is published only once its output has been read, so a report has every line.
async fn own(
    mut child: Child,
    stop: oneshot::Receiver<()>,
    exit: watch::Sender<Option<String>>,
    readers: [JoinHandle<()>; 2],
) {
    let status = tokio::select! {
        status = child.wait() => status,
        _ = stop => {
            terminate(&child);
            match tokio::time::timeout(Duration::from_secs(2), child.wait()).await {
                Ok(status) => status,
                Err(_) => {
                    let _ = child.start_kill();
                    child.wait().await
                }
            }
        }
    };
    for reader in readers {
        let _ = tokio::time::timeout(Duration::from_millis(300), reader).await;
    }
    let text = match status {
        Ok(status) => describe(status),
        Err(e) => format!("could not be waited for: {e}"),
    };
    exit.send_replace(Some(text));
}

/// Ask workerd to stop (SIGTERM). Windows has no such request: the caller's grace period
/// runs out and the child is killed.
#[cfg(not(unix))]
fn terminate(_child: &Child) {}

#[cfg(unix)]
fn terminate(child: &Child) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a pid this task owns and has not yet reaped.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}

/// `exit code: 1` (Windows has no signals).
#[cfg(not(unix))]
fn describe(status: std::process::ExitStatus) -> String {
    status.to_string()
}

/// `exit status: 1`, or `killed by signal 9 (SIGKILL)`.
#[cfg(unix)]
fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(signal) => format!("killed by signal {signal}{}", signal_name(signal)),
        None => status.to_string(),
    }
}

#[cfg(unix)]
fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGKILL => " (SIGKILL)",
        libc::SIGSEGV => " (SIGSEGV)",
        libc::SIGABRT => " (SIGABRT)",
        libc::SIGTERM => " (SIGTERM)",
        libc::SIGBUS => " (SIGBUS)",
        _ => "",
    }
}

impl Running {
    /// Stop workerd: SIGTERM, then SIGKILL if it lingers; returns once it is reaped.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.exit.wait_for(|e| e.is_some()).await;
    }

    /// Whether workerd has exited on its own, and how.
    pub fn exited(&self) -> Option<String> {
        self.exit.borrow().clone()
    }

    /// Resolves when workerd exits, with how it ended.
    pub async fn died(&mut self) -> String {
        match self.exit.wait_for(|e| e.is_some()).await {
            Ok(exit) => exit.clone().unwrap_or_default(),
            Err(_) => "ended".to_string(),
        }
    }

    /// workerd's last output lines.
    pub fn output(&self) -> Vec<String> {
        self.output.lines()
    }

    /// A live handle to workerd's output.
    pub fn output_handle(&self) -> Output {
        self.output.clone()
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

/// Copy workerd's output to ours, line by line, as it comes, keeping the last lines in `output`.
fn pass_through(
    stream: Option<impl tokio::io::AsyncRead + Unpin + Send + 'static>,
    to_stderr: bool,
    output: Output,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let Some(stream) = stream else { return };
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if to_stderr {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
            output.push(line);
        }
    })
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
