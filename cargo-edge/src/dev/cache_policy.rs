//! Whether Cloudflare's cache stores a response given to `cache.put()`, and for how long.
//!
//! The rules of a shared cache (RFC 9111) as Cloudflare applies them to the Cache API:
//! `s-maxage` wins over `max-age`, which wins over `Expires` (relative to `Date`); `no-store` and
//! `private` are never stored, `no-cache` is stored stale (so never matched); a response with
//! `Set-Cookie` is not stored unless `Cache-Control: private=Set-Cookie` asks for the cookie to
//! be dropped instead. Without explicit freshness, a heuristically cacheable status gets a tenth
//! of its `Last-Modified` age. The request's own `Cache-Control` is ignored, as Cloudflare does.

use std::time::{Duration, SystemTime};

/// What to store, when the response may be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storable {
    /// The headers to keep (a dropped `Set-Cookie` is gone).
    pub headers: Vec<(String, String)>,
    pub ttl: Duration,
}

/// Statuses a cache may store without explicit freshness (RFC 9110 §15.1).
const HEURISTIC: &[u16] = &[200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501];

/// Headers that describe one connection, never a stored response.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
    "content-length",
];

/// Decide whether `status` + `headers` are stored, at `now`.
pub fn storable(status: u16, headers: &[(String, String)], now: SystemTime) -> Option<Storable> {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let control = Directives::parse(get("cache-control").unwrap_or(""));
    if control.has("no-store") || control.private_all() {
        return None;
    }
    let drop_cookie = control.private_set_cookie();
    if get("set-cookie").is_some() && !drop_cookie {
        return None;
    }
    if get("vary").is_some_and(|v| v.trim() == "*") {
        return None;
    }
    let ttl = freshness(status, &control, &get, now)?;
    if control.has("no-cache") || ttl.is_zero() {
        return None;
    }
    let headers = headers
        .iter()
        .filter(|(k, _)| !HOP_BY_HOP.contains(&k.to_ascii_lowercase().as_str()))
        .filter(|(k, _)| !(drop_cookie && k.eq_ignore_ascii_case("set-cookie")))
        .cloned()
        .collect();
    Some(Storable { headers, ttl })
}

fn freshness<'a>(
    status: u16,
    control: &Directives,
    get: &impl Fn(&str) -> Option<&'a str>,
    now: SystemTime,
) -> Option<Duration> {
    if let Some(seconds) = control.seconds("s-maxage").or(control.seconds("max-age")) {
        return Some(Duration::from_secs(seconds));
    }
    let date = get("date").and_then(parse_date).unwrap_or(now);
    if let Some(expires) = get("expires") {
        // An invalid `Expires` (`0`, say) means already expired.
        let at = parse_date(expires)?;
        return Some(at.duration_since(date).unwrap_or_default());
    }
    if !HEURISTIC.contains(&status) {
        return None;
    }
    let modified = get("last-modified").and_then(parse_date)?;
    Some(date.duration_since(modified).unwrap_or_default() / 10)
}

fn parse_date(text: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(text.trim()).ok()
}

/// The directives of a `Cache-Control` header, names lower-cased.
struct Directives(Vec<(String, Option<String>)>);

impl Directives {
    fn parse(header: &str) -> Directives {
        Directives(
            header
                .split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(|d| match d.split_once('=') {
                    Some((k, v)) => (
                        k.trim().to_ascii_lowercase(),
                        Some(v.trim().trim_matches('"').to_string()),
                    ),
                    None => (d.to_ascii_lowercase(), None),
                })
                .collect(),
        )
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    fn seconds(&self, name: &str) -> Option<u64> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref()?.parse().ok())
    }

    /// `private` on its own: the whole response is private.
    fn private_all(&self) -> bool {
        self.0.iter().any(|(k, v)| k == "private" && v.is_none())
    }

    /// `private=Set-Cookie` (or a list naming it): drop the cookie, keep the rest.
    fn private_set_cookie(&self) -> bool {
        self.0.iter().any(|(k, v)| {
            k == "private"
                && v.as_deref().is_some_and(|fields| {
                    fields
                        .split(',')
                        .any(|f| f.trim().eq_ignore_ascii_case("set-cookie"))
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn ttl(status: u16, pairs: &[(&str, &str)]) -> Option<u64> {
        let now = httpdate::parse_http_date("Tue, 01 Dec 2026 12:00:00 GMT").unwrap();
        storable(status, &h(pairs), now).map(|s| s.ttl.as_secs())
    }

    #[test]
    fn s_maxage_beats_max_age_beats_expires() {
        let both = [("cache-control", "max-age=10, s-maxage=60")];
        assert_eq!(ttl(200, &both), Some(60));
        assert_eq!(ttl(200, &[("Cache-Control", "max-age=10")]), Some(10));
        let expires = [
            ("date", "Tue, 01 Dec 2026 12:00:00 GMT"),
            ("expires", "Tue, 01 Dec 2026 12:05:00 GMT"),
        ];
        assert_eq!(ttl(200, &expires), Some(300));
        assert_eq!(ttl(200, &[("expires", "0")]), None);
    }

    #[test]
    fn private_no_store_no_cache_and_cookies_are_not_stored() {
        assert_eq!(ttl(200, &[("cache-control", "private, max-age=60")]), None);
        assert_eq!(ttl(200, &[("cache-control", "no-store")]), None);
        assert_eq!(ttl(200, &[("cache-control", "no-cache, max-age=60")]), None);
        let cookie = [("cache-control", "max-age=60"), ("set-cookie", "a=b")];
        assert_eq!(ttl(200, &cookie), None);
        let allowed = h(&[
            ("cache-control", "max-age=60, private=set-cookie"),
            ("set-cookie", "a=b"),
            ("content-length", "3"),
        ]);
        let kept = storable(200, &allowed, SystemTime::now()).unwrap();
        assert_eq!(kept.headers.len(), 1, "cookie and length dropped: {kept:?}");
    }

    #[test]
    fn without_freshness_only_a_last_modified_gives_time() {
        assert_eq!(ttl(200, &[]), None);
        let modified = [
            ("date", "Tue, 01 Dec 2026 12:00:00 GMT"),
            ("last-modified", "Tue, 01 Dec 2026 11:00:00 GMT"),
        ];
        assert_eq!(ttl(200, &modified), Some(360));
        assert_eq!(ttl(302, &modified), None);
        assert_eq!(ttl(302, &[("cache-control", "max-age=5")]), Some(5));
    }
}
