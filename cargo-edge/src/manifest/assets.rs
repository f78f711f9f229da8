//! `[package.metadata.edge.assets]`: read, checked and resolved. An environment's `assets`
//! table replaces the package's whole (as wrangler's does).

use std::path::{Component, Path, PathBuf};

use super::error::Problem;
use super::read::At;
use super::source::{Loc, Spanned};
use super::suggest::did_you_mean;
use super::written::{EdgeTable, Text, TextList};
use crate::assets::collect::{self, CollectError};
use crate::assets::rules::check_patterns;
use crate::assets::{Assets, HtmlHandling, NotFoundHandling, RunWorkerFirst};

/// The table as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssetsW {
    pub directory: Option<Text>,
    pub binding: Option<Text>,
    pub html_handling: Option<Text>,
    pub not_found_handling: Option<Text>,
    pub run_worker_first: Option<RunWorkerFirstW>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunWorkerFirstW {
    Always(Spanned<bool>),
    Patterns(TextList),
}

/// Reads `assets` of an edge table (its shape was checked already).
pub fn extract(at: &At) -> Option<Spanned<AssetsW>> {
    let (table, loc) = at.table("assets")?;
    let inner = At::new(table, &loc);
    let run_worker_first = match inner.boolean("run_worker_first") {
        Some(all) => Some(RunWorkerFirstW::Always(all)),
        None => inner
            .strings("run_worker_first")
            .map(RunWorkerFirstW::Patterns),
    };
    let value = AssetsW {
        directory: inner.string("directory"),
        binding: inner.string("binding"),
        html_handling: inner.string("html_handling"),
        not_found_handling: inner.string("not_found_handling"),
        run_worker_first,
    };
    Some(Spanned::new(value, loc))
}

/// The binding the table declares, for the identifier and duplicate checks.
pub fn binding(table: &EdgeTable) -> Option<&Text> {
    table.assets.as_ref()?.value.binding.as_ref()
}

/// The checks that need nothing but the table: the handling modes and the patterns.
pub fn check(table: &EdgeTable, out: &mut Vec<Problem>) {
    let Some(assets) = &table.assets else { return };
    let a = &assets.value;
    if let Some(mode) = &a.html_handling {
        check_mode(mode, &HtmlHandling::ALL, out);
    }
    if let Some(mode) = &a.not_found_handling {
        check_mode(mode, &NotFoundHandling::ALL, out);
    }
    if let Some(RunWorkerFirstW::Patterns(list)) = &a.run_worker_first {
        let rules: Vec<String> = list.value.iter().map(|t| t.value.clone()).collect();
        for problem in check_patterns(&rules) {
            out.push(
                Problem::error("assets_run_worker_first", &list.loc, format!("`{}`: {problem}", list.loc.key))
                    .label("Cloudflare refuses these patterns")
                    .help("write route patterns such as [\"/api/*\", \"!/api/docs/*\"]: each starts with `/` (run the worker first) or `!/` (serve the asset), `*` matches anything"),
            );
        }
    }
}

fn check_mode(mode: &Text, known: &[&str], out: &mut Vec<Problem>) {
    if known.contains(&mode.value.as_str()) {
        return;
    }
    let alias = match mode.value.as_str() {
        "spa" | "single-page-app" | "SPA" => Some("single-page-application"),
        "404" | "404.html" => Some("404-page"),
        _ => None,
    };
    let help = match alias
        .filter(|a| known.contains(a))
        .or_else(|| did_you_mean(&mode.value, known))
    {
        Some(best) => format!("did you mean `\"{best}\"`?"),
        None => format!("use one of: {}", known.join(", ")),
    };
    out.push(
        Problem::error(
            "assets_mode",
            &mode.loc,
            format!(
                "`{}` is `{}`, which is not a mode Cloudflare knows",
                mode.loc.key, mode.value
            ),
        )
        .label(format!("expected one of {}", known.join(", ")))
        .help(help),
    );
}

/// The resolved assets: the folder must exist inside the crate and fit Cloudflare's limits.
pub fn resolve(table: &EdgeTable, crate_dir: &Path, out: &mut Vec<Problem>) -> Option<Assets> {
    let assets = table.assets.as_ref()?;
    let a = &assets.value;
    let dir = a.directory.as_ref()?;
    let path = crate_dir.join(&dir.value);
    if !inside(crate_dir, &dir.value) {
        out.push(
            Problem::error(
                "assets_directory",
                &dir.loc,
                format!("assets directory `{}` is outside the crate", dir.value),
            )
            .label("must be a folder inside this crate")
            .help(
                "move the files into the crate (e.g. `public/`) and write `directory = \"public\"`",
            ),
        );
        return None;
    }
    if !path.is_dir() {
        out.push(
            Problem::error("assets_directory", &dir.loc, format!("assets directory `{}` does not exist", dir.value))
                .label("no such folder next to this Cargo.toml")
                .help(format!("create it (`mkdir {}`) with the files to serve, or point `directory` at the folder that holds them", dir.value)),
        );
        return None;
    }
    if let Err(error) = collect::list(&path) {
        out.push(limit_problem(&error, &dir.loc));
        return None;
    }
    Some(Assets {
        directory: path,
        directory_as_written: dir.value.clone(),
        binding: a.binding.as_ref().map(|b| b.value.clone()),
        html_handling: mode(&a.html_handling, HtmlHandling::parse),
        not_found_handling: mode(&a.not_found_handling, NotFoundHandling::parse),
        run_worker_first: match &a.run_worker_first {
            None => RunWorkerFirst::default(),
            Some(RunWorkerFirstW::Always(all)) => RunWorkerFirst::Always(all.value),
            Some(RunWorkerFirstW::Patterns(list)) => {
                RunWorkerFirst::Patterns(list.value.iter().map(|t| t.value.clone()).collect())
            }
        },
    })
}

fn mode<T: Default>(written: &Option<Text>, parse: fn(&str) -> Option<T>) -> T {
    written
        .as_ref()
        .and_then(|t| parse(&t.value))
        .unwrap_or_default()
}

/// Whether `relative` stays inside the crate (no absolute path, no climbing out with `..`).
fn inside(crate_dir: &Path, relative: &str) -> bool {
    let path = Path::new(relative);
    if path.is_absolute() {
        return path.starts_with(crate_dir);
    }
    let mut depth: i32 = 0;
    for component in path.components() {
        match component {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    let real = std::fs::canonicalize(crate_dir.join(path)).ok();
    let root = std::fs::canonicalize(crate_dir).unwrap_or_else(|_| PathBuf::from(crate_dir));
    real.is_none_or(|real| real.starts_with(root))
}

fn limit_problem(error: &CollectError, loc: &Loc) -> Problem {
    let help = match error {
        CollectError::TooLarge { .. } => "Cloudflare serves assets of up to 25 MiB: split or compress the file, serve it from R2, or list it in `.assetsignore`",
        CollectError::TooMany { .. } => "list files that need not be served in `.assetsignore` (gitignore syntax) in the assets folder",
        CollectError::Io { .. } => "check the folder's permissions",
    };
    Problem::error("assets_limit", loc, format!("assets directory: {error}"))
        .label("in this folder")
        .help(help)
}

#[cfg(test)]
mod tests {
    fn load(files: &[(&str, u64)]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let manifest = "[package]\nname = \"w\"\nversion = \"0.1.0\"\n\n[package.metadata.edge]\ncompatibility_date = \"2025-01-01\"\n\n[package.metadata.edge.assets]\ndirectory = \"public\"\n";
        std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
        for (name, size) in files {
            let path = dir.path().join("public").join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::File::create(&path)
                .unwrap()
                .set_len(*size)
                .unwrap();
        }
        match crate::manifest::load_worker(&dir.path().join("Cargo.toml"), None) {
            Ok(loaded) => format!(
                "ok {:?}",
                loaded.worker.assets.map(|a| a.directory_as_written)
            ),
            Err(e) => e.render(),
        }
        .replace(&dir.path().display().to_string(), "<dir>")
    }

    #[test]
    fn a_file_over_the_per_asset_limit_points_at_directory() {
        let text = load(&[("index.html", 10), ("video/big.mp4", 25 * 1024 * 1024 + 1)]);
        assert!(
            text.contains(
                "`video/big.mp4` is 26214401 bytes, over Cloudflare's limit of 25 MiB per asset"
            ),
            "{text}"
        );
        assert!(text.contains("Cargo.toml:9:13"), "{text}");
        assert!(text.contains(".assetsignore"), "{text}");
        assert_eq!(load(&[("index.html", 10)]), "ok Some(\"public\")");
    }
}
