//! Incoming email in dev: `POST /cdn-cgi/handler/email?from=…&to=…` (wrangler's URL) or
//! `cargo edge trigger email` fires the served worker's `#[event(email)]` handler through the
//! dispatcher worker (`dispatcher_email.js`). The handler's replies and forwards are written as
//! `.eml` files under `<state>/email/<worker>/_replies/` and `_forwards/`, one printed line each;
//! a `setReject(reason)` is what the caller is told.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use super::dispatch::{DispatchError, Dispatcher};
use super::output::Output;
use super::store::{file_stem, now_ms, random_id};

/// An email as Email Routing hands it over: the SMTP envelope and the raw message.
#[derive(Debug, Clone)]
pub struct IncomingEmail {
    pub from: String,
    pub to: String,
    pub raw: Vec<u8>,
}

/// What the worker did with an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The handler returned without rejecting it.
    Accepted,
    /// The handler called `setReject(reason)`.
    Rejected(String),
    /// The handler threw (or the worker has no email handler).
    Failed(String),
    /// The message was refused before the worker saw it (no Message-ID, too big).
    Invalid(String),
}

/// One reply or forward the handler sent, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub message_id: String,
    pub from: Option<String>,
    pub to: String,
    pub file: PathBuf,
}

/// The outcome of one delivery, with what the handler sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub outcome: Outcome,
    pub warnings: Vec<String>,
    pub replies: Vec<Sent>,
    pub forwards: Vec<Sent>,
}

#[derive(Deserialize)]
struct Answer {
    outcome: String,
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(rename = "rejectReason")]
    reject_reason: Option<String>,
    #[serde(default)]
    forwards: Vec<Message>,
    #[serde(default)]
    replies: Vec<Message>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "messageId")]
    message_id: String,
    from: Option<String>,
    to: String,
    raw: String,
}

/// Deliver `email` to the worker the dispatcher binds as `binding` (the served worker,
/// `worker` by name) and write what it sent under `state_dir`. `output` is workerd's: a
/// handler that panicked is reported with the panic read there ([`super::email_panic`]).
pub async fn deliver(
    dispatcher: &Dispatcher,
    binding: &str,
    worker: &str,
    state_dir: &Path,
    email: &IncomingEmail,
    output: Option<&Output>,
) -> Result<Delivery, DispatchError> {
    let raw = base64::engine::general_purpose::STANDARD.encode(&email.raw);
    let request = json!({"worker": binding, "from": email.from, "to": email.to, "raw": raw});
    let mark = output.map(|o| (o, o.mark()));
    let answer: Answer = serde_json::from_value(dispatcher.post("/email", request).await?)
        .map_err(|e| DispatchError::Failed(format!("unexpected answer: {e}")))?;
    let outcome = match (answer.outcome.as_str(), answer.reject_reason) {
        ("invalid", _) => Outcome::Invalid(answer.error.unwrap_or_default()),
        ("ok", Some(reason)) => Outcome::Rejected(reason),
        ("ok", None) => Outcome::Accepted,
        _ => Outcome::Failed(
            super::email_panic::explain(answer.error.unwrap_or_default(), mark).await,
        ),
    };
    let dir = state_dir.join("email").join(file_stem(worker));
    let write = |kind: &str, sent: &[Message]| -> Result<Vec<Sent>, DispatchError> {
        sent.iter().map(|m| write_one(&dir.join(kind), m)).collect()
    };
    let delivery = Delivery {
        replies: write("_replies", &answer.replies)?,
        forwards: write("_forwards", &answer.forwards)?,
        warnings: answer.warnings,
        outcome,
    };
    print(&delivery, email);
    Ok(delivery)
}

fn write_one(dir: &Path, message: &Message) -> Result<Sent, DispatchError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&message.raw)
        .map_err(|e| DispatchError::Failed(format!("unexpected message encoding: {e}")))?;
    let file = dir.join(format!("{}-{}.eml", now_ms(), &random_id()[..8]));
    std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&file, &bytes))
        .map_err(|e| DispatchError::Failed(format!("{}: {e}", file.display())))?;
    Ok(Sent {
        message_id: message.message_id.clone(),
        from: message.from.clone(),
        to: message.to.clone(),
        file,
    })
}

/// One line per event on dev's terminal, as the sent mail gets.
fn print(delivery: &Delivery, email: &IncomingEmail) {
    let (from, to) = (&email.from, &email.to);
    for warning in &delivery.warnings {
        eprintln!("[email] warning: {warning}");
    }
    let said = match &delivery.outcome {
        Outcome::Accepted => "accepted".to_string(),
        Outcome::Rejected(reason) => format!("rejected: {reason}"),
        Outcome::Failed(error) => format!("the handler failed: {error}"),
        Outcome::Invalid(error) => format!("not delivered: {error}"),
    };
    eprintln!(
        "[email] incoming {from} -> {to} ({} bytes): {said}",
        email.raw.len()
    );
    for reply in &delivery.replies {
        let sender = reply.from.as_deref().unwrap_or("?");
        let file = reply.file.display();
        eprintln!("[email] reply {sender} -> {} written to {file}", reply.to);
    }
    for forward in &delivery.forwards {
        let file = forward.file.display();
        eprintln!("[email] forward to {} written to {file}", forward.to);
    }
}

impl Delivery {
    /// The HTTP answer to the caller: Miniflare's texts (`?format=json`: the whole delivery).
    pub fn answer(&self, json: bool) -> (u16, String) {
        let status = match &self.outcome {
            Outcome::Accepted => 200,
            Outcome::Rejected(_) if json => 200,
            Outcome::Rejected(_) | Outcome::Invalid(_) => 400,
            Outcome::Failed(_) => 500,
        };
        if json {
            return (status, self.to_json().to_string());
        }
        let text = match &self.outcome {
            Outcome::Accepted => "Worker successfully processed email".to_string(),
            Outcome::Rejected(reason) => {
                format!("Worker rejected email with the following reason: {reason}")
            }
            Outcome::Failed(error) => format!("Worker's email handler failed: {error}"),
            Outcome::Invalid(error) => error.clone(),
        };
        (status, text)
    }

    /// Miniflare's `?format=json` fields (`recipient` of a forward, `sender` of a reply), with
    /// the file each was written to.
    fn to_json(&self) -> Value {
        let replies = self.replies.iter().map(
            |s| json!({"messageId": s.message_id, "sender": s.from, "to": s.to, "file": s.file}),
        );
        let forwards = self
            .forwards
            .iter()
            .map(|s| json!({"messageId": s.message_id, "recipient": s.to, "file": s.file}));
        let (outcome, error, reason) = match &self.outcome {
            Outcome::Accepted => ("ok", None, None),
            Outcome::Rejected(reason) => ("ok", None, Some(reason)),
            Outcome::Failed(error) => ("exception", Some(error), None),
            Outcome::Invalid(error) => ("invalid", Some(error), None),
        };
        json!({
            "outcome": outcome,
            "error": error,
            "rejectReason": reason,
            "warnings": self.warnings,
            "replies": replies.collect::<Vec<_>>(),
            "forwards": forwards.collect::<Vec<_>>(),
        })
    }
}

/// `from` and `to` of a query string (`from=a%40b&to=c%40d`), percent-decoded.
pub fn envelope(query: &str) -> Option<(String, String)> {
    let value = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .map(super::http::percent_decode)
            .filter(|v| !v.is_empty())
    };
    Some((value("from")?, value("to")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(outcome: Outcome) -> Delivery {
        Delivery {
            outcome,
            warnings: Vec::new(),
            replies: Vec::new(),
            forwards: Vec::new(),
        }
    }

    #[test]
    fn answers_as_miniflare_does() {
        let ok = delivery(Outcome::Accepted).answer(false);
        assert_eq!(ok, (200, "Worker successfully processed email".into()));
        let rejected = delivery(Outcome::Rejected("no thanks".into()));
        assert_eq!(
            rejected.answer(false),
            (
                400,
                "Worker rejected email with the following reason: no thanks".into()
            )
        );
        let (status, body) = rejected.answer(true);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, &body["rejectReason"]), (200, &json!("no thanks")));
        assert_eq!(delivery(Outcome::Failed("boom".into())).answer(true).0, 500);
        assert_eq!(
            delivery(Outcome::Invalid("no id".into())).answer(false).0,
            400
        );
    }

    #[test]
    fn the_envelope_comes_from_the_query() {
        assert_eq!(
            envelope("from=a%40example.com&to=b@example.com&format=json"),
            Some(("a@example.com".into(), "b@example.com".into()))
        );
        assert_eq!(envelope("from=a@example.com"), None);
        assert_eq!(envelope("from=&to=b@example.com"), None);
        assert_eq!(envelope("fromage=x&to=y"), None);
    }
}
