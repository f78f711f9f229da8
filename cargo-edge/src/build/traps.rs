//! Dependencies that fail on `wasm32-unknown-unknown` in Workers, found in `cargo metadata`
//! before anything compiles: some stop cargo a minute in (tokio's `net`, getrandom without a
//! backend), the worse ones compile and trap at runtime (tokio's timer, `SystemTime::now`).
//!
//! The graph walked is the normal (non-dev, non-build) dependencies reachable from the worker
//! crate on the wasm target (`cargo metadata --filter-platform`). cargo metadata reports each
//! package's features unified over the whole graph, so a feature a host-only build dependency
//! turns on can show up here too: the path printed with each finding tells which one it is.

use std::collections::{BTreeSet, VecDeque};

use cargo_metadata::{DependencyKind, Metadata, PackageId};
use semver::Version;

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
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub version: Version,
    pub features: BTreeSet<String>,
}

/// The dependency graph of one worker crate: nodes, normal-dependency edges, and the root.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Vec<usize>>,
    pub root: usize,
}

impl Graph {
    /// The graph `cargo metadata` resolved, rooted at `root`.
    pub fn from_metadata(metadata: &Metadata, root: &PackageId) -> Option<Graph> {
        let resolve = metadata.resolve.as_ref()?;
        let index_of = |id: &PackageId| resolve.nodes.iter().position(|n| &n.id == id);
        let mut graph = Graph {
            root: index_of(root)?,
            ..Graph::default()
        };
        for node in &resolve.nodes {
            let package = metadata.packages.iter().find(|p| p.id == node.id)?;
            graph.nodes.push(Node {
                name: package.name.to_string(),
                version: package.version.clone(),
                features: node.features.iter().map(|f| f.as_ref().to_string()).collect(),
            });
            let normal = node.deps.iter().filter(|dep| {
                dep.dep_kinds.is_empty()
                    || dep
                        .dep_kinds
                        .iter()
                        .any(|k| k.kind == DependencyKind::Normal)
            });
            graph
                .edges
                .push(normal.filter_map(|dep| index_of(&dep.pkg)).collect());
        }
        Some(graph)
    }

    /// Every node reachable from the root, with the shortest path to it (breadth first).
    fn paths(&self) -> Vec<(usize, Vec<usize>)> {
        let mut parent: Vec<Option<usize>> = vec![None; self.nodes.len()];
        let mut seen = vec![false; self.nodes.len()];
        let mut order = Vec::new();
        let mut queue = VecDeque::from([self.root]);
        seen[self.root] = true;
        while let Some(at) = queue.pop_front() {
            order.push(at);
            for &next in &self.edges[at] {
                if !seen[next] {
                    seen[next] = true;
                    parent[next] = Some(at);
                    queue.push_back(next);
                }
            }
        }
        order
            .into_iter()
            .map(|node| {
                let mut path = vec![node];
                while let Some(up) = parent[*path.last().expect("not empty")] {
                    path.push(up);
                }
                path.reverse();
                (node, path)
            })
            .collect()
    }
}

/// Every trap in the worker's graph, in breadth-first order.
pub fn scan(graph: &Graph) -> Vec<Trap> {
    let mut traps = Vec::new();
    for (index, path) in graph.paths() {
        let node = &graph.nodes[index];
        for finding in rules(node) {
            traps.push(Trap {
                package: node.name.clone(),
                version: node.version.clone(),
                path: path.iter().map(|&i| graph.nodes[i].name.clone()).collect(),
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
                    "has `time` enabled: its timer reads std::time::Instant, which panics on \
                     wasm32-unknown-unknown (\"time not implemented on this platform\")",
                    "use `worker::Delay` for sleeps and timeouts, and drop tokio's `time` feature",
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
    let dependency = format!("getrandom = {{ version = \"{}.{}\", features = [", v.major, v.minor);
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

    fn node(name: &str, version: &str, features: &[&str]) -> Node {
        Node {
            name: name.into(),
            version: version.parse().unwrap(),
            features: features.iter().map(|f| f.to_string()).collect(),
        }
    }

    /// my-worker → reqwest → tokio(net, time) → mio; my-worker → getrandom 0.2 (no js).
    fn graph() -> Graph {
        Graph {
            nodes: vec![
                node("my-worker", "0.1.0", &[]),
                node("reqwest", "0.12.0", &[]),
                node("tokio", "1.40.0", &["net", "time", "sync"]),
                node("mio", "1.0.0", &[]),
                node("getrandom", "0.2.15", &[]),
                node("unreached", "1.0.0", &[]),
            ],
            edges: vec![vec![1, 4], vec![2], vec![3], vec![], vec![], vec![2]],
            root: 0,
        }
    }

    #[test]
    fn traps_carry_the_shortest_path_and_a_fix() {
        let traps = scan(&graph());
        let lines: Vec<String> = traps.iter().map(Trap::message).collect();
        assert_eq!(traps.len(), 4, "{lines:#?}");
        let getrandom = traps.iter().find(|t| t.package == "getrandom").unwrap();
        assert_eq!(getrandom.path_text(), "my-worker → getrandom");
        assert!(getrandom.fix.contains("features = [\"js\"]"), "{}", getrandom.fix);
        let tokio: Vec<&Trap> = traps.iter().filter(|t| t.package == "tokio").collect();
        assert_eq!(tokio[0].path_text(), "my-worker → reqwest → tokio");
        assert!(tokio[0].problem.contains("`net`"), "{}", tokio[0].problem);
        assert_eq!(tokio[1].when, When::Runtime);
        let mio = traps.iter().find(|t| t.package == "mio").unwrap();
        assert_eq!(mio.path_text(), "my-worker → reqwest → tokio → mio");
    }

    #[test]
    fn supported_feature_sets_are_quiet() {
        let quiet = Graph {
            nodes: vec![
                node("w", "0.1.0", &[]),
                node("tokio", "1.40.0", &["sync", "macros", "rt"]),
                node("getrandom", "0.2.15", &["js"]),
                node("getrandom", "0.3.4", &["wasm_js"]),
                node("ring", "0.17.8", &[]),
                node("chrono", "0.4.40", &["clock", "wasmbind"]),
            ],
            edges: vec![vec![1, 2, 3, 4, 5], vec![], vec![], vec![], vec![], vec![]],
            root: 0,
        };
        assert_eq!(scan(&quiet), []);
    }

    #[test]
    fn only_old_getrandom_03_with_its_feature_is_fixed_automatically() {
        let auto = |version, features: &[&str]| {
            let g = Graph {
                nodes: vec![node("w", "0.1.0", &[]), node("getrandom", version, features)],
                edges: vec![vec![1], vec![]],
                root: 0,
            };
            scan(&g).first().and_then(|t| t.auto_fix)
        };
        assert_eq!(auto("0.3.2", &["wasm_js"]), Some(AutoFix::GetrandomBackendCfg));
        assert_eq!(auto("0.3.2", &[]), None, "the cfg without the feature is a compile error");
        assert_eq!(auto("0.3.4", &[]), None);
        assert_eq!(auto("0.2.15", &[]), None);
    }
}
