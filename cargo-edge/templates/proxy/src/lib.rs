//! A reverse proxy: `/api/<rest>` is forwarded to the `BACKEND` service as `/<rest>`, with the
//! method, query, headers and body, plus `X-Forwarded-*`; the answer comes back with the
//! backend's internal headers stripped. Anything else is a 404 from the proxy itself.
//!
//! `BACKEND` is an external URL in Cargo.toml: Cloudflare has no binding for that, so the worker
//! gets the URL as a plain-text var, under `cargo edge dev` as on Cloudflare. [`Backend`] also
//! takes a service binding, should you point `BACKEND` at another worker instead.

use worker::*;

/// The public path prefix the backend is mounted under.
const PREFIX: &str = "/api";

/// Connection-scoped headers (RFC 9110 §7.6.1): meant for one hop, never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// What the backend says about itself that the public does not need to know.
const STRIPPED_FROM_RESPONSES: &[&str] = &["server", "x-powered-by"];

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let url = req.url()?;
    let Some(rest) = strip_prefix(url.path()) else {
        return Response::error("not found", 404);
    };
    let backend = Backend::from_env(&env)?;
    let mut target = backend.base(&url)?;
    target.set_path(&format!("{}{rest}", target.path().trim_end_matches('/')));
    target.set_query(url.query());

    let mut init = RequestInit::new();
    init.with_method(req.method())
        .with_headers(forwarded_headers(&req, &url)?)
        // Redirects go back to the client (with their Location rewritten below).
        .with_redirect(RequestRedirect::Manual)
        // The body is streamed through, not buffered.
        .with_body(req.inner().body().map(Into::into));
    let upstream = match backend.fetch(target.as_str(), init).await {
        Ok(upstream) => upstream,
        Err(e) => {
            console_error!("{target}: {e}");
            return Response::error("bad gateway", 502);
        }
    };
    public_response(upstream)
}

/// `Some("/rest")` for `/api/rest` (and `Some("/")` for `/api`), `None` outside the prefix.
fn strip_prefix(path: &str) -> Option<&str> {
    match path.strip_prefix(PREFIX)? {
        "" => Some("/"),
        rest if rest.starts_with('/') => Some(rest),
        // `/apiary` is not under `/api`.
        _ => None,
    }
}

/// The client's headers minus hop-by-hop ones, plus where the request came from.
fn forwarded_headers(req: &Request, url: &Url) -> Result<Headers> {
    let headers = Headers::new();
    for (name, value) in req.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            headers.append(&name, &value)?;
        }
    }
    // Cloudflare puts the client's address in CF-Connecting-IP; append it to any chain the
    // client sent (which a client can forge: trust only what your own proxies add).
    if let Some(ip) = req.headers().get("CF-Connecting-IP")? {
        match req.headers().get("X-Forwarded-For")? {
            Some(chain) => headers.set("X-Forwarded-For", &format!("{chain}, {ip}"))?,
            None => headers.set("X-Forwarded-For", &ip)?,
        }
    }
    headers.set("X-Forwarded-Host", url.host_str().unwrap_or_default())?;
    headers.set("X-Forwarded-Proto", url.scheme())?;
    headers.set("X-Forwarded-Prefix", PREFIX)?;
    Ok(headers)
}

/// The backend's answer as the client should see it. A fetched response's headers are
/// immutable, so they are copied.
fn public_response(upstream: Response) -> Result<Response> {
    let headers = Headers::new();
    for (name, value) in upstream.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) && !STRIPPED_FROM_RESPONSES.contains(&name.as_str())
        {
            headers.append(&name, &value)?;
        }
    }
    // A redirect to `/login` on the backend is `/api/login` here.
    if let Some(location) = upstream.headers().get("Location")? {
        if location.starts_with('/') && !location.starts_with("//") {
            headers.set("Location", &format!("{PREFIX}{location}"))?;
        }
    }
    headers.set("Via", "1.1 {{name}}")?;
    Ok(Response::from_body(upstream.body().clone())?
        .with_status(upstream.status_code())
        .with_headers(headers))
}

/// Where `BACKEND` points, in either of its two forms.
enum Backend {
    /// `services.BACKEND = { worker = … }`: a service binding, which decides the address itself.
    Service(Fetcher),
    /// `services.BACKEND = { url = … }`: the URL, as a var.
    Url(Url),
}

impl Backend {
    fn from_env(env: &Env) -> Result<Backend> {
        if let Ok(service) = env.service("BACKEND") {
            return Ok(Backend::Service(service));
        }
        let url = env.var("BACKEND")?.to_string();
        Ok(Backend::Url(url.parse().map_err(|e| {
            Error::RustError(format!("BACKEND is `{url}`, not a URL: {e}"))
        })?))
    }

    /// The URL to build the upstream request on. A service binding ignores the host, so the
    /// client's own origin is kept (the backend then sees it in `Host` too).
    fn base(&self, client: &Url) -> Result<Url> {
        Ok(match self {
            Backend::Service(_) => client.join("/")?,
            Backend::Url(url) => url.clone(),
        })
    }

    async fn fetch(&self, url: &str, init: RequestInit) -> Result<Response> {
        match self {
            Backend::Service(service) => service.fetch(url, Some(init)).await,
            Backend::Url(_) => {
                Fetch::Request(Request::new_with_init(url, &init)?)
                    .send()
                    .await
            }
        }
    }
}
