//! cargo-edge must compile where its users work. CI runs on Linux; this checks the Windows
//! build (`x86_64-pc-windows-gnu`, whose build scripts need Debian's mingw-w64 C compiler) and
//! the macOS build (`aarch64-apple-darwin`). Debian has no C toolchain for macOS, and ring's and
//! SQLite's build scripts need one: zig's `cc` carries macOS's libc headers, and cargo-zigbuild
//! (both from PyPI, in a virtualenv under `.tools/`) puts it in front of cargo. Both are checks
//! (`clippy`): nothing is linked or run there.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Result};

pub const WINDOWS: &str = "x86_64-pc-windows-gnu";
const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";
pub const MACOS: &str = "aarch64-apple-darwin";
/// cargo-zigbuild's PyPI release (it pulls in the `ziglang` package, zig itself).
const ZIGBUILD: &str = "cargo-zigbuild==0.24.1";

/// Add `target`'s rust-std with rustup unless it is installed.
fn ensure_rust_target(target: &str) -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == target)
        })
        .unwrap_or(false);
    if installed {
        return Ok(());
    }
    super::run(Command::new("rustup").args(["target", "add", target]))
}

/// The rust-std for Windows (rustup) and mingw's gcc (apt-get, when running as root).
pub fn setup() -> Result<()> {
    ensure_rust_target(WINDOWS)?;
    if has_mingw() {
        return Ok(());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    if !root {
        bail!("the Windows check needs {MINGW_GCC}: run `sudo apt-get install gcc-mingw-w64-x86-64-win32`");
    }
    super::run(Command::new("apt-get").args([
        "install",
        "-y",
        "--no-install-recommends",
        "gcc-mingw-w64-x86-64-win32",
    ]))
}

fn has_mingw() -> bool {
    Command::new(MINGW_GCC)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `cargo clippy -p cargo-edge --target x86_64-pc-windows-gnu -- -D warnings`.
pub fn check_windows() -> Result<()> {
    setup()?;
    super::run(super::cargo().current_dir(super::root()).args([
        "clippy",
        "--package",
        "cargo-edge",
        "--target",
        WINDOWS,
        "--",
        "-D",
        "warnings",
    ]))
}

/// The virtualenv holding cargo-zigbuild and zig.
fn zigbuild_env() -> PathBuf {
    super::root().join(".tools/zigbuild")
}

/// The rust-std for macOS (rustup) and cargo-zigbuild with zig (pip, into `.tools/zigbuild`).
fn setup_macos() -> Result<PathBuf> {
    ensure_rust_target(MACOS)?;
    let env = zigbuild_env();
    let zigbuild = env.join("bin/cargo-zigbuild");
    if zigbuild.is_file() {
        return Ok(zigbuild);
    }
    super::run(Command::new("python3").arg("-m").arg("venv").arg(&env))?;
    super::run(Command::new(env.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        ZIGBUILD,
    ]))?;
    Ok(zigbuild)
}

/// `cargo zigbuild clippy -p cargo-edge --target aarch64-apple-darwin -- -D warnings`.
pub fn check_macos() -> Result<()> {
    let zigbuild = setup_macos()?;
    // zig is found as `python3 -m ziglang`: the virtualenv's python comes first.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![zigbuild_env().join("bin")];
    paths.extend(std::env::split_paths(&path));
    let mut command = Command::new(zigbuild);
    super::without_run_env(&mut command);
    super::run(
        command
            .current_dir(super::root())
            .env("PATH", std::env::join_paths(paths)?)
            .args(["clippy", "--package", "cargo-edge", "--target", MACOS])
            .args(["--", "-D", "warnings"]),
    )
}
