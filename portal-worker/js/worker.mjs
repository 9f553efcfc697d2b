// The Cloudflare Workers entry point of the meshpass portal.
//
// It starts the Go WebAssembly portal once per isolate and hands it every
// request through globalThis.meshpassHandle (portal-worker/jsbridge), so a
// request costs a function call rather than a new Go runtime. If the Go
// program ever exits, the next request starts a new one.
//
// Requests enter Go one at a time. Workers ties every I/O (a D1 query) to
// the request that started it; with two requests inside Go at once, one
// request's goroutine can resume on the other's I/O callback and start its
// queries on behalf of a request that then ends, and workerd cancels it as
// hung. Go in WebAssembly runs on one thread, so the queue costs only the
// overlap of D1 round trips within an isolate.
//
// Workers also judges, request by request, whether a request still waits
// for anything, and runs a promise's callbacks in the request that settled
// it. So a request waits for its turn by polling with timers of its own
// (never on another request's promise), and its turn starts in its own
// context: the goroutine it starts, and the queries that goroutine makes,
// belong to it.
import "../build/wasm_exec.js";
import mod from "../build/portal.wasm";

let ready;
let busy = false;

// turn resolves, in the calling request's own context, once no other
// request is inside Go.
function turn() {
  return new Promise((resolve) => {
    const take = () => {
      if (busy) {
        setTimeout(take, 1);
        return;
      }
      busy = true;
      resolve();
    };
    take();
  });
}

// A turn that takes longer than this is taken to mean Go is stuck: the
// instance is dropped and the next request starts a new one.
const turnLimit = 20000;
let rearmTimers = () => {};

// Go's runtime wakes itself with setTimeout, and Workers cancels a timer
// when the request that set it ends. keepTimers takes over Go's two timer
// imports (as wasm_exec.js implements them) to remember each wake-up, so
// that rearmTimers can move them into the request now running; otherwise a
// wake-up set during one request is lost with it and Go sleeps forever.
function keepTimers(go) {
  const timers = new Map(); // id -> { wake, due }
  const imports = go.importObject.gojs;
  imports["runtime.scheduleTimeoutEvent"] = (sp) => {
    sp >>>= 0;
    const id = go._nextCallbackTimeoutID++;
    const delay = go.mem.getUint32(sp + 8, true) + go.mem.getInt32(sp + 12, true) * 4294967296;
    const wake = () => {
      timers.delete(id);
      go._resume();
      while (go._scheduledTimeouts.has(id)) {
        // As in wasm_exec.js (golang/go#28975): Go missed the event.
        go._resume();
      }
    };
    timers.set(id, { wake, due: Date.now() + delay });
    go._scheduledTimeouts.set(id, setTimeout(wake, delay));
    go.mem.setInt32(sp + 16, id, true);
  };
  imports["runtime.clearTimeoutEvent"] = (sp) => {
    sp >>>= 0;
    const id = go.mem.getInt32(sp + 8, true);
    clearTimeout(go._scheduledTimeouts.get(id));
    go._scheduledTimeouts.delete(id);
    timers.delete(id);
  };
  rearmTimers = () => {
    for (const [id, t] of timers) {
      clearTimeout(go._scheduledTimeouts.get(id));
      go._scheduledTimeouts.set(id, setTimeout(t.wake, Math.max(0, t.due - Date.now())));
    }
  };
}

function start(env, ctx) {
  return new Promise((resolve, reject) => {
    // github.com/syumai/workers reads the env (D1 binding, secrets) from here.
    globalThis.context = { env, ctx, binding: {} };
    globalThis.meshpassReady = resolve;
    const go = new Go();
    keepTimers(go);
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
    headers: { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" },
  });
}

export default {
  async fetch(request, env, ctx) {
    const body = new Uint8Array(await request.arrayBuffer());
    await turn();
    let timer;
    try {
      if (ready === undefined) ready = start(env, ctx);
      await ready;
      rearmTimers();
      const limit = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("request took longer than " + turnLimit + " ms")), turnLimit);
      });
      const res = await Promise.race([
        globalThis.meshpassHandle(request.method, request.url, [...request.headers], body),
        limit,
      ]);
      return new Response(res.body, { status: res.status, headers: res.headers });
    } catch (err) {
      ready = undefined;
      console.error("portal failure:", err);
      return jsonError(503, "portal failure: " + err.message);
    } finally {
      clearTimeout(timer);
      busy = false;
    }
  },
};
