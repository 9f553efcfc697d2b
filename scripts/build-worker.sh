#!/usr/bin/env bash
# Builds the portal for Cloudflare Workers into portal-worker/workers/build:
# portal.wasm (cmd/meshpass-worker for js/wasm) and wasm_exec.js, the Go
# runtime's JavaScript support that portal-worker/workers/glue.mjs imports.
#
# The glue hands Go's timer wake-ups from one request to the next, which
# relies on how wasm_exec.js schedules them (through the global setTimeout),
# and starts Go at module load, which relies on how it reads the clock
# (timeOrigin + performance.now()) and random values (crypto.getRandomValues).
# So the build takes only the wasm_exec.js the glue was written for: its
# SHA-256 is pinned in portal-worker/workers/wasm_exec.js.sha256, and a Go
# whose wasm_exec.js differs stops the build with a message saying what to
# check. WASM_EXEC_JS names another file to check instead of Go's (tests).
#
# Used by `make worker` and by the tests' harness (portal-worker/workers/workerd).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
GO=${GO:-go}
out=portal-worker/workers/build
pin=portal-worker/workers/wasm_exec.js.sha256
src=${WASM_EXEC_JS:-$("$GO" env GOROOT)/lib/wasm/wasm_exec.js}

want=$(awk '{print $1; exit}' "$pin")
pinned_go=$(awk '{print $2; exit}' "$pin")
got=$(sha256sum "$src" | awk '{print $1}')
if [ "$got" != "$want" ]; then
	cat >&2 <<MSG
build-worker: $src
  (from $("$GO" version)) is not the wasm_exec.js that
  portal-worker/workers/glue.mjs was written for (the one of $pinned_go).
  sha256 now:    $got
  sha256 pinned: $want
The glue moves Go's pending timer wake-ups into each request through the
global setTimeout/clearTimeout that wasm_exec.js calls; a different
wasm_exec.js may schedule them otherwise and leave the deployed portal
asleep. Use the Go of the toolchain line in go.mod, or read the new
wasm_exec.js against glue.mjs (its setTimeout wrapper), run make test (the conformance
suite runs the worker in local workerd), and then record the new file:
  echo "$got  $("$GO" env GOVERSION)" > $pin
MSG
	exit 1
fi

mkdir -p "$out"
GOOS=js GOARCH=wasm "$GO" build -trimpath -ldflags='-s -w' -o "$out/portal.wasm.tmp" ./cmd/meshpass-worker
mv "$out/portal.wasm.tmp" "$out/portal.wasm"
cp "$src" "$out/wasm_exec.js"
