//! Property test: whatever text is handed in as a Cargo.toml, and however wrong its metadata
//! table is, loading returns a worker or a rendered error and never panics.
//!
//! `PROPTEST_CASES` sets the number of cases (default 256 per property, a few seconds).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use cargo_edge::manifest::keys::{Key, Shape, PACKAGE_KEYS};
use cargo_edge::manifest::parse_str;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const HEADER: &str = "[package]\nname = \"fuzz\"\nversion = \"0.1.0\"\n\n";

/// Every key name the table knows, at any depth, plus binding-ish and wrong names.
fn vocabulary() -> Vec<String> {
    fn walk(keys: &[Key], out: &mut Vec<String>) {
        for key in keys {
            out.push(key.name.to_string());
            match &key.shape {
                Shape::Table(inner) | Shape::StrOr(inner) => walk(inner, out),
                Shape::List(Shape::Table(inner)) => walk(inner, out),
                Shape::Map {
                    value: Shape::Table(inner),
                    ..
                } => walk(inner, out),
                _ => {}
            }
        }
    }
    let mut names = Vec::new();
    walk(PACKAGE_KEYS, &mut names);
    let extra = [
        "CACHE",
        "DB",
        "prod",
        "prdo",
        "my-binding",
        "1X",
        "class",
        "env",
        "\"a.b\"",
        "q",
    ];
    names.extend(extra.iter().map(|s| s.to_string()));
    names.sort();
    names.dedup();
    names
}

/// A TOML value as text: scalars of every type, arrays and inline tables, nested.
fn value(keys: Vec<String>) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        (0i64..300).prop_map(|i| i.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        "[ -~]{0,12}".prop_map(|s| format!("{s:?}")),
        prop::sample::select(keys.clone()).prop_map(|s| format!("{s:?}")),
        Just("\"2025-01-01\"".to_string()),
        Just("2999-02-30".to_string()),
        Just("\"*/5 * * * *\"".to_string()),
        Just("1.5".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
    ];
    leaf.prop_recursive(4, 32, 6, move |inner| {
        let keys = keys.clone();
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::btree_map(prop::sample::select(keys), inner, 0..4).prop_map(|kv| {
                let pairs: Vec<String> = kv.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{{ {} }}", pairs.join(", "))
            }),
        ]
    })
}

/// A metadata table whose keys and values are mostly plausible and often wrong; sometimes with
/// workspace defaults that make it resolvable.
fn metadata() -> impl Strategy<Value = String> {
    let keys = vocabulary();
    let lines = prop::collection::btree_map(
        prop::sample::select(keys.clone()),
        value(keys.clone()),
        0..6,
    );
    let path = prop::collection::vec(prop::sample::select(keys), 0..3);
    let sections = prop::collection::btree_map(path, lines, 1..5);
    let defaults = prop_oneof![
        Just(""),
        Just("[workspace]\n[workspace.metadata.edge]\ncompatibility_date = \"2025-01-01\"\n"),
    ];
    (defaults, sections).prop_map(|(defaults, sections)| {
        let body: Vec<String> = sections
            .iter()
            .map(|(path, lines)| {
                let header: String = path.iter().map(|p| format!(".{p}")).collect();
                let lines: Vec<String> = lines.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("[package.metadata.edge{header}]\n{}\n", lines.join("\n"))
            })
            .collect();
        format!("{HEADER}{defaults}{}", body.join("\n"))
    })
}

/// How the loads of one property ended: resolved, TOML syntax error, metadata errors.
#[derive(Default)]
struct Tally {
    cases: AtomicU64,
    ok: AtomicU64,
    syntax: AtomicU64,
    metadata: AtomicU64,
}

/// Loads `text` with and without `--env`, rendering whatever comes back.
fn load_everything(text: &str, tally: &Tally) {
    tally.cases.fetch_add(1, Ordering::Relaxed);
    for env in [None, Some("prod")] {
        let counter = match parse_str(text, Path::new("fuzz/Cargo.toml"), env) {
            Ok(loaded) => {
                loaded
                    .warnings
                    .iter()
                    .for_each(|w| assert!(!w.render().is_empty()));
                &tally.ok
            }
            Err(error) => {
                assert!(
                    error.problems.iter().any(|p| p.is_error()),
                    "an error without errors"
                );
                assert!(!error.render().is_empty());
                match error.problems.first() {
                    Some(p) if p.code == "toml" => &tally.syntax,
                    _ => &tally.metadata,
                }
            }
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

fn run(name: &str, strategy: impl Strategy<Value = String>) {
    let tally = Tally::default();
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    let result = TestRunner::new(config).run(&strategy, |text| {
        load_everything(&text, &tally);
        Ok(())
    });
    let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
    eprintln!(
        "{name}: {} cases; loads: {} resolved, {} TOML errors, {} metadata errors",
        n(&tally.cases),
        n(&tally.ok),
        n(&tally.syntax),
        n(&tally.metadata)
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

#[test]
fn arbitrary_text_never_panics() {
    run(
        "arbitrary text",
        any::<String>().prop_map(|s| format!("{HEADER}{s}")),
    );
}

#[test]
fn toml_ish_text_never_panics() {
    let token = prop_oneof![
        Just("[package.metadata.edge]\n"),
        Just("[package.metadata.edge.env.prod]\n"),
        Just("[[package.metadata.edge.migrations]]\n"),
        Just("[workspace.metadata.edge]\n"),
        Just("kv.CACHE = {}\n"),
        Just(" = "),
        Just("\"x\""),
        Just("compatibility_date"),
        Just("{"),
        Just("}"),
        Just("["),
        Just("]"),
        Just("\n"),
        Just("\u{1F600}"),
    ];
    let text = prop::collection::vec(token, 0..40).prop_map(|t| format!("{HEADER}{}", t.concat()));
    run("toml-ish text", text);
}

#[test]
fn structured_but_wrong_metadata_never_panics() {
    run("structured metadata", metadata());
}
