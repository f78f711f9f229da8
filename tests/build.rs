//! Sets `cfg(nightly_rust_src)` when rustup's nightly toolchain has what `--panic-unwind` needs
//! (its `rust-src` component: `-Zbuild-std` compiles the wasm32 standard library from it), so
//! its end-to-end test runs there and is `#[ignore]`d with the reason everywhere else.
//! Installing nightly later: `touch tests/build.rs`.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(nightly_rust_src)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=RUSTUP_HOME");
    let sysroot = Command::new("rustc")
        .env_remove("RUSTC")
        .env("RUSTUP_TOOLCHAIN", "nightly")
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let Some(sysroot) = sysroot else { return };
    let std_source = Path::new(&sysroot).join("lib/rustlib/src/rust/library/std/Cargo.toml");
    if std_source.is_file() {
        println!("cargo::rustc-cfg=nightly_rust_src");
    }
}
