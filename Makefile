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

.PHONY: run deps vet unit fuzz test bench size docs clean npm-check

run:
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
	  echo "run: built $$pkgs Go packages and the programs" $$(for c in $$cmds; do printf '%s ' "$(BIN)/$${c##*/}"; done); \
	else \
	  echo "run: built $$pkgs Go packages; no command-line programs under cmd/ yet, so nothing in $(BIN)/"; \
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

test: deps vet unit fuzz

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

size: run
	scripts/size.sh $(BIN)

docs:
	@[ -d shared/mmm ] || { echo "docs: shared/mmm does not exist yet; its TestProtocolDoc writes docs/protocol.md" >&2; exit 1; }
	$(GO) test -count=1 ./shared/mmm -run TestProtocolDoc -update

clean:
	rm -rf $(BIN)/
