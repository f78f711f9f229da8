//! `--panic-unwind`: panics unwind instead of aborting, so `catch_unwind` and wasm-bindgen's
//! `PanicError` work. The standard library for wasm32 ships compiled with `panic=abort`, so it is
//! rebuilt: a nightly toolchain (for `-Zbuild-std`) with its `rust-src` component, cargo run as
//! `cargo +nightly build -Zbuild-std=std,panic_unwind` with `-Cpanic=unwind` for every crate and
//! the profile's `panic = "unwind"`, as wasm-bindgen's guide and worker-build 0.8 do.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// The toolchain `--panic-unwind` builds with.
pub const TOOLCHAIN: &str = "nightly";

/// What the machine has of what `--panic-unwind` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// `rustc +nightly --print sysroot`, when that toolchain runs.
    pub sysroot: Option<PathBuf>,
}

impl Probe {
    /// Ask rustup's `rustc` proxy for the nightly sysroot.
    pub fn run(crate_dir: &Path) -> Probe {
        let output = Command::new("rustc")
            .current_dir(crate_dir)
            .env_remove("RUSTC")
            .env("RUSTUP_TOOLCHAIN", TOOLCHAIN)
            .args(["--print", "sysroot"])
            .output();
        let sysroot = output
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        Probe { sysroot }
    }

    /// The pieces that are missing, each with the command that installs it.
    pub fn missing(&self) -> Vec<(String, String)> {
        let Some(sysroot) = &self.sysroot else {
            return vec![(
                format!("the `{TOOLCHAIN}` toolchain (-Zbuild-std is nightly-only)"),
                format!("rustup toolchain install {TOOLCHAIN} --component rust-src"),
            )];
        };
        let std_source = sysroot.join("lib/rustlib/src/rust/library/std/Cargo.toml");
        if std_source.is_file() {
            return Vec::new();
        }
        vec![(
            format!(
                "the `rust-src` component of `{TOOLCHAIN}` (the standard library's source, which -Zbuild-std compiles; {} is absent)",
                std_source.display()
            ),
            format!("rustup component add rust-src --toolchain {TOOLCHAIN}"),
        )]
    }
}

/// Fail with every missing piece named, or pass.
pub fn check(crate_dir: &Path) -> Result<()> {
    let missing = Probe::run(crate_dir).missing();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::PanicUnwindToolchain {
        missing: missing
            .iter()
            .map(|(what, _)| what.clone())
            .collect::<Vec<_>>()
            .join("; "),
        fix: missing
            .iter()
            .map(|(_, fix)| fix.clone())
            .collect::<Vec<_>>()
            .join(" && "),
    })
}

/// Turn a `cargo build` command into the unwinding build: nightly, std rebuilt, every crate and
/// the profile set to unwind.
pub fn apply(command: &mut Command, profile: &str) {
    command
        .env("RUSTUP_TOOLCHAIN", TOOLCHAIN)
        .env_remove("RUSTC")
        .arg("-Zbuild-std=std,panic_unwind")
        .arg("--config")
        .arg(format!("profile.{profile}.panic=\"unwind\""))
        .arg("--config")
        .arg("target.wasm32-unknown-unknown.rustflags=[\"-Cpanic=unwind\"]");
}

/// The cargo to run for `--panic-unwind`: rustup's proxy, which honours `RUSTUP_TOOLCHAIN`
/// ($CARGO points into the stable toolchain itself).
pub fn cargo_program() -> &'static str {
    "cargo"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_toolchain_names_the_toolchain_and_its_install() {
        let missing = Probe { sysroot: None }.missing();
        assert_eq!(missing.len(), 1);
        assert!(missing[0].0.contains("`nightly` toolchain"), "{missing:?}");
        assert!(missing[0].1.contains("rustup toolchain install nightly"));
    }

    #[test]
    fn a_sysroot_without_sources_names_rust_src() {
        let dir = tempfile::tempdir().unwrap();
        let probe = Probe {
            sysroot: Some(dir.path().to_path_buf()),
        };
        let missing = probe.missing();
        assert!(missing[0].0.contains("rust-src"), "{missing:?}");
        assert_eq!(
            missing[0].1,
            "rustup component add rust-src --toolchain nightly"
        );
        let std = dir.path().join("lib/rustlib/src/rust/library/std");
        std::fs::create_dir_all(&std).unwrap();
        std::fs::write(std.join("Cargo.toml"), "").unwrap();
        assert_eq!(probe.missing(), []);
    }
}
