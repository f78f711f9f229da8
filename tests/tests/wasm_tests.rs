//! `cargo edge test --wasm`: the `#[wasm_bindgen_test]` functions of `fixtures/tested` run
//! inside workerd with the worker's bindings (KV, D1, R2, a queue with retries and a dead-letter
//! queue, the cron's handler, a Durable Object, a service binding to `fixtures/auth`), reported
//! in libtest's format with libtest's exit code.

use std::process::Output;

use edge_tests::{cargo_edge, fixture_manifest, fixture_target_dir};

fn test(extra: &[&str]) -> (Output, String) {
    let manifest = fixture_manifest("tested");
    let target = fixture_target_dir();
    let mut args = vec![
        "test",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
        "--profile",
        "fast",
    ];
    args.extend_from_slice(extra);
    let output = cargo_edge(&args);
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

#[test]
fn wasm_tests_run_inside_workerd_with_the_bindings() {
    let (output, text) = test(&["--wasm"]);
    assert!(output.status.success(), "{text}");
    for name in [
        "kv_round_trip",
        "d1_has_the_migrated_table",
        "r2_put_and_get",
        "queue_messages_are_consumed_retried_and_dead_lettered",
        "the_cron_records_its_run",
        "durable_object_counts_its_calls",
        "service_binding_reaches_the_auth_worker",
        "vars_come_from_the_manifest",
    ] {
        assert!(
            text.contains(&format!("test wasm_tests::{name} ... ok")),
            "{text}"
        );
    }
    assert!(
        text.contains("test wasm_tests::deliberately_failing ... ignored"),
        "{text}"
    );
    assert!(
        text.contains("test result: ok. 8 passed; 0 failed; 1 ignored"),
        "{text}"
    );
}

#[test]
fn a_failing_wasm_test_is_reported_with_its_message_and_fails_the_run() {
    let (output, text) = test(&["--wasm", "deliberately", "--", "--ignored"]);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("test wasm_tests::deliberately_failing ... FAIL"),
        "{text}"
    );
    assert!(text.contains("this wasm test fails on purpose"), "{text}");
    assert!(
        text.contains("test result: FAILED. 0 passed; 1 failed"),
        "{text}"
    );
}

#[test]
fn filters_select_tests_like_cargo_test() {
    let (output, text) = test(&["--wasm", "kv_round"]);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("test wasm_tests::kv_round_trip ... ok"),
        "{text}"
    );
    assert!(
        text.contains("1 passed; 0 failed; 0 ignored; 8 filtered out"),
        "{text}"
    );
}

/// Without a flag: every kind the crate has, here the wasm tests and tests/workerd/*.js.
#[test]
fn without_a_flag_both_kinds_run() {
    let (output, text) = test(&[]);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("test result: ok. 8 passed"), "{text}");
    assert!(
        text.contains("test routes.test.js::greets ... ok"),
        "{text}"
    );
}
