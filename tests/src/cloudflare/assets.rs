//! Workers Static Assets' direct upload: the upload session (`assets-upload-session`), the
//! bucketed base64 uploads authorised by the session's token, the completion token a script
//! upload must carry in `metadata.assets.jwt`, and the deployed files, kept per script so
//! tests can assert what was uploaded and fetch it back.
//!
//! Tokens are JWT-shaped (`header.payload.signature`, HMAC-like SHA-256 over a secret of the
//! fake): a token that is expired, forged, of the wrong kind or for another session is refused
//! with 401. Files are stored per account by hash, so a file uploaded once is never asked for
//! again; each upload's contents are checked against its hash (BLAKE3 of the base64 text and
//! the extension, as wrangler computes it).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::envelope::{ok, ApiError, ApiResult, AUTH_ERROR};
use super::state::{lock, Shared};

/// Guessed: a manifest, token or upload the assets API refuses.
pub const ASSETS_INVALID: u32 = 10021;

/// Files per bucket the session hands out (small, so a tree of a few files needs several).
pub const BUCKET_FILES: usize = 2;

/// Everything the fake knows about assets.
#[derive(Debug)]
pub struct AssetsState {
    secret: String,
    /// How long an upload session's token is valid.
    pub session_ttl: Duration,
    /// Uploaded files by account and hash: content type and bytes.
    pub stored: BTreeMap<(String, String), (String, Vec<u8>)>,
    sessions: BTreeMap<String, Session>,
    /// The deployed manifest of each script, by (account, script): path → hash.
    pub deployed: BTreeMap<(String, String), BTreeMap<String, String>>,
    /// The `assets.config` each script was deployed with.
    pub configs: BTreeMap<(String, String), Value>,
    next: u64,
}

#[derive(Debug, Clone)]
struct Session {
    account: String,
    script: String,
    manifest: BTreeMap<String, (String, u64)>,
    pending: BTreeSet<String>,
}

impl Default for AssetsState {
    fn default() -> Self {
        AssetsState {
            secret: "fake-assets-signing-secret".into(),
            session_ttl: Duration::from_secs(3600),
            stored: BTreeMap::new(),
            sessions: BTreeMap::new(),
            deployed: BTreeMap::new(),
            configs: BTreeMap::new(),
            next: 0,
        }
    }
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

impl AssetsState {
    fn sign(&self, header_payload: &str) -> String {
        let digest = Sha256::digest(format!("{}.{header_payload}", self.secret));
        b64url(&digest)
    }

    fn token(&self, kind: &str, session: &str, ttl: Duration) -> String {
        let header = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
        let exp = unix_now() as i64 + ttl.as_secs() as i64 - i64::from(ttl.is_zero());
        let payload = b64url(
            json!({"kind": kind, "session": session, "exp": exp})
                .to_string()
                .as_bytes(),
        );
        let signed = format!("{header}.{payload}");
        format!("{signed}.{}", self.sign(&signed))
    }

    /// The session id of a valid token of `kind`, or why it is refused.
    fn verify(&self, token: &str, kind: &str) -> Result<String, ApiError> {
        let refuse = |why: &str| ApiError::new(401, AUTH_ERROR, format!("Unauthorized: {why}"));
        let mut pieces = token.rsplitn(2, '.');
        let (Some(signature), Some(signed)) = (pieces.next(), pieces.next()) else {
            return Err(refuse("not a JWT"));
        };
        if self.sign(signed) != signature {
            return Err(refuse("bad signature"));
        }
        let payload = signed.split('.').nth(1).unwrap_or_default();
        let claims: Value = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| refuse("unreadable claims"))?;
        if claims["kind"] != kind {
            return Err(refuse(&format!("expected a {kind} token")));
        }
        if claims["exp"].as_i64().unwrap_or(0) < unix_now() as i64 {
            return Err(refuse("the token has expired"));
        }
        let session = claims["session"].as_str().unwrap_or_default().to_string();
        if kind == "upload" && !self.sessions.contains_key(&session) {
            return Err(refuse("unknown session"));
        }
        Ok(session)
    }

    /// Check a script upload's `metadata.assets` and remember the deployed files.
    pub fn deploy(&mut self, account: &str, script: &str, assets: &Value) -> Result<(), ApiError> {
        if assets.is_null() {
            return Ok(());
        }
        let token = assets["jwt"].as_str().unwrap_or_default();
        let session_id = self.verify(token, "complete")?;
        let Some(session) = self.sessions.get(&session_id) else {
            return Err(ApiError::bad(
                ASSETS_INVALID,
                "unknown asset upload session",
            ));
        };
        if session.account != account || session.script != script || !session.pending.is_empty() {
            return Err(ApiError::bad(
                ASSETS_INVALID,
                "the completion token is not for this script's finished upload",
            ));
        }
        let config = &assets["config"];
        for (key, known) in [
            (
                "html_handling",
                &[
                    "auto-trailing-slash",
                    "force-trailing-slash",
                    "drop-trailing-slash",
                    "none",
                ][..],
            ),
            (
                "not_found_handling",
                &["none", "404-page", "single-page-application"][..],
            ),
        ] {
            if let Some(value) = config.get(key) {
                if !value.as_str().is_some_and(|v| known.contains(&v)) {
                    return Err(ApiError::invalid(format!(
                        "assets.config.{key}: `{value}` is not valid"
                    )));
                }
            }
        }
        let files = session
            .manifest
            .iter()
            .map(|(p, (h, _))| (p.clone(), h.clone()))
            .collect();
        let key = (account.to_string(), script.to_string());
        self.deployed.insert(key.clone(), files);
        self.configs.insert(key, config.clone());
        Ok(())
    }
}

/// `POST /accounts/{a}/workers/scripts/{name}/assets-upload-session`.
pub async fn session(
    State(shared): State<Shared>,
    Path((account_id, name)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("expected a JSON body: {e}")))?;
    let manifest = read_manifest(&body)?;
    let mut state = lock(&shared);
    state.account(&account_id)?;
    let assets = &mut state.assets;
    let pending: BTreeSet<String> = manifest
        .values()
        .map(|(hash, _)| hash.clone())
        .filter(|h| !assets.stored.contains_key(&(account_id.clone(), h.clone())))
        .collect();
    assets.next += 1;
    let id = format!("session-{}", assets.next);
    let ttl = assets.session_ttl;
    let kind = if pending.is_empty() {
        "complete"
    } else {
        "upload"
    };
    let jwt = assets.token(kind, &id, ttl);
    let list: Vec<&String> = pending.iter().collect();
    let buckets: Vec<Vec<&String>> = list.chunks(BUCKET_FILES).map(<[&String]>::to_vec).collect();
    let buckets = json!(buckets);
    assets.sessions.insert(
        id,
        Session {
            account: account_id,
            script: name,
            manifest,
            pending,
        },
    );
    ok(json!({"jwt": jwt, "buckets": buckets}))
}

fn read_manifest(body: &Value) -> Result<BTreeMap<String, (String, u64)>, ApiError> {
    let Some(entries) = body["manifest"].as_object() else {
        return Err(ApiError::invalid(
            "`manifest` must be an object of path → {hash, size}",
        ));
    };
    let mut manifest = BTreeMap::new();
    for (path, entry) in entries {
        let hash = entry["hash"].as_str().unwrap_or_default();
        let size = entry["size"].as_u64();
        let hex = hash.len() == 32 && hash.chars().all(|c| c.is_ascii_hexdigit());
        if !path.starts_with('/') || !hex || size.is_none() {
            return Err(ApiError::invalid(format!("manifest entry `{path}` is not {{hash: 32 hex, size: integer}} under a path starting with `/`")));
        }
        manifest.insert(path.clone(), (hash.to_string(), size.unwrap_or(0)));
    }
    Ok(manifest)
}

/// `POST /accounts/{a}/workers/assets/upload?base64=true`, authorised by the session token.
pub async fn upload(
    State(shared): State<Shared>,
    Path(account_id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    request: Request,
) -> ApiResult {
    let bearer = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    let session_id = lock(&shared).assets.verify(&bearer, "upload")?;
    if query.get("base64").map(String::as_str) != Some("true") {
        return Err(ApiError::invalid(
            "this fake only takes `?base64=true` uploads",
        ));
    }
    let parts = read_parts(request).await?;
    let mut state = lock(&shared);
    let assets = &mut state.assets;
    let mut session = assets
        .sessions
        .get(&session_id)
        .cloned()
        .ok_or_else(|| ApiError::new(401, AUTH_ERROR, "Unauthorized: unknown session"))?;
    if session.account != account_id {
        return Err(ApiError::new(
            401,
            AUTH_ERROR,
            "Unauthorized: the session is for another account",
        ));
    }
    for (hash, content_type, text) in parts {
        if !session.pending.contains(&hash)
            && !assets
                .stored
                .contains_key(&(account_id.clone(), hash.clone()))
        {
            return Err(ApiError::invalid(format!(
                "`{hash}` was not asked for by this session"
            )));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| ApiError::invalid(format!("`{hash}` is not base64: {e}")))?;
        let path = session
            .manifest
            .iter()
            .find(|(_, (h, _))| *h == hash)
            .map(|(p, _)| p.clone())
            .unwrap_or_default();
        if wrangler_hash(text.trim(), &path) != hash {
            return Err(ApiError::invalid(format!(
                "the contents uploaded as `{hash}` ({path}) hash to something else"
            )));
        }
        assets
            .stored
            .insert((account_id.clone(), hash.clone()), (content_type, bytes));
        session.pending.remove(&hash);
    }
    let done = session.pending.is_empty();
    let id = session_id.clone();
    assets.sessions.insert(session_id, session);
    if done {
        let jwt = assets.token("complete", &id, assets.session_ttl);
        let body = json!({"success": true, "errors": [], "messages": [], "result": {"jwt": jwt}});
        return Ok((axum::http::StatusCode::CREATED, axum::Json(body)).into_response());
    }
    ok(json!({}))
}

use axum::response::IntoResponse;

/// `(hash, content type, base64 text)` of each part.
async fn read_parts(request: Request) -> Result<Vec<(String, String, String)>, ApiError> {
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| ApiError::invalid(format!("expected a multipart/form-data body: {e}")))?;
    let mut parts = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::invalid(format!("malformed multipart body: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let content_type = field
            .content_type()
            .unwrap_or("application/null")
            .to_string();
        let text = field
            .text()
            .await
            .map_err(|e| ApiError::invalid(format!("part `{name}`: {e}")))?;
        parts.push((name, content_type, text));
    }
    if parts.is_empty() {
        return Err(ApiError::invalid("an upload needs at least one file part"));
    }
    Ok(parts)
}

/// BLAKE3 over the base64 text and the extension, 32 hex characters (wrangler's `hashFile`).
fn wrangler_hash(base64_text: &str, path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let extension = match name.trim_start_matches('.').rfind('.') {
        Some(_) => name.rsplit('.').next().unwrap_or(""),
        None => "",
    };
    let mut hasher = blake3::Hasher::new();
    hasher.update(base64_text.as_bytes());
    hasher.update(extension.as_bytes());
    hasher.finalize().to_hex()[..32].to_string()
}

/// Whether `path` is the upload endpoint, whose bearer is a session token, not the API token.
pub fn is_upload(path: &str) -> bool {
    path.starts_with("/accounts/") && path.ends_with("/workers/assets/upload")
}
