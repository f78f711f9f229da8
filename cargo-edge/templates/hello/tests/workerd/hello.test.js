// `cargo edge test` runs these in workerd against this crate's worker: every export with a
// `test(ctrl, env)` handler is one test, and `env.WORKER` is a service binding to the worker.

export const greets = {
  async test(ctrl, env) {
    const response = await env.WORKER.fetch("http://{{name}}/");
    const body = await response.text();
    if (response.status !== 200 || body !== "Hello from {{name}}!") {
      throw new Error(`GET / answered ${response.status} ${body}`);
    }
  },
};

export const unknown_paths_are_404 = {
  async test(ctrl, env) {
    const response = await env.WORKER.fetch("http://{{name}}/nope");
    if (response.status !== 404) throw new Error(`GET /nope answered ${response.status}`);
  },
};
