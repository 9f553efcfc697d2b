#!/usr/bin/env bash
# Prints the size of every built artifact in the given directories (default
# bin/): WebAssembly modules (*.wasm) and programs, each as raw bytes and
# gzip -9 bytes. A Cloudflare Worker's script may be up to 64 MiB
# uncompressed (2026; the old 3 MB / 10 MB compressed limits are gone), but
# every byte costs cold start: the line says how much of the limit it uses. A directory with a manifest.json
# is an unpacked browser extension (extension/dist): it is summed instead,
# all its files and its JavaScript alone (without the wasm), as raw bytes
# and the sum of each file's gzip -9 bytes (about what a zip of it takes).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ "$#" -gt 0 ] || set -- bin

files=()
extensions=()
for dir in "$@"; do
	[ -d "$dir" ] || continue
	if [ -f "$dir/manifest.json" ]; then
		extensions+=("${dir%/}")
		continue
	fi
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		case "$f" in
		*.wasm) files+=("$f") ;;
		*.js | *.mjs) ;;
		*) if [ -x "$f" ]; then files+=("$f"); fi ;;
		esac
	done
done

if [ "${#files[@]}" -eq 0 ] && [ "${#extensions[@]}" -eq 0 ]; then
	echo "size: nothing built in $*"
	exit 0
fi

# total prints one line for a set of files: their raw and gzip -9 sums.
total() {
	local name=$1 raw=0 gz=0 f
	shift
	for f in "$@"; do
		raw=$((raw + $(wc -c <"$f")))
		gz=$((gz + $(gzip -9 -c "$f" | wc -c)))
	done
	printf '%-40s %12d %12d %s\n' "$name" "$raw" "$gz" "($# files)"
}

limit=$((64 * 1024 * 1024))
printf '%-40s %12s %12s\n' file bytes gzip-9
for f in "${files[@]}"; do
	raw=$(wc -c <"$f")
	gz=$(gzip -9 -c "$f" | wc -c)
	note=""
	case "$f" in
	portal-worker/workers/build/*.wasm)
		if [ "$raw" -le "$limit" ]; then note="(worker: $((raw * 100 / limit))% of the 64 MiB script limit)"; else note="(worker: OVER the 64 MiB script limit)"; fi ;;
	esac
	printf '%-40s %12d %12d %s\n' "$f" "$raw" "$gz" "$note"
done
for ext in "${extensions[@]}"; do
	all=() js=()
	while IFS= read -r -d '' f; do
		all+=("$f")
		case "$f" in *.js | *.mjs) js+=("$f") ;; esac
	done < <(find "$ext" -type f -print0 | sort -z)
	total "$ext (all files)" "${all[@]}"
	if [ "${#js[@]}" -gt 0 ]; then total "$ext/*.js (no wasm)" "${js[@]}"; fi
done
