// The Go client core (wasm/, built as meshpass.wasm) inside the service
// worker. Loading starts when this module is evaluated; every call waits
// for it, so a handler run right after the browser restarted the worker
// simply waits for the core instead of failing.

const ready = load();

async function load() {
  // wasm_exec.js (bundled before this module) defines globalThis.Go.
  const go = new globalThis.Go();
  const loaded = new Promise((resolve) => {
    globalThis.meshpassReady = resolve;
  });
  const response = await fetch(chrome.runtime.getURL("meshpass.wasm"));
  const { instance } = await WebAssembly.instantiateStreaming(response, go.importObject);
  go.run(instance); // never returns while the worker lives
  await loaded;
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
  const meshpass = await ready;
  const f = meshpass[name];
  if (typeof f !== "function") throw new CoreError({ code: "bad_request", message: `no core function ${name}` });
  try {
    return JSON.parse(await f(JSON.stringify(arg)));
  } catch (e) {
    if (e instanceof SyntaxError) throw new CoreError({ code: "internal", message: e.message });
    throw new CoreError({ code: e.code, message: e.message, check: e.check, status: e.status });
  }
}
