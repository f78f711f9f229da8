//! `cargo edge build` end to end: fixtures built by the real binary, served by real workerd.

use edge_tests::{
    build_fixture, build_fixture_uncached, cargo_edge, get, root, scratch_crate, Workerd,
};

#[test]
fn hello_serves_its_routes_in_workerd_and_recovers_from_a_panic() {
    let bundle = build_fixture("hello");
    assert_eq!(bundle.main_module, "shim.mjs");
    assert_eq!(bundle.exports.handlers, ["fetch", "scheduled"]);
    assert_eq!(bundle.exports.rpc, ["add"]);
    assert_eq!(bundle.exports.durable_objects, ["Counter"]);

    let workerd = Workerd::serve_bundle(&bundle).unwrap();
    let check = |path: &str, status: u16, body: &str| {
        let (got_status, got_body) = get(&workerd.url(path)).unwrap();
        assert_eq!(
            (got_status, got_body.as_str()),
            (status, body),
            "GET {path}\n{}",
            workerd.logs()
        );
    };
    check("/", 200, "Hello from Rust on workerd!");
    check("/greet/ferris", 200, "Hello, ferris!");
    check("/no/such/route", 404, "Not Found");
    let (status, json) = get(&workerd.url("/json")).unwrap();
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["worker"], "hello");

    // The Durable Object class is re-exported and keeps its state between requests.
    check("/counter", 200, "1");
    check("/counter", 200, "2");

    // A panic fails its own request only; the next requests run on a fresh instance.
    let (status, _) = get(&workerd.url("/panic")).unwrap();
    assert_eq!(status, 500, "{}", workerd.logs());
    check("/", 200, "Hello from Rust on workerd!");
    check("/greet/again", 200, "Hello, again!");
    check("/counter", 200, "3");
    assert!(
        workerd.logs().contains("fresh wasm instance"),
        "{}",
        workerd.logs()
    );
}

#[test]
fn rebuilding_the_same_source_gives_identical_bytes() {
    let first = build_fixture("hello");
    let files: Vec<Vec<u8>> = first
        .modules
        .iter()
        .map(|m| std::fs::read(first.module_path(m)).unwrap())
        .collect();
    // cargo has nothing to do; wasm-bindgen, the shim and the bundle are made again.
    let second = build_fixture_uncached("hello", &[]).unwrap();
    assert_eq!(first.content_hash, second.content_hash);
    assert_eq!(first.modules, second.modules);
    for (module, bytes) in second.modules.iter().zip(&files) {
        assert_eq!(
            &std::fs::read(second.module_path(module)).unwrap(),
            bytes,
            "{}",
            module.name
        );
    }
}

#[test]
fn release_bundles_drop_debug_only_sections() {
    let bundle = build_fixture("hello");
    let wasm = std::fs::read(bundle.dir.join("index_bg.wasm")).unwrap();
    let customs = custom_section_names(&wasm);
    assert!(
        customs.is_empty(),
        "release wasm keeps custom sections {customs:?}"
    );
}

/// The names of a wasm binary's custom sections.
fn custom_section_names(wasm: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut at = 8; // magic + version
    let leb = |at: &mut usize| {
        let (mut value, mut shift) = (0usize, 0);
        loop {
            let byte = wasm[*at];
            *at += 1;
            value |= ((byte & 0x7f) as usize) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                return value;
            }
        }
    };
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(&mut at);
        let end = at + size;
        if id == 0 {
            let mut cursor = at;
            let len = leb(&mut cursor);
            names.push(String::from_utf8_lossy(&wasm[cursor..cursor + len]).into_owned());
        }
        at = end;
    }
    names
}

/// Build one of the crates under `fixtures/not-workers/` and return (exit code, stderr).
fn build_not_a_worker(name: &str) -> (i32, String) {
    let manifest = root()
        .join("fixtures/not-workers")
        .join(name)
        .join("Cargo.toml");
    let output = cargo_edge(&[
        "build",
        "--color",
        "never",
        "--manifest-path",
        manifest.to_str().unwrap(),
    ]);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_typo_in_the_edge_metadata_fails_the_build_as_it_fails_dev_and_deploy() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = scratch_crate(
        dir.path(),
        "[package]\nname = \"typo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\nworker = \"0.8\"\n\n[package.metadata.edge]\ncompatibility_date = \"2025-06-01\"\ncompatiblity_flags = [\"nodejs_compat\"]\n",
    );
    let output = cargo_edge(&["build", "--manifest-path", manifest.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("compatiblity_flags"), "{stderr}");
    assert!(
        stderr.contains("compatibility_flags"),
        "the did-you-mean: {stderr}"
    );
    // Nothing was compiled: the metadata is checked first.
    assert!(!stderr.contains("Compiling"), "{stderr}");
}

#[test]
fn a_crate_without_cdylib_is_told_how_to_add_it() {
    let (code, stderr) = build_not_a_worker("no-cdylib");
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("has no `cdylib` crate type"), "{stderr}");
    assert!(stderr.contains("crate-type = [\"cdylib\"]"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_crate_without_the_worker_dependency_is_told_how_to_add_it() {
    let (code, stderr) = build_not_a_worker("no-worker");
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("does not depend on the `worker` crate"),
        "{stderr}"
    );
    assert!(stderr.contains("cargo add worker@0.8"), "{stderr}");
}

#[test]
fn a_mismatched_wasm_bindgen_is_told_which_version_to_pin() {
    let (code, stderr) = build_not_a_worker("old-wasm-bindgen");
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("locks wasm-bindgen 0.2.129"), "{stderr}");
    assert!(
        stderr.contains("cargo update -p wasm-bindgen -p js-sys -p wasm-bindgen-futures -p web-sys --precise 0.2.130"),
        "{stderr}"
    );
    assert!(stderr.contains("wasm-bindgen = \"=0.2.130\""), "{stderr}");
}

#[test]
fn json_errors_carry_a_code_and_help() {
    let manifest = root().join("fixtures/not-workers/no-cdylib/Cargo.toml");
    let output = cargo_edge(&[
        "build",
        "--message-format",
        "json",
        "--manifest-path",
        manifest.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let event: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(event["reason"], "error");
    assert_eq!(event["code"], "edge::build::no_cdylib");
    assert!(event["help"].as_str().unwrap().contains("cdylib"));
}

#[test]
fn a_missing_wasm_target_is_told_how_to_install_it() {
    // A rustc that answers like one whose wasm32 target was never installed.
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("rustc");
    std::fs::write(
        &fake,
        "#!/bin/sh\ncase \"$*\" in *target-libdir*) echo /nonexistent/wasm32/lib; exit 0;; esac\nexec rustc \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let manifest = edge_tests::fixture_manifest("hello");
    let output = std::process::Command::new(edge_tests::cargo_edge_bin())
        .args([
            "edge",
            "build",
            "--color",
            "never",
            "--manifest-path",
            manifest.to_str().unwrap(),
        ])
        .env("RUSTC", &fake)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("`wasm32-unknown-unknown` is not installed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("rustup target add wasm32-unknown-unknown"),
        "{stderr}"
    );
}

/// A stand-in `wasm-opt` in a temporary folder: `script` is its shell body.
fn fake_wasm_opt(script: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wasm-opt");
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    (dir, path)
}

#[test]
fn a_named_wasm_opt_runs_over_release_builds_with_explicit_features() {
    // Copies its input to `-o` and records how it was called.
    let (dir, wasm_opt) = fake_wasm_opt(
        "echo \"$@\" > \"$(dirname \"$0\")/called\"\nin=$1; shift; [ \"$1\" = -o ] && cp \"$in\" \"$2\"",
    );
    let bundle = build_fixture_uncached("hello", &["--wasm-opt", wasm_opt.to_str().unwrap()])
        .unwrap_or_else(|e| panic!("{e:#}"));
    let called = std::fs::read_to_string(dir.path().join("called")).expect("wasm-opt was run");
    assert!(called.contains("-Oz"), "{called}");
    assert!(called.contains("--enable-bulk-memory"), "{called}");
    assert_eq!(bundle.content_hash, build_fixture("hello").content_hash);
}

#[test]
fn a_failing_named_wasm_opt_fails_the_build_and_says_why() {
    let (_dir, wasm_opt) =
        fake_wasm_opt("echo '[parse exception: invalid code after misc prefix: 17]' >&2; exit 1");
    let error = build_fixture_uncached("hello", &["--wasm-opt", wasm_opt.to_str().unwrap()])
        .expect_err("a named wasm-opt that fails fails the build");
    let text = format!("{error:#}");
    assert!(text.contains("edge::build::wasm_opt"), "{text}");
    assert!(text.contains("invalid code after misc prefix"), "{text}");
    assert!(text.contains("older than the wasm features"), "{text}");
    assert!(text.contains("--no-wasm-opt"), "{text}");
}

#[test]
fn a_failing_wasm_opt_found_on_path_only_warns_and_the_module_is_kept() {
    let (dir, _) = fake_wasm_opt("echo 'wasm-opt: out of cheese' >&2; exit 3");
    let path = std::env::join_paths(
        std::iter::once(dir.path().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let manifest = edge_tests::fixture_manifest("hello");
    let target = edge_tests::fixture_target_dir();
    let output = std::process::Command::new(edge_tests::cargo_edge_bin())
        .args(["edge", "build", "--color", "never", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .env("PATH", path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("warning"), "{stderr}");
    assert!(stderr.contains("out of cheese"), "{stderr}");
    assert!(stderr.contains("kept without wasm-opt"), "{stderr}");
    let rebuilt = cargo_edge::bundle::Bundle::load(&target.join("edge/hello")).unwrap();
    assert_eq!(rebuilt.content_hash, build_fixture("hello").content_hash);

    // `--no-wasm-opt` does not even look.
    let quiet = cargo_edge(&[
        "build",
        "--color",
        "never",
        "--no-wasm-opt",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
    ]);
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("wasm-opt"));
}
