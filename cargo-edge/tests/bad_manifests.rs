//! The corpus of bad manifests: every folder of `fixtures/bad-manifests/` holds a Cargo.toml that
//! cargo-edge must refuse (or warn about), and `expected.txt`, the exact message a user sees.
//! `args.txt`, when present, holds the `--env` name. `EDGE_BLESS=1` rewrites the expected files.

use std::path::{Path, PathBuf};

use cargo_edge::manifest::date::Date;
use cargo_edge::manifest::{load_project_with, LoadOptions};

/// Dates in messages are relative to this "today", so the expected files never go stale.
const TODAY: Date = Date {
    year: 2026,
    month: 1,
    day: 15,
};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cases() -> Vec<PathBuf> {
    let dir = repo_root().join("fixtures/bad-manifests");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/bad-manifests exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    cases.sort();
    cases
}

/// What the user sees for one case: every problem rendered, errors or warnings.
fn render(case: &Path) -> (String, bool) {
    let env = std::fs::read_to_string(case.join("args.txt")).ok();
    let options = LoadOptions {
        env: env.map(|e| e.trim().to_string()),
        display_root: Some(repo_root()),
        today: Some(TODAY),
    };
    match load_project_with(case, &options) {
        Err(error) => (error.render(), true),
        Ok(loaded) => {
            let text: String = loaded.warnings.iter().map(|w| w.render()).collect();
            let problems = !loaded.warnings.is_empty();
            (text, problems)
        }
    }
}

#[test]
fn every_bad_manifest_gets_its_exact_message() {
    let bless = std::env::var_os("EDGE_BLESS").is_some();
    let cases = cases();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let (actual, any_problem) = render(case);
        if !any_problem {
            failures.push(format!("{name}: loaded without a single error or warning"));
            continue;
        }
        let expected_path = case.join("expected.txt");
        if bless {
            std::fs::write(&expected_path, &actual).expect("write expected.txt");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{name}: expected\n{expected}\n--- but got\n{actual}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ (EDGE_BLESS=1 rewrites them):\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn messages_name_the_file_line_and_column_relative_to_the_repository() {
    let case = repo_root().join("fixtures/bad-manifests/02-unknown-kv-key");
    let (text, _) = render(&case);
    assert!(
        text.contains("[fixtures/bad-manifests/02-unknown-kv-key/Cargo.toml:16:11]"),
        "{text}"
    );
    assert!(
        text.contains("package.metadata.edge.kv.CACHE.idd"),
        "{text}"
    );
    assert!(text.contains("did you mean `id`?"), "{text}");
}

#[test]
fn problems_serialize_with_file_line_column_key_and_help() {
    let case = repo_root().join("fixtures/bad-manifests/02-unknown-kv-key");
    let options = LoadOptions {
        display_root: Some(repo_root()),
        today: Some(TODAY),
        ..LoadOptions::default()
    };
    let error = load_project_with(&case, &options).expect_err("a bad manifest");
    let json = serde_json::to_value(&error).expect("serializable");
    let expected = serde_json::json!([{
        "level": "error",
        "code": "edge::manifest::unknown_key",
        "message": "unknown key `package.metadata.edge.kv.CACHE.idd`",
        "file": "fixtures/bad-manifests/02-unknown-kv-key/Cargo.toml",
        "line": 16,
        "column": 11,
        "key": "package.metadata.edge.kv.CACHE.idd",
        "help": "did you mean `id`?",
    }]);
    assert_eq!(json, expected);
}
