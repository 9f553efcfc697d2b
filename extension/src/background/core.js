// The Go client core (wasm/, built as meshpass.wasm) inside the service
// worker. It is loaded by the first call that needs it (about 0.3 s for
// 13 MB of wasm), not whenever the browser wakes the worker for an event
// that turns out not to need it; every call waits for it, so a handler run
// right after the browser restarted the worker simply waits.

let ready = null;

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
  const response = await fetch(chrome.runtime.getURL("meshpass.wasm"));
  const { instance } = await WebAssembly.instantiateStreaming(response, go.importObject);
  performance.mark("meshpass:instantiated"); // make bench reports the marks
  // go.run resolves only if the Go program exits, which it must not.
  const exited = go.run(instance).then(() => {
    throw new CoreError({ code: "internal", message: "the meshpass core stopped" });
  });
  const slow = new Promise((_, reject) => setTimeout(() => reject(new CoreError({ code: "internal", message: "the meshpass core did not start within 30 s" })), 30_000));
  await Promise.race([started, exited, slow]);
  performance.mark("meshpass:ready");
  return globalThis.meshpass;
}

/**
 * CoreError is a failure of a core function, with the core's stable code
 * (wasm/README.md lists them), and check or status where the core gave one.
 */
export class CoreError extends Error {
  constructor({ code, message, check, status }) {
    super(message);
    this.code = code || "internal";
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
 * and resolves with its parsed result, or rejects with a CoreError.
 */
export async function call(name, arg = {}) {
  const meshpass = await core();
  const f = meshpass[name];
  if (typeof f !== "function") throw new CoreError({ code: "bad_request", message: `no core function ${name}` });
  try {
    return JSON.parse(await f(JSON.stringify(arg)));
  } catch (e) {
    if (e instanceof SyntaxError) throw new CoreError({ code: "internal", message: e.message });
    throw new CoreError({ code: e.code, message: e.message, check: e.check, status: e.status });
  }
}
