// Incoming email for cargo-edge's dispatcher worker (see dispatcher.js): an `email` event for the
// user's worker, built the way Cloudflare's Email Routing hands one over, with `setReject`,
// `forward` and `reply` checked as production checks them and recorded for the caller.
//
//   POST /email {worker, from, to, raw (base64)}
//     -> {outcome: "ok" | "exception" | "invalid", error?, warnings, rejectReason?,
//         forwards: [{messageId, to, raw (base64)}], replies: [{messageId, from, to, raw (base64)}]}

// The key `EmailMessage` (cloudflare:email, render/extensions.rs) keeps its raw message under.
const EMAIL_RAW = "cargo-edge:EmailMessage.raw";

// Email Routing's limit on a message.
const MAX_SIZE = 25 * 1024 * 1024;

const toBinary = (bytes) => {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return text;
};
const fromBinary = (text) => Uint8Array.from(text, (c) => c.charCodeAt(0));

// The header section of a raw message (bytes as a binary string): [name, value] pairs in order,
// continuation lines unfolded, names lower-cased.
function parseHeaders(binary) {
  const end = binary.search(/\r?\n\r?\n/);
  const head = end < 0 ? binary : binary.slice(0, end);
  const fields = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length > 0) {
      fields[fields.length - 1][1] += " " + line.trim();
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return fields;
}

const field = (fields, name) => fields.find(([n]) => n === name)?.[1];

// `Name <a@b>` -> `a@b`; a bare address as it is.
const address = (value) =>
  (value ?? "").replace(/^.*<([^>]*)>.*$/, "$1").trim().toLowerCase();

// Email Routing lets a worker reply only to a message that is not automatic and whose thread
// headers are both present (and References has under 100 entries) or both absent.
function replyable(fields) {
  const suppress = field(fields, "x-auto-response-suppress")?.toLowerCase();
  if (suppress !== undefined && suppress !== "none") return false;
  const submitted = field(fields, "auto-submitted")?.toLowerCase();
  if (submitted !== undefined && submitted !== "no") return false;
  const inReplyTo = field(fields, "in-reply-to");
  const references = field(fields, "references");
  if (inReplyTo === undefined && references === undefined) return true;
  if (inReplyTo === undefined || references === undefined) return false;
  return (references.match(/@/g)?.length ?? 0) < 100;
}

// The reply as Email Routing sends it, or the error it refuses it with.
async function checkedReply(incoming, reply) {
  if (reply === null || typeof reply !== "object" || reply[EMAIL_RAW] === undefined) {
    throw new Error("reply() takes an EmailMessage (new EmailMessage(from, to, raw) from cloudflare:email)");
  }
  const raw = toBinary(new Uint8Array(await new Response(reply[EMAIL_RAW]).arrayBuffer()));
  const fields = parseHeaders(raw);
  if (address(field(fields, "from")) !== address(reply.from)) {
    throw new Error("From: header does not match mail from");
  }
  if (field(fields, "message-id") === undefined) throw new Error("invalid message-id");
  if (field(fields, "received") !== undefined) throw new Error("invalid headers set");
  const inReplyTo = field(fields, "in-reply-to");
  if (inReplyTo === undefined) throw new Error("no In-Reply-To header found in reply message");
  if (inReplyTo !== incoming.messageId) {
    throw new Error("In-Reply-To does not match original Message-ID");
  }
  const before = incoming.references ?? "";
  const references = field(fields, "references");
  if (references === undefined) {
    const chain = before ? `${incoming.messageId} ${before}` : incoming.messageId;
    return `References: ${chain}\r\n${raw}`;
  }
  if (!references.includes(incoming.messageId) || !references.includes(before)) {
    throw new Error("provided References header is invalid");
  }
  return raw;
}

// Headers a forward may add: only `X-*` ones, as Email Routing allows.
function forwardHeaders(headers) {
  const added = headers === undefined || headers === null ? [] : [...new Headers(headers)];
  const other = added.find(([name]) => !name.toLowerCase().startsWith("x-"));
  if (other !== undefined) {
    throw new Error(`forward(): header \`${other[0]}\` cannot be added; only X-* headers can`);
  }
  return added.map(([name, value]) => `${name}: ${value}\r\n`).join("");
}

const messageId = () => `${crypto.randomUUID().replaceAll("-", "")}@cargo-edge.local`;

function invalid(error) {
  return Response.json({ outcome: "invalid", error, warnings: [], forwards: [], replies: [] });
}

export async function deliverEmail(env, request) {
  const { worker, from, to, raw } = await request.json();
  const bytes = fromBinary(atob(raw));
  if (bytes.byteLength > MAX_SIZE) {
    return invalid("Email message size is bigger than the production size limit of 25MiB.");
  }
  const binary = toBinary(bytes);
  const fields = parseHeaders(binary);
  const incoming = {
    messageId: field(fields, "message-id"),
    references: field(fields, "references"),
  };
  if (incoming.messageId === undefined) {
    return invalid("Email could not be parsed: invalid or no message id provided");
  }
  const warnings = [];
  if (address(field(fields, "from")) !== address(from)) {
    warnings.push(`MAIL FROM ${from} does not match the message's From: header (${field(fields, "from") ?? "none"})`);
  }
  const recipients = (field(fields, "to") ?? "").split(",").map(address);
  if (!recipients.includes(address(to))) {
    warnings.push(`RCPT TO ${to} is not among the message's To: header (${field(fields, "to") ?? "none"})`);
  }
  const headers = new Headers();
  for (const [name, value] of fields) {
    try {
      headers.append(name, value);
    } catch {
      warnings.push(`header \`${name}\` is not valid in a Headers object and was left out of message.headers`);
    }
  }
  const forwards = [];
  const replies = [];
  let rejectReason;
  const message = {
    from,
    to,
    headers,
    raw: new Response(bytes).body,
    rawSize: bytes.byteLength,
    setReject(reason) {
      rejectReason = String(reason);
    },
    async forward(rcptTo, extra) {
      if (!/^[^@\s]+@[^@\s]+$/.test(String(rcptTo))) {
        throw new Error(`forward(): \`${rcptTo}\` is not an email address`);
      }
      const id = messageId();
      const added = toBinary(new TextEncoder().encode(forwardHeaders(extra)));
      forwards.push({ messageId: id, to: String(rcptTo), raw: btoa(added + binary) });
      return { messageId: id };
    },
    async reply(reply) {
      if (!replyable(fields)) throw new Error("Original email is not replyable");
      const sent = await checkedReply(incoming, reply);
      const id = messageId();
      replies.push({ messageId: id, from: reply.from, to: reply.to, raw: btoa(sent) });
      return { messageId: id };
    },
  };
  let outcome = "ok";
  let error;
  try {
    await env[worker].email(message);
  } catch (e) {
    outcome = "exception";
    error = String(e?.message ?? e);
    if (error.includes('does not implement the method "email"')) {
      error = "the worker has no email handler (#[event(email)])";
    }
  }
  // A setReject() the handler did not await is still crossing JS RPC: let it land.
  await scheduler.wait(0);
  return Response.json({ outcome, error, warnings, rejectReason, forwards, replies });
}
