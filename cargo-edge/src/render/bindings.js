// Local stand-ins for Cloudflare-only bindings, used by `cargo edge dev` (an internal module of a
// workerd extension). Each export is a wrapped-binding entrypoint: workerd calls it once with
// the binding's inner bindings and binds what it returns. Class names are the ones Cloudflare's
// runtime uses: the `worker` crate checks them.
import workers from "cloudflare-internal:workers";

class Ai {
  #binding;
  constructor(binding) {
    this.#binding = binding;
  }
  async run(model) {
    throw new Error(
      `AI binding \`${this.#binding}\`: Workers AI runs only on Cloudflare; cargo edge dev has no local model for \`${model}\`. Deploy the worker (or a preview) to call it.`,
    );
  }
}

export function ai(env) {
  return new Ai(env.binding);
}

// Fixed windows per key, as Cloudflare counts them (per location: here, the one process).
class Ratelimit {
  #limit;
  #period;
  #windows = new Map();
  constructor(limit, period) {
    this.#limit = limit;
    this.#period = period;
  }
  async limit(options) {
    const key = String(options?.key ?? "");
    const window = Math.floor(Date.now() / (this.#period * 1000));
    const seen = this.#windows.get(key);
    const count = seen && seen.window === window ? seen.count + 1 : 1;
    this.#windows.set(key, { window, count });
    return { success: count <= this.#limit };
  }
}

export function ratelimit(env) {
  return new Ratelimit(Number(env.limit), Number(env.period));
}

// A Secrets Store secret: `get()` resolves to the local value, or fails naming where to put it.
class Fetcher {
  #value;
  #binding;
  #secret;
  constructor(binding, secret, value) {
    this.#binding = binding;
    this.#secret = secret;
    this.#value = value;
  }
  async get() {
    if (this.#value === undefined) {
      throw new Error(
        `Secrets Store binding \`${this.#binding}\`: secret \`${this.#secret}\` has no local value; add \`${this.#secret} = "..."\` to .secrets-store.toml next to Cargo.toml`,
      );
    }
    return this.#value;
  }
}

export function secret(env) {
  return new Fetcher(env.binding, env.secret, env.value);
}

// Analytics Engine: each data point is recorded by the binding server (SQLite under the state
// folder); the write is not awaited by the caller, so it is kept alive with waitUntil.
class AnalyticsEngineDataset {
  #fetcher;
  constructor(fetcher) {
    this.#fetcher = fetcher;
  }
  writeDataPoint(point) {
    const body = JSON.stringify({
      indexes: point?.indexes ?? [],
      blobs: (point?.blobs ?? []).map((b) => (b === null ? null : String(b))),
      doubles: point?.doubles ?? [],
    });
    workers.waitUntil(this.#fetcher.fetch("http://analytics/write", { method: "POST", body }));
  }
}

export function analytics(env) {
  return new AnalyticsEngineDataset(env.fetcher);
}

// send_email: the message is checked against the allow-lists (as Cloudflare does) and handed
// to the binding server, which writes it as an .eml file and prints one line.
class SendEmail {
  #fetcher;
  #rules;
  constructor(fetcher, rules) {
    this.#fetcher = fetcher;
    this.#rules = rules;
  }
  async send(message) {
    const { from, to, raw, composed } = await envelope(message);
    for (const recipient of to) {
      check(this.#rules, "destination", recipient);
    }
    check(this.#rules, "sender", from);
    if (!composed) checkRaw(from, raw);
    const response = await this.#fetcher.fetch("http://email/send", {
      method: "POST",
      headers: { "X-Edge-From": from, "X-Edge-To": to.join(",") },
      body: raw,
    });
    if (!response.ok) {
      throw new Error(`send_email: ${await response.text()}`);
    }
    return { messageId: await response.text() };
  }
}

// `Name <a@b>` or `a@b` as the bare, lower-case address.
function bareAddress(address) {
  return String(address).replace(/^.*<([^>]*)>.*$/, "$1").trim().toLowerCase();
}

function check(rules, which, address) {
  const bare = bareAddress(address);
  const allowed =
    which === "destination"
      ? rules.destination_address
        ? [rules.destination_address]
        : rules.allowed_destination_addresses
      : rules.allowed_sender_addresses;
  if (allowed && !allowed.some((a) => a.toLowerCase() === bare)) {
    if (which === "sender") throw new Error(`email from ${bare} not allowed`);
    throw coded(`email to ${bare} not allowed`, "E_RECIPIENT_NOT_ALLOWED");
  }
}

// An error as the production binding throws it: a plain Error with a string `code` (Cloudflare's
// Workers API error table). The `worker` crate reads `code` when it turns the error into Rust's.
// Only the codes that table documents are set: it has none for a sender outside
// `allowed_sender_addresses` nor for the raw-message checks, so those errors carry none.
function coded(message, code) {
  return Object.assign(new Error(message), { code });
}

// A raw MIME message is checked as production checks it (the same texts as Miniflare's
// send_email worker): a Message-ID, a From: header naming the envelope sender, no Received:.
function checkRaw(from, raw) {
  const head = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, " ");
  const fields = new Map();
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
    }
  }
  if (!fields.has("message-id") || fields.get("message-id") === "") {
    throw new Error("invalid message-id");
  }
  if (bareAddress(fields.get("from") ?? "") !== String(from).trim().toLowerCase()) {
    throw new Error("From: header does not match mail from");
  }
  if (fields.has("received")) {
    throw new Error("invalid headers set");
  }
}

// An EmailMessage (cloudflare:email, see render/extensions.rs) carries raw MIME under this key;
// a message built with the `worker` crate's builder is composed here.
const EMAIL_RAW = "cargo-edge:EmailMessage.raw";

async function envelope(message) {
  if (message && message[EMAIL_RAW] !== undefined) {
    const raw = await new Response(message[EMAIL_RAW]).text();
    return { from: message.from, to: [message.to], raw, composed: false };
  }
  const address = (a) => (typeof a === "string" ? a : a.name ? `${a.name} <${a.email}>` : a.email);
  const list = (v) => (v === undefined ? [] : Array.isArray(v) ? v.map(address) : [address(v)]);
  const from = address(message.from);
  const to = list(message.to);
  const lines = [`From: ${from}`, `To: ${to.join(", ")}`, `Subject: ${message.subject}`];
  if (message.cc) lines.push(`Cc: ${list(message.cc).join(", ")}`);
  if (message.replyTo) lines.push(`Reply-To: ${address(message.replyTo)}`);
  for (const [name, value] of Object.entries(message.headers ?? {})) lines.push(`${name}: ${value}`);
  lines.push("MIME-Version: 1.0");
  const body = message.html ?? message.text ?? "";
  lines.push(`Content-Type: text/${message.html ? "html" : "plain"}; charset=utf-8`, "", body);
  return {
    from,
    to: to.concat(list(message.cc), list(message.bcc)),
    raw: lines.join("\r\n"),
    composed: true,
  };
}

export function sendEmail(env) {
  return new SendEmail(env.fetcher, JSON.parse(env.rules));
}

// A dispatch namespace: `get(name)` is the workspace's worker of that name. As in production,
// `get` of a name the namespace lacks still returns a Fetcher; calling it fails with
// "Worker not found." (what Cloudflare's dispatch example tests the message for).
const missingWorker = new Proxy(
  {},
  {
    get: (_, property) =>
      property === "then" ? undefined : async () => {
        throw new Error("Worker not found.");
      },
  },
);

class DynamicDispatcher {
  #workers;
  constructor(workers) {
    this.#workers = workers;
  }
  get(name) {
    return Object.hasOwn(this.#workers, name) ? this.#workers[name] : missingWorker;
  }
}

export function dispatcher(env) {
  return new DynamicDispatcher(env);
}
