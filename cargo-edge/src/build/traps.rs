//! Dependencies that fail on `wasm32-unknown-unknown` in Workers, found before anything compiles:
//! some stop cargo a minute in (tokio's `net`, getrandom without a backend), the worse ones
//! compile and trap at runtime (tokio's timer, `SystemTime::now`).
//!
//! The graph is `cargo tree --target wasm32-unknown-unknown -e normal`: the real feature
//! resolution of this one package on the wasm target (`cargo metadata` unifies features over the
//! whole workspace and every target, which flags features only a host build enables).
//! Proc-macro crates and what they depend on run on the host and are skipped.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use semver::Version;

use super::options::CargoOptions;
use super::preflight::WASM_TARGET;

/// When a trap springs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// cargo stops with a `compile_error!` from the crate itself.
    Compile,
    /// It compiles, then panics or traps the first time the code runs.
    Runtime,
}

/// A fix cargo-edge applies itself, because it changes nothing but the one crate it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoFix {
    /// `--cfg getrandom_backend="wasm_js"`, which getrandom 0.3.0–0.3.3 need beside the
    /// `wasm_js` feature.
    GetrandomBackendCfg,
}

/// One dependency known to fail on the worker's target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    pub package: String,
    pub version: Version,
    /// Package names from the worker crate to this one.
    pub path: Vec<String>,
    pub when: When,
    pub problem: String,
    pub fix: String,
    pub auto_fix: Option<AutoFix>,
}

impl Trap {
    /// `my-worker → reqwest → tokio`.
    pub fn path_text(&self) -> String {
        self.path.join(" → ")
    }

    /// The warning line, without the `warning:` prefix.
    pub fn message(&self) -> String {
        let when = match self.when {
            When::Compile => "cargo will fail to compile it",
            When::Runtime => "it compiles but fails at runtime",
        };
        format!(
            "{} (wasm32 trap, {when}): {} {}; fix: {}",
            self.path_text(),
            self.package,
            self.problem,
            self.fix
        )
    }
}

/// A package as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub version: Version,
    pub features: BTreeSet<String>,
}

/// Every package of the worker's wasm graph once, with the path cargo tree first reached it by.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub nodes: Vec<(Node, Vec<String>)>,
}

/// The `cargo tree` format [`Graph::parse`] reads.
const TREE_FORMAT: &str = "{p}|{f}";

impl Graph {
    /// Run `cargo tree` for the package on the wasm target. `None` when cargo tree fails (the
    /// build then reports cargo's own error).
    pub fn load(options: &CargoOptions, manifest: &Path, package: &str) -> Option<Graph> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .args([
                "tree",
                "--target",
                WASM_TARGET,
                "-e",
                "normal",
                "--prefix",
                "depth",
            ])
            .args(["--format", TREE_FORMAT, "--color", "never"])
            .arg("--manifest-path")
            .arg(manifest)
            .args(["--package", package])
            .args(options.feature_args())
            .args(options.lock_args())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| Graph::parse(&String::from_utf8_lossy(&output.stdout)))
    }

    /// Read `cargo tree --prefix depth --format '{p}|{f}'` output.
    pub fn parse(text: &str) -> Graph {
        let mut graph = Graph::default();
        let mut seen = BTreeSet::new();
        // (name, is a proc-macro) per depth, down to the current line.
        let mut stack: Vec<(String, bool)> = Vec::new();
        for line in text.lines() {
            let digits = line
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(line.len());
            let Ok(depth) = line[..digits].parse::<usize>() else {
                continue;
            };
            let Some((package, features)) = line[digits..].split_once('|') else {
                continue;
            };
            let mut words = package.split_whitespace();
            let (Some(name), Some(version)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(version) = version.trim_start_matches('v').parse::<Version>() else {
                continue;
            };
            stack.truncate(depth);
            let host = package.contains("(proc-macro)") || stack.iter().any(|(_, host)| *host);
            stack.push((name.to_string(), host));
            if host || !seen.insert((name.to_string(), version.clone())) {
                continue;
            }
            let features = features
                .trim_end_matches(" (*)")
                .split(',')
                .filter(|f| !f.is_empty());
            graph.nodes.push((
                Node {
                    name: name.to_string(),
                    version,
                    features: features.map(str::to_string).collect(),
                },
                stack.iter().map(|(name, _)| name.clone()).collect(),
            ));
        }
        graph
    }
}

/// Every trap in the worker's graph, in the order cargo tree lists the packages.
pub fn scan(graph: &Graph) -> Vec<Trap> {
    let mut traps = Vec::new();
    for (node, path) in &graph.nodes {
        for finding in rules(node) {
            traps.push(Trap {
                package: node.name.clone(),
                version: node.version.clone(),
                path: path.clone(),
                when: finding.when,
                problem: finding.problem,
                fix: finding.fix,
                auto_fix: finding.auto_fix,
            });
        }
    }
    traps
}

/// What one rule found about one package.
struct Finding {
    when: When,
    problem: String,
    fix: String,
    auto_fix: Option<AutoFix>,
}

fn finding(when: When, problem: impl Into<String>, fix: impl Into<String>) -> Finding {
    Finding {
        when,
        problem: problem.into(),
        fix: fix.into(),
        auto_fix: None,
    }
}

/// tokio features with no wasm implementation: tokio's own `compile_error!` names them.
const TOKIO_UNSUPPORTED: &[&str] = &[
    "net",
    "rt-multi-thread",
    "fs",
    "process",
    "signal",
    "io-std",
];

fn rules(node: &Node) -> Vec<Finding> {
    let has = |feature: &str| node.features.contains(feature);
    let v = &node.version;
    let mut found = Vec::new();
    match node.name.as_str() {
        "mio" => found.push(finding(
            When::Compile,
            "is an OS event loop (epoll/kqueue) and wasm32-unknown-unknown has no sockets",
            "turn off the feature that pulls it in (the crate before `mio` in the path; for tokio, `net`); \
             outbound HTTP on Workers goes through `worker::Fetch`",
        )),
        "tokio" => {
            let bad: Vec<&str> = TOKIO_UNSUPPORTED.iter().copied().filter(|f| has(f)).collect();
            if !bad.is_empty() {
                found.push(finding(
                    When::Compile,
                    format!("has `{}` enabled, which tokio does not support on wasm", bad.join("`, `")),
                    "keep tokio to `sync`, `macros`, `io-util` and `rt` (default-features = false on the \
                     dependency that enables the others); the Workers runtime drives futures itself",
                ));
            }
            if has("time") {
                found.push(finding(
                    When::Runtime,
                    "has `time` enabled: `tokio::time` (sleep, timeout, interval) reads \
                     std::time::Instant, which panics on wasm32-unknown-unknown (\"time not \
                     implemented on this platform\") when called; the feature alone does no harm",
                    "use `worker::Delay` for sleeps and timeouts; `cargo tree -e features -i tokio` \
                     shows which dependency turns `time` on (often tokio-stream's default features) \
                     if you want it off",
                ));
            }
        }
        "getrandom" => found.extend(getrandom(node)),
        "ring" if v.major == 0 && v.minor < 17 => found.push(finding(
            When::Compile,
            "before 0.17 has no wasm32-unknown-unknown support",
            "`cargo update -p ring` to 0.17 (it builds for wasm32 with a clang that has the wasm32 \
             target), or move the crypto to the Web Crypto API through `worker::crypto`",
        )),
        "chrono" if (has("clock") || has("now")) && !has("wasmbind") => found.push(finding(
            When::Runtime,
            "has `clock` without `wasmbind`: Utc::now() calls SystemTime::now(), which panics on \
             wasm32-unknown-unknown (chrono ≥ 0.4.38 removes it there instead, a compile error)",
            "add `chrono = { version = \"0.4\", features = [\"wasmbind\"] }` to [dependencies]",
        )),
        "instant" if !has("wasm-bindgen") => found.push(finding(
            When::Runtime,
            "without its `wasm-bindgen` feature is std::time::Instant, which panics on wasm32-unknown-unknown",
            "add `instant = { version = \"0.1\", features = [\"wasm-bindgen\"] }` to [dependencies], or use `web-time`",
        )),
        _ => {}
    }
    found
}

fn getrandom(node: &Node) -> Option<Finding> {
    let v = &node.version;
    let has = |feature: &str| node.features.contains(feature);
    let dependency = format!(
        "getrandom = {{ version = \"{}.{}\", features = [",
        v.major, v.minor
    );
    match (v.major, v.minor) {
        (0, 2) if !has("js") => Some(finding(
            When::Compile,
            "0.2 has no wasm32-unknown-unknown backend unless its `js` feature is on",
            format!("add `{dependency}\"js\"] }}` to [dependencies] (cargo unifies the feature)"),
        )),
        (0, 3) if !has("wasm_js") => Some(finding(
            When::Compile,
            "0.3 has no wasm32-unknown-unknown backend unless its `wasm_js` feature is on",
            format!(
                "add `{dependency}\"wasm_js\"] }}` to [dependencies]{}",
                if v.patch < 4 { " (before 0.3.4 it also needs the cfg, which cargo-edge then sets)" } else { "" }
            ),
        )),
        (0, 3) if v.patch < 4 => Some(Finding {
            auto_fix: Some(AutoFix::GetrandomBackendCfg),
            ..finding(
                When::Compile,
                "0.3.0–0.3.3 with `wasm_js` also needs `--cfg getrandom_backend=\"wasm_js\"`",
                "cargo-edge sets the cfg for this build; `cargo update -p getrandom@0.3` to 0.3.4 or \
                 later needs neither",
            )
        }),
        (0, 4) if !has("wasm_js") => Some(finding(
            When::Compile,
            "0.4 has no wasm32-unknown-unknown backend unless its `wasm_js` feature is on",
            format!("add `{dependency}\"wasm_js\"] }}` to [dependencies]"),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// my-worker → reqwest → tokio(net, time) → mio; my-worker → getrandom 0.2 (no js); a
    /// proc-macro whose own tokio must not count.
    const TREE: &str = "0my-worker v0.1.0 (/w)|\n\
        1getrandom v0.2.15|\n\
        1my-macros v0.1.0 (proc-macro)|\n\
        2tokio v1.40.0|full,net,time\n\
        1reqwest v0.12.0|default\n\
        2tokio v1.40.0|net,sync,time\n\
        3mio v1.0.0|net\n\
        2tokio v1.40.0|net,sync,time (*)\n";

    fn graph_of(lines: &[(&str, &str)]) -> Graph {
        let mut text = String::from("0w v0.1.0 (/w)|\n");
        for (package, features) in lines {
            text.push_str(&format!("1{package}|{features}\n"));
        }
        Graph::parse(&text)
    }

    #[test]
    fn traps_carry_their_path_and_a_fix() {
        let traps = scan(&Graph::parse(TREE));
        let lines: Vec<String> = traps.iter().map(Trap::message).collect();
        assert_eq!(traps.len(), 4, "{lines:#?}");
        let getrandom = traps.iter().find(|t| t.package == "getrandom").unwrap();
        assert_eq!(getrandom.path_text(), "my-worker → getrandom");
        assert!(
            getrandom.fix.contains("features = [\"js\"]"),
            "{}",
            getrandom.fix
        );
        let tokio: Vec<&Trap> = traps.iter().filter(|t| t.package == "tokio").collect();
        assert_eq!(
            tokio[0].path_text(),
            "my-worker → reqwest → tokio",
            "not the proc-macro's"
        );
        assert!(tokio[0].problem.contains("`net`"), "{}", tokio[0].problem);
        assert_eq!(tokio[1].when, When::Runtime);
        let mio = traps.iter().find(|t| t.package == "mio").unwrap();
        assert_eq!(mio.path_text(), "my-worker → reqwest → tokio → mio");
    }

    #[test]
    fn supported_feature_sets_are_quiet() {
        let quiet = graph_of(&[
            ("tokio v1.40.0", "sync,macros,rt"),
            ("getrandom v0.2.15", "js"),
            ("getrandom v0.3.4", "wasm_js"),
            ("ring v0.17.8", ""),
            ("chrono v0.4.40", "clock,wasmbind"),
        ]);
        assert_eq!(scan(&quiet), []);
    }

    #[test]
    fn only_old_getrandom_03_with_its_feature_is_fixed_automatically() {
        let auto = |version: &str, features: &str| {
            let package = format!("getrandom v{version}");
            scan(&graph_of(&[(&package, features)]))
                .first()
                .and_then(|t| t.auto_fix)
        };
        assert_eq!(auto("0.3.2", "wasm_js"), Some(AutoFix::GetrandomBackendCfg));
        assert_eq!(
            auto("0.3.2", ""),
            None,
            "the cfg without the feature is a compile error"
        );
        assert_eq!(auto("0.3.4", ""), None);
        assert_eq!(auto("0.2.15", ""), None);
    }
}
