// The Cloudflare Workers entry point of the meshpass portal.
//
// It starts the Go WebAssembly portal once per isolate and hands it every
// request through globalThis.meshpassHandle (portal-worker/jsbridge), so a
// request costs a function call rather than a new Go runtime. If the Go
// program ever exits, the next request starts a new one.
import "../build/wasm_exec.js";
import mod from "../build/portal.wasm";

let ready;

function start(env, ctx) {
  return new Promise((resolve, reject) => {
    // github.com/syumai/workers reads the env (D1 binding, secrets) from here.
    globalThis.context = { env, ctx, binding: {} };
    globalThis.meshpassReady = resolve;
    const go = new Go();
    const instance = new WebAssembly.Instance(mod, go.importObject);
    go.run(instance).then(
      () => { ready = undefined; reject(new Error("portal exited")); },
      (err) => { ready = undefined; reject(err); },
    );
  });
}

function jsonError(status, description) {
  return new Response(JSON.stringify({ ErrorResponse: { Status: status, StatusDescription: description } }), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

export default {
  async fetch(request, env, ctx) {
    try {
      if (ready === undefined) ready = start(env, ctx);
      await ready;
      const body = new Uint8Array(await request.arrayBuffer());
      const res = await globalThis.meshpassHandle(request.method, request.url, [...request.headers], body);
      return new Response(res.body, { status: res.status, headers: res.headers });
    } catch (err) {
      ready = undefined;
      console.error("portal failure:", err);
      return jsonError(500, "portal failure");
    }
  },
};
