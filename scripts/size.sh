#!/usr/bin/env bash
# Prints the size of every built artifact in the given directories (default
# bin/): WebAssembly modules (*.wasm) and programs, each as raw bytes and
# gzip -9 bytes. A Cloudflare Worker's wasm must stay within the free plan
# (gzip at most 3 MB): the line says so.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ "$#" -gt 0 ] || set -- bin

files=()
for dir in "$@"; do
	[ -d "$dir" ] || continue
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		case "$f" in
		*.wasm) files+=("$f") ;;
		*.js | *.mjs) ;;
		*) if [ -x "$f" ]; then files+=("$f"); fi ;;
		esac
	done
done

if [ "${#files[@]}" -eq 0 ]; then
	echo "size: nothing built in $*"
	exit 0
fi

limit=3000000
printf '%-40s %12s %12s\n' file bytes gzip-9
for f in "${files[@]}"; do
	raw=$(wc -c <"$f")
	gz=$(gzip -9 -c "$f" | wc -c)
	note=""
	case "$f" in
	portal-worker/build/*.wasm)
		if [ "$gz" -le "$limit" ]; then note="(worker: within the 3 MB gzip budget)"; else note="(worker: OVER the 3 MB gzip budget)"; fi ;;
	esac
	printf '%-40s %12d %12d %s\n' "$f" "$raw" "$gz" "$note"
done
