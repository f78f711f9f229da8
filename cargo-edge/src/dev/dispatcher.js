// cargo-edge's dispatcher worker: runs in workerd beside the user's workers (compatibility flag
// `service_binding_extra_handlers`, `workerd serve --experimental`) and lets the local binding
// server deliver queue batches and cron events, which have no HTTP entry of their own.
//
// Every request must carry `X-Edge-Token` equal to the `EDGE_TOKEN` text binding.
//   POST /queue     {worker, queue, messages: [{id, timestamp, body, contentType, attempts}]}
//                   -> {outcome, ackAll, retryBatch, explicitAcks, retryMessages}
//   POST /scheduled {worker, cron, scheduledTime} -> {outcome, noRetry}
//   POST /email     {worker, from, to, raw} -> see dispatcher_email.js
// `worker` names a service binding of this worker (the user's worker).

import { deliverEmail } from "./edge-dispatcher-email.js";

function decodeBody(message) {
  const raw = message.body;
  switch (message.contentType) {
    case "json":
      return { body: JSON.parse(raw) };
    case "text":
      return { body: raw };
    case "bytes":
      return { body: Uint8Array.from(atob(raw), (c) => c.charCodeAt(0)) };
    default: // "v8": structured-clone bytes, handed over untouched.
      return { serializedBody: Uint8Array.from(atob(raw), (c) => c.charCodeAt(0)) };
  }
}

function sameToken(given, expected) {
  if (typeof given !== "string" || given.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}

async function deliverQueue(env, request) {
  const { worker, queue, messages } = await request.json();
  const batch = messages.map((m) => ({
    id: m.id,
    timestamp: new Date(m.timestamp),
    attempts: m.attempts,
    ...decodeBody(m),
  }));
  const result = await env[worker].queue(queue, batch);
  return Response.json({
    outcome: result.outcome,
    ackAll: result.ackAll,
    retryBatch: result.retryBatch,
    explicitAcks: result.explicitAcks,
    retryMessages: result.retryMessages,
  });
}

async function deliverScheduled(env, request) {
  const { worker, cron, scheduledTime } = await request.json();
  const result = await env[worker].scheduled({ cron, scheduledTime: new Date(scheduledTime) });
  return Response.json({ outcome: result.outcome, noRetry: result.noRetry });
}

export default {
  async fetch(request, env) {
    if (!sameToken(request.headers.get("X-Edge-Token"), env.EDGE_TOKEN)) {
      return new Response("Unauthorized", { status: 401 });
    }
    const { pathname } = new URL(request.url);
    if (request.method === "POST" && pathname === "/queue") return deliverQueue(env, request);
    if (request.method === "POST" && pathname === "/scheduled") return deliverScheduled(env, request);
    if (request.method === "POST" && pathname === "/email") return deliverEmail(env, request);
    return new Response("Not Found", { status: 404 });
  },
};
