//! Handing a config that contains secrets to workerd without writing it to disk.
//!
//! `workerd serve` reads a text config only from a path that is a regular file (`-` on stdin is
//! accepted only with `--binary`, and `/dev/stdin` is refused as "not a file"). On Linux an
//! anonymous in-memory file (`memfd_create`) is a regular file that lives in RAM: the config is
//! written to it, its descriptor is inherited by workerd alone, and workerd opens
//! `/proc/self/fd/<N>`. There is no directory for paths in such a config to be relative to:
//! `embed` module paths must be absolute, and workerd must run with `--import-path /` so they
//! resolve ([`ConfigFd::serve_command`] does both). Verified with workerd 1.20261117.1.
//!
//! Elsewhere (macOS, Windows) there is no memfd: the config goes to a private temporary file
//! (mode 0600 on Unix; the user's temp folder on Windows) that is deleted when the [`ConfigFd`]
//! is dropped; drop it once workerd is listening. CI compiles this fallback for Windows
//! (`cargo xtask test` checks that target); the tests run on Linux, so it never runs there.

use std::io::Write;

use super::error::{DevError, Result};

/// A config held where only workerd can read it.
#[derive(Debug)]
pub struct ConfigFd {
    #[cfg(target_os = "linux")]
    fd: std::os::fd::OwnedFd,
    #[cfg(not(target_os = "linux"))]
    file: tempfile::NamedTempFile,
}

#[cfg(target_os = "linux")]
impl ConfigFd {
    /// Write `config` to a new in-memory file (close-on-exec: only [`Self::pass_to`] shares it).
    pub fn new(config: &str) -> Result<ConfigFd> {
        use std::os::fd::FromRawFd;
        // SAFETY: memfd_create takes a NUL-terminated name and flags; it returns a new fd or -1.
        let raw = unsafe { libc::memfd_create(c"cargo-edge-config".as_ptr(), libc::MFD_CLOEXEC) };
        if raw < 0 {
            return Err(DevError::ConfigFd(std::io::Error::last_os_error()));
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) };
        let mut file = std::fs::File::from(fd.try_clone().map_err(DevError::ConfigFd)?);
        file.write_all(config.as_bytes())
            .map_err(DevError::ConfigFd)?;
        Ok(ConfigFd { fd })
    }

    /// The path workerd opens: `/proc/self/fd/<N>` (valid in the child, which inherits `N`).
    pub fn path(&self) -> String {
        use std::os::fd::AsRawFd;
        format!("/proc/self/fd/{}", self.fd.as_raw_fd())
    }

    /// Let `command`'s process (only it) inherit the descriptor. Keep `self` alive until the
    /// process has started.
    pub fn pass_to(&self, command: &mut std::process::Command) {
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let raw = self.fd.as_raw_fd();
        // SAFETY: the closure only calls fcntl, which is async-signal-safe, between fork and exec.
        unsafe {
            command.pre_exec(move || {
                let flags = libc::fcntl(raw, libc::F_GETFD);
                if flags < 0 || libc::fcntl(raw, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
}

#[cfg(not(target_os = "linux"))]
impl ConfigFd {
    /// Write `config` to a private temporary file, deleted when `self` is dropped.
    pub fn new(config: &str) -> Result<ConfigFd> {
        let mut file = tempfile::Builder::new()
            .prefix("cargo-edge-config")
            .suffix(".capnp")
            .tempfile()
            .map_err(DevError::ConfigFd)?;
        file.write_all(config.as_bytes())
            .map_err(DevError::ConfigFd)?;
        Ok(ConfigFd { file })
    }

    /// The temporary file's path.
    pub fn path(&self) -> String {
        self.file.path().display().to_string()
    }

    /// Nothing to share: workerd opens the file by path.
    pub fn pass_to(&self, _command: &mut std::process::Command) {}
}

impl ConfigFd {
    /// `workerd serve --experimental --import-path / <options> <config path>`, ready to spawn.
    /// `--experimental` is what the dispatcher worker's `service_binding_extra_handlers` needs.
    /// Keep `self` alive until the process has started (until it listens, off Linux).
    pub fn serve_command(
        &self,
        workerd: &std::path::Path,
        options: &[&str],
    ) -> std::process::Command {
        let mut command = std::process::Command::new(workerd);
        command.args(["serve", "--experimental", "--import-path", "/"]);
        command.args(options).arg(self.path());
        self.pass_to(&mut command);
        command
    }
}
