// The worker the dev-binding tests drive: one route per binding operation, answers as JSON.
function summary(obj) {
  if (obj === null) return null;
  return {
    key: obj.key, size: obj.size, etag: obj.etag, version: obj.version,
    httpMetadata: obj.httpMetadata, customMetadata: obj.customMetadata,
    range: obj.range, hasBody: "body" in obj, uploaded: obj.uploaded.getTime(),
    checksums: obj.checksums.toJSON(),
  };
}

async function r2(op, a, env) {
  switch (op) {
    case "put": {
      const opts = { httpMetadata: a.httpMetadata, customMetadata: a.customMetadata };
      if (a.sha256) opts.sha256 = a.sha256;
      if (a.md5) opts.md5 = a.md5;
      if (a.onlyIf) opts.onlyIf = a.onlyIf;
      const body = a.size ? new Uint8Array(a.size).fill(120) : a.body;
      return summary(await env.R2.put(a.key, body, opts));
    }
    case "get": {
      const obj = await env.R2.get(a.key, { range: a.range, onlyIf: a.onlyIf });
      if (obj === null) return null;
      const out = summary(obj);
      if (out.hasBody) out.text = await obj.text();
      return out;
    }
    case "head": return summary(await env.R2.head(a.key));
    case "delete": await env.R2.delete(a.keys); return { deleted: a.keys };
    case "list": {
      if (a.cursor == null) delete a.cursor;
      const r = await env.R2.list(a);
      return { objects: r.objects.map(summary), truncated: r.truncated, cursor: r.cursor, delimitedPrefixes: r.delimitedPrefixes };
    }
    case "multipart": {
      const up = await env.R2.createMultipartUpload(a.key, { customMetadata: { kind: "multi" } });
      const p1 = await up.uploadPart(1, new Uint8Array(5 * 1024 * 1024).fill(97));
      const p2 = await up.uploadPart(2, "tail");
      const aborted = await env.R2.createMultipartUpload(a.key + ".aborted");
      await aborted.uploadPart(1, "x");
      await aborted.abort();
      return summary(await up.complete([p1, p2]));
    }
  }
  throw new Error("unknown r2 op " + op);
}

async function kv(op, a, env) {
  const ns = a.binding === "KV2" ? env.KV2 : env.KV;
  switch (op) {
    case "put": return await ns.put(a.key, a.value, a.options || {}), { ok: true };
    case "get": return { value: await ns.get(a.key, a.options) };
    case "meta": return await ns.getWithMetadata(a.key);
    case "bulk": return Object.fromEntries(await ns.get(a.keys, "json"));
    case "bulkMeta": return Object.fromEntries(await ns.getWithMetadata(a.keys, "text"));
    case "list": return await ns.list(a.options);
    case "delete": return await ns.delete(a.key), { ok: true };
  }
  throw new Error("unknown kv op " + op);
}

async function d1(op, a, env) {
  const stmt = (s) => env.DB.prepare(s.sql).bind(...(s.params || []));
  switch (op) {
    case "exec": return await env.DB.exec(a.sql);
    case "run": return await stmt(a).run();
    case "all": return await stmt(a).all();
    case "first": return await stmt(a).first();
    case "raw": return await stmt(a).raw({ columnNames: true });
    case "batch": return await env.DB.batch(a.statements.map(stmt));
  }
  throw new Error("unknown d1 op " + op);
}

async function queue(op, a, env) {
  if (op === "send") return await env[a.binding || "JOBS"].send(a.body, a.options), { ok: true };
  if (op === "batch") return await env.JOBS.sendBatch(a.messages), { ok: true };
  throw new Error("unknown queue op " + op);
}

export default {
  async fetch(request, env) {
    const [, kind, op] = new URL(request.url).pathname.split("/");
    if (kind === "health") return new Response("ok");
    const args = request.method === "POST" ? await request.json() : {};
    try {
      const handlers = { kv, d1, r2, queue };
      return Response.json({ result: await handlers[kind](op, args, env) });
    } catch (e) {
      return Response.json({ error: String(e.message) });
    }
  },

  // Each delivery is recorded in KV as `q:<queue>:<tag>:<attempt>`; the body's `action` decides.
  async queue(batch, env) {
    let fail = false;
    for (const msg of batch.messages) {
      const body = msg.body;
      const tag = typeof body === "object" ? body.tag : String(body);
      const record = { queue: batch.queue, attempts: msg.attempts, size: batch.messages.length,
        waited: Date.now() - msg.timestamp.getTime(), body };
      await env.KV.put(`q:${batch.queue}:${tag}:${msg.attempts}`, JSON.stringify(record));
      const action = typeof body === "object" ? body.action : "ack";
      if (action === "retry") msg.retry();
      else if (action === "retry-delay") msg.retry({ delaySeconds: 1 });
      else if (action === "throw") fail = true;
      else msg.ack();
    }
    if (fail) throw new Error("consumer failed on purpose");
  },

  async scheduled(event, env) {
    await env.KV.put(`cron:${event.cron}`, String(event.scheduledTime));
  },
};
