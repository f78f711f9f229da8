//! Static assets in `cargo edge dev`, served by cargo-edge itself (no workerd hop for a file):
//! the front proxy routes each request as Cloudflare's router does ([`AssetServer::front`]), and
//! the `ASSETS` binding reaches the same server through the binding server
//! ([`AssetServer::respond`]). Files are read from disk on every request (hashes cached by
//! modification time and size), so an edited, added or deleted file is served at once: no
//! rebuild, no restart.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Response, StatusCode, Uri};

use crate::assets::collect::{ignore_rules, is_ignored, IGNORE_FILE};
use crate::assets::hash::asset_hash;
use crate::assets::routing::{self, decode_path, encode_path, Found, Handling, Intent};
use crate::assets::rules::{self, navigation_prefers_assets, Route};
use crate::assets::{Assets, NotFoundHandling};
use crate::model::Worker;

/// The asset servers of a session by worker name, shared by the proxy and the binding server.
pub type Registry = Arc<RwLock<BTreeMap<String, Arc<AssetServer>>>>;

/// One worker's assets folder, served with its settings.
pub struct AssetServer {
    assets: Assets,
    navigation_flag: bool,
    hashes: Mutex<HashMap<PathBuf, (SystemTime, u64, String)>>,
    ignore: Mutex<(Option<SystemTime>, ignore::gitignore::Gitignore)>,
}

impl std::fmt::Debug for AssetServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssetServer")
            .field("directory", &self.assets.directory)
            .finish_non_exhaustive()
    }
}

/// Cloudflare's browser caching for assets: revalidate every time.
const CACHE_CONTROL: &str = "public, max-age=0, must-revalidate";

impl AssetServer {
    pub fn new(worker: &Worker) -> Option<Arc<AssetServer>> {
        let assets = worker.assets.clone()?;
        let rules = ignore_rules(&assets.directory);
        let stamp = modified(&assets.directory.join(IGNORE_FILE));
        Some(Arc::new(AssetServer {
            navigation_flag: navigation_prefers_assets(
                &worker.compatibility_date,
                &worker.compatibility_flags,
            ),
            assets,
            hashes: Mutex::new(HashMap::new()),
            ignore: Mutex::new((stamp, rules)),
        }))
    }

    /// Fill `registry` with the servers of `workers` (replacing what was there).
    pub fn register(registry: &Registry, workers: &[Worker]) {
        let servers = workers
            .iter()
            .filter_map(|w| Some((w.name.clone(), AssetServer::new(w)?)))
            .collect();
        if let Ok(mut map) = registry.write() {
            *map = servers;
        }
    }

    /// The front door: an answer from the assets, or `None` when the worker should run.
    pub fn front(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Option<Response<Bytes>> {
        let navigate = headers
            .get("sec-fetch-mode")
            .is_some_and(|v| v.as_bytes() == b"navigate");
        let path = uri.path();
        let has_asset = |not_found| self.intent(path, not_found).is_some();
        match rules::route(
            &self.assets,
            path,
            navigate,
            self.navigation_flag,
            has_asset,
        ) {
            Route::Worker => None,
            Route::Assets => Some(self.respond(method, uri, headers)),
        }
    }

    /// What Cloudflare's asset worker answers (the `ASSETS` binding's `fetch`).
    pub fn respond(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response<Bytes> {
        let path = uri.path();
        let search = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
        let decoded = decode_path(path);
        let Some(intent) = self.intent(path, self.assets.not_found_handling) else {
            return status(StatusCode::NOT_FOUND);
        };
        if method != Method::GET && method != Method::HEAD {
            return status(StatusCode::METHOD_NOT_ALLOWED);
        }
        let (destination, asset) = match &intent {
            Intent::Redirect(to) => (to.as_str(), None),
            Intent::Serve { found, status, .. } => (decoded.as_str(), Some((found, *status))),
        };
        let encoded = encode_path(destination);
        match asset {
            Some((found, status)) if encoded == path => self.serve(found, status, method, headers),
            _ => redirect(&format!("{encoded}{search}")),
        }
    }

    fn intent(&self, raw_path: &str, not_found: NotFoundHandling) -> Option<Intent> {
        let handling = Handling {
            html: self.assets.html_handling,
            not_found,
        };
        routing::intent(&decode_path(raw_path), handling, &|p| self.exists(p))
    }

    /// The file a decoded path names, if it is served (inside the folder, not ignored).
    fn exists(&self, path: &str) -> Option<Found> {
        let relative = path.strip_prefix('/')?;
        if relative.is_empty()
            || relative.contains('\0')
            || relative
                .split('/')
                .any(|s| s == ".." || s == "." || s.is_empty())
        {
            return None;
        }
        let file = self.assets.directory.join(relative);
        let meta = std::fs::metadata(&file).ok()?;
        if !meta.is_file() || self.ignored(relative) {
            return None;
        }
        let etag = self.hash(&file, &meta, path)?;
        Some(Found {
            etag,
            file: path.to_string(),
        })
    }

    fn ignored(&self, relative: &str) -> bool {
        let Ok(mut guard) = self.ignore.lock() else {
            return false;
        };
        let stamp = modified(&self.assets.directory.join(IGNORE_FILE));
        if stamp != guard.0 {
            *guard = (stamp, ignore_rules(&self.assets.directory));
        }
        is_ignored(&guard.1, relative, false)
    }

    fn hash(&self, file: &Path, meta: &std::fs::Metadata, name: &str) -> Option<String> {
        let stamp = (meta.modified().ok()?, meta.len());
        let mut cache = self.hashes.lock().ok()?;
        if let Some((time, size, hash)) = cache.get(file) {
            if (*time, *size) == stamp {
                return Some(hash.clone());
            }
        }
        let hash = asset_hash(&std::fs::read(file).ok()?, name);
        cache.insert(file.to_path_buf(), (stamp.0, stamp.1, hash.clone()));
        Some(hash)
    }

    fn serve(
        &self,
        found: &Found,
        code: u16,
        method: &Method,
        request: &HeaderMap,
    ) -> Response<Bytes> {
        let path = self
            .assets
            .directory
            .join(found.file.trim_start_matches('/'));
        let Ok(bytes) = std::fs::read(&path) else {
            return status(StatusCode::NOT_FOUND);
        };
        let strong = format!("\"{}\"", found.etag);
        let mut response = Response::new(Bytes::new());
        let headers = response.headers_mut();
        insert(headers, "etag", &strong);
        if let Some(content_type) = content_type(&found.file) {
            insert(headers, "content-type", &content_type);
        }
        if !request.contains_key("authorization") && !request.contains_key("range") {
            insert(headers, "cache-control", CACHE_CONTROL);
        }
        insert(headers, "cf-cache-status", "HIT");
        let if_none_match = request
            .get("if-none-match")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if if_none_match == strong || if_none_match == format!("W/{strong}") {
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            return response;
        }
        *response.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
        if method == Method::HEAD {
            insert(
                response.headers_mut(),
                "content-length",
                &bytes.len().to_string(),
            );
        } else {
            *response.body_mut() = Bytes::from(bytes);
        }
        response
    }
}

/// The Content-Type Cloudflare stores with an upload: by extension, `; charset=utf-8` on text.
pub fn content_type(path: &str) -> Option<String> {
    let mime = mime_guess::from_path(path).first_raw()?;
    Some(if mime.starts_with("text/") && !mime.contains("charset") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    })
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn status(code: StatusCode) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = code;
    response
}

fn redirect(location: &str) -> Response<Bytes> {
    let mut response = status(StatusCode::TEMPORARY_REDIRECT);
    insert(response.headers_mut(), "location", location);
    response
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The changed paths that need a rebuild: an assets folder is served live, so a change in it
/// needs none.
pub fn outside_assets(workers: &[Worker], paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let folders: Vec<&Path> = workers
        .iter()
        .filter_map(|w| w.assets.as_ref().map(|a| a.directory.as_path()))
        .collect();
    paths
        .into_iter()
        .filter(|p| !folders.iter().any(|f| p.starts_with(f)))
        .collect()
}

/// The `ASSETS` binding's request (`X-Edge-Binding: assets/<worker>`), answered as the asset
/// worker would; `None` for any other binding.
pub fn binding(
    registry: &Registry,
    request: &axum::extract::Request,
) -> Option<axum::response::Response> {
    let binding = request.headers().get("X-Edge-Binding")?.to_str().ok()?;
    let worker = binding.strip_prefix("assets/")?;
    let server = registry.read().ok()?.get(worker).cloned();
    let answer = match server {
        Some(server) => server.respond(request.method(), request.uri(), request.headers()),
        None => status(StatusCode::NOT_FOUND),
    };
    Some(answer.map(axum::body::Body::from))
}

/// What the dev banner says about a worker's assets.
pub fn banner_line(worker: &Worker) -> Option<String> {
    let a = worker.assets.as_ref()?;
    Some(format!(
        "{} serves `{}` live (html_handling {}, not_found_handling {}, run_worker_first {})",
        worker.name,
        a.directory_as_written,
        a.html_handling.as_str(),
        a.not_found_handling.as_str(),
        a.run_worker_first.to_json()
    ))
}

/// Whether a save changed nothing but assets settings (`html_handling`, `not_found_handling`,
/// `run_worker_first`) in Cargo.toml files: those apply without a rebuild or a restart.
pub fn only_settings_changed(before: &[Worker], after: &[Worker], paths: &[PathBuf]) -> bool {
    let manifests_only = !paths.is_empty()
        && paths
            .iter()
            .all(|p| p.file_name().is_some_and(|n| n == "Cargo.toml"));
    let without_settings = |w: &Worker| {
        let mut w = w.clone();
        if let Some(a) = &mut w.assets {
            a.html_handling = Default::default();
            a.not_found_handling = Default::default();
            a.run_worker_first = Default::default();
        }
        w
    };
    let same_rest = before.len() == after.len()
        && before
            .iter()
            .zip(after)
            .all(|(b, a)| without_settings(b) == without_settings(a));
    manifests_only && same_rest && before != after
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_types_carry_a_charset() {
        assert_eq!(content_type("/a.html").unwrap(), "text/html; charset=utf-8");
        assert_eq!(content_type("/a.css").unwrap(), "text/css; charset=utf-8");
        assert_eq!(content_type("/a.png").unwrap(), "image/png");
        assert_eq!(content_type("/a.json").unwrap(), "application/json");
        assert_eq!(content_type("/noextension"), None);
    }
}
