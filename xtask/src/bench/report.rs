//! `bench/RESULTS.md` from the results JSON: machine, versions, every raw figure, the ratios,
//! and the targets met or missed. `bench/notes.md`, written by hand, is appended as the why.

use std::fmt::Write;

use serde_json::Value;

use crate::root;

pub fn markdown(results: &Value) -> String {
    let mut out = String::new();
    let quick = if results["quick"].as_bool() == Some(true) {
        " (--quick)"
    } else {
        ""
    };
    let _ = writeln!(out, "# cargo-edge benchmarks{quick}\n");
    let _ = writeln!(
        out,
        "Written by `cargo xtask bench`; every figure below is from one run on one machine, \
         tools interleaved run by run. Times in seconds as min / median / max of N runs. \
         The raw data is in [results.json](results.json).\n"
    );
    machine(&mut out, results);
    targets(&mut out, results);
    build(&mut out, results);
    dev(&mut out, results);
    deploy(&mut out, results);
    if let Ok(notes) = std::fs::read_to_string(root().join("bench/notes.md")) {
        out.push('\n');
        out.push_str(&notes);
    }
    out
}

fn machine(out: &mut String, r: &Value) {
    let m = &r["machine"];
    let _ = writeln!(out, "## Machine\n");
    let _ = writeln!(
        out,
        "- {} ({} cores), {}, {}",
        s(&m["cpu"]),
        m["cores"],
        s(&m["memory"]),
        s(&m["os"])
    );
    let _ = writeln!(
        out,
        "- load average before / after: {} / {} (other agents compile on the same 2 cores: expect noise)",
        s(&m["loadavg_before"]),
        s(&m["loadavg_after"])
    );
    let runs = &r["runs"];
    let _ = writeln!(
        out,
        "- runs: {} clean builds, {} no-op and edit builds, {} dev starts/edits and no-op deploys, 4 KV loads per dev server\n",
        runs["clean"], runs["builds"], runs["dev"]
    );
    let _ = writeln!(out, "| tool | version |\n| --- | --- |");
    if let Some(versions) = r["versions"].as_object() {
        for (tool, version) in versions {
            let _ = writeln!(out, "| {tool} | {} |", s(version));
        }
    }
    out.push('\n');
}

/// One line per target and fixture: the ratio, and met or missed.
fn targets(out: &mut String, r: &Value) {
    let _ = writeln!(out, "## Targets\n");
    let _ = writeln!(
        out,
        "| target | fixture | figure | met |\n| --- | --- | --- | --- |"
    );
    let mut row = |target: &str, fixture: &str, figure: String, met: Option<bool>| {
        let met = match met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "n/a",
        };
        let _ = writeln!(out, "| {target} | {fixture} | {figure} | {met} |");
    };
    for (fixture, b) in entries(&r["build"]) {
        let gzip = b["bundle"]["gzip_ratio"].as_f64();
        let gzip_opt = b["bundle"]["gzip_ratio_wasm_opt"].as_f64();
        row(
            "bundle gzip ≤ 0.8× worker-build",
            fixture,
            ratio(gzip),
            gzip.map(|g| g <= 0.8),
        );
        row(
            "… with `--wasm-opt` (npm binaryen)",
            fixture,
            ratio(gzip_opt),
            gzip_opt.map(|g| g <= 0.8),
        );
        let startup = &b["startup"];
        if let Some(edge) = startup["cargo-edge_ms"]["median"].as_f64() {
            row(
                "startup (median, ms) under half of Cloudflare's 1 s limit; vs worker-build",
                fixture,
                format!(
                    "{edge:.0} ms vs {} ms ({})",
                    num0(&startup["worker-build_ms"]["median"]),
                    ratio(startup["ratio"].as_f64())
                ),
                Some(edge < 500.0),
            );
        }
        for scenario in ["clean", "noop", "edit"] {
            let own = b["times"][scenario]["own_ratio"].as_f64();
            row(
                &format!("own time on top of cargo ≤ 0.3× worker-build's ({scenario})"),
                fixture,
                ratio(own),
                own.map(|o| o <= 0.3),
            );
        }
    }
    for (fixture, d) in entries(&r["dev"]) {
        let edit = d["ratios"]["edit_to_new_response"].as_f64();
        row(
            "edit → new response ≤ 0.5× wrangler dev",
            fixture,
            ratio(edit),
            edit.map(|e| e <= 0.5),
        );
        if let Some(rps) = d["ratios"]["kv_requests_per_s"].as_f64() {
            let p99 = d["ratios"]["kv_p99"].as_f64().unwrap_or(f64::NAN);
            row(
                "KV read req/s ≥ 1.5× wrangler dev, lower p99",
                fixture,
                format!("{rps:.2}× req/s, {p99:.2}× p99"),
                Some(rps >= 1.5 && p99 < 1.0),
            );
        }
    }
    for (fixture, d) in entries(&r["deploy"]) {
        let noop = &d["cargo-edge"]["noop"];
        row(
            "no-op deploy: 1–2 requests, under 1 s",
            fixture,
            format!(
                "{} requests, {} s median",
                noop["requests"],
                num(&noop["seconds"]["median"])
            ),
            d["noop_target_met"].as_bool(),
        );
    }
    out.push('\n');
}

fn build(out: &mut String, r: &Value) {
    let _ = writeln!(out, "## Build\n");
    let _ = writeln!(
        out,
        "Release builds (the fixtures' `release` profile: `opt-level = \"z\"`, LTO). *clean*: the \
         fixture crate's own artifacts removed with `cargo clean -p` (its dependencies stay \
         built: a full clean of the `worker` crate takes minutes per tool here); *noop*: nothing \
         changed; *edit*: one string literal changed in `src/lib.rs`. *own* = the tool's median \
         minus cargo's median.\n"
    );
    for (fixture, b) in entries(&r["build"]) {
        let _ = writeln!(out, "### {fixture}\n");
        let _ = writeln!(
            out,
            "| scenario | cargo (floor) | cargo-edge | worker-build | cargo-edge own | worker-build own | own ratio |\n| --- | --- | --- | --- | --- | --- | --- |"
        );
        for scenario in ["clean", "noop", "edit"] {
            let t = &b["times"][scenario];
            let _ = writeln!(
                out,
                "| {scenario} | {} | {} | {} | {} | {} | {} |",
                mmm(&t["cargo"]),
                mmm(&t["cargo-edge"]),
                mmm(&t["worker-build"]),
                num(&t["cargo-edge_own"]),
                num(&t["worker-build_own"]),
                ratio(t["own_ratio"].as_f64())
            );
        }
        let bundle = &b["bundle"];
        let _ = writeln!(
            out,
            "\nBundle (what would be uploaded; gzip -9 per file, summed):\n"
        );
        let _ = writeln!(
            out,
            "| tool | raw bytes | gzip bytes | files (raw / gzip) |\n| --- | --- | --- | --- |"
        );
        for tool in ["cargo-edge", "cargo-edge+wasm-opt", "worker-build"] {
            let t = &bundle[tool];
            let files: Vec<String> = t["files"]
                .as_object()
                .map(|f| {
                    f.iter()
                        .map(|(name, v)| format!("{name} {} / {}", v["raw"], v["gzip"]))
                        .collect()
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {tool} | {} | {} | {} |",
                t["raw"],
                t["gzip"],
                files.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "\ngzip ratio cargo-edge / worker-build: {} (with wasm-opt: {}); raw: {}\n",
            ratio(bundle["gzip_ratio"].as_f64()),
            ratio(bundle["gzip_ratio_wasm_opt"].as_f64()),
            ratio(bundle["raw_ratio"].as_f64())
        );
        let startup = &b["startup"];
        if let Some(error) = startup["error"].as_str() {
            let _ = writeln!(out, "Startup: not measured, {error}\n");
        } else if !startup.is_null() {
            let _ = writeln!(
                out,
                "Startup (ms; wasm compile + instantiate + top level, each round the median of {} fresh workerd processes with the worker minus {} without, {} rounds per tool, alternating; Cloudflare's limit: {} ms):\n",
                startup["runs_per_round"], startup["runs_per_round"], startup["rounds"], startup["limit_ms"]
            );
            let _ = writeln!(out, "| tool | startup (ms) |\n| --- | --- |");
            for tool in ["cargo-edge", "worker-build"] {
                let _ = writeln!(out, "| {tool} | {} |", mmm(&startup[format!("{tool}_ms")]));
            }
            let _ = writeln!(out, "\nratio: {}\n", ratio(startup["ratio"].as_f64()));
        }
    }
}

fn dev(out: &mut String, r: &Value) {
    let _ = writeln!(out, "## Dev\n");
    let _ = writeln!(
        out,
        "`cargo edge dev` (its default `edge-dev` profile: release without LTO) vs `wrangler dev` \
         with `[build] command = \"worker-build --release\"` (the workers-rs template's setup), \
         warm caches (one unmeasured start first). *start*: process start to the first 200 on \
         `/`; *edit*: source saved to the first response from the new code; KV read: \
         `wrk -t2 -c16 -d10s` on `GET /kv/bench` (wrk shares the 2 cores with the server), \
         both servers up at once and wrk alternating between them run by run (ABBA…), the \
         1-minute load average noted after each run.\n"
    );
    for (fixture, d) in entries(&r["dev"]) {
        let _ = writeln!(out, "### {fixture}\n");
        let _ = writeln!(
            out,
            "| measure | cargo edge dev | wrangler dev | ratio |\n| --- | --- | --- | --- |"
        );
        for (key, label) in [
            ("start_to_200", "start → 200 (s)"),
            ("edit_to_new_response", "edit → new response (s)"),
        ] {
            let _ = writeln!(
                out,
                "| {label} | {} | {} | {} |",
                mmm(&d["cargo-edge"][key]),
                mmm(&d["wrangler"][key]),
                ratio(d["ratios"][key].as_f64())
            );
        }
        if d["cargo-edge"]["kv_read"].is_object() {
            for (key, label, ratio_key) in [
                ("requests_per_s", "KV read requests/s", "kv_requests_per_s"),
                ("p50_ms", "KV read p50 (ms)", ""),
                ("p99_ms", "KV read p99 (ms)", "kv_p99"),
            ] {
                let shown = if ratio_key.is_empty() {
                    String::new()
                } else {
                    ratio(d["ratios"][ratio_key].as_f64())
                };
                let _ = writeln!(
                    out,
                    "| {label} | {} | {} | {shown} |",
                    mmm(&d["cargo-edge"]["kv_read"][key]),
                    mmm(&d["wrangler"]["kv_read"][key])
                );
            }
            let _ = writeln!(
                out,
                "| KV read non-2xx | {} | {} | |",
                d["cargo-edge"]["kv_read"]["non_2xx"], d["wrangler"]["kv_read"]["non_2xx"]
            );
            let _ = writeln!(
                out,
                "| load average after each run | {} | {} | |",
                d["cargo-edge"]["kv_read"]["loadavg_1min"],
                d["wrangler"]["kv_read"]["loadavg_1min"]
            );
        }
        out.push('\n');
    }
}

fn deploy(out: &mut String, r: &Value) {
    let _ = writeln!(out, "## Deploy\n");
    let _ = writeln!(
        out,
        "Against the tests' Cloudflare API stand-in (`tests/src/bin/fake-cloudflare.rs`) through \
         `CLOUDFLARE_API_BASE_URL`, a fresh one per tool. Bytes: request bodies / request headers. \
         Seconds include each tool's build (a no-op cargo build; the change deploy recompiles).\n"
    );
    if entries(&r["deploy"]).is_empty() {
        let _ = writeln!(
            out,
            "Not measured in this run (`--only {}`).\n",
            s(&r["only"])
        );
    }
    for (fixture, d) in entries(&r["deploy"]) {
        let _ = writeln!(out, "### {fixture}\n");
        let _ = writeln!(out, "| deploy | tool | requests | body bytes | header bytes | seconds |\n| --- | --- | --- | --- | --- | --- |");
        for kind in ["first", "noop", "change"] {
            for tool in ["cargo-edge", "wrangler"] {
                let x = &d[tool][kind];
                if d[tool]["error"].is_string() {
                    if kind == "first" {
                        let _ = writeln!(
                            out,
                            "| all | {tool} | failed against the stand-in (error in results.json) | | | |"
                        );
                    }
                    continue;
                }
                let seconds = if x["seconds"].is_object() {
                    mmm(&x["seconds"])
                } else {
                    num(&x["seconds"])
                };
                let _ = writeln!(
                    out,
                    "| {kind} | {tool} | {} | {} | {} | {seconds} |",
                    x["requests"], x["body_bytes"], x["header_bytes"]
                );
            }
        }
        for tool in ["cargo-edge", "wrangler"] {
            if let Some(calls) = d[tool]["noop"]["calls"].as_array() {
                let calls: Vec<&str> = calls.iter().filter_map(|c| c.as_str()).collect();
                let _ = writeln!(out, "\n{tool} no-op deploy calls: `{}`", calls.join("`, `"));
            }
        }
        out.push('\n');
    }
}

fn entries(v: &Value) -> Vec<(&str, &Value)> {
    v.as_object()
        .map(|o| o.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}

fn s(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

fn num(v: &Value) -> String {
    v.as_f64().map_or_else(|| "–".into(), |x| format!("{x:.2}"))
}

fn num0(v: &Value) -> String {
    v.as_f64().map_or_else(|| "–".into(), |x| format!("{x:.0}"))
}

fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |x| format!("{x:.2}×"))
}

/// `min / median / max` of a summary.
fn mmm(v: &Value) -> String {
    if v.is_null() {
        return "–".into();
    }
    format!(
        "{} / **{}** / {}",
        num(&v["min"]),
        num(&v["median"]),
        num(&v["max"])
    )
}
