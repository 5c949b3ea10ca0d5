#!/usr/bin/env bash
# `carrack image fsck` of a 320 MiB layout beside `openssl dgst -sha256` over the same blob
# files, in one run, warm page cache, median of 5 alternating runs each, reported as a ratio.
#   bash benches/fsck_vs_openssl.sh [LAYERS] [MIB_PER_LAYER]
set -euo pipefail
cd "$(dirname "$0")/.."
layers=${1:-10}
mib=${2:-32}
cargo build -q --release -p carrack-runtime --bin carrack
cargo build -q --release -p carrack-image --example make_layout
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
./target/release/examples/make_layout "$dir/layout" "$layers" "$mib"
total=$(du -sm "$dir/layout/blobs" | cut -f1)
time_of() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    echo $(( (end - start) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
fsck=(./target/release/carrack image fsck "$dir/layout")
openssl=(sh -c "openssl dgst -sha256 '$dir'/layout/blobs/sha256/* >/dev/null")
"${fsck[@]}" >/dev/null; "${openssl[@]}"  # warm the page cache
c=(); o=()
for _ in 1 2 3 4 5; do
    c+=("$(time_of "${fsck[@]}")")
    o+=("$(time_of "${openssl[@]}")")
done
cm=$(printf '%s\n' "${c[@]}" | median)
om=$(printf '%s\n' "${o[@]}" | median)
echo "layout: ${total} MiB in $((layers + 2)) blobs"
echo "carrack image fsck       median ${cm} ms  (runs: ${c[*]})"
echo "openssl dgst -sha256     median ${om} ms  (runs: ${o[*]})"
awk -v c="$cm" -v o="$om" -v t="$total" 'BEGIN { printf "fsck/openssl time ratio: %.2f  (carrack %.0f MiB/s, openssl %.0f MiB/s)\n", c/o, t*1000/c, t*1000/o }'
