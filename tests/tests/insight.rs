//! What `cargo edge build` tells about its output: startup measured in workerd, size attributed
//! by crate (and its change), wasm32 traps in the dependency graph, wasm-bindgen lock versions
//! the embedded one cannot read, and `--panic-unwind`'s toolchain.

use std::path::Path;
use std::process::{Command, Output};

use edge_tests::{cargo_edge_bin, fixture_manifest, fixture_target_dir, root, workerd_bin};
use serde_json::Value;

/// `cargo edge <args>` with extra environment, from the repository root.
fn edge(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(cargo_edge_bin());
    command
        .arg("edge")
        .args(args)
        .current_dir(root())
        .env("WORKERD", workerd_bin());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("cargo-edge runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON events a `--message-format json` run printed.
fn events(output: &Output) -> Vec<Value> {
    text(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Build `manifest` with the fixtures' `fast` profile into the shared target folder.
fn build_json(manifest: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let target = fixture_target_dir();
    let mut args = vec![
        "build",
        "--message-format",
        "json",
        "--profile",
        "fast",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    edge(&args, env)
}

fn startup_and_warnings(manifest: &Path) -> (f64, Vec<String>) {
    let output = build_json(
        manifest,
        &[],
        &[
            ("CARGO_EDGE_STARTUP_RUNS", "3"),
            ("CARGO_EDGE_STARTUP_WARN_MS", "150"),
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let events = events(&output);
    let bundle = events
        .iter()
        .find(|e| e["reason"] == "bundle")
        .expect("a bundle event");
    let startup = bundle["startup"]["startup_ms"]
        .as_f64()
        .unwrap_or_else(|| panic!("startup measured: {bundle}"));
    assert_eq!(
        bundle["startup"]["limit_ms"], 1000,
        "Cloudflare's limit rides along"
    );
    let warnings = events
        .iter()
        .filter(|e| e["reason"] == "warning")
        .filter_map(|e| e["message"].as_str().map(str::to_string))
        .collect();
    (startup, warnings)
}

#[test]
fn a_heavy_start_handler_measures_slower_than_hello_and_warns_past_the_threshold() {
    let (hello, hello_warnings) = startup_and_warnings(&fixture_manifest("hello"));
    let (heavy, heavy_warnings) = startup_and_warnings(&fixture_manifest("heavy-start"));
    assert!(
        heavy > hello + 100.0,
        "heavy-start's #[event(start)] should cost over 100 ms more: hello {hello:.0} ms, heavy {heavy:.0} ms"
    );
    let past = |warnings: &[String]| warnings.iter().any(|w| w.contains("past 150 ms"));
    assert!(past(&heavy_warnings), "{heavy_warnings:#?}");
    assert!(
        !past(&hello_warnings),
        "hello at {hello:.0} ms: {hello_warnings:#?}"
    );
}

#[test]
fn size_lists_the_worker_crate_and_the_crate_itself_summing_to_the_code() {
    let manifest = fixture_manifest("hello");
    let target = fixture_target_dir();
    let output = edge(
        &[
            "size",
            "--message-format",
            "json",
            "--top",
            "1000",
            "--profile",
            "fast",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--target-dir",
            target.to_str().unwrap(),
        ],
        &[],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    let rows = report["rows"].as_array().unwrap();
    let size_of = |krate: &str| {
        rows.iter()
            .find(|r| r["crate"] == krate)
            .and_then(|r| r["size"].as_u64())
            .unwrap_or_else(|| panic!("{krate} is listed: {rows:#?}"))
    };
    let (worker, hello) = (size_of("worker"), size_of("hello"));
    assert!((4_000..200_000).contains(&worker), "worker: {worker} bytes");
    assert!((200..50_000).contains(&hello), "hello: {hello} bytes");
    let sum: u64 = rows.iter().map(|r| r["size"].as_u64().unwrap()).sum();
    let code = report["code"].as_u64().unwrap();
    assert_eq!(sum, code, "the crates add up to the code");
    let (total, data) = (
        report["total"].as_u64().unwrap(),
        report["data"].as_u64().unwrap(),
    );
    assert!(code + data < total && data > 0, "{report}");
    let module = target.join("edge/hello/index_bg.wasm");
    assert_eq!(
        std::fs::metadata(module).unwrap().len(),
        total,
        "the shipped module's size"
    );
}

#[test]
fn dependencies_that_trap_on_wasm32_are_named_with_their_path_and_fix() {
    let manifest = root().join("fixtures/not-workers/wasm-traps/Cargo.toml");
    let output = build_json(&manifest, &[], &[]);
    let warnings: Vec<String> = events(&output)
        .iter()
        .filter(|e| e["reason"] == "warning")
        .filter_map(|e| e["message"].as_str().map(str::to_string))
        .collect();
    let find = |path: &str| {
        warnings
            .iter()
            .find(|w| w.starts_with(&format!("{path} (wasm32 trap")))
            .unwrap_or_else(|| panic!("a warning for {path}: {warnings:#?}"))
    };
    assert!(find("wasm-traps → getrandom").contains("features = [\"js\"]"));
    assert!(find("wasm-traps → tokio").contains("`net`"));
    assert!(find("wasm-traps → tokio → mio").contains("no sockets"));
    assert!(
        !output.status.success(),
        "cargo then fails on them, as warned"
    );
    assert!(!text(&output.stderr).contains("panicked"));
}

/// The stale-lock fixture copied to a temporary folder (`--fix-lock` rewrites its lock).
fn stale_lock_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = root().join("fixtures/not-workers/stale-lock");
    for file in ["Cargo.toml", "Cargo.lock", "src/lib.rs"] {
        let to = dir.path().join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixture.join(file), to).unwrap();
    }
    dir
}

#[test]
fn an_unreadable_wasm_bindgen_lock_gets_the_one_line_fix_and_fix_lock_applies_it() {
    let dir = stale_lock_copy();
    let manifest = dir.path().join("Cargo.toml");
    let refused = build_json(&manifest, &[], &[]);
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused.stdout));
    let error = events(&refused)
        .into_iter()
        .find(|e| e["reason"] == "error")
        .unwrap();
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("locks wasm-bindgen 0.2.129 (schema 0.2.128)"),
        "{message}"
    );
    let help = error["help"].as_str().unwrap();
    let line = "cargo update -p wasm-bindgen -p js-sys -p wasm-bindgen-futures -p web-sys --precise 0.2.130";
    assert!(help.contains(line), "{help}");
    assert!(help.contains("cargo edge build --fix-lock"), "{help}");

    let fixed = build_json(
        &manifest,
        &["--fix-lock"],
        &[("CARGO_EDGE_STARTUP_RUNS", "0")],
    );
    assert!(fixed.status.success(), "{}", text(&fixed.stderr));
    let lock = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    assert!(
        lock.contains("name = \"wasm-bindgen\"\nversion = \"0.2.130\""),
        "{lock}"
    );

    // An edit that adds a dependency shows as a new crate in `cargo edge size --diff`.
    let toml = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        toml.replace("[dependencies]\n", "[dependencies]\nserde_json = \"1\"\n"),
    )
    .unwrap();
    let source = dir.path().join("src/lib.rs");
    let code = std::fs::read_to_string(&source)
        .unwrap()
        .replace("fetch(_req: Request", "fetch(mut req: Request")
        .replace(
            "Response::ok(\"lock fixed\")",
            "let value: serde_json::Value = serde_json::from_str(&req.text().await?)?;\n    Response::ok(value.to_string())",
        );
    std::fs::write(&source, code).unwrap();
    let target = fixture_target_dir();
    let diff = edge(
        &[
            "size",
            "--diff",
            "--profile",
            "fast",
            "--color",
            "never",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--target-dir",
            target.to_str().unwrap(),
        ],
        &[],
    );
    let table = text(&diff.stdout);
    assert!(diff.status.success(), "{}\n{table}", text(&diff.stderr));
    // `worker` uses a little of serde_json already; the new code pulls in its parser.
    let row = table
        .lines()
        .find(|l| l.ends_with("  serde_json") || l.contains("  serde_json  ("));
    let row = row.unwrap_or_else(|| panic!("{table}"));
    let grew: i64 = row.split_whitespace().next().unwrap().parse().unwrap();
    assert!(grew > 1000, "serde_json grew by {grew} bytes:\n{table}");
}

#[test]
fn panic_unwind_names_the_missing_toolchain_pieces() {
    let sysroot = Command::new("rustc")
        .env("RUSTUP_TOOLCHAIN", "nightly")
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| text(&o.stdout).trim().to_string());
    let has_src = sysroot.as_ref().is_some_and(|s| {
        Path::new(s)
            .join("lib/rustlib/src/rust/library/std/Cargo.toml")
            .is_file()
    });
    if has_src {
        eprintln!("nightly with rust-src is installed: --panic-unwind would build; nothing is missing to report");
        return;
    }
    let output = build_json(&fixture_manifest("hello"), &["--panic-unwind"], &[]);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stdout));
    let error = events(&output)
        .into_iter()
        .find(|e| e["reason"] == "error")
        .unwrap();
    let (message, help) = (
        error["message"].as_str().unwrap(),
        error["help"].as_str().unwrap(),
    );
    if sysroot.is_some() {
        assert!(
            message.contains("`rust-src` component of `nightly`"),
            "{message}"
        );
        assert!(
            help.contains("rustup component add rust-src --toolchain nightly"),
            "{help}"
        );
    } else {
        assert!(message.contains("`nightly` toolchain"), "{message}");
        assert!(help.contains("rustup toolchain install nightly"), "{help}");
    }
}
