//! Sets `cfg(nightly_rust_src)` when asked to (`EDGE_TEST_PANIC_UNWIND=1`) and rustup's nightly
//! toolchain has what `--panic-unwind` needs (its `rust-src` component: `-Zbuild-std` compiles
//! the wasm32 standard library from it), so its end-to-end test runs there and is `#[ignore]`d
//! with the reason everywhere else. It is opt-in because its first run compiles std and the
//! fixture's dependencies with nightly (~10 minutes on 2 cores): too much for every CI run.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(nightly_rust_src)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=RUSTUP_HOME");
    println!("cargo::rerun-if-env-changed=EDGE_TEST_PANIC_UNWIND");
    if std::env::var("EDGE_TEST_PANIC_UNWIND").as_deref() != Ok("1") {
        return;
    }
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
