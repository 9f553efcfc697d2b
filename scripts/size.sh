#!/usr/bin/env bash
# Prints the size of every built artifact in a bin directory (default bin/):
# the WebAssembly modules bin/*.wasm and the command-line programs, each as
# raw bytes and gzip -9 bytes.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${1:-bin}"

wasm=()
progs=()
if [ -d "$bin" ]; then
	for f in "$bin"/*; do
		[ -f "$f" ] || continue
		case "$f" in
		*.wasm) wasm+=("$f") ;;
		*) if [ -x "$f" ]; then progs+=("$f"); fi ;;
		esac
	done
fi

if [ "${#wasm[@]}" -eq 0 ] && [ "${#progs[@]}" -eq 0 ]; then
	echo "size: no wasm built yet and no programs in $bin/ (the issue that builds wasm/ adds the wasm build)"
	exit 0
fi

printf '%-40s %12s %12s\n' file bytes gzip-9
for f in "${wasm[@]}" "${progs[@]}"; do
	raw=$(wc -c <"$f")
	gz=$(gzip -9 -c "$f" | wc -c)
	printf '%-40s %12d %12d\n' "$f" "$raw" "$gz"
done
if [ "${#wasm[@]}" -eq 0 ]; then
	echo "size: no wasm built yet (the issue that builds wasm/ adds the wasm build)"
fi
