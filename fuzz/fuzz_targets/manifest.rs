//! Any text as a Cargo.toml: loading it (with and without `--env`) must return a worker or a
//! rendered error, never panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for env in [None, Some("prod")] {
        match cargo_edge::manifest::parse_str(text, Path::new("fuzz/Cargo.toml"), env) {
            Ok(loaded) => {
                for warning in &loaded.warnings {
                    let _ = warning.render();
                }
            }
            Err(error) => {
                assert!(!error.render().is_empty());
            }
        }
    }
});
