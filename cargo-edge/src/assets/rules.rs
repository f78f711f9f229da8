//! Cloudflare's router in front of assets and the worker: `run_worker_first` (all requests, or
//! route patterns where `*` matches anything and `!/...` sends matches to the assets), then "is
//! there an asset for this request?", else the worker.

use super::config::{Assets, NotFoundHandling, RunWorkerFirst};

/// Cloudflare's limits on `run_worker_first` patterns.
pub const MAX_RULES: usize = 100;
pub const MAX_RULE_LENGTH: usize = 100;

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Worker,
    /// The asset worker, with `not_found_handling` applied or not.
    Assets,
}

/// Whether `*`-glob `rule` matches `path` whole (`*` matches any run, `/` included).
pub fn glob_matches(rule: &str, path: &str) -> bool {
    let parts: Vec<&str> = rule.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return rule == path;
    }
    if !path.starts_with(first) || path.len() < first.len() + last.len() || !path.ends_with(last) {
        return false;
    }
    let mut rest = &path[first.len()..path.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

/// Problems Cloudflare reports for these patterns, in its words.
pub fn check_patterns(rules: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    if rules.is_empty() {
        problems.push("no rules were given; give at least one, or write `false`".to_string());
    }
    if rules.len() > MAX_RULES {
        problems.push(format!(
            "{} rules exceed the maximum of {MAX_RULES}",
            rules.len()
        ));
    }
    let negative = |r: &String| r.starts_with("!/");
    for rule in rules {
        if rule.starts_with('!') && !negative(rule) {
            problems.push(format!("`{rule}`: negative rules must start with `!/`"));
        } else if !rule.starts_with('/') && !rule.starts_with('!') {
            problems.push(format!("`{rule}`: rules must start with `/` or `!/`"));
        }
        if rule.len() > MAX_RULE_LENGTH {
            problems.push(format!(
                "`{rule}`: rules must be under {MAX_RULE_LENGTH} characters"
            ));
        }
    }
    if !rules.is_empty() && rules.iter().all(negative) {
        problems.push("only negative rules were given; add at least one rule without `!`".into());
    }
    for is_negative in [false, true] {
        let same: Vec<&String> = rules
            .iter()
            .filter(|r| negative(r) == is_negative)
            .collect();
        for (i, rule) in same.iter().enumerate() {
            if same[..i].contains(rule) {
                problems.push(format!("`{rule}` is given twice"));
            }
            if let Some(prefix) = rule.strip_suffix('*') {
                for other in &same {
                    if other != rule && other.starts_with(prefix) {
                        problems.push(format!("`{other}`: rule `{rule}` already covers it"));
                    }
                }
            }
        }
    }
    problems
}

/// Whether `Sec-Fetch-Mode: navigate` requests get `not_found_handling` (Cloudflare's
/// `assets_navigation_prefers_asset_serving`, on by default from 2025-04-01).
pub fn navigation_prefers_assets(date: &str, flags: &[String]) -> bool {
    let has = |f: &str| flags.iter().any(|x| x == f);
    has("assets_navigation_prefers_asset_serving")
        || (date >= "2025-04-01" && !has("assets_navigation_has_no_effect"))
}

/// What Cloudflare's router does with a request for `path` (as the URL carries it).
/// `has_asset(keep_not_found)` says whether the asset worker would answer it.
pub fn route(
    assets: &Assets,
    path: &str,
    navigate: bool,
    navigation_flag: bool,
    has_asset: impl FnOnce(NotFoundHandling) -> bool,
) -> Route {
    let static_routing = match &assets.run_worker_first {
        RunWorkerFirst::Always(true) => return Route::Worker,
        RunWorkerFirst::Always(false) => false,
        RunWorkerFirst::Patterns(rules) => {
            let (negative, positive): (Vec<&String>, Vec<&String>) =
                rules.iter().partition(|r| r.starts_with("!/"));
            if negative.iter().any(|r| glob_matches(&r[1..], path)) {
                return Route::Assets;
            }
            if positive.iter().any(|r| glob_matches(r, path)) {
                return Route::Worker;
            }
            true
        }
    };
    let keep = static_routing || (navigation_flag && navigate);
    let not_found = if keep {
        assets.not_found_handling
    } else {
        NotFoundHandling::None
    };
    if has_asset(not_found) {
        Route::Assets
    } else {
        Route::Worker
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn globs_match_like_cloudflare() {
        assert!(glob_matches("/api/*", "/api/users/1"));
        assert!(glob_matches("/api/*", "/api/"));
        assert!(!glob_matches("/api/*", "/api"));
        assert!(glob_matches("/*.json", "/a/b.json"));
        assert!(glob_matches("/a/*/c", "/a/b/x/c"));
        assert!(glob_matches("/exact", "/exact"));
        assert!(!glob_matches("/exact", "/exact/"));
    }

    #[test]
    fn patterns_are_checked_like_wrangler() {
        let rules =
            |r: &[&str]| check_patterns(&r.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(rules(&["/api/*", "!/api/docs/*"]).is_empty());
        assert_eq!(
            rules(&["api/*"]),
            ["`api/*`: rules must start with `/` or `!/`"]
        );
        assert_eq!(
            rules(&["/a", "!api"]),
            ["`!api`: negative rules must start with `!/`"]
        );
        assert_eq!(rules(&["!/a"]).len(), 1);
        assert_eq!(
            rules(&["/api/*", "/api/x"]),
            ["`/api/x`: rule `/api/*` already covers it"]
        );
        assert_eq!(rules(&["/a", "/a"]), ["`/a` is given twice"]);
    }

    #[test]
    fn run_worker_first_routes_with_negations() {
        let mut assets = Assets::with_directory(PathBuf::from("/p"), "public");
        assets.not_found_handling = NotFoundHandling::SinglePageApplication;
        assets.run_worker_first =
            RunWorkerFirst::Patterns(vec!["/api/*".into(), "!/api/docs/*".into()]);
        let found = |nf: NotFoundHandling| nf == NotFoundHandling::SinglePageApplication;
        assert_eq!(route(&assets, "/api/x", false, true, found), Route::Worker);
        assert_eq!(
            route(&assets, "/api/docs/a", false, true, found),
            Route::Assets
        );
        // With patterns, not_found_handling applies to everything else.
        assert_eq!(
            route(&assets, "/app/route", false, true, found),
            Route::Assets
        );
        assets.run_worker_first = RunWorkerFirst::Always(false);
        assert_eq!(
            route(&assets, "/app/route", false, true, found),
            Route::Worker
        );
        assert_eq!(
            route(&assets, "/app/route", true, true, found),
            Route::Assets
        );
        assets.run_worker_first = RunWorkerFirst::Always(true);
        assert_eq!(
            route(&assets, "/index.html", false, true, |_| true),
            Route::Worker
        );
    }
}
