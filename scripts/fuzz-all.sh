#!/usr/bin/env bash
# Runs every Go fuzz target in the repository for FUZZTIME (default 5s).
#
# Targets are found by grepping *_test.go files (outside node_modules, .git
# and testdata) for `func FuzzName(f *testing.F)`. `go test -fuzz` takes one
# package and one matching target per run, so each target gets its own run.
# Every target runs even if an earlier one fails; the exit status is non-zero
# if any failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

FUZZTIME="${FUZZTIME:-5s}"
GO="${GO:-go}"

files=$(grep -rl --include='*_test.go' \
	--exclude-dir=node_modules --exclude-dir=.git --exclude-dir=testdata \
	'^func Fuzz' . | sort || true)

targets=()
for file in $files; do
	pkg="./$(dirname "${file#./}")"
	for name in $(sed -nE 's/^func (Fuzz[[:alnum:]_]*)\([[:alnum:]_]+ \*testing\.F\).*/\1/p' "$file"); do
		targets+=("$pkg $name")
	done
done

if [ "${#targets[@]}" -eq 0 ]; then
	echo "fuzz: no fuzz targets found"
	exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

failed=()
raced=()
for target in "${targets[@]}"; do
	read -r pkg name <<<"$target"
	echo "=== fuzz $pkg $name ($FUZZTIME)"
	if "$GO" test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$pkg" 2>&1 | tee "$log"; then
		continue
	fi
	# Go 1.26's fuzz coordinator can report a duration -fuzztime running
	# out as a failure, "context deadline exceeded", with no failing input
	# (golang/go#75804, fixed in Go 1.27). A real failure found while
	# fuzzing always writes its input ("Failing input written to ..."), and
	# a failing seed input prints its own error, so only this exact
	# signature is let through.
	if [ "$(grep -c -- '^--- FAIL' "$log")" -eq 1 ] &&
		[ "$(grep -A1 -- "^--- FAIL: ${name} (" "$log" | sed -n 2p)" = "    context deadline exceeded" ] &&
		! grep -q 'Failing input written to' "$log"; then
		echo "fuzz: $pkg $name: fuzztime ran out during shutdown (golang/go#75804), no failing input; not a failure"
		raced+=("$pkg $name")
		continue
	fi
	failed+=("$pkg $name")
done

if [ "${#failed[@]}" -gt 0 ]; then
	echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
if [ "${#raced[@]}" -gt 0 ]; then
	echo "fuzz: all ${#targets[@]} targets passed ($FUZZTIME each); golang/go#75804 hit at the deadline by:"
	printf '  %s\n' "${raced[@]}"
else
	echo "fuzz: all ${#targets[@]} targets passed ($FUZZTIME each)"
fi
