use super::*;

const FILES: &[&str] = &[
    "/index.html",
    "/file.html",
    "/folder/index.html",
    "/404.html",
    "/deep/404.html",
    "/deep/page.html",
    "/logo.svg",
];

fn exists(path: &str) -> Option<Found> {
    FILES.contains(&path).then(|| Found {
        etag: format!("etag-of-{path}"),
        file: path.to_string(),
    })
}

fn resolve(path: &str, html: HtmlHandling, not_found: NotFoundHandling) -> String {
    match intent(path, Handling { html, not_found }, &exists) {
        None => "none".into(),
        Some(Intent::Redirect(to)) => format!("307 {to}"),
        Some(Intent::Serve { found, status, .. }) => format!("{status} {}", found.file),
    }
}

fn table(html: HtmlHandling, rows: &[(&str, &str)]) {
    for (path, expected) in rows {
        assert_eq!(
            resolve(path, html, NotFoundHandling::None),
            *expected,
            "{html:?} {path}"
        );
    }
}

#[test]
fn auto_trailing_slash() {
    table(
        HtmlHandling::AutoTrailingSlash,
        &[
            ("/", "200 /index.html"),
            ("/index.html", "307 /"),
            ("/index", "307 /"),
            ("/file", "200 /file.html"),
            ("/file.html", "307 /file"),
            ("/file/", "307 /file"),
            ("/folder", "307 /folder/"),
            ("/folder/", "200 /folder/index.html"),
            ("/folder/index.html", "307 /folder/"),
            ("/folder/index", "307 /folder/"),
            ("/logo.svg", "200 /logo.svg"),
            ("/missing", "none"),
        ],
    );
}

#[test]
fn force_trailing_slash() {
    table(
        HtmlHandling::ForceTrailingSlash,
        &[
            ("/", "200 /index.html"),
            ("/file", "307 /file/"),
            ("/file/", "200 /file.html"),
            ("/file.html", "307 /file/"),
            ("/folder", "307 /folder/"),
            ("/folder/", "200 /folder/index.html"),
            ("/folder/index.html", "307 /folder/"),
            ("/logo.svg", "200 /logo.svg"),
        ],
    );
}

#[test]
fn drop_trailing_slash() {
    table(
        HtmlHandling::DropTrailingSlash,
        &[
            ("/", "200 /index.html"),
            ("/index.html", "307 /"),
            ("/file", "200 /file.html"),
            ("/file/", "307 /file"),
            ("/file.html", "307 /file"),
            ("/folder", "200 /folder/index.html"),
            ("/folder/", "307 /folder"),
            ("/folder/index.html", "307 /folder"),
        ],
    );
}

#[test]
fn none_serves_exact_paths_only() {
    table(
        HtmlHandling::None,
        &[
            ("/", "none"),
            ("/file", "none"),
            ("/file.html", "200 /file.html"),
            ("/folder/", "none"),
            ("/folder/index.html", "200 /folder/index.html"),
        ],
    );
}

#[test]
fn not_found_handling_falls_back() {
    let auto = HtmlHandling::AutoTrailingSlash;
    let page = NotFoundHandling::Page404;
    assert_eq!(resolve("/deep/nope", auto, page), "404 /deep/404.html");
    assert_eq!(resolve("/deep/a/b/c", auto, page), "404 /deep/404.html");
    assert_eq!(resolve("/other/nope", auto, page), "404 /404.html");
    assert_eq!(resolve("/deep/page", auto, page), "200 /deep/page.html");
    let spa = NotFoundHandling::SinglePageApplication;
    assert_eq!(resolve("/app/route", auto, spa), "200 /index.html");
    assert_eq!(
        resolve("/app/route", HtmlHandling::None, spa),
        "200 /index.html"
    );
}

#[test]
fn paths_decode_and_encode_like_the_asset_worker() {
    assert_eq!(decode_path("/a%20b//c"), "/a b/c");
    assert_eq!(decode_path("/bad%zz/x"), "/bad%zz/x");
    assert_eq!(decode_path("/%E2%9C%93"), "/✓");
    assert_eq!(encode_path("/a b/[x]"), "/a%20b/%5Bx%5D");
    assert_eq!(encode_path("/ok-_.!~*'()"), "/ok-_.!~*'()");
}
