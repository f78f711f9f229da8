//! Which wasm-bindgen versions the embedded one can process.
//!
//! wasm-bindgen's macro writes a schema version into every module, and its CLI (here, the
//! embedded `wasm-bindgen-cli-support`) refuses a module whose schema differs from its own and
//! accepts any other. The schema changes in some releases only: 0.2.128 and 0.2.129 both write
//! `0.2.128`, 0.2.130 starts `0.2.130`. So the check compares schemas, read from the locked
//! `wasm-bindgen-shared` source that `cargo metadata` downloaded, not version numbers.

use std::path::Path;
use std::process::Command;

use cargo_metadata::Metadata;

use crate::error::{Error, Result};
use crate::WASM_BINDGEN_VERSION;

/// The schema the embedded wasm-bindgen reads.
pub const EMBEDDED_SCHEMA: &str = wasm_bindgen_shared::SCHEMA_VERSION;

/// Schemas of releases around the embedded one, for a lock whose sources are not on disk.
const KNOWN_SCHEMAS: &[(&str, &str)] = &[
    ("0.2.127", "0.2.122"),
    ("0.2.128", "0.2.128"),
    ("0.2.129", "0.2.128"),
    ("0.2.130", "0.2.130"),
];

/// The schema a wasm-bindgen version writes: from its `wasm-bindgen-shared` source in the
/// graph, else from the table of known releases.
pub fn schema_of(metadata: &Metadata, version: &str) -> Option<String> {
    let from_source = metadata
        .packages
        .iter()
        .find(|p| p.name.as_str() == "wasm-bindgen-shared" && p.version.to_string() == version)
        .and_then(|p| p.manifest_path.parent())
        .and_then(|dir| std::fs::read_to_string(dir.join("src/lib.rs")).ok())
        .and_then(|source| parse_schema(&source));
    from_source.or_else(|| {
        KNOWN_SCHEMAS
            .iter()
            .find(|(release, _)| *release == version)
            .map(|(_, schema)| schema.to_string())
    })
}

/// `pub const SCHEMA_VERSION: &str = "0.2.130";` → `0.2.130`.
fn parse_schema(source: &str) -> Option<String> {
    let line = source
        .lines()
        .find(|l| l.trim_start().starts_with("pub const SCHEMA_VERSION"))?;
    let value = line.split('"').nth(1)?;
    Some(value.to_string())
}

/// Whether the embedded wasm-bindgen can process modules built with `locked`.
pub fn accepts(metadata: &Metadata, locked: &str) -> bool {
    locked == WASM_BINDGEN_VERSION
        || schema_of(metadata, locked).is_some_and(|schema| schema == EMBEDDED_SCHEMA)
}

/// The crates that must move with wasm-bindgen: those in the graph that require it exactly
/// (`js-sys`, `web-sys`, `wasm-bindgen-futures` pin `=0.2.N`), so `--precise` alone cannot
/// move it.
pub fn pinned_with(metadata: &Metadata) -> Vec<String> {
    let mut names: Vec<String> = metadata
        .packages
        .iter()
        .filter(|p| {
            p.dependencies.iter().any(|d| {
                d.name == "wasm-bindgen"
                    && d.req.comparators.iter().any(|c| c.op == semver::Op::Exact)
            })
        })
        .filter(|p| p.source.is_some()) // the user's own crates are not `cargo update` targets
        .map(|p| p.name.to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `cargo update -p wasm-bindgen [-p js-sys ...] --precise 0.2.130`, as words.
pub fn update_args(pinned: &[String]) -> Vec<String> {
    let mut args = vec!["update".to_string(), "-p".into(), "wasm-bindgen".into()];
    for name in pinned {
        args.extend(["-p".to_string(), name.clone()]);
    }
    args.extend(["--precise".to_string(), WASM_BINDGEN_VERSION.to_string()]);
    args
}

/// The command line a user can paste.
pub fn update_line(pinned: &[String], manifest_flag: &str) -> String {
    format!("cargo {}{manifest_flag}", update_args(pinned).join(" "))
}

/// `--fix-lock`: run the update in the workspace and report cargo's own error if it refuses.
pub fn fix_lock(workspace_manifest: &Path, pinned: &[String]) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(update_args(pinned))
        .arg("--manifest-path")
        .arg(workspace_manifest)
        .output()
        .map_err(|source| Error::Spawn {
            program: "cargo".into(),
            help: "set $CARGO to the cargo binary, or put cargo on PATH".into(),
            source,
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(Error::FixLock {
        line: update_line(pinned, ""),
        stderr: stderr.trim_end().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_constant_is_read_from_source() {
        let source = "// comment\npub const SCHEMA_VERSION: &str = \"0.2.128\";\n";
        assert_eq!(parse_schema(source).as_deref(), Some("0.2.128"));
        assert_eq!(parse_schema("fn main() {}"), None);
    }

    #[test]
    fn the_embedded_release_is_in_the_table_with_its_own_schema() {
        let entry = KNOWN_SCHEMAS
            .iter()
            .find(|(r, _)| *r == WASM_BINDGEN_VERSION);
        assert_eq!(entry, Some(&(WASM_BINDGEN_VERSION, EMBEDDED_SCHEMA)));
    }

    #[test]
    fn the_update_line_moves_the_exact_pinners_too() {
        let line = update_line(
            &["js-sys".into(), "web-sys".into()],
            " --manifest-path x/Cargo.toml",
        );
        assert_eq!(
            line,
            format!("cargo update -p wasm-bindgen -p js-sys -p web-sys --precise {WASM_BINDGEN_VERSION} --manifest-path x/Cargo.toml")
        );
    }
}
