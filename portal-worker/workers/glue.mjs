// The Cloudflare Workers entry point of the meshpass portal.
//
// It starts the Go WebAssembly portal once per isolate, when the isolate
// loads this module (so no request's CPU time pays for the Go runtime's
// start), and hands it every request through globalThis.meshpassHandle
// (portal-worker/workers/jsbridge), so a request costs a function call
// rather than a new Go runtime. If the Go program ever exits, the next
// request starts a new one.
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
import "./build/wasm_exec.js";
import mod from "./build/portal.wasm";

// The platform's timers, for the glue's own use. Go's are wrapped below.
const platformSetTimeout = globalThis.setTimeout;
const platformClearTimeout = globalThis.clearTimeout;

let ready;
let busy = false;

// Turns are fair between clients: while requests wait, the one whose
// client address (CF-Connecting-IP, set by Cloudflare's edge) used Go the
// least lately (its turns' time, halved every usageHalfLife ms) goes
// first, so a flood from a few addresses waits behind itself rather than
// in front of everyone (portal-worker/portal/fair.go does the same for the
// native portal, whose requests run side by side). At most maxWaiting
// wait: past that the heaviest user's request is answered 503 at once.
const usageHalfLife = 10000;
const maxWaiting = 32;
const usage = new Map(); // address -> { ms, at }
const waiters = new Set(); // { ip, weight, seq, evicted }
let seq = 0;

function used(ip, now) {
  const u = usage.get(ip);
  return u ? u.ms * 2 ** (-(now - u.at) / usageHalfLife) : 0;
}

// charge adds a turn of ms to ip's usage (at least 1 ms: Workers' clock
// stands still while code runs, so a turn of pure CPU reads as 0).
function charge(ip, ms) {
  const now = Date.now();
  usage.set(ip, { ms: used(ip, now) + Math.max(1, ms), at: now });
  if (usage.size > 10000) {
    for (const [k] of usage) if (used(k, now) < 0.1) usage.delete(k);
  }
}

// after reports whether waiter a goes after waiter b.
function after(a, b) {
  return a.weight !== b.weight ? a.weight > b.weight : a.seq > b.seq;
}

// turn resolves, in the calling request's own context, once no other
// request is inside Go and no lighter user's request waits; it resolves
// false when a lighter user's request took this one's place in a full
// waiting room.
function turn(ip) {
  return new Promise((resolve) => {
    const me = { ip, weight: used(ip, Date.now()), seq: seq++, evicted: false };
    if (waiters.size >= maxWaiting) {
      let heaviest;
      for (const w of waiters) if (!heaviest || after(w, heaviest)) heaviest = w;
      if (!after(heaviest, me)) return resolve(false);
      heaviest.evicted = true;
      waiters.delete(heaviest);
    }
    waiters.add(me);
    const take = () => {
      if (me.evicted) return resolve(false);
      let first = !busy;
      if (first) for (const w of waiters) if (w !== me && after(me, w)) first = false;
      if (!first) {
        platformSetTimeout(take, 1);
        return undefined;
      }
      waiters.delete(me);
      busy = true;
      return resolve(true);
    };
    take();
  });
}

// A turn that takes longer than this is taken to mean Go is stuck: the
// instance is dropped and the next request starts a new one.
const turnLimit = 20000;

// Go's runtime wakes itself with the global setTimeout (wasm_exec.js's
// runtime.scheduleTimeoutEvent calls it; scripts/build-worker.sh pins the
// wasm_exec.js this was checked against), and Workers cancels a timer when
// the request that set it ends. So the glue owns the global setTimeout and
// clearTimeout: it remembers every pending wake-up, and rearmTimers moves
// them into the request now running. Otherwise a wake-up set during one
// request is lost with it and Go sleeps forever. Nothing inside
// wasm_exec.js (its fields, its stack layout) is touched. The wrapper
// serves every setTimeout of the isolate, which holds only the glue (its
// own timers use the platform's directly) and Go.
const pending = new Map(); // handle -> { fn, args, due, timer }
let nextHandle = 1;

// inRequest says whether a request is running: outside one (while the
// module loads and starts Go) Workers allows no timer, so a wake-up is
// only remembered, and the next request arms it.
let inRequest = false;

globalThis.setTimeout = (fn, delay = 0, ...args) => {
  const handle = nextHandle++;
  const wait = Math.max(0, Number(delay) || 0);
  const entry = { fn, args, due: Date.now() + wait, timer: undefined };
  pending.set(handle, entry);
  arm(handle, entry, wait);
  return handle;
};

globalThis.clearTimeout = (handle) => {
  const entry = pending.get(handle);
  if (!entry) return;
  platformClearTimeout(entry.timer);
  pending.delete(handle);
};

// arm sets the platform timer of a wake-up in the running request. Only
// the latest arming fires it: a request that set an earlier one may not
// have ended yet (Workers cancels only the current request's timers), and
// its timer must not run Go inside another request's turn.
function arm(handle, entry, wait) {
  if (!inRequest) return;
  const timer = platformSetTimeout(() => fire(handle, timer), wait);
  entry.timer = timer;
}

function fire(handle, timer) {
  const entry = pending.get(handle);
  if (!entry || entry.timer !== timer) return;
  pending.delete(handle);
  entry.fn(...entry.args);
}

function rearmTimers() {
  for (const [handle, entry] of pending) {
    platformClearTimeout(entry.timer);
    arm(handle, entry, Math.max(0, entry.due - Date.now()));
  }
}

// runtimeContext is the object github.com/syumai/workers reads the Worker's
// environment from (cloudflare.Getenv, cloudflare.GetBinding): {env, ctx,
// binding}, as its own Cloudflare runtime
// (cmd/workers-assets-gen/assets/runtime/cloudflare.mjs) builds it and
// shows it to Go as the global "context". syumai/workers keeps a reference
// to that object from the moment Go starts, so it is one object whose env
// and ctx are those of the request now running.
const runtimeContext = { env: undefined, ctx: undefined, binding: {} };
globalThis.context = runtimeContext;

function setRuntimeContext(env, ctx) {
  runtimeContext.env = env;
  runtimeContext.ctx = ctx;
}

// start starts a Go instance; newGo makes its Go object (wasm_exec.js).
function start(newGo = () => new Go()) {
  // Wake-ups of an instance that was dropped must not run into the new one.
  for (const entry of pending.values()) platformClearTimeout(entry.timer);
  pending.clear();
  return new Promise((resolve, reject) => {
    globalThis.meshpassReady = resolve;
    const go = newGo();
    const instance = new WebAssembly.Instance(mod, go.importObject);
    // For a memory probe over the inspector (cmd/internal/load): the Go
    // instance's linear memory, which V8's heap statistics leave out.
    globalThis.meshpassMemory = instance.exports.mem;
    go.run(instance).then(
      () => {
        ready = undefined;
        reject(new Error("portal exited"));
      },
      (err) => {
        ready = undefined;
        reject(err);
      },
    );
  });
}

function jsonError(status, description) {
  return new Response(JSON.stringify({ ErrorResponse: { Status: status, StatusDescription: description } }), {
    status,
    headers: { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" },
  });
}

// The most body bytes read, as mmm.MaxBodySize: a larger body is refused
// by its Content-Length before any of it is read, or cut off while it
// streams in, so a request never holds more than this in the isolate.
const maxBody = 1 << 20;

function tooLarge() {
  return jsonError(413, "body larger than " + maxBody + " bytes");
}

// readBody reads at most maxBody bytes of the request's body, or returns
// undefined when it is larger.
async function readBody(request) {
  const announced = request.headers.get("Content-Length");
  if (announced !== null && Number(announced) > maxBody) return undefined;
  if (request.body === null) return new Uint8Array(0);
  // A body of announced length (HTTP holds it to that length) is read
  // whole, at once; only one of unknown length is read piece by piece.
  if (announced !== null) return new Uint8Array(await request.arrayBuffer());
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBody) {
      reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

// headerLines returns the request's headers as jsbridge takes them: one
// string of "name:value" lines (Workers' Headers hold no line break in a
// name or value, and no colon in a name).
function headerLines(headers) {
  let lines = "";
  for (const [name, value] of headers) lines += name + ":" + value + "\n";
  return lines;
}

// startAtLoad starts Go while the isolate loads the module, so that no
// request pays for the Go runtime's start. Outside a request Workers'
// clock reads 0 and it refuses random values, and Go's runtime, as it
// starts, refuses a monotonic clock of 0 and reads 32 random bytes: the
// seed of its own generator (map hashing, scheduling; crypto/rand reads
// crypto.getRandomValues afresh each time, inside requests). So for the
// start only, the glue sets wasm_exec.js's clock origin 1 ms past the
// platform's, and serves the runtime's one seed from Math.random (V8's
// generator, which workerd seeds). A second read at load would be for
// Go code that wants random values: it fails as Workers makes it fail,
// and Go starts again in the first request. Like the timers, this relies
// on the wasm_exec.js that scripts/build-worker.sh pins (its nanotime is
// timeOrigin + performance.now(), timeOrigin taken in the constructor).
function startAtLoad() {
  const seed = (a) => {
    delete crypto.getRandomValues; // the platform's again, for any later read
    for (let i = 0; i < a.length; i++) a[i] = Math.floor(Math.random() * 256);
    return a;
  };
  crypto.getRandomValues = seed;
  try {
    ready = start(() => {
      const now = performance.now;
      performance.now = () => -1; // timeOrigin = Date.now() + 1
      try {
        return new Go();
      } finally {
        performance.now = now;
      }
    });
    ready.catch(() => {}); // the first request starts Go again
  } catch (err) {
    ready = undefined;
    console.error("portal: starting Go at load failed:", err);
  } finally {
    if (crypto.getRandomValues === seed) delete crypto.getRandomValues;
  }
}

startAtLoad();

export default {
  async fetch(request, env, ctx) {
    const body = await readBody(request);
    if (body === undefined) return tooLarge();
    // The fast path, no request inside Go or waiting: take the turn at once.
    const ip = request.headers.get("CF-Connecting-IP") || "";
    if (busy || waiters.size > 0) {
      if (!(await turn(ip))) {
        const busyAnswer = jsonError(503, "the portal is busy with requests from addresses that asked less; retry in a few seconds");
        busyAnswer.headers.set("Retry-After", "2");
        return busyAnswer;
      }
    } else busy = true;
    const began = Date.now();
    inRequest = true;
    let timer;
    try {
      setRuntimeContext(env, ctx);
      if (ready === undefined) ready = start();
      await ready;
      rearmTimers();
      const limit = new Promise((_, reject) => {
        timer = platformSetTimeout(() => reject(new Error("request took longer than " + turnLimit + " ms")), turnLimit);
      });
      const res = await Promise.race([globalThis.meshpassHandle(request.method, request.url, headerLines(request.headers), body), limit]);
      return new Response(res.body, { status: res.status, headers: res.headers });
    } catch (err) {
      ready = undefined;
      console.error("portal failure:", err);
      return jsonError(503, "portal failure: " + err.message);
    } finally {
      platformClearTimeout(timer);
      runtimeContext.ctx = undefined; // this request's context ends here
      inRequest = false;
      busy = false;
      charge(ip, Date.now() - began);
    }
  },
};
