//! Cloudflare's asset-worker algorithm, over any lookup: which file a path serves under
//! `html_handling`, the 307 redirects to the canonical path, and the `not_found_handling`
//! fallbacks (nearest `404.html` with 404, or the SPA's `/index.html` with 200).
//!
//! `exists(path)` answers the file's ETag (its hash) for a decoded path such as `/a/b.html`.
//! Redirects are only taken when the destination serves the very same file (same ETag), as
//! Cloudflare's `safeRedirect` does.

use super::config::{HtmlHandling, NotFoundHandling};

/// A file found for a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The file's hash (its ETag without quotes).
    pub etag: String,
    /// The decoded path of the file, e.g. `/about/index.html`.
    pub file: String,
}

/// What a path resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Serve `found` with `status` (200, or 404 for a `404.html`); `fallback` when it came
    /// from `not_found_handling`.
    Serve {
        found: Found,
        status: u16,
        fallback: bool,
    },
    /// 307 to this (decoded) path.
    Redirect(String),
}

/// The two settings the algorithm reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handling {
    pub html: HtmlHandling,
    pub not_found: NotFoundHandling,
}

pub type Exists<'a> = &'a dyn Fn(&str) -> Option<Found>;

/// The intent for a decoded path, or `None` when no file answers it.
pub fn intent(path: &str, h: Handling, exists: Exists) -> Option<Intent> {
    intent_inner(path, h, exists, false)
}

fn intent_inner(path: &str, h: Handling, exists: Exists, skip: bool) -> Option<Intent> {
    let cx = Cx { h, exists, skip };
    match h.html {
        HtmlHandling::AutoTrailingSlash => auto(path, &cx),
        HtmlHandling::ForceTrailingSlash => force(path, &cx),
        HtmlHandling::DropTrailingSlash => drop(path, &cx),
        HtmlHandling::None => exists(path).map(serve).or_else(|| not_found(path, &cx)),
    }
}

struct Cx<'a> {
    h: Handling,
    exists: Exists<'a>,
    skip: bool,
}

impl Cx<'_> {
    fn get(&self, path: &str) -> Option<Found> {
        (self.exists)(path)
    }

    /// Redirect to `destination` when it serves the same file as `file` and is not a file itself.
    fn redirect(&self, file: &str, destination: &str) -> Option<Intent> {
        if self.skip || self.get(destination).is_some() {
            return None;
        }
        let target = intent_inner(destination, self.h, self.exists, true)?;
        let Intent::Serve { found, .. } = target else {
            return None;
        };
        let same = self.get(file).is_some_and(|f| f.etag == found.etag);
        same.then(|| Intent::Redirect(destination.to_string()))
    }
}

fn serve(found: Found) -> Intent {
    Intent::Serve {
        found,
        status: 200,
        fallback: false,
    }
}

fn cut<'a>(path: &'a str, suffix: &str) -> &'a str {
    &path[..path.len() - suffix.len()]
}

fn auto(p: &str, cx: &Cx) -> Option<Intent> {
    let exact = cx.get(p);
    if p.ends_with("/index") {
        if let Some(found) = exact {
            return Some(serve(found));
        }
        let hit = cx.redirect(&format!("{p}.html"), cut(p, "index"));
        if let Some(r) =
            hit.or_else(|| cx.redirect(&format!("{}.html", cut(p, "/index")), cut(p, "/index")))
        {
            return Some(r);
        }
    } else if p.ends_with("/index.html") {
        let bare = cut(p, "/index.html");
        let hit = cx.redirect(p, cut(p, "index.html"));
        if let Some(r) = hit.or_else(|| cx.redirect(&format!("{bare}.html"), bare)) {
            return Some(r);
        }
    } else if let Some(dir) = p.strip_suffix('/') {
        if let Some(found) = cx.get(&format!("{p}index.html")) {
            return Some(serve(found));
        }
        if let Some(r) = cx.redirect(&format!("{dir}.html"), dir) {
            return Some(r);
        }
    } else if let Some(stem) = p.strip_suffix(".html") {
        let hit = cx.redirect(p, stem);
        if let Some(r) =
            hit.or_else(|| cx.redirect(&format!("{stem}/index.html"), &format!("{stem}/")))
        {
            return Some(r);
        }
    }
    if let Some(found) = exact.or_else(|| cx.get(&format!("{p}.html"))) {
        return Some(serve(found));
    }
    cx.redirect(&format!("{p}/index.html"), &format!("{p}/"))
        .or_else(|| not_found(p, cx))
}

fn force(p: &str, cx: &Cx) -> Option<Intent> {
    let exact = cx.get(p);
    if p.ends_with("/index") {
        if let Some(found) = exact {
            return Some(serve(found));
        }
        let dir = cut(p, "index");
        let hit = cx.redirect(&format!("{p}.html"), dir);
        if let Some(r) = hit.or_else(|| cx.redirect(&format!("{}.html", cut(p, "/index")), dir)) {
            return Some(r);
        }
    } else if p.ends_with("/index.html") {
        let dir = cut(p, "index.html");
        let hit = cx.redirect(p, dir);
        if let Some(r) =
            hit.or_else(|| cx.redirect(&format!("{}.html", cut(p, "/index.html")), dir))
        {
            return Some(r);
        }
    } else if let Some(bare) = p.strip_suffix('/') {
        let found = cx
            .get(&format!("{p}index.html"))
            .or_else(|| cx.get(&format!("{bare}.html")));
        if let Some(found) = found {
            return Some(serve(found));
        }
    } else if let Some(stem) = p.strip_suffix(".html") {
        if let Some(r) = cx.redirect(p, &format!("{stem}/")) {
            return Some(r);
        }
        if let Some(found) = exact {
            return Some(serve(found));
        }
        if let Some(r) = cx.redirect(&format!("{stem}/index.html"), &format!("{stem}/")) {
            return Some(r);
        }
    }
    if let Some(found) = exact {
        return Some(serve(found));
    }
    cx.redirect(&format!("{p}.html"), &format!("{p}/"))
        .or_else(|| cx.redirect(&format!("{p}/index.html"), &format!("{p}/")))
        .or_else(|| not_found(p, cx))
}

fn drop(p: &str, cx: &Cx) -> Option<Intent> {
    let exact = cx.get(p);
    if p.ends_with("/index") {
        if let Some(found) = exact {
            return Some(serve(found));
        }
        let bare = cut(p, "/index");
        let hit = if p == "/index" {
            cx.redirect("/index.html", "/")
        } else {
            cx.redirect(&format!("{bare}.html"), bare)
                .or_else(|| cx.redirect(&format!("{p}.html"), bare))
        };
        if let Some(r) = hit {
            return Some(r);
        }
    } else if p.ends_with("/index.html") {
        if p == "/index.html" {
            if let Some(r) = cx.redirect("/index.html", "/") {
                return Some(r);
            }
        } else {
            let bare = cut(p, "/index.html");
            if let Some(r) = cx.redirect(p, bare) {
                return Some(r);
            }
            if let Some(found) = exact {
                return Some(serve(found));
            }
            if let Some(r) = cx.redirect(&format!("{bare}.html"), bare) {
                return Some(r);
            }
        }
    } else if let Some(bare) = p.strip_suffix('/') {
        if p == "/" {
            if let Some(found) = cx.get("/index.html") {
                return Some(serve(found));
            }
        } else {
            let hit = cx.redirect(&format!("{bare}.html"), bare);
            if let Some(r) = hit.or_else(|| cx.redirect(&format!("{bare}/index.html"), bare)) {
                return Some(r);
            }
        }
    } else if let Some(stem) = p.strip_suffix(".html") {
        let hit = cx.redirect(p, stem);
        if let Some(r) = hit.or_else(|| cx.redirect(&format!("{stem}/index.html"), stem)) {
            return Some(r);
        }
    }
    let found = exact
        .or_else(|| cx.get(&format!("{p}.html")))
        .or_else(|| cx.get(&format!("{p}/index.html")));
    match found {
        Some(found) => Some(serve(found)),
        None => not_found(p, cx),
    }
}

fn not_found(path: &str, cx: &Cx) -> Option<Intent> {
    let fallback = |found, status| Intent::Serve {
        found,
        status,
        fallback: true,
    };
    match cx.h.not_found {
        NotFoundHandling::None => None,
        NotFoundHandling::SinglePageApplication => cx.get("/index.html").map(|f| fallback(f, 200)),
        NotFoundHandling::Page404 => {
            let mut cwd = path;
            while !cwd.is_empty() {
                cwd = match cwd.rfind('/') {
                    Some(slash) => &cwd[..slash],
                    None => &cwd[..cwd.len() - cwd.chars().last().map_or(0, char::len_utf8)],
                };
                if let Some(found) = cx.get(&format!("{cwd}/404.html")) {
                    return Some(fallback(found, 404));
                }
            }
            None
        }
    }
}

/// Each segment percent-decoded (kept as is when it is not valid UTF-8), repeated slashes
/// collapsed: the path files are looked up by.
pub fn decode_path(path: &str) -> String {
    let decoded: Vec<String> = path.split('/').map(decode_segment).collect();
    let mut out = String::with_capacity(path.len());
    for c in decoded.join("/").chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

fn decode_segment(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                None => return segment.to_string(),
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| segment.to_string())
}

/// Each segment encoded as JavaScript's `encodeURIComponent` does: the canonical path.
pub fn encode_path(path: &str) -> String {
    let keep = |b: u8| b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b);
    let segments: Vec<String> = path
        .split('/')
        .map(|segment| {
            segment
                .bytes()
                .map(|b| {
                    if keep(b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        })
        .collect();
    segments.join("/")
}

#[cfg(test)]
#[path = "routing_tests.rs"]
mod tests;
