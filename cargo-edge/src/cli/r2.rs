//! `cargo edge r2 …`: local R2 objects by default, through the code that serves them to
//! `cargo edge dev`; the bucket on Cloudflare with `--remote` (`r2_remote`), as wrangler 4.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::context;
use super::failure::{plain, CommandResult, Failure};
use super::json::print_json;
use super::local::{call_local, dev_failure, local_state, LocalArgs};
use crate::dev;
use crate::report::MessageFormat;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo edge r2 put ASSETS photos/cat.jpg ./cat.jpg\n  cargo edge r2 get ASSETS photos/cat.jpg -o cat.jpg --remote --env prod\n  cargo edge r2 list ASSETS --prefix photos/\n\nLocal state (what `cargo edge dev` serves) unless --remote."
)]
pub struct R2Args {
    #[command(subcommand)]
    pub action: R2Action,
    #[command(flatten)]
    pub local: LocalArgs,
    #[arg(long, global = true, value_enum, value_name = "FMT", default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
}

#[derive(Debug, Subcommand)]
pub enum R2Action {
    /// Write an object's bytes to standard output (or to --output FILE, streamed)
    Get {
        binding: String,
        key: String,
        /// Write the object here instead of standard output
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Store FILE (or standard input when FILE is `-`) as an object
    Put {
        binding: String,
        key: String,
        file: PathBuf,
        /// The object's content type (what a worker's `http_metadata()` and a served object's
        /// `Content-Type` say)
        #[arg(long, default_value = "application/octet-stream")]
        content_type: String,
    },
    /// List keys, one per line
    List {
        binding: String,
        #[arg(long)]
        prefix: Option<String>,
    },
    Delete {
        binding: String,
        key: String,
    },
}

/// `cargo edge r2 get|put|list|delete BINDING ...` on local state unless `--remote`, through
/// the handler that serves R2 to workerd (same wire format, same storage).
pub fn r2(args: R2Args) -> CommandResult {
    if !args.local.place.is_local()? {
        return super::r2_remote::r2(args);
    }
    let worker = context::load_worker(&args.local.worker)?;
    let state = local_state(&worker, args.local.place.persist_to.as_deref());
    let stores = dev::store::Stores::new(&state).map_err(dev_failure)?;
    let (binding, request, payload) = match &args.action {
        R2Action::Get { binding, key, .. } => (
            binding,
            serde_json::json!({"version": 1, "method": "get", "object": key}),
            None,
        ),
        R2Action::Put {
            binding,
            key,
            file,
            content_type,
        } => (
            binding,
            put_request(key, content_type),
            Some(read_input(file)?),
        ),
        R2Action::List { binding, prefix } => (
            binding,
            serde_json::json!({"version": 1, "method": "list", "prefix": prefix.clone().unwrap_or_default(), "limit": 1000}),
            None,
        ),
        R2Action::Delete { binding, key } => (
            binding,
            serde_json::json!({"version": 1, "method": "delete", "object": key}),
            Some(Vec::new()),
        ),
    };
    let bucket = worker.r2.get(binding).ok_or_else(|| {
        plain(
            format!("`{}` has no R2 binding named `{binding}`", worker.name),
            format!("R2 bindings: {:?}", worker.r2.keys().collect::<Vec<_>>()),
        )
    })?;
    let sent = payload.as_ref().map_or(0, Vec::len);
    let call = r2_call(&request, payload);
    let (status, headers, bytes) = call_local(dev::r2::handle, &stores, &bucket.bucket, call)?;
    let metadata_size: usize = headers
        .get("cf-r2-metadata-size")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let (metadata, object) = bytes.split_at(metadata_size.min(bytes.len()));
    if status >= 400 {
        let reason = headers
            .get("cf-r2-error")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        return match &args.action {
            R2Action::Get { key, .. } if status == 404 => Err(plain(
                format!("no object `{key}` in `{binding}`"),
                "list the keys with `cargo edge r2 list BINDING`",
            )),
            _ => Err(plain(
                format!("R2 refused ({status}): {reason}"),
                "see Cloudflare's R2 limits",
            )),
        };
    }
    print_local(&args, metadata, object, sent)
}

/// What a local call answered, printed as the remote command prints Cloudflare's answer.
fn print_local(args: &R2Args, metadata: &[u8], object: &[u8], sent: usize) -> CommandResult {
    use std::io::Write;
    let json = args.message_format == MessageFormat::Json;
    let done = |reason: &str, human: String, key: &str, size: usize| match json {
        true => print_json(reason, &serde_json::json!({"key": key, "size": size})),
        false => eprintln!("{human}"),
    };
    match &args.action {
        R2Action::Get { output: None, .. } => {
            let _ = std::io::stdout().write_all(object);
        }
        R2Action::Get {
            key,
            output: Some(path),
            ..
        } => {
            std::fs::write(path, object).map_err(|e| {
                plain(
                    format!("could not write {}: {e}", path.display()),
                    "check the path",
                )
            })?;
            let size = object.len();
            done("r2-get", format!("wrote `{key}` ({size} bytes)"), key, size);
        }
        R2Action::List { .. } => {
            let listing: serde_json::Value = serde_json::from_slice(metadata).unwrap_or_default();
            for object in listing["objects"].as_array().into_iter().flatten() {
                let object = listed(object);
                match json {
                    true => print_json("r2-object", &object),
                    false => println!("{}\t{}", object.key, object.size),
                }
            }
        }
        R2Action::Put { binding, key, .. } => {
            let human = format!("stored `{key}` in `{binding}` ({sent} bytes)");
            done("r2-put", human, key, sent)
        }
        R2Action::Delete { binding, key } => done(
            "r2-delete",
            format!("deleted `{key}` from `{binding}`"),
            key,
            0,
        ),
    }
    Ok(())
}

/// A local listing's object (the binding's wire JSON) as Cloudflare's API lists it.
fn listed(object: &serde_json::Value) -> crate::remote::r2::Object {
    let number = |v: &serde_json::Value| v.as_str().and_then(|s| s.parse().ok()).or(v.as_u64());
    let uploaded = number(&object["uploaded"]).unwrap_or(0);
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(uploaded);
    crate::remote::r2::Object {
        key: object["name"].as_str().unwrap_or("").to_string(),
        size: number(&object["size"]).unwrap_or(0),
        etag: object["etag"].as_str().unwrap_or("").to_string(),
        last_modified: crate::render::capnp_kinds::rfc3339(at),
    }
}

/// The wire request of a put: the content type goes in `httpFields`, as the binding sends it.
fn put_request(key: &str, content_type: &str) -> serde_json::Value {
    serde_json::json!({
        "version": 1,
        "method": "put",
        "object": key,
        "httpFields": {"contentType": content_type},
    })
}

/// A wire-format R2 call: reads carry the request in a header, writes prefix it to the body.
fn r2_call(request: &serde_json::Value, payload: Option<Vec<u8>>) -> dev::http::Call {
    let text = request.to_string();
    let mut headers = axum::http::HeaderMap::new();
    let (method, body) = match payload {
        None => {
            headers.insert(
                "cf-r2-request",
                text.parse().expect("JSON is a valid header value"),
            );
            (axum::http::Method::GET, Vec::new())
        }
        Some(payload) => {
            headers.insert(
                "cf-r2-metadata-size",
                text.len().to_string().parse().expect("a number"),
            );
            let mut body = text.into_bytes();
            body.extend(payload);
            (axum::http::Method::PUT, body)
        }
    };
    dev::http::Call {
        method,
        path: String::new(),
        query: Vec::new(),
        headers,
        body: body.into(),
    }
}

fn read_input(file: &Path) -> Result<Vec<u8>, Failure> {
    if file == Path::new("-") {
        return super::input::read_stdin("the object");
    }
    std::fs::read(file).map_err(|e| {
        plain(
            format!("could not read {}: {e}", file.display()),
            "check the path",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_put_keeps_its_content_type() {
        let dir = tempfile::tempdir().unwrap();
        let stores = dev::store::Stores::new(dir.path()).unwrap();
        let put = r2_call(&put_request("a.txt", "text/plain"), Some(b"hi".to_vec()));
        let call = |call| match call_local(dev::r2::handle, &stores, "files", call) {
            Ok(answer) => answer,
            Err(_) => panic!("the local call failed"),
        };
        let (status, ..) = call(put);
        assert_eq!(status, 200);
        let head = serde_json::json!({"version": 1, "method": "head", "object": "a.txt"});
        let (status, _, bytes) = call(r2_call(&head, None));
        assert_eq!(status, 200);
        let metadata: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            metadata["httpFields"]["contentType"], "text/plain",
            "{metadata}"
        );
    }
}
