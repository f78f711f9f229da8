//! Uploading static assets with Cloudflare's direct-upload protocol, before the script upload:
//! open a session with the manifest (`{"/path": {hash, size}}`), upload the buckets of files
//! Cloudflare lacks (multipart, base64 bodies, the session token as bearer, three buckets at
//! once, each with the client's retries), and hand the completion token to the script upload.
//! Files Cloudflare has already are not sent, so an unchanged tree uploads nothing.

use std::sync::Mutex;

use base64::Engine;
use reqwest::blocking::multipart::{Form, Part};
use reqwest::Method;
use serde::Serialize;
use serde_json::{json, Value};

use super::client::{Auth, Body, Client, Mode, Secret};
use super::error::DeployError;
use crate::assets::AssetManifest;
use crate::dev::assets::content_type;

/// Buckets uploaded at once (wrangler's bulk concurrency).
pub const CONCURRENCY: usize = 3;

/// The size of what may be uploaded, for the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AssetSummary {
    pub files: usize,
    pub bytes: u64,
}

impl AssetSummary {
    pub fn of(manifest: &AssetManifest) -> AssetSummary {
        AssetSummary {
            files: manifest.files.len(),
            bytes: manifest.total_size(),
        }
    }
}

/// The bundle as deployed: its content hash with the assets' manifest joined in, so the
/// worker's content-hash binding and the no-op check cover the files too.
pub fn joined(
    bundle: &crate::bundle::Bundle,
    manifest: Option<&AssetManifest>,
) -> crate::bundle::Bundle {
    let mut bundle = bundle.clone();
    bundle.content_hash =
        crate::assets::collect::joined_content_hash(&bundle.content_hash, manifest);
    bundle
}

/// The manifest of the worker's assets folder, if it has one.
pub fn manifest_of(worker: &crate::model::Worker) -> Result<Option<AssetManifest>, DeployError> {
    let Some(assets) = &worker.assets else {
        return Ok(None);
    };
    AssetManifest::build(&assets.directory)
        .map(Some)
        .map_err(|e| DeployError::Assets {
            message: format!("assets directory `{}`: {e}", assets.directory_as_written),
            help: "fix the folder (or list files in its `.assetsignore`) and rerun".into(),
        })
}

/// What the upload did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AssetsUpload {
    /// The token the script upload carries in `metadata.assets.jwt`.
    #[serde(skip)]
    pub completion: String,
    /// Paths uploaded (or, in a dry run, that may be).
    pub uploaded: Vec<String>,
    pub bytes: u64,
    pub buckets: usize,
}

/// Run the protocol for `script`'s assets.
pub fn upload(
    client: &Client,
    account: &str,
    script: &str,
    manifest: &AssetManifest,
) -> Result<AssetsUpload, DeployError> {
    let session = client.call(
        Method::POST,
        &format!("/accounts/{account}/workers/scripts/{script}/assets-upload-session"),
        Body::Json(&json!({ "manifest": manifest.to_json() })),
    )?;
    if client.mode() != Mode::Live {
        return Ok(AssetsUpload {
            completion: "<completion token of the asset upload>".into(),
            uploaded: manifest.files.keys().cloned().collect(),
            bytes: manifest.total_size(),
            buckets: 0,
        });
    }
    let token = session["jwt"].as_str().unwrap_or_default().to_string();
    let buckets = buckets(&session, manifest)?;
    if buckets.is_empty() {
        if token.is_empty() {
            return Err(missing_token());
        }
        return Ok(AssetsUpload {
            completion: token,
            ..AssetsUpload::default()
        });
    }
    let auth = Auth::Token(Secret::new(token));
    let completion = upload_buckets(client, account, &auth, manifest, &buckets)?;
    let uploaded: Vec<String> = buckets.iter().flatten().cloned().collect();
    Ok(AssetsUpload {
        completion: completion.ok_or_else(missing_token)?,
        bytes: uploaded.iter().map(|p| manifest.files[p].size).sum(),
        buckets: buckets.len(),
        uploaded,
    })
}

/// The buckets the session asks for, as paths of the manifest.
fn buckets(session: &Value, manifest: &AssetManifest) -> Result<Vec<Vec<String>>, DeployError> {
    let mut out = Vec::new();
    for bucket in session["buckets"].as_array().into_iter().flatten() {
        let mut paths = Vec::new();
        for hash in bucket
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let Some((path, _)) = manifest.path_of(hash) else {
                return Err(DeployError::Decode {
                    path: "assets-upload-session".into(),
                    message: format!("Cloudflare asked for `{hash}`, which is not in the manifest"),
                });
            };
            paths.push(path.to_string());
        }
        if !paths.is_empty() {
            out.push(paths);
        }
    }
    Ok(out)
}

/// Upload every bucket, [`CONCURRENCY`] at a time; the completion token comes with the last.
fn upload_buckets(
    client: &Client,
    account: &str,
    auth: &Auth,
    manifest: &AssetManifest,
    buckets: &[Vec<String>],
) -> Result<Option<String>, DeployError> {
    let next = Mutex::new(buckets.iter());
    let completion = Mutex::new(None);
    let failure = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..CONCURRENCY.min(buckets.len()) {
            scope.spawn(|| loop {
                let Some(bucket) = next.lock().ok().and_then(|mut n| n.next()) else {
                    return;
                };
                if failure.lock().is_ok_and(|f| f.is_some()) {
                    return;
                }
                match upload_bucket(client, account, auth, manifest, bucket) {
                    Ok(Some(token)) => {
                        *completion.lock().unwrap_or_else(|e| e.into_inner()) = Some(token)
                    }
                    Ok(None) => {}
                    Err(error) => {
                        *failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
                        return;
                    }
                }
            });
        }
    });
    if let Some(error) = failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(error);
    }
    Ok(completion.into_inner().unwrap_or_else(|e| e.into_inner()))
}

fn upload_bucket(
    client: &Client,
    account: &str,
    auth: &Auth,
    manifest: &AssetManifest,
    bucket: &[String],
) -> Result<Option<String>, DeployError> {
    let mut parts = Vec::new();
    for path in bucket {
        let file = &manifest.files[path];
        let bytes = std::fs::read(&file.path).map_err(|e| DeployError::Io {
            path: file.path.display().to_string(),
            message: e.to_string(),
        })?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        let kind = content_type(path).unwrap_or_else(|| "application/null".into());
        parts.push((file.hash.clone(), kind, encoded));
    }
    let description = json!({
        "files": bucket.iter().zip(&parts).map(|(p, (hash, kind, _))| json!({"path": p, "hash": hash, "content_type": kind})).collect::<Vec<_>>(),
    });
    let form = || {
        let mut form = Form::new();
        for (hash, kind, encoded) in &parts {
            let part = Part::text(encoded.clone())
                .file_name(hash.clone())
                .mime_str(kind)
                .unwrap_or_else(|_| Part::text(encoded.clone()).file_name(hash.clone()));
            form = form.part(hash.clone(), part);
        }
        form
    };
    let path = format!("/accounts/{account}/workers/assets/upload?base64=true");
    let result = client
        .call_as(
            auth,
            Method::POST,
            &path,
            Body::Multipart(&form, &description),
        )
        .map_err(expired)?;
    Ok(result["jwt"].as_str().map(str::to_string))
}

/// A refused session token (it expires after a while): say that a rerun resumes.
fn expired(error: DeployError) -> DeployError {
    match error {
        DeployError::Api(api) if api.status == 401 || api.status == 403 => DeployError::Assets {
            message: format!(
                "the asset upload session was refused (HTTP {}): its token expired or is not valid",
                api.status
            ),
            help: "rerun `cargo edge deploy`: the files uploaded so far are kept, so the next run uploads only the rest".into(),
        },
        other => other,
    }
}

fn missing_token() -> DeployError {
    DeployError::Assets {
        message: "Cloudflare finished the asset upload without a completion token".into(),
        help: "rerun `cargo edge deploy`; the files uploaded so far are kept".into(),
    }
}

/// What a deploy's summary says about assets: each file a dry run would offer, or what a
/// deploy uploaded.
pub fn report_lines(report: &super::run::DeployReport) -> Vec<(&'static str, String)> {
    let Some(done) = report.outcome.as_ref().and_then(|o| o.assets.as_ref()) else {
        return Vec::new();
    };
    if report.dry_run.is_some() {
        let mut lines: Vec<(&str, String)> = done
            .uploaded
            .iter()
            .take(100)
            .map(|path| ("Would offer", format!("asset {path}")))
            .collect();
        if done.uploaded.len() > 100 {
            lines.push((
                "Would offer",
                format!("... and {} more", done.uploaded.len() - 100),
            ));
        }
        return lines;
    }
    vec![(
        "Assets",
        format!(
            "uploaded {} file(s), {} bytes, in {} bucket(s)",
            done.uploaded.len(),
            done.bytes,
            done.buckets
        ),
    )]
}

/// The zip entries `cargo edge package` adds for static assets: `assets-manifest.json` (the
/// upload manifest, hashes as Cloudflare takes them) and every file under `assets/`.
pub fn package_entries(
    worker: &crate::model::Worker,
) -> Result<Vec<(String, Vec<u8>)>, DeployError> {
    let Some(manifest) = manifest_of(worker)? else {
        return Ok(Vec::new());
    };
    let mut entries = vec![(
        "assets-manifest.json".to_string(),
        serde_json::to_vec_pretty(&manifest.to_json()).unwrap_or_default(),
    )];
    for (path, file) in &manifest.files {
        let bytes = std::fs::read(&file.path).map_err(|e| DeployError::Io {
            path: file.path.display().to_string(),
            message: e.to_string(),
        })?;
        entries.push((format!("assets{path}"), bytes));
    }
    Ok(entries)
}
