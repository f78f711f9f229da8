//! The optional `wasm-opt` pass over a production module.
//!
//! binaryen is not a Rust dependency (the `wasm-opt` crate compiles it from C++ for a quarter of
//! an hour), so a `wasm-opt` already on the machine is used when one is found. Most of the size a
//! production bundle sheds comes from the custom sections [`super::bindgen`] strips anyway;
//! `wasm-opt -Oz` takes off a few percent more after LTO and `opt-level = "z"`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::options::WasmOptChoice;
use crate::error::{Error, Result};

/// The wasm features rustc's `wasm32-unknown-unknown` output and wasm-bindgen's glue use. Named
/// one by one: the module reaching wasm-opt has no `target_features` section to detect them from,
/// and `--all-features` lets a new binaryen emit encodings workerd does not read yet.
const FEATURES: &[&str] = &[
    "mutable-globals",
    "sign-ext",
    "nontrapping-float-to-int",
    "bulk-memory",
    "multivalue",
    "reference-types",
    "exception-handling",
];

/// A `wasm-opt` to run, and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmOpt {
    pub path: PathBuf,
    /// `--wasm-opt`, `PATH`, `/usr/bin` or `node_modules`.
    pub source: &'static str,
}

impl WasmOpt {
    /// Whether the user named this binary, so that its failure fails the build.
    pub fn explicit(&self) -> bool {
        self.source == "--wasm-opt"
    }
}

/// The `wasm-opt` the choice selects, if any: `--wasm-opt PATH`, else the first on `PATH`, at
/// `/usr/bin/wasm-opt` (Debian's binaryen), or in a `node_modules` above `project_dir` (npm's).
pub fn locate(choice: &WasmOptChoice, project_dir: &Path) -> Option<WasmOpt> {
    let found = |path: PathBuf, source| Some(WasmOpt { path, source });
    match choice {
        WasmOptChoice::Off => None,
        WasmOptChoice::Path(path) => found(path.clone(), "--wasm-opt"),
        WasmOptChoice::Auto => {
            let on_path = std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join("wasm-opt"))
                    .find(|candidate| candidate.is_file())
            });
            if let Some(path) = on_path {
                return found(path, "PATH");
            }
            let debian = PathBuf::from("/usr/bin/wasm-opt");
            if debian.is_file() {
                return found(debian, "/usr/bin");
            }
            let npm = project_dir.ancestors().find_map(|dir| {
                [
                    dir.join("node_modules/.bin/wasm-opt"),
                    dir.join("node_modules/binaryen/bin/wasm-opt"),
                ]
                .into_iter()
                .find(|c| c.is_file())
            })?;
            found(npm, "node_modules")
        }
    }
}

/// Run `wasm-opt -Oz` over `wasm` and return the optimised module. Any failure is an
/// [`Error::WasmOpt`]; the caller decides whether it fails the build or only warns.
pub fn optimize(wasm_opt: &WasmOpt, wasm: &[u8]) -> Result<Vec<u8>> {
    let dir =
        tempfile::tempdir().map_err(Error::io("creating a temporary folder in", "$TMPDIR"))?;
    let input = dir.path().join("in.wasm");
    let output = dir.path().join("out.wasm");
    std::fs::write(&input, wasm).map_err(Error::io("writing", &input))?;
    let mut command = Command::new(&wasm_opt.path);
    // `--debuginfo` keeps the name section, which the size report reads before it is stripped.
    command
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .arg("-Oz")
        .arg("--debuginfo");
    command.args(FEATURES.iter().map(|f| format!("--enable-{f}")));
    let failure = |reason: String| Error::WasmOpt {
        path: wasm_opt.path.display().to_string(),
        source_name: wasm_opt.source,
        reason,
    };
    let ran = command
        .output()
        .map_err(|e| failure(format!("could not start it: {e}")))?;
    if !ran.status.success() {
        return Err(failure(explain(
            &ran.status,
            &String::from_utf8_lossy(&ran.stderr),
        )));
    }
    let optimized =
        std::fs::read(&output).map_err(|e| failure(format!("it wrote no readable output: {e}")))?;
    if !optimized.starts_with(b"\0asm") {
        return Err(failure("its output is not a wasm module".into()));
    }
    Ok(optimized)
}

/// What wasm-opt's stderr means, in one message: an old binaryen that does not know a feature or
/// an instruction rustc emits is the usual case (Debian 12's binaryen 108 with a current rustc).
fn explain(status: &std::process::ExitStatus, stderr: &str) -> String {
    let first_lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(3)
        .collect();
    let detail = if first_lines.is_empty() {
        format!("it exited with {status} and printed nothing")
    } else {
        format!("it exited with {status}: {}", first_lines.join(" / "))
    };
    let old_binaryen = [
        "Unknown option",
        "unknown opcode",
        "invalid code",
        "feature",
        "parse",
    ]
    .iter()
    .any(|needle| stderr.contains(needle));
    if old_binaryen {
        format!("{detail} (this binaryen is likely older than the wasm features rustc emits)")
    } else {
        detail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_finds_nothing_and_an_explicit_path_is_taken_as_given() {
        let dir = Path::new("/");
        assert_eq!(locate(&WasmOptChoice::Off, dir), None);
        let explicit = locate(&WasmOptChoice::Path("/opt/wasm-opt".into()), dir).unwrap();
        assert_eq!(explicit.path, PathBuf::from("/opt/wasm-opt"));
        assert!(explicit.explicit());
    }

    #[test]
    fn an_old_binaryen_is_named_as_the_likely_cause() {
        let status = Command::new("false").status().unwrap();
        let message = explain(
            &status,
            "[parse exception: invalid code after misc prefix: 17]\n",
        );
        assert!(
            message.contains("older than the wasm features"),
            "{message}"
        );
        let message = explain(&status, "");
        assert!(message.contains("printed nothing"), "{message}");
    }
}
