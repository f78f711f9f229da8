//! `--message-format json` output of the commands that talk to Cloudflare: one object per
//! line, `{"reason": …, "result": …}`, like cargo's messages.

use serde::Serialize;

pub fn print_json(reason: &str, value: &impl Serialize) {
    let line = serde_json::json!({"reason": reason, "result": value});
    println!("{line}");
}
