#!/usr/bin/env bash
# `carrack image run` of a Debian minbase image (debootstrap, one gzip layer) running
# `/bin/date +%s%N`, beside `podman run --rm` of the same image (imported with skopeo; podman's
# runc) and umoci + runc, interleaved in one run. Two figures per sample:
#
#   first   from the command's start to the container's program printing the time (the user's
#           program running: date's own start, ~0.5 ms, is in every row alike)
#   exit    from the command's start to its exit (the container removed)
#
# The rows:
#
#   snapshot-warm   carrack image run, the layer's snapshot already there (the second run)
#   snapshot-cold   carrack image run into an empty snapshot directory (the first run)
#   full-unpack     carrack image run --no-snapshots (unpacks the image every time)
#   podman          podman --runtime runc run --rm --network none IMAGE /bin/date +%s%N, with
#                   --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 (podman sets both to
#                   1048576, which fails where the caller's hard limits are lower; runc's default
#                   spec, which carrack's run uses, has nofile 1024 and no nproc)
#   umoci+runc      umoci unpack of the image into a fresh bundle, then runc run of it (the
#                   "no snapshotter" way: what the cold run is compared with)
#
#   sudo benches/image_run.sh [ROUNDS]     (default 15; needs root, debootstrap, podman,
#                                           skopeo, runc; the image is cached in the work dir)
set -euo pipefail
rounds=${1:-15}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${CARRACK_BENCH_DIR:-/var/tmp/carrack-bench}/image-run
mkdir -p "$work"
# Two builds: with --example, cargo builds only that example, not carrack's binary.
(cd "$repo" && cargo build --release -q -p carrack-runtime --bin carrack &&
    cargo build --release -q -p carrack-unpack --example layers_from_dirs)
carrack=$repo/target/release/carrack
layers_from_dirs=$repo/target/release/examples/layers_from_dirs
cd "$work"
if [ ! -d minbase ]; then
    debootstrap --variant=minbase bookworm minbase.tmp http://deb.debian.org/debian >debootstrap.log
    mv minbase.tmp minbase
fi
if [ ! -f img/index.json ]; then
    rm -rf img
    "$layers_from_dirs" img deb gzip minbase >/dev/null
fi
podman rmi -f localhost/carrack-bench:deb >/dev/null 2>&1 || true
skopeo copy -q oci:img:deb containers-storage:localhost/carrack-bench:deb
# The same image with date as its command, for umoci + runc (a tag of its own).
umoci config --image img:deb --tag deb-date --config.cmd /bin/date --config.cmd +%s%N >/dev/null
umoci_runc() { # N: unpack into a fresh bundle and run it with runc, then remove both
    rm -rf "$work/umoci-bundle"
    umoci unpack --image img:deb-date "$work/umoci-bundle" &&
        sed -i 's/"terminal": *true/"terminal": false/' "$work/umoci-bundle/config.json" &&
        runc --root "$work/runc-state" run -b "$work/umoci-bundle" "carrack-bench-$1"
}
export CARRACK_DATA_DIR=$work/data
rm -rf "$CARRACK_DATA_DIR"
"$carrack" image run --snapshots "$work/warm" img:deb -- /bin/true 2>/dev/null # make the snapshot
date_cmd=(/bin/date +%s%N)

declare -A exits firsts
sample() { # ROW COMMAND...: adds the row's times to first output and to exit, in ms
    local row=$1 t0 t1 out printed
    shift
    t0=$(date +%s%N)
    # A failure stops the whole run.
    out=$("$@" 2>/dev/null) || { echo "image_run.sh: failed: $*" >&2; kill $$; }
    t1=$(date +%s%N)
    printed=$(printf '%s\n' "$out" | grep -E '^[0-9]{19}$' | tail -n 1)
    [ -n "$printed" ] || { echo "image_run.sh: $row printed no time: $out" >&2; kill $$; }
    exits[$row]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e6}') "
    firsts[$row]+="$(awk -v a="$t0" -v b="$printed" 'BEGIN {printf "%.2f", (b - a) / 1e6}') "
}
for ((i = 0; i < rounds; i++)); do
    sample snapshot-warm "$carrack" image run --snapshots "$work/warm" img:deb -- "${date_cmd[@]}"
    rm -rf "$work/cold"
    sync
    sample snapshot-cold "$carrack" image run --snapshots "$work/cold" img:deb -- "${date_cmd[@]}"
    sample full-unpack "$carrack" image run --no-snapshots img:deb -- "${date_cmd[@]}"
    sample podman podman --runtime runc run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 localhost/carrack-bench:deb "${date_cmd[@]}"
    sample umoci+runc umoci_runc "$i"
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
declare -A fmed emed
echo "image: Debian bookworm minbase, $(du -sh img | cut -f1) as one gzip layer; $rounds rounds, interleaved"
echo
echo "| command | first output, median ms | exit, median ms |"
echo "|---|---|---|"
for k in snapshot-warm snapshot-cold full-unpack podman umoci+runc; do
    fmed[$k]=$(echo "${firsts[$k]}" | median)
    emed[$k]=$(echo "${exits[$k]}" | median)
    echo "| $k | ${fmed[$k]} | ${emed[$k]} |"
done
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
echo "| ratio | to first output | to exit |"
echo "|---|---|---|"
echo "| snapshot-warm / podman | $(ratio "${fmed[snapshot-warm]}" "${fmed[podman]}") | $(ratio "${emed[snapshot-warm]}" "${emed[podman]}") |"
echo "| snapshot-cold / umoci+runc | $(ratio "${fmed[snapshot-cold]}" "${fmed[umoci+runc]}") | $(ratio "${emed[snapshot-cold]}" "${emed[umoci+runc]}") |"
echo "| snapshot-warm / full-unpack | $(ratio "${fmed[snapshot-warm]}" "${fmed[full-unpack]}") | $(ratio "${emed[snapshot-warm]}" "${emed[full-unpack]}") |"
echo "| snapshot-cold / full-unpack | $(ratio "${fmed[snapshot-cold]}" "${fmed[full-unpack]}") | $(ratio "${emed[snapshot-cold]}" "${emed[full-unpack]}") |"
podman rmi -f localhost/carrack-bench:deb >/dev/null 2>&1 || true
rm -rf "$work/cold" "$work/warm" "$CARRACK_DATA_DIR" "$work/umoci-bundle" "$work/runc-state"
