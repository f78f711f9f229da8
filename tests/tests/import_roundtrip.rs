//! `cargo edge import` of the wrangler config cargo-edge renders for the `bindings` fixture
//! (every binding kind and setting, an environment) gives back the same worker.

use cargo_edge::manifest::load_worker;
use edge_tests::{cargo_edge, fixture_manifest, fixture_target_dir, scratch_crate};

#[test]
fn the_bindings_fixture_round_trips_through_wrangler() {
    let manifest = fixture_manifest("bindings");
    let dir = tempfile::tempdir().unwrap();
    let wrangler = dir.path().join("wrangler.toml");
    let target = fixture_target_dir();
    let rendered = cargo_edge(&[
        "config",
        "--format",
        "wrangler",
        "--profile",
        "fast",
        "-o",
        wrangler.to_str().unwrap(),
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
    ]);
    assert!(rendered.status.success(), "{rendered:?}");
    let cargo_toml = dir.path().join("Cargo.toml");
    std::fs::write(
        &cargo_toml,
        "[package]\nname = \"bindings\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[workspace]\n",
    )
    .unwrap();
    let imported = cargo_edge(&[
        "import",
        wrangler.to_str().unwrap(),
        "--manifest-path",
        cargo_toml.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&imported.stderr);
    assert!(imported.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "nothing is dropped:\n{stderr}");
    for env in [None, Some("prod")] {
        let mut original = load_worker(&manifest, env).unwrap().worker;
        // The one dev-only field wrangler has no key for: a dispatch namespace's local_workers.
        for binding in original.kind_bindings.values_mut() {
            binding.fields.remove("local_workers");
        }
        let back = load_worker(&cargo_toml, env)
            .unwrap_or_else(|e| panic!("{}", e.render()))
            .worker;
        assert_eq!(back.name, original.name);
        assert_eq!(back.kind_bindings, original.kind_bindings, "{env:?}");
        assert_eq!(back.settings, original.settings, "{env:?}");
        assert_eq!(back.unsafe_bindings, original.unsafe_bindings);
        assert_eq!(back.vars, original.vars);
        assert_eq!(back.secrets, original.secrets);
        assert_eq!(back.compatibility_date, original.compatibility_date);
    }
}

/// What wrangler's file leaves open is settled and said: no `compatibility_date` becomes the
/// bundled workerd's (a warning), an empty Hyperdrive id is a warning naming it, and a deploy
/// refuses that id before it builds or sends anything.
#[test]
fn an_import_settles_a_missing_date_and_a_deploy_refuses_an_empty_hyperdrive_id() {
    let dir = tempfile::tempdir().unwrap();
    let wrangler = dir.path().join("wrangler.toml");
    std::fs::write(
        &wrangler,
        "name = \"pg\"\nmain = \"build/index.js\"\n\n[[hyperdrive]]\nbinding = \"PG\"\nid = \"\"\nlocalConnectionString = \"postgres://u:p@localhost:5432/db\"\n",
    )
    .unwrap();
    let cargo_toml = scratch_crate(
        dir.path(),
        "[package]\nname = \"pg\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[workspace]\n",
    );
    let manifest = cargo_toml.to_str().unwrap();
    let imported = cargo_edge(&[
        "import",
        wrangler.to_str().unwrap(),
        "--manifest-path",
        manifest,
    ]);
    let stderr = String::from_utf8_lossy(&imported.stderr);
    assert!(imported.status.success(), "{stderr}");
    let date = cargo_edge::new::COMPATIBILITY_DATE;
    assert!(
        stderr.contains("no `compatibility_date`") && stderr.contains(&format!("wrote \"{date}\"")),
        "{stderr}"
    );
    assert!(
        stderr.contains("`package.metadata.edge.hyperdrive.PG.id` is empty"),
        "{stderr}"
    );
    let written = std::fs::read_to_string(&cargo_toml).unwrap();
    assert!(
        written.contains(&format!("compatibility_date = \"{date}\"")),
        "{written}"
    );

    let out = dir.path().join("out");
    let deploy = cargo_edge(&[
        "deploy",
        "--dry-run",
        out.to_str().unwrap(),
        "--manifest-path",
        manifest,
    ]);
    let stderr = String::from_utf8_lossy(&deploy.stderr);
    assert!(!deploy.status.success(), "{stderr}");
    assert!(
        stderr.contains("`package.metadata.edge.hyperdrive.PG.id` is empty")
            && stderr.contains("write the configuration's id"),
        "{stderr}"
    );
    assert!(!stderr.contains("Compiling") && !out.exists(), "{stderr}");
}
