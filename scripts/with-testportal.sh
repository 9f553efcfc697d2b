#!/usr/bin/env bash
# Runs a command with a test portal server up: builds and starts
# cmd/internal/testportal, exports its URL as
# MESHPASS_TESTPORTAL, runs the command, then stops the server, also when
# the command fails or this script is interrupted. With the variable set,
# clienttest.New in the client's tests (in the browser, or natively) takes a
# fresh portal from the server for each test. make browser uses it:
#
#   scripts/with-testportal.sh env GOOS=js GOARCH=wasm go test ... ./shared/client/...
#
# The server also exits by itself when its standard input (a pipe from this
# script) closes, so it never outlives the script, even a killed one.
set -euo pipefail

[ "$#" -gt 0 ] || { echo "usage: $0 command [args...]" >&2; exit 2; }
GO=${GO:-go}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

tmp=$(mktemp -d)
pid=
stop() {
	if [ -n "$pid" ]; then
		exec {TESTPORTAL[1]}>&- 2>/dev/null || true # stdin closed: it exits
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

(cd "$root" && GOOS= GOARCH= "$GO" build -o "$tmp/testportal" ./cmd/internal/testportal)
coproc TESTPORTAL { exec "$tmp/testportal"; }
pid=$TESTPORTAL_PID
url=
read -r -t 30 url <&"${TESTPORTAL[0]}" || true
case "$url" in
http://*) ;;
*) echo "with-testportal: the test portal server did not start" >&2; exit 1 ;;
esac
echo "with-testportal: test portal server at $url (MESHPASS_TESTPORTAL)" >&2
export MESHPASS_TESTPORTAL="$url"
"$@"
