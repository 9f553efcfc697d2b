// The Go client core (wasm/, built as meshpass.wasm) inside the service
// worker. It is loaded by the first call that needs it, or a little
// earlier by startCore when a message will need it (16 MB of wasm,
// compiled while it streams in; make bench times each part), not whenever
// the browser wakes the worker for an event that turns out not to need
// it; every call waits for it, so a handler run
// right after the browser restarted the worker simply waits. The rest of
// the worker calls it through the generated core-api.js (one function per
// core function, from wasm/api), not by name.

import { CODES } from "./core-api.js";

let ready = null;

/**
 * useCore replaces the wasm core with impl, an object of the same
 * functions (JSON string in, Promise of a JSON string out, rejecting with
 * {code, message}): the unit tests' fake core. Nothing in the extension
 * calls it.
 */
export function useCore(impl) {
  ready = Promise.resolve(impl);
}

/**
 * startCore starts loading the core now, if it is not loaded or loading,
 * for a call that will need it after other work (storage reads): the
 * load runs beside that work. A failure is left to that call to meet.
 */
export function startCore() {
  core().catch(() => {});
}

function core() {
  if (!ready) {
    ready = load();
    ready.catch(() => {
      ready = null; // try again on the next call
    });
  }
  return ready;
}

async function load() {
  // wasm_exec.js (bundled before this module) defines globalThis.Go.
  const go = new globalThis.Go();
  const started = new Promise((resolve) => {
    globalThis.meshpassReady = resolve;
  });
  performance.mark("meshpass:load");
  const response = await fetch(chrome.runtime.getURL("meshpass.wasm"));
  performance.mark("meshpass:fetched"); // the response's headers: compiling streams the body
  const { instance } = await WebAssembly.instantiateStreaming(response, go.importObject);
  performance.mark("meshpass:instantiated"); // make bench reports the marks
  // go.run resolves only if the Go program exits, which it must not.
  const exited = go.run(instance).then(() => {
    throw new CoreError({ code: CODES.INTERNAL, message: "the meshpass core stopped" });
  });
  const slow = new Promise((_, reject) =>
    setTimeout(() => reject(new CoreError({ code: CODES.INTERNAL, message: "the meshpass core did not start within 30 s" })), 30_000),
  );
  await Promise.race([started, exited, slow]);
  performance.mark("meshpass:ready");
  return globalThis.meshpass;
}

/**
 * CoreError is a failure of a core function, with the core's stable code
 * (CODES; wasm/API.md lists them), and check (CHECKS) or status where the
 * core gave one.
 */
export class CoreError extends Error {
  constructor({ code, message, check, status }) {
    super(message);
    this.code = code || CODES.INTERNAL;
    if (check) this.check = check;
    if (status) this.status = status;
  }

  /** toJSON is how the error crosses chrome.runtime messaging. */
  toJSON() {
    return { code: this.code, message: this.message, check: this.check, status: this.status };
  }
}

/**
 * call runs the core function name with arg (a plain object, sent as JSON)
 * and resolves with its parsed result, or rejects with a CoreError. Call
 * the named functions of core-api.js instead.
 */
export async function call(name, arg = {}) {
  const meshpass = await core();
  const f = meshpass[name];
  if (typeof f !== "function") throw new CoreError({ code: CODES.BAD_REQUEST, message: `no core function ${name}` });
  try {
    return JSON.parse(await f(JSON.stringify(arg)));
  } catch (e) {
    if (e instanceof SyntaxError) throw new CoreError({ code: CODES.INTERNAL, message: e.message });
    throw new CoreError({ code: e.code, message: e.message, check: e.check, status: e.status });
  }
}
