//! Files in an R2 bucket over HTTP:
//!
//! | request                  | answer                                                   |
//! |--------------------------|----------------------------------------------------------|
//! | `PUT /files/*key`        | 201, stores the body with the request's `Content-Type`   |
//! | `GET /files/*key`        | 200 with `Content-Type` and `ETag`; 304 on `If-None-Match`, 206 on `Range` |
//! | `HEAD /files/*key`       | the same headers, no body                                |
//! | `DELETE /files/*key`     | 204                                                      |
//! | `GET /files?prefix=a/`   | 200, the keys under a prefix as JSON (`cursor` for more) |

use serde::Serialize;
use worker::*;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get_async("/files", list)
        // `*key` takes the rest of the path, slashes included: `/files/img/logo.png`.
        .put_async("/files/*key", upload)
        .get_async("/files/*key", download)
        .head_async("/files/*key", head)
        .delete_async("/files/*key", remove)
        .run(req, env)
        .await
}

async fn upload(mut req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let key = ctx.param("key").cloned().unwrap_or_default();
    let content_type = req
        .headers()
        .get("Content-Type")?
        .unwrap_or_else(|| "application/octet-stream".into());
    // The whole body in memory: fine up to the request size limit (100 MB on the free plan).
    // Larger files go through `create_multipart_upload`.
    let body = req.bytes().await?;
    let metadata = HttpMetadata {
        content_type: Some(content_type),
        ..Default::default()
    };
    let object = ctx
        .bucket("FILES")?
        .put(&key, body)
        .http_metadata(metadata)
        .execute()
        .await?
        .expect("a put without `only_if` always stores");
    let mut response = Response::from_json(&Listed::from(&object))?.with_status(201);
    response.headers_mut().set("ETag", &object.http_etag())?;
    Ok(response)
}

async fn download(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let key = ctx.param("key").cloned().unwrap_or_default();
    let bucket = ctx.bucket("FILES")?;
    let mut get = bucket.get(&key);
    // R2 checks the condition: when the client's copy is current, no body comes back.
    if let Some(etag) = req.headers().get("If-None-Match")?.and_then(unquoted_etag) {
        get = get.only_if(Conditional {
            etag_does_not_match: Some(etag),
            ..Default::default()
        });
    }
    let range = requested_range(&req)?;
    if let Some(range) = &range {
        get = get.range(range.clone());
    }
    let object = match get.execute().await {
        Ok(Some(object)) => object,
        Ok(None) => return Response::error("no such file", 404),
        Err(_) if range.is_some() => return Response::error("range not satisfiable", 416),
        Err(e) => return Err(e),
    };
    let headers = file_headers(&object)?;
    let Some(body) = object.body() else {
        return Ok(Response::empty()?.with_status(304).with_headers(headers));
    };
    let mut status = 200;
    if let Some(range) = range {
        let (offset, length) = served(range, object.size());
        let last = offset + length.max(1) - 1;
        headers.set(
            "Content-Range",
            &format!("bytes {offset}-{last}/{}", object.size()),
        )?;
        status = 206;
    }
    Ok(Response::from_body(body.response_body()?)?
        .with_status(status)
        .with_headers(headers))
}

async fn head(_req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let key = ctx.param("key").cloned().unwrap_or_default();
    match ctx.bucket("FILES")?.head(&key).await? {
        Some(object) => {
            let headers = file_headers(&object)?;
            headers.set("Content-Length", &object.size().to_string())?;
            Ok(Response::empty()?.with_headers(headers))
        }
        None => Response::error("no such file", 404),
    }
}

async fn remove(_req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let key = ctx.param("key").cloned().unwrap_or_default();
    // Deleting a missing key succeeds too: DELETE is idempotent.
    ctx.bucket("FILES")?.delete(&key).await?;
    Ok(Response::empty()?.with_status(204))
}

/// One entry of a listing.
#[derive(Serialize)]
struct Listed {
    key: String,
    size: u64,
    etag: String,
}

impl From<&Object> for Listed {
    fn from(object: &Object) -> Self {
        Listed {
            key: object.key(),
            size: object.size(),
            etag: object.http_etag(),
        }
    }
}

#[derive(Serialize)]
struct Listing {
    files: Vec<Listed>,
    /// Pass back as `?cursor=` for the next page.
    cursor: Option<String>,
}

async fn list(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let url = req.url()?;
    let query = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let bucket = ctx.bucket("FILES")?;
    let mut list = bucket.list().limit(100);
    if let Some(prefix) = query("prefix") {
        list = list.prefix(prefix);
    }
    if let Some(cursor) = query("cursor") {
        list = list.cursor(cursor);
    }
    let page = list.execute().await?;
    Response::from_json(&Listing {
        files: page.objects().iter().map(Listed::from).collect(),
        cursor: page.truncated().then(|| page.cursor()).flatten(),
    })
}

/// `Content-Type` (and the other HTTP metadata stored with the file), `ETag` and
/// `Accept-Ranges`.
fn file_headers(object: &Object) -> Result<Headers> {
    let headers = Headers::new();
    // Spelled out: `write_http_metadata` would fill a copy (`Headers::clone` copies).
    let metadata = object.http_metadata();
    for (name, value) in [
        ("Content-Type", metadata.content_type),
        ("Content-Language", metadata.content_language),
        ("Content-Disposition", metadata.content_disposition),
        ("Content-Encoding", metadata.content_encoding),
        ("Cache-Control", metadata.cache_control),
    ] {
        if let Some(value) = value {
            headers.set(name, &value)?;
        }
    }
    headers.set("ETag", &object.http_etag())?;
    headers.set("Accept-Ranges", "bytes")?;
    Ok(headers)
}

/// `If-None-Match` as R2 takes it: one etag without its quotes (R2 refuses quoted ones) nor
/// `W/`. Of a list, the first is kept: a miss only costs a 200 instead of a 304.
fn unquoted_etag(header: String) -> Option<String> {
    let first = header.split(',').next()?.trim();
    let etag = first.strip_prefix("W/").unwrap_or(first).trim_matches('"');
    (!etag.is_empty()).then(|| etag.to_string())
}

/// A single `Range: bytes=…` as R2 reads it; other forms (several ranges, other units) are
/// ignored and the whole file is sent, as HTTP allows.
fn requested_range(req: &Request) -> Result<Option<Range>> {
    let Some(header) = req.headers().get("Range")? else {
        return Ok(None);
    };
    let Some((first, last)) = header
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
    else {
        return Ok(None);
    };
    Ok(match (first.parse::<u64>(), last.parse::<u64>()) {
        (Ok(offset), Ok(last)) if last >= offset => Some(Range::OffsetWithLength {
            offset,
            length: last - offset + 1,
        }),
        (Ok(offset), Err(_)) if last.is_empty() => Some(Range::OffsetToEnd { offset }),
        (Err(_), Ok(suffix)) if first.is_empty() => Some(Range::Suffix { suffix }),
        _ => None,
    })
}

/// The `(offset, length)` R2 served for `range` of a file of `size` bytes: ranges past the
/// end are cut short.
fn served(range: Range, size: u64) -> (u64, u64) {
    match range {
        Range::OffsetWithLength { offset, length } => (offset, length.min(size - offset)),
        Range::OffsetToEnd { offset } => (offset, size - offset),
        Range::Prefix { length } => (0, length.min(size)),
        Range::Suffix { suffix } => (size - suffix.min(size), suffix.min(size)),
    }
}
