//! Inspecting and seeding local state: `cargo edge kv|r2|d1 ...` (local unless `--remote`),
//! the same storage `cargo edge dev` serves.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use edge_tests::{cargo_edge_bin, fixture_manifest, scratch_crate};

fn local(state: &std::path::Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let manifest = fixture_manifest("full-stack");
    let mut child = Command::new(cargo_edge_bin())
        .arg("edge")
        .args(args)
        .args([
            "--local",
            "--persist-to",
            state.to_str().unwrap(),
            "--manifest-path",
            manifest.to_str().unwrap(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn kv_values_are_seeded_listed_read_and_deleted() {
    let state = tempfile::tempdir().unwrap();
    stdout(&local(
        state.path(),
        &["kv", "put", "CACHE", "greeting", "hello"],
        None,
    ));
    stdout(&local(
        state.path(),
        &["kv", "put", "CACHE", "blob", "-"],
        Some(b"from stdin"),
    ));
    assert_eq!(
        stdout(&local(state.path(), &["kv", "list", "CACHE"], None)),
        "blob\ngreeting\n"
    );
    assert_eq!(
        stdout(&local(state.path(), &["kv", "get", "CACHE", "blob"], None)),
        "from stdin"
    );
    stdout(&local(
        state.path(),
        &["kv", "delete", "CACHE", "blob"],
        None,
    ));
    let missing = local(state.path(), &["kv", "get", "CACHE", "blob"], None);
    assert_eq!(missing.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no key `blob` in `CACHE`"));
    let unknown = local(state.path(), &["kv", "get", "NOPE", "x"], None);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("has no KV binding named `NOPE`"));
}

#[test]
fn r2_objects_are_stored_listed_read_and_deleted() {
    let state = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    stdout(&local(
        state.path(),
        &["r2", "put", "ASSETS", "img/big.bin", "-"],
        Some(&big),
    ));
    stdout(&local(
        state.path(),
        &["r2", "put", "ASSETS", "img/small.txt", "-"],
        Some(b"small"),
    ));
    assert_eq!(
        stdout(&local(
            state.path(),
            &["r2", "list", "ASSETS", "--prefix", "img/"],
            None
        )),
        "img/big.bin\t3000000\nimg/small.txt\t5\n"
    );
    let got = local(state.path(), &["r2", "get", "ASSETS", "img/big.bin"], None);
    assert!(got.status.success());
    assert!(got.stdout == big, "a large object reads back byte for byte");
    stdout(&local(
        state.path(),
        &["r2", "delete", "ASSETS", "img/big.bin"],
        None,
    ));
    assert_eq!(
        stdout(&local(state.path(), &["r2", "list", "ASSETS"], None)),
        "img/small.txt\t5\n"
    );
}

#[test]
fn d1_migrations_apply_once_and_sql_runs_locally() {
    let state = tempfile::tempdir().unwrap();
    let first = local(state.path(), &["d1", "migrations", "apply", "DB"], None);
    assert!(
        String::from_utf8_lossy(&first.stderr).contains("applied 0001_notes.sql"),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let again = local(state.path(), &["d1", "migrations", "apply", "DB"], None);
    assert!(String::from_utf8_lossy(&again.stderr).contains("no pending migrations"));
    stdout(&local(
        state.path(),
        &[
            "d1",
            "execute",
            "DB",
            "--command",
            "INSERT INTO notes (body) VALUES ('seeded')",
        ],
        None,
    ));
    let rows = stdout(&local(
        state.path(),
        &["d1", "execute", "DB", "--command", "SELECT body FROM notes"],
        None,
    ));
    assert!(rows.contains("seeded"), "{rows}");
}

/// `--persist-to` alone names a local state folder: no Cloudflare credentials are asked for
/// (wrangler users reach for it with d1 execute).
#[test]
fn a_state_folder_implies_local() {
    let state = tempfile::tempdir().unwrap();
    stdout(&local(
        state.path(),
        &["kv", "put", "CACHE", "greeting", "hello"],
        None,
    ));
    let manifest = fixture_manifest("full-stack");
    let run = |args: &[&str]| {
        let mut command = Command::new(cargo_edge_bin());
        command
            .arg("edge")
            .args(args)
            .args(["--persist-to", state.path().to_str().unwrap()])
            .args(["--manifest-path", manifest.to_str().unwrap()]);
        for (name, _) in std::env::vars() {
            if name.starts_with("CLOUDFLARE_") {
                command.env_remove(name);
            }
        }
        command.output().unwrap()
    };
    assert_eq!(stdout(&run(&["kv", "get", "CACHE", "greeting"])), "hello");
    let sql = run(&["d1", "execute", "DB", "--command", "SELECT 1 AS one"]);
    assert!(
        sql.status.success(),
        "{}",
        String::from_utf8_lossy(&sql.stderr)
    );
}

/// Like wrangler 4, a data command without a flag uses local state (`.edge/state` beside
/// Cargo.toml) with no credentials, says so on standard error, and `--remote` is the way to
/// Cloudflare; contradictory flags are refused before anything is read.
#[test]
fn data_commands_default_to_local_state() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = scratch_crate(
        dir.path(),
        "[package]\nname = \"notes\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[package.metadata.edge]\ncompatibility_date = \"2025-06-01\"\n\n[package.metadata.edge.kv]\nCACHE = {}\n\n[package.metadata.edge.d1]\nDB = { database = \"notes-db\" }\n\n[package.metadata.edge.r2]\nASSETS = { bucket = \"notes-files\" }\n",
    );
    let run = |args: &[&str]| {
        let mut command = Command::new(cargo_edge_bin());
        command
            .arg("edge")
            .args(args)
            .args(["--manifest-path", manifest.to_str().unwrap()]);
        for (name, _) in std::env::vars() {
            if name.starts_with("CLOUDFLARE_") {
                command.env_remove(name);
            }
        }
        command.output().unwrap()
    };
    let stderr = |output: &Output| String::from_utf8_lossy(&output.stderr).into_owned();
    let state = dir.path().join(".edge/state");

    let put = run(&["kv", "put", "CACHE", "greeting", "hello"]);
    let said = format!("Using local state in {}", state.display());
    assert!(stderr(&put).contains(&said), "{}", stderr(&put));
    assert_eq!(stdout(&run(&["kv", "get", "CACHE", "greeting"])), "hello");
    let seed = dir.path().join("seed.json");
    std::fs::write(&seed, r#"[{"key": "a", "value": "aGk=", "base64": true}, {"key": "b", "value": "x", "expiration_ttl": 600}]"#).unwrap();
    stdout(&run(&[
        "kv",
        "bulk",
        "put",
        "CACHE",
        seed.to_str().unwrap(),
    ]));
    assert_eq!(stdout(&run(&["kv", "list", "CACHE"])), "a\nb\ngreeting\n");
    assert_eq!(stdout(&run(&["kv", "get", "CACHE", "a"])), "hi");

    std::fs::write(dir.path().join("note.txt"), "a note").unwrap();
    let note = dir.path().join("note.txt");
    stdout(&run(&[
        "r2",
        "put",
        "ASSETS",
        "n.txt",
        note.to_str().unwrap(),
    ]));
    assert_eq!(stdout(&run(&["r2", "get", "ASSETS", "n.txt"])), "a note");
    // JSON as the remote commands print it: one {"reason", "result"} per line.
    let listed = stdout(&run(&["r2", "list", "ASSETS", "--message-format", "json"]));
    let listed: serde_json::Value = serde_json::from_str(listed.trim()).unwrap();
    assert_eq!(listed["reason"], "r2-object");
    assert_eq!(listed["result"]["key"], "n.txt");
    assert_eq!(listed["result"]["size"], 6);
    assert!(listed["result"]["last_modified"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    let keys = stdout(&run(&[
        "kv",
        "list",
        "CACHE",
        "--prefix",
        "g",
        "--message-format",
        "json",
    ]));
    let key: serde_json::Value = serde_json::from_str(keys.trim()).unwrap();
    assert_eq!(
        (&key["reason"], &key["result"]["name"]),
        (&"kv-key".into(), &"greeting".into())
    );

    let sql = "CREATE TABLE t (x); INSERT INTO t VALUES (7); SELECT x FROM t";
    let rows = stdout(&run(&["d1", "execute", "DB", "--command", sql]));
    assert_eq!(rows, "x\n─\n7\n", "a table, as on Cloudflare");
    assert!(state.join("d1/notes-db.sqlite").is_file());

    // --remote goes to Cloudflare: here, with no credentials, it asks for them.
    let remote = run(&["kv", "get", "CACHE", "greeting", "--remote"]);
    assert!(
        !remote.status.success() && stderr(&remote).contains("CLOUDFLARE_API_TOKEN"),
        "{}",
        stderr(&remote)
    );
    let both = run(&[
        "d1",
        "execute",
        "DB",
        "--command",
        "SELECT 1",
        "--local",
        "--remote",
    ]);
    assert!(
        !both.status.success()
            && stderr(&both).contains("`--local` and `--remote` name two places at once"),
        "{}",
        stderr(&both)
    );
    let folder = run(&["r2", "list", "ASSETS", "--remote", "--persist-to", "x"]);
    assert!(
        stderr(&folder).contains("`--persist-to x` names a local state folder"),
        "{}",
        stderr(&folder)
    );
    let dump = dir.path().join("backup.sql");
    stdout(&run(&["d1", "export", "DB", "-o", dump.to_str().unwrap()]));
    let sql = std::fs::read_to_string(&dump).unwrap();
    assert_eq!(
        sql,
        "PRAGMA defer_foreign_keys=TRUE;\nCREATE TABLE t (x);\nINSERT INTO \"t\" (\"x\") VALUES(7);\n"
    );
}
