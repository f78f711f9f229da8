//! `cargo edge build --panic-unwind` end to end: nightly with `-Zbuild-std`, the bundle served by
//! real workerd, a panic caught as an exception so the instance (and what its memory holds)
//! keeps serving. Needs rustup's nightly with its `rust-src` component; `tests/build.rs`
//! finds them, and without them the test is ignored (`--panic-unwind`'s error for the missing
//! pieces is tested in `insight.rs`).

use edge_tests::{build_fixture_uncached, get, Workerd};

/// `/hits` three times around a `/panic`; the counts and the logs.
fn hits_around_a_panic(extra: &[&str]) -> (Vec<String>, String) {
    let bundle = build_fixture_uncached("fidelity", &[&["--profile", "fast"], extra].concat())
        .unwrap_or_else(|e| panic!("{e:#}"));
    let workerd = Workerd::serve_bundle(&bundle).unwrap();
    let hits = || {
        let (status, body) = get(&workerd.url("/hits")).unwrap();
        assert_eq!(status, 200, "{body}\n{}", workerd.logs());
        body
    };
    let mut counts = vec![hits(), hits()];
    let (status, _) = get(&workerd.url("/panic")).unwrap();
    assert_eq!(status, 500, "{}", workerd.logs());
    counts.push(hits());
    let (status, body) = get(&workerd.url("/")).unwrap();
    assert_eq!((status, body.as_str()), (200, "fidelity"));
    (counts, workerd.logs())
}

#[test]
#[cfg_attr(
    not(nightly_rust_src),
    ignore = "opt-in (its first run compiles std with nightly, ~10 min): EDGE_TEST_PANIC_UNWIND=1 with rustup's nightly and rust-src (`rustup toolchain install nightly --profile minimal --component rust-src`)"
)]
fn panic_unwind_catches_the_panic_and_the_instance_keeps_its_memory() {
    let (counts, logs) = hits_around_a_panic(&["--panic-unwind"]);
    assert_eq!(counts, ["1", "2", "3"], "{logs}");
    assert!(
        logs.contains("fidelity: the /panic route panics on purpose"),
        "the panic message is not logged:\n{logs}"
    );
    assert!(!logs.contains("fresh wasm instance"), "{logs}");

    // The same fixture without it: the panic aborts, the shim resets the instance, and the
    // count starts again.
    let (counts, logs) = hits_around_a_panic(&[]);
    assert_eq!(counts, ["1", "2", "1"], "{logs}");
    assert!(logs.contains("fresh wasm instance"), "{logs}");
}
