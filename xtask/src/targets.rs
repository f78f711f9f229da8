//! cargo-edge must compile where its users work. CI runs on Linux; this checks the Windows
//! build (`x86_64-pc-windows-gnu`, whose build scripts need Debian's mingw-w64 C compiler).
//! macOS has no cross toolchain on Debian; its code paths share the `not(linux)` branches
//! that the Windows check compiles, and its workerd package is chosen by `cfg` the same way.

use std::process::Command;

use anyhow::{bail, Result};

pub const WINDOWS: &str = "x86_64-pc-windows-gnu";
const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";

/// The rust-std for Windows (rustup) and mingw's gcc (apt-get, when running as root).
pub fn setup() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == WINDOWS)
        })
        .unwrap_or(false);
    if !installed {
        super::run(Command::new("rustup").args(["target", "add", WINDOWS]))?;
    }
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
