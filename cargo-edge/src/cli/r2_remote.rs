//! `cargo edge r2 … --remote`: the bucket on Cloudflare that the binding names.
//! A get streams to standard output or `-o FILE`; a put streams FILE from disk.

use std::path::Path;

use super::failure::{plain, CommandResult};
use super::json::print_json;
use super::local::announce_remote;
use super::r2::{R2Action, R2Args};
use super::remote::connect;
use crate::remote::{r2, resolve};
use crate::report::MessageFormat;

pub fn r2(args: R2Args) -> CommandResult {
    let (client, worker, account) = connect(&args.local.worker)?;
    announce_remote(&account);
    let json = args.message_format == MessageFormat::Json;
    let bucket = |binding: &str| resolve::r2_bucket(&client, &account, &worker, binding);
    match &args.action {
        R2Action::Get {
            binding,
            key,
            output,
        } => {
            let bucket = bucket(binding)?;
            let found = match output {
                Some(path) => {
                    let mut file = std::fs::File::create(path).map_err(|e| {
                        plain(
                            format!("could not create {}: {e}", path.display()),
                            "check the path",
                        )
                    })?;
                    r2::get(&client, &account, &bucket, key, &mut file)?
                }
                None => r2::get(
                    &client,
                    &account,
                    &bucket,
                    key,
                    &mut std::io::stdout().lock(),
                )?,
            };
            match found {
                None => {
                    if let Some(path) = output {
                        let _ = std::fs::remove_file(path);
                    }
                    return Err(plain(
                        format!("no object `{key}` in `{binding}` on Cloudflare"),
                        format!("`cargo edge r2 list {binding}` shows its objects"),
                    ));
                }
                Some(size) if output.is_some() => report(
                    json,
                    "r2-get",
                    &format!("wrote `{key}` ({size} bytes)"),
                    key,
                    size,
                ),
                Some(_) => {}
            }
        }
        R2Action::Put {
            binding,
            key,
            file,
            content_type,
        } => {
            let bucket = bucket(binding)?;
            if file == Path::new("-") {
                let bytes = super::input::read_stdin("the object")?;
                r2::put_bytes(&client, &account, &bucket, key, &bytes, content_type)?;
                report(
                    json,
                    "r2-put",
                    &format!("stored `{key}` in `{binding}`"),
                    key,
                    bytes.len() as u64,
                );
            } else {
                let size = std::fs::metadata(file)
                    .map_err(|e| {
                        plain(
                            format!("could not read {}: {e}", file.display()),
                            "check the path",
                        )
                    })?
                    .len();
                r2::put_file(&client, &account, &bucket, key, file, content_type)?;
                report(
                    json,
                    "r2-put",
                    &format!("stored `{key}` in `{binding}` ({size} bytes)"),
                    key,
                    size,
                );
            }
        }
        R2Action::List { binding, prefix } => {
            for object in r2::list(&client, &account, &bucket(binding)?, prefix.as_deref())? {
                match json {
                    true => print_json("r2-object", &object),
                    false => println!("{}\t{}", object.key, object.size),
                }
            }
        }
        R2Action::Delete { binding, key } => {
            r2::delete(&client, &account, &bucket(binding)?, key)?;
            report(
                json,
                "r2-delete",
                &format!("deleted `{key}` from `{binding}`"),
                key,
                0,
            );
        }
    }
    Ok(())
}

fn report(json: bool, reason: &str, human: &str, key: &str, size: u64) {
    match json {
        true => print_json(reason, &serde_json::json!({"key": key, "size": size})),
        false => eprintln!("{human}"),
    }
}
