//! The one `cargo build` call: streamed JSON messages in, the `.wasm` artifact out.

use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cargo_metadata::Message;

use super::options::CargoOptions;
use super::preflight::{WorkerCrate, WASM_TARGET};
use crate::error::{Error, Result};
use crate::report::Reporter;

/// The command line of the build, without running it (shown with `-v`).
pub fn command(options: &CargoOptions, krate: &WorkerCrate) -> Command {
    let cargo = match options.panic_unwind {
        true => super::unwind::cargo_program().into(),
        false => std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
    };
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--lib")
        .args(["--target", WASM_TARGET])
        .arg("--message-format=json-render-diagnostics")
        .args(["--color", &options.color])
        .arg("--manifest-path")
        .arg(&krate.manifest_path)
        // The package id, not the name: a package named like one of its dependencies
        // (`cargo edge new axum --template axum`) makes the bare name ambiguous to cargo.
        .args(["--package", &krate.package_id.repr])
        .args(["--profile", options.profile.name()])
        .arg("--target-dir")
        .arg(&krate.target_dir)
        .args(options.feature_args())
        .args(options.lock_args());
    for config in &options.config {
        command.arg("--config").arg(config);
    }
    if options.panic_unwind {
        super::unwind::apply(&mut command, options.profile.name());
    }
    for _ in 0..options.verbose {
        command.arg("--verbose");
    }
    if options.quiet {
        command.arg("--quiet");
    }
    // The wasm-bindgen proc-macro reads this to emit `js_sys::futures` paths, as worker-build
    // sets it; cargo does not pass RUSTFLAGS to host proc-macros, hence an environment variable.
    command.env("WASM_BINDGEN_USE_JS_SYS", "1");
    command
}

/// Run cargo, let its diagnostics and progress through to stderr, and return the one `.wasm`.
pub fn build(options: &CargoOptions, krate: &WorkerCrate, reporter: &Reporter) -> Result<PathBuf> {
    let mut command = command(options, krate);
    reporter.verbose(format!("running {command:?}"));
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|source| Error::Spawn {
            program: "cargo".into(),
            help: "set $CARGO to the cargo binary, or put cargo on PATH".into(),
            source,
        })?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut wasm_files = Vec::new();
    for message in Message::parse_stream(BufReader::new(stdout)) {
        let message = message.map_err(Error::io("reading cargo's output from", "cargo build"))?;
        match message {
            Message::CompilerArtifact(artifact) if artifact.package_id == krate.package_id => {
                wasm_files.extend(
                    artifact
                        .filenames
                        .into_iter()
                        .filter(|f| f.extension() == Some("wasm"))
                        .map(PathBuf::from),
                );
            }
            Message::TextLine(line) => reporter.passthrough(&line),
            _ => {}
        }
    }
    let status = child
        .wait()
        .map_err(Error::io("waiting for", "cargo build"))?;
    if !status.success() {
        return Err(Error::Compile {
            status: status
                .code()
                .map_or_else(|| status.to_string(), |c| c.to_string()),
        });
    }
    match wasm_files.as_slice() {
        [one] => Ok(one.clone()),
        files => Err(Error::WasmArtifacts {
            package: krate.package.clone(),
            count: files.len(),
            files: files.iter().map(|f| f.display().to_string()).collect(),
        }),
    }
}
